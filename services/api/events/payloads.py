"""What each event type carries in `data`, field by field: JSON Schemas for the OpenAPI
document (components, referenced from the `webhooks` section). Each names every field its
emitter writes and forbids the rest, so a field added or renamed in a service without being
documented here fails tests/api/events/test_payloads.py."""

from typing import Any

_REF = "#/components/schemas/"

INT: dict[str, Any] = {"type": "integer"}
INT_OR_NULL: dict[str, Any] = {"type": ["integer", "null"]}
NUMBER: dict[str, Any] = {"type": "number"}
NUMBER_OR_NULL: dict[str, Any] = {"type": ["number", "null"]}
TEXT: dict[str, Any] = {"type": "string"}
TEXT_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}
BOOL: dict[str, Any] = {"type": "boolean"}
MOMENT: dict[str, Any] = {"type": "string", "format": "date-time"}
MOMENT_OR_NULL: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
TEXTS: dict[str, Any] = {"type": "array", "items": TEXT}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": _REF + name}


def ref_or_null(name: str) -> dict[str, Any]:
    return {"anyOf": [ref(name), {"type": "null"}]}


def shape(description: str, example: dict[str, Any], **fields: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these fields, all always present."""
    return {"type": "object", "description": description, "required": list(fields),
            "properties": fields, "additionalProperties": False, "examples": [example]}


# The fields every work item event starts with (planning's `_event_data`).
_WORK_ITEM = {"request_id": INT_OR_NULL, "owner_id": INT, "title": TEXT,
              "quadrant": ref("Quadrant")}
_WORK_ITEM_EXAMPLE = {"request_id": 42, "owner_id": 7, "title": "TikTok launch teaser",
                      "quadrant": "quick_win"}
# What a plan action adds to a work item event (`what-can-i-take-off-my-plate/apply`).
_PLAN_ACTION = {"action": {"type": "string", "enum": ["defer", "hand_over", "decline"]},
                "reason": TEXT}
# The fields every request event raised by a plan action carries.
_REQUEST_PLAN = {"request_id": INT, "requester_id": INT_OR_NULL, "work_item_id": INT,
                 "reason": TEXT}
_REQUEST_PLAN_EXAMPLE = {"request_id": 42, "requester_id": 12, "work_item_id": 88,
                         "reason": "Over capacity this week; the deadline allows it."}

# Schema name -> JSON Schema of `data`. Partial updates reuse their request body's schema
# (`MemberUpdate`, ...): `data` is exactly the fields the caller sent.
DATA_SCHEMAS: dict[str, dict[str, Any]] = {
    "NoEventData": {"type": "object", "additionalProperties": False,
                    "description": "Nothing beyond the subject: its id says what.",
                    "examples": [{}]},
    "ApiKeyCreatedData": shape("The new key's name and role (never the secret).",
                               {"name": "evaluator", "role": "service"},
                               name=TEXT, role=ref("Role")),
    "CalendarImportedData": shape(
        "How many entries the import created, their ids, and the month (`YYYY-MM`) when the "
        "import was of a monthly plan.",
        {"created": 2, "ids": [31, 32], "month": "2027-01"},
        created=INT, ids={"type": "array", "items": INT}, month=TEXT_OR_NULL),
    "CalendarEntryCreatedData": shape(
        "The planned entry; `warnings` lists double bookings on its network.",
        {"title": "TikTok launch teaser", "network": "tiktok", "owner_id": 7,
         "publish_at": "2027-01-12T15:00:00+00:00", "status": "planned", "request_id": 42,
         "warnings": []},
        title=TEXT, network=TEXT, owner_id=INT, publish_at=MOMENT, status=ref("EntryStatus"),
        request_id=INT_OR_NULL, warnings=TEXTS),
    "CalendarEntryDeletedData": shape("The deleted entry's title and network.",
                                      {"title": "TikTok launch teaser", "network": "tiktok"},
                                      title=TEXT, network=TEXT),
    "CalendarFeedCreatedData": shape(
        "The feed's scope and whose or which network's entries it carries.",
        {"scope": "team", "member_id": None, "network_id": None},
        scope=ref("FeedScope"), member_id=INT_OR_NULL, network_id=INT_OR_NULL),
    "DisruptionLoggedData": shape("The logged disruption and the hours it took.",
                                  {"disruption_id": 5, "hours": 1.5, "note": "Crisis reply"},
                                  disruption_id=INT, hours=NUMBER, note=TEXT),
    "ExperimentCreatedData": shape(
        "The request it tests (if any), its state and the sample size planned per arm.",
        {"request_id": 42, "state": "draft", "planned_n_per_arm": 9800},
        request_id=INT_OR_NULL, state=ref("ExperimentState"), planned_n_per_arm=INT),
    "ExperimentStateChangedData": shape("The state before and after.",
                                        {"from": "draft", "to": "running"},
                                        **{"from": ref("ExperimentState"),
                                           "to": ref("ExperimentState")}),
    "ExperimentObservationsData": shape(
        "Rows inserted and corrected, and the experiment's data version after them.",
        {"inserted": 12, "updated": 1, "data_version": 4},
        inserted=INT, updated=INT, data_version=INT),
    "ExperimentVerdictData": shape(
        "The verdict written for one look at one data version.",
        {"verdict_id": 9, "decision": "team_better", "winner": "video", "data_version": 4,
         "look": 2, "request_id": 42},
        verdict_id=INT, decision=ref("VerdictDecision"), winner=TEXT_OR_NULL,
        data_version=INT, look=INT, request_id=INT_OR_NULL),
    "FollowersRecordedData": shape("How many days' counts were new or changed.", {"days": 7},
                                   days=INT),
    "GoalsSetData": shape("The quarter and its targets by metric.",
                          {"quarter": "2027-Q1", "targets": {"posts": 24, "impressions": 50000}},
                          quarter=TEXT, targets={"type": "object", "additionalProperties": NUMBER,
                                                 "propertyNames": ref("GoalMetric")}),
    "MemberCreatedData": shape("The new member's name and role.",
                               {"name": "Olivia Martin", "role": "strategist"},
                               name=TEXT, role=ref("MemberRole")),
    "MetricsUpsertedData": shape(
        "What a collector's upsert changed; `flagged` counts snapshots held for review.",
        {"posts_created": 3, "posts_updated": 0, "snapshots_created": 3,
         "snapshots_updated": 1, "flagged": 0},
        posts_created=INT, posts_updated=INT, snapshots_created=INT, snapshots_updated=INT,
        flagged=INT),
    "NetworkCreatedData": shape("The first owner (if any) and the network's purpose.",
                                {"owner_id": 7, "purpose": "awareness"},
                                owner_id=INT_OR_NULL, purpose=ref("Purpose")),
    "NetworkOwnerChangedData": shape(
        "The new owner, from which day, and who owned it before.",
        {"member_id": 7, "starts_on": "2027-01-04", "previous_member_id": 3},
        member_id=INT, starts_on={"type": "string", "format": "date"},
        previous_member_id=INT_OR_NULL),
    "PillarData": shape("The pillar's quarter and name.",
                        {"quarter": "2027-Q1", "name": "Product education"},
                        quarter=TEXT, name=TEXT),
    "PostNoteAddedData": shape("The new note.", {"note_id": 14}, note_id=INT),
    "ReportCreatedData": shape("The report's name.", {"name": "Q1 review"}, name=TEXT),
    "ReportUpdatedData": shape("The names of the fields that changed.",
                               {"fields": ["description", "sections"]}, fields=TEXTS),
    "ReportAnnotatedData": shape("The new annotation and its section.",
                                 {"annotation_id": 3, "section_key": "s1"},
                                 annotation_id=INT, section_key=TEXT),
    "ReportAnnotationDeletedData": shape("The deleted annotation.", {"annotation_id": 3},
                                         annotation_id=INT),
    "ReportSharedData": shape("The share link and when it expires.",
                              {"link_id": 2, "expires_at": "2027-02-12T15:00:00+00:00"},
                              link_id=INT, expires_at=MOMENT),
    "ReportShareRevokedData": shape("The revoked share link.", {"link_id": 2}, link_id=INT),
    "RequestSubmittedData": shape(
        "The request as submitted, its routed owner, and why it needs a strategy review.",
        {"title": "Webinar launch", "networks": ["linkedin"], "owner_id": 7,
         "needs_strategy_review": False, "review_reasons": []},
        title=TEXT, networks=TEXTS, owner_id=INT_OR_NULL, needs_strategy_review=BOOL,
        review_reasons=TEXTS),
    "RequestTriagedData": shape(
        "The triage decision and what it set up: the status, owner, the alternative "
        "proposed, the effort, the earliest start, the work item and the A/B experiment.",
        {"decision": "accept", "status": "triaged", "owner_id": 7, "alternative": None,
         "effort_hours": 4.0, "earliest_start_at": "2027-01-11T08:00:00+00:00",
         "work_item_id": 88, "experiment_id": None},
        decision=ref("TriageDecision"), status=ref("RequestStatus"), owner_id=INT_OR_NULL,
        alternative=ref_or_null("AlternativeProposal"), effort_hours=NUMBER_OR_NULL,
        earliest_start_at=MOMENT_OR_NULL, work_item_id=INT_OR_NULL,
        experiment_id=INT_OR_NULL),
    "RequestStatusChangedData": shape("The status before and after, and the note given.",
                                      {"from": "triaged", "to": "in_progress", "note": None},
                                      **{"from": ref("RequestStatus"),
                                         "to": ref("RequestStatus"), "note": TEXT_OR_NULL}),
    "RequestUpdatedData": shape(
        "The progress update, its progress as `done/total`, and when the next is due.",
        {"update_id": 6, "note": "Two of three videos cut.", "progress": "2/3",
         "next_update_due_at": "2027-01-19T15:00:00+00:00"},
        update_id=INT, note=TEXT, progress=TEXT_OR_NULL, next_update_due_at=MOMENT),
    "RequestBlockedData": shape("The blocker: what is missing, waiting on whom.",
                                {"blocker_id": 4, "what": "Product screenshots",
                                 "waiting_on": "Design"},
                                blocker_id=INT, what=TEXT, waiting_on=TEXT),
    "RequestUnblockedData": shape(
        "The resolved blocker, how, and whether others still block the request.",
        {"blocker_id": 4, "resolution": "Design sent them.", "still_blocked": False},
        blocker_id=INT, resolution=TEXT_OR_NULL, still_blocked=BOOL),
    "RequestVerdictData": shape(
        "The verdict of the experiment linked to the request, in a sentence too.",
        {"experiment_id": 12, "verdict_id": 9, "decision": "team_better", "winner": "video",
         "is_conclusive": True, "summary": "The product video wins: +0.6 points."},
        experiment_id=INT, verdict_id=INT, decision=ref("VerdictDecision"),
        winner=TEXT_OR_NULL, is_conclusive=BOOL, summary=TEXT),
    "RequestRescheduledData": shape(
        "The owner deferred the request's work to `new_date` (the work item's new due time).",
        {**_REQUEST_PLAN_EXAMPLE, "new_date": "2027-01-22T00:00:00+00:00"},
        **_REQUEST_PLAN, new_date=MOMENT),
    "RequestHandedOverData": shape(
        "The request's work (and the request) went from `from_owner_id` to `to_owner_id`.",
        {**_REQUEST_PLAN_EXAMPLE, "from_owner_id": 7, "to_owner_id": 9},
        **_REQUEST_PLAN, from_owner_id=INT_OR_NULL, to_owner_id=INT),
    "RequestDeclinedByPlanData": shape("The owner took the request's work off their plate.",
                                       _REQUEST_PLAN_EXAMPLE, **_REQUEST_PLAN),
    "ScheduleChangedData": shape(
        "The schedule's time zone, the share of time kept as buffer, and how many blocks.",
        {"time_zone": "Europe/Paris", "buffer_share": 0.2, "blocks": 5},
        time_zone=TEXT, buffer_share=NUMBER, blocks=INT),
    "WebhookCreatedData": shape("The URL and the event types it receives (empty: all).",
                                {"url": "https://hooks.example.com/social-priorities",
                                 "event_types": ["request.triaged"]},
                                url=TEXT, event_types=TEXTS),
    "WebhookDeletedData": shape("The deleted webhook's URL.",
                                {"url": "https://hooks.example.com/social-priorities"},
                                url=TEXT),
    "WebhookDeliveryReplayedData": shape("The delivery queued again and its event.",
                                         {"delivery_id": 77, "event_id": 1042},
                                         delivery_id=INT, event_id=INT),
    "WorkItemCreatedData": shape(
        "The item, and whether its effort is the default assumed for a request accepted "
        "without an estimate (the owner is asked to confirm it).",
        {**_WORK_ITEM_EXAMPLE, "effort_is_assumed": False}, **_WORK_ITEM,
        effort_is_assumed=BOOL),
    "WorkItemUpdatedData": shape(
        "The item after the change, and the fields sent (dates as ISO 8601).",
        {**_WORK_ITEM_EXAMPLE, "changes": {"effort_hours": 6, "title": "TikTok launch teaser"}},
        **_WORK_ITEM, changes={"type": "object", "additionalProperties": True}),
    "WorkItemChunksData": shape(
        "The item and its chunk count: after a split, the chunks it now has; after a "
        "delete, the chunks deleted with it.",
        {**_WORK_ITEM_EXAMPLE, "chunks": 3}, **_WORK_ITEM, chunks=INT),
    "WorkItemClosedData": shape(
        "The item closed with its request: `done` or `declined`, and why.",
        {**_WORK_ITEM_EXAMPLE, "status": "done", "reason": "request published"},
        **_WORK_ITEM, status=ref("WorkItemStatus"), reason=TEXT),
    "WorkItemDeferredData": shape(
        "A plan action moved the item's due time from `old_deadline` to `new_deadline`.",
        {**_WORK_ITEM_EXAMPLE, "action": "defer",
         "reason": "Over capacity this week; the deadline allows it.",
         "old_deadline": "2027-01-15T00:00:00+00:00", "not_before": None,
         "new_deadline": "2027-01-22T00:00:00+00:00"},
        **_WORK_ITEM, **_PLAN_ACTION, old_deadline=MOMENT_OR_NULL, not_before=MOMENT_OR_NULL,
        new_deadline=MOMENT),
    "WorkItemHandedOverData": shape(
        "A plan action handed the item from `from_owner_id` to `to_owner_id`.",
        {"request_id": 42, "title": "TikTok launch teaser", "quadrant": "quick_win",
         "action": "hand_over", "reason": "Olivia has room on Thursday.", "from_owner_id": 7,
         "to_owner_id": 9},
        **{k: v for k, v in _WORK_ITEM.items() if k != "owner_id"}, **_PLAN_ACTION,
        from_owner_id=INT, to_owner_id=INT),
    "WorkItemDeclinedData": shape(
        "A plan action declined the item to free capacity.",
        {**_WORK_ITEM_EXAMPLE, "action": "decline",
         "reason": "Low impact and no room before its deadline."},
        **_WORK_ITEM, **_PLAN_ACTION),
}

# Event type -> the schema of its `data` (a DATA_SCHEMAS name, or a request body's schema
# for a partial update). calendar_entry.updated is EntryUpdate plus `warnings` (built with the
# document, from EntryUpdate's properties, so the two cannot drift).
EVENT_DATA: dict[str, str] = {
    "api_key.created": "ApiKeyCreatedData",
    "api_key.revoked": "NoEventData",
    "calendar.imported": "CalendarImportedData",
    "calendar_entry.created": "CalendarEntryCreatedData",
    "calendar_entry.updated": "CalendarEntryUpdatedData",
    "calendar_entry.deleted": "CalendarEntryDeletedData",
    "calendar_feed.created": "CalendarFeedCreatedData",
    "calendar_feed.revoked": "NoEventData",
    "disruption.logged": "DisruptionLoggedData",
    "experiment.created": "ExperimentCreatedData",
    "experiment.started": "ExperimentStateChangedData",
    "experiment.stopped": "ExperimentStateChangedData",
    "experiment.observations": "ExperimentObservationsData",
    "experiment.verdict": "ExperimentVerdictData",
    "followers.recorded": "FollowersRecordedData",
    "goals.set": "GoalsSetData",
    "member.created": "MemberCreatedData",
    "member.updated": "MemberUpdate",
    "metrics.upserted": "MetricsUpsertedData",
    "network.created": "NetworkCreatedData",
    "network.updated": "NetworkUpdate",
    "network.owner_changed": "NetworkOwnerChangedData",
    "pillar.created": "PillarData",
    "pillar.updated": "PillarUpdate",
    "pillar.deleted": "PillarData",
    "planning.thresholds_changed": "SettingsUpdate",
    "post.note_added": "PostNoteAddedData",
    "report.created": "ReportCreatedData",
    "report.updated": "ReportUpdatedData",
    "report.deleted": "NoEventData",
    "report.annotated": "ReportAnnotatedData",
    "report.annotation_deleted": "ReportAnnotationDeletedData",
    "report.shared": "ReportSharedData",
    "report.share_revoked": "ReportShareRevokedData",
    "request.submitted": "RequestSubmittedData",
    "request.triaged": "RequestTriagedData",
    "request.status_changed": "RequestStatusChangedData",
    "request.updated": "RequestUpdatedData",
    "request.blocked": "RequestBlockedData",
    "request.unblocked": "RequestUnblockedData",
    "request.verdict": "RequestVerdictData",
    "request.rescheduled": "RequestRescheduledData",
    "request.handed_over": "RequestHandedOverData",
    "request.declined_by_plan": "RequestDeclinedByPlanData",
    "schedule.changed": "ScheduleChangedData",
    "webhook.created": "WebhookCreatedData",
    "webhook.updated": "WebhookUpdate",
    "webhook.deleted": "WebhookDeletedData",
    "webhook.delivery_replayed": "WebhookDeliveryReplayedData",
    "work_item.created": "WorkItemCreatedData",
    "work_item.updated": "WorkItemUpdatedData",
    "work_item.deleted": "WorkItemChunksData",
    "work_item.split": "WorkItemChunksData",
    "work_item.closed": "WorkItemClosedData",
    "work_item.deferred": "WorkItemDeferredData",
    "work_item.handed_over": "WorkItemHandedOverData",
    "work_item.declined": "WorkItemDeclinedData",
}


def entry_updated(entry_update: dict[str, Any]) -> dict[str, Any]:
    """calendar_entry.updated: the EntryUpdate fields sent (as JSON) and `warnings`."""
    return {"type": "object", "description": "The fields sent, and the double bookings on "
                                             "the entry's network after the change.",
            "required": ["warnings"],
            "properties": {**entry_update["properties"], "warnings": TEXTS},
            "additionalProperties": False,
            "examples": [{"publish_at": "2027-01-12T16:00:00Z", "warnings": [
                "'Webinar teaser' is 30 min away on tiktok."]}]}
