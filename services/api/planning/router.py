"""HTTP for planning: work items and chunks, matrix thresholds, the priority queue, the matrix
(JSON and SVG), schedules, disruptions, week plans, capacity, plates and earliest slots."""

import json
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import inspect
from sqlmodel import col

from services.api import clock
from services.api.auth import ManagerKey, PersonKey, StaffKey
from services.api.concurrency import IfMatch, etag
from services.api.db import SessionDep
from services.api.errors import problems
from services.api.models import PlanningSettings, WorkItem, WorkItemStatus
from services.api.pagination import CursorParam, Limit, paginate
from services.api.planning import planner, plate, service, svg
from services.api.planning.schemas import (
    Block,
    CapacityPublic,
    Checkpoint,
    ChunkCreate,
    ChunkProposal,
    ChunksCreate,
    ChunkSummary,
    DayPlan,
    DisruptionCreate,
    DisruptionPublic,
    EarliestSlot,
    MatrixPoint,
    MatrixPublic,
    Moved,
    PlanPublic,
    PlateAction,
    PlateApplied,
    PlateApply,
    PlateProposal,
    QueueEntry,
    ScheduleIn,
    SchedulePublic,
    SettingsPublic,
    SettingsUpdate,
    Slot,
    Unplaced,
    WorkItemCreate,
    WorkItemDetail,
    WorkItemPublic,
    WorkItemUpdate,
)
from services.api.team import service as team
from shared.schemas import Page
from shared.schemas.bounds import DayParam, IdParam, Int32Param, TimestampParam

router = APIRouter(prefix="/v1")

StartDay = Annotated[DayParam | None, Query(
    description="First day, in the member's time zone; default today.",
    examples=["2026-11-30"])]
Days = Annotated[Int32Param, Query(description="Days to plan, 1 to 14.", examples=[7])]


def _public(item: WorkItem) -> WorkItemPublic:
    return WorkItemPublic.model_validate(item, from_attributes=True)


async def _detail(session: SessionDep, item: WorkItem) -> WorkItemDetail:
    chunks = await service.chunks_of(session, item.id or 0) if item.chunk_count else []
    progress, warnings = service.progress_and_warnings(item, chunks)
    return WorkItemDetail(
        **_public(item).model_dump(), progress=progress, warnings=warnings,
        chunks=[ChunkSummary.model_validate(c, from_attributes=True) for c in chunks])


def _hours(m: int) -> float:
    return round(m / 60, 2)


# Work items


@router.post("/work-items", status_code=201, tags=["planning"], summary="Add a work item",
             responses=problems(401, 403, 422))
async def create_work_item(body: WorkItemCreate, session: SessionDep, me: StaffKey,
                           response: Response) -> WorkItemDetail:
    """Add one of the team's own initiatives to an owner's plate. Leave `impact` out to get the
    derived default (see the `impact` field). Only the manager sets `is_fixed`."""
    item = await service.create_item(session, body, actor=me)
    response.headers["ETag"] = etag(item)
    response.headers["Location"] = f"/v1/work-items/{item.id}"
    return await _detail(session, item)


@router.get("/work-items", tags=["planning"], summary="List work items",
            responses=problems(401, 403, 422))
async def list_work_items(session: SessionDep, _: StaffKey, request: Request,
                          response: Response, owner_id: IdParam | None = None,
                          status: WorkItemStatus | None = None, parent_id: IdParam | None = None,
                          limit: Limit = 50, cursor: CursorParam = None) -> Page[WorkItemPublic]:
    """Work items in id order; filter by owner, status or parent project (its chunks)."""
    return await paginate(session, service.list_items_query(owner_id, status, parent_id),
                          order=[(col(WorkItem.id), False)], key=lambda i: [i.id],
                          convert=_public, limit=limit, cursor=cursor, request=request,
                          response=response)


@router.get("/work-items/{item_id:int}", tags=["planning"], summary="Read a work item",
            responses=problems(401, 403, 404))
async def read_work_item(item_id: IdParam, session: SessionDep, _: StaffKey,
                         response: Response) -> WorkItemDetail:
    """The item with its chunks, the project's progress from its chunks, and a warning when
    the chunks' efforts do not add up to the project's."""
    item = await service.get_item(session, item_id)
    response.headers["ETag"] = etag(item)
    return await _detail(session, item)


@router.patch("/work-items/{item_id:int}", tags=["planning"], summary="Change a work item",
              responses=problems(401, 403, 404, 412, 422, 428))
async def update_work_item(item_id: IdParam, body: WorkItemUpdate, session: SessionDep,
                           me: StaffKey, if_match: IfMatch, response: Response) -> WorkItemDetail:
    """Change the fields you send (If-Match required). The quadrant and queue place follow."""
    item = await service.update_item(session, item_id, body, if_match=if_match, actor=me)
    response.headers["ETag"] = etag(item)
    return await _detail(session, item)


@router.delete("/work-items/{item_id:int}", status_code=204, tags=["planning"],
               summary="Delete a work item", responses=problems(401, 403, 404, 412, 428))
async def delete_work_item(item_id: IdParam, session: SessionDep, me: StaffKey,
                           if_match: IfMatch) -> None:
    """Delete it (If-Match required); a project is deleted with its chunks. To say no to a
    stakeholder, set `status` to `declined` instead: that keeps the record."""
    await service.delete_item(session, item_id, if_match=if_match, actor=me)


@router.post("/work-items/{item_id:int}/chunks", status_code=201, tags=["planning"],
             summary="Split a major project into chunks", responses=problems(401, 403, 404, 422))
async def split_work_item(item_id: IdParam, body: ChunksCreate, session: SessionDep, me: StaffKey,
                          response: Response) -> WorkItemDetail:
    """Add chunks, each with its effort and target date, to spread a project over weeks. The
    chunks take the project's place in the queue; the project's progress comes from them."""
    item = await service.add_chunks(session, item_id, body, actor=me)
    response.headers["ETag"] = etag(item)
    return await _detail(session, item)


@router.get("/work-items/{item_id:int}/chunk-proposal", tags=["planning"],
            summary="Propose chunks for a major project", responses=problems(401, 403, 404, 422))
async def propose_work_item_chunks(item_id: IdParam, session: SessionDep,
                                   _: StaffKey) -> ChunkProposal:
    """Dated chunks over the weeks the project needs, in the time its owner's plan leaves free
    after their other open work (their blocks and buffer), one chunk per week, each due the
    last day it needs that week. Accept or edit, then POST them to `.../chunks`."""
    item, chunks, left = await service.propose_chunks(session, item_id)
    weeks = len(chunks)
    note = (f"{item.effort_hours:g}h over {weeks} week(s)." if not left else
            f"{left:g}h of {item.effort_hours:g}h find no room before "
            f"{'its deadline' if item.deadline else 'eight weeks out'}: move the deadline, "
            "clear the plate or hand part of it over.")
    return ChunkProposal(project_id=item.id or 0, hours_without_room=left, note=note,
                         chunks=[ChunkCreate(title=t, effort_hours=h, target_on=d)
                                 for t, h, d in chunks])


# Thresholds, queue, matrix


def _settings(s: PlanningSettings) -> SettingsPublic:
    out = SettingsPublic.model_validate(s, from_attributes=True)
    # The defaults, before the manager first changes them, were never written.
    return out if inspect(s).persistent else out.model_copy(update={"updated_at": None})


@router.get("/planning/settings", tags=["planning"], summary="Read the matrix thresholds",
            responses=problems(401, 403))
async def read_planning_settings(session: SessionDep, _: PersonKey,
                                 response: Response) -> SettingsPublic:
    """Any person's key. The thresholds that place work items in the priority matrix, with an `ETag`
    for `PATCH`."""
    settings = await service.get_settings(session)
    response.headers["ETag"] = etag(settings)
    return _settings(settings)


@router.patch("/planning/settings", tags=["planning"], summary="Change the matrix thresholds",
              responses=problems(401, 403, 412, 422, 428))
async def update_planning_settings(body: SettingsUpdate, session: SessionDep, me: ManagerKey,
                                   if_match: IfMatch, response: Response) -> SettingsPublic:
    """Manager only, with If-Match. Every item's quadrant and queue place is recomputed at
    once."""
    settings = await service.update_settings(session, body, if_match=if_match, actor=me)
    response.headers["ETag"] = etag(settings)
    return _settings(settings)


@router.get("/queue", tags=["planning"], summary="The priority queue",
            response_model=Page[QueueEntry], responses=problems(401, 403, 422))
async def read_queue(session: SessionDep, _: StaffKey, request: Request,
                     owner_id: Annotated[IdParam | None, Query(
                         description="One owner's queue; team-wide without it.")] = None,
                     limit: Limit = 50, cursor: CursorParam = None) -> Response:
    """Open work in the article's order: quick wins (high impact, low effort), then medium
    impact and low effort, then chunks of major projects, then fill-ins; thankless tasks come
    last, flagged `push_back`. Ties go to the earlier deadline. Each entry says why."""
    # Plain rows and one json.dumps, no ORM objects or models per item (which was most of
    # the time of a 50-item page); the shape is QueueEntry's, which the tests hold it to.
    rows, next_cursor = await service.queue_page(session, owner_id=owner_id, limit=limit,
                                                 cursor=cursor)
    totals = await service.chunk_totals(
        session, {r.parent_id for r in rows if r.parent_id is not None})
    body = {"items": [service.queue_entry(r, totals) for r in rows], "next": next_cursor}
    headers = None
    if next_cursor:
        headers = {"Link": f'<{request.url.include_query_params(cursor=next_cursor)}>; '
                           'rel="next"'}
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json",
                    headers=headers)


MatrixLimit = Annotated[int, Query(ge=1, le=500, description="At most this many points, "
                                                            "highest in the queue first.")]


async def _matrix(session: SessionDep, owner_id: IdParam | None, limit: int) -> MatrixPublic:
    settings = await service.get_settings(session)
    items, counts = await service.matrix_points(session, owner_id, limit)
    return MatrixPublic(
        high_impact_min=settings.high_impact_min, medium_impact_min=settings.medium_impact_min,
        low_effort_max_hours=settings.low_effort_max_hours, counts=counts,
        points=[MatrixPoint(item_id=i.id or 0, title=i.title, owner_id=i.owner_id,
                            impact=i.impact, effort_hours=i.effort_hours, quadrant=i.quadrant)
                for i in items])


@router.get("/matrix", tags=["planning"], summary="The priority matrix as data",
            responses=problems(401, 403, 422))
async def read_matrix(session: SessionDep, _: PersonKey, owner_id: IdParam | None = None,
                      limit: MatrixLimit = 200) -> MatrixPublic:
    """Open work by quadrant: impact against effort, with the thresholds that split them."""
    return await _matrix(session, owner_id, limit)


@router.get("/matrix.svg", tags=["planning"], summary="The priority matrix as a picture",
            responses={**problems(401, 403, 422), 200: {
                "content": {"image/svg+xml": {"example": "<svg ...>"}},
                "description": "An SVG scatter chart."}},
            response_class=Response)
async def read_matrix_svg(session: SessionDep, _: PersonKey, owner_id: IdParam | None = None,
                          limit: MatrixLimit = 200) -> Response:
    """An SVG scatter chart of impact against effort, labelled, with the quadrant lines."""
    matrix = await _matrix(session, owner_id, limit)
    return Response(svg.render(matrix), media_type="image/svg+xml")


# Schedules, disruptions, plans


def _schedule(view: service.ScheduleView) -> SchedulePublic:
    return SchedulePublic(member_id=view.member_id, time_zone=view.time_zone,
                          buffer_share=view.buffer_share,
                          blocks=[Block.model_validate(b) for b in view.blocks],
                          is_default=view.is_default)


@router.get("/members/{member_id:int}/schedule", tags=["planning"],
            summary="Read a member's weekly blocks", responses=problems(401, 403, 404))
async def read_schedule(member_id: IdParam, session: SessionDep, _: StaffKey) -> SchedulePublic:
    """Strategist or manager. The member's weekly time blocks (focus, regular, buffer) in their
    own time zone."""
    member = await team.get_member(session, member_id)
    return _schedule(await service.get_schedule(session, member))


@router.put("/members/{member_id:int}/schedule", tags=["planning"],
            summary="Declare a member's weekly blocks", responses=problems(401, 403, 404, 422))
async def put_schedule(member_id: IdParam, body: ScheduleIn, session: SessionDep,
                       me: StaffKey) -> SchedulePublic:
    """Replace the week: blocks in the member's local time (focus, regular, buffer), no
    overlaps, within a day (end `24:00` means midnight). The member or the manager."""
    return _schedule(await service.put_schedule(session, member_id, body, actor=me))


def _moved(rows: list[tuple[planner.Item, datetime | None, datetime | None]]) -> list[Moved]:
    return [Moved(item_id=i.id, title=i.title, from_start=a, to_start=b) for i, a, b in rows]


@router.post("/members/{member_id:int}/disruptions", status_code=201, tags=["planning"],
             summary="Log a disruption", responses=problems(401, 403, 404, 422))
async def log_disruption(member_id: IdParam, body: DisruptionCreate, session: SessionDep,
                         me: StaffKey) -> DisruptionPublic:
    """Unplanned work (a post went viral): it uses the day's buffer first, then planned time.
    The answer lists what moved in that week's plan."""
    row = await service.log_disruption(session, member_id, body, actor=me)
    member = await team.get_member(session, member_id)
    zone = (await service.get_schedule(session, member)).time_zone
    day = row.started_at.astimezone(ZoneInfo(zone)).date()
    monday = day.fromordinal(day.toordinal() - day.weekday())
    inputs = await service.plan_inputs(session, member_id, first=monday, days=7,
                                       now=min(clock.now(), row.started_at))
    plan = service.run_plan(inputs)
    return DisruptionPublic(id=row.id or 0, member_id=member_id, started_at=row.started_at,
                            hours=row.hours, note=row.note,
                            moved=_moved(service.moved(inputs, plan)))


@router.get("/members/{member_id:int}/plan", tags=["planning"], summary="A member's week plan",
            responses=problems(401, 403, 404, 422))
async def read_plan(member_id: IdParam, session: SessionDep, _: StaffKey, start: StartDay = None,
                    days: Days = 7) -> PlanPublic:
    """Day by day: queue items placed in order into non-buffer block time before their due
    dates, what could not be placed and why, the buffer left, and what disruptions moved."""
    service.check_days(days)
    inputs = await service.plan_inputs(session, member_id, first=start, days=days)
    plan = service.run_plan(inputs)
    by_id = {i.id: i for i in inputs.items}
    return PlanPublic(
        member_id=member_id, time_zone=inputs.schedule.time_zone, start=plan.start,
        end=plan.end, feasible=plan.feasible,
        days=[DayPlan(
            date=d.day, block_hours=_hours(d.block_minutes), buffer_hours=_hours(d.buffer_minutes),
            disrupted_hours=_hours(d.disrupted_minutes),
            buffer_remaining_hours=_hours(d.buffer_minutes - d.buffer_used),
            planned_hours=_hours(sum(int((p.end - p.start).total_seconds() // 60)
                                     for p in d.pieces)),
            slots=[Slot(item_id=p.item_id, title=p.title, start=p.start, end=p.end,
                        hours=_hours(int((p.end - p.start).total_seconds() // 60)))
                   for p in d.pieces]) for d in plan.days],
        unplaced=[Unplaced(item_id=i, title=by_id[i].title, due=by_id[i].due, reason=why)
                  for i, why in plan.unplaced.items()],
        moved=_moved(service.moved(inputs, plan)))


@router.get("/members/{member_id:int}/capacity", tags=["planning"],
            summary="Demand against capacity", responses=problems(401, 403, 404, 422))
async def read_capacity(member_id: IdParam, session: SessionDep, _: StaffKey,
                        start: StartDay = None, days: Days = 7) -> CapacityPublic:
    """For each deadline inside the window: the open work due by then against the plannable
    time until then. Overloaded when any deadline asks for more than there is."""
    service.check_days(days)
    inputs = await service.plan_inputs(session, member_id, first=start, days=days)
    cap = service.capacity(inputs)
    points = [Checkpoint(due=d, demand_hours=round(a, 2), capacity_hours=round(c, 2),
                         overloaded=a > c + 1e-9) for d, a, c in cap.checkpoints]
    return CapacityPublic(member_id=member_id, start=inputs.start, end=inputs.end,
                          demand_hours=round(cap.demand, 2), capacity_hours=round(cap.capacity, 2),
                          overloaded=any(p.overloaded for p in points), checkpoints=points)


def _actions(actions: list[plate.Action]) -> list[PlateAction]:
    return [PlateAction(item_id=a.item.id, title=a.item.title, request_id=a.item.request_id,
                        action=a.action, hours=_hours(a.item.minutes), reason=a.reason,
                        new_deadline=a.new_deadline, not_before=a.not_before,
                        hand_to_member_id=a.hand_to)
            for a in actions]


def _cannot_fit(inputs: service.PlanInputs, cannot_fit: dict[int, str]) -> list[Unplaced]:
    by_id = {i.id: i for i in inputs.items}
    return [Unplaced(item_id=i, title=by_id[i].title, due=by_id[i].due, reason=why)
            for i, why in cannot_fit.items()]


@router.get("/members/{member_id:int}/what-can-i-take-off-my-plate", tags=["planning"],
            summary="What can I take off my plate?", responses=problems(401, 403, 404, 422))
async def read_plate(member_id: IdParam, session: SessionDep, _: StaffKey, start: StartDay = None,
                     days: Days = 7) -> PlateProposal:
    """A concrete, minimal list of the lowest-priority items (never one marked fixed) to
    defer, hand over or decline so the plan becomes feasible, with the hours freed and new
    dates. The manager applies it with its `token`."""
    p = await plate.propose_plate(session, member_id, first=start, days=days)
    return PlateProposal(member_id=member_id, start=p.inputs.start, end=p.inputs.end,
                         token=p.token, feasible_before=p.before.feasible,
                         feasible_after=p.after.feasible,
                         hours_freed=_hours(sum(a.item.minutes for a in p.actions)),
                         actions=_actions(p.actions),
                         cannot_fit=_cannot_fit(p.inputs, p.cannot_fit), note=p.note)


@router.post("/members/{member_id:int}/what-can-i-take-off-my-plate/apply", tags=["planning"],
             summary="Apply a plate-clearing proposal",
             responses=problems(401, 403, 404, 412, 422))
async def apply_plate(member_id: IdParam, body: PlateApply, session: SessionDep,
                      me: ManagerKey) -> PlateApplied:
    """Manager only: moves the items of the proposal read with `token` (same `start` and
    `days`) and records one event per item (`work_item.deferred`, `work_item.handed_over`,
    `work_item.declined`, with `request_id`); for work from a request, also a request event
    (`request.rescheduled` with `new_date`, `request.handed_over` with the new `owner_id`,
    `request.declined_by_plan`) naming the requester, so stakeholders following their
    request are told. A handed-over request follows its work to the new owner. 412 when the
    proposal went stale."""
    service.check_days(body.days)
    p, feasible = await plate.apply_plate(session, member_id, token=body.token,
                                          first=body.start, days=body.days, actor=me)
    return PlateApplied(applied=_actions(p.actions), plan_feasible=feasible,
                        cannot_fit=_cannot_fit(p.inputs, p.cannot_fit))


@router.get("/members/{member_id:int}/earliest-slot", tags=["planning"],
            summary="Earliest honest slot", responses=problems(401, 403, 404, 422))
async def read_earliest_slot(
    member_id: IdParam, session: SessionDep, _: PersonKey,
    effort_hours: Annotated[float, Query(gt=0, le=1000, examples=[3.0])],
    after: Annotated[TimestampParam | None, Query(description="Not before; default now.")] = None,
) -> EarliestSlot:
    """When work of this size could be done by this member, after what is already planned:
    "a story takes three hours; not before 11:00"."""
    now = clock.now()
    start, finish = await service.earliest_slot_window(session, member_id, effort_hours,
                                                       after=max(after or now, now))
    return EarliestSlot(member_id=member_id, effort_hours=effort_hours, start=start,
                        finish=finish)
