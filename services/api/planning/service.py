"""Planning use cases: work items on the impact/effort matrix, the priority queue, chunks,
schedules and disruptions, week plans, capacity, plate-clearing and the earliest honest slot.
Knows SQL and the rules, not HTTP; the placement arithmetic lives in `planner`."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, func, tuple_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api import clock, pagination
from services.api.auth import Principal
from services.api.concurrency import check_if_match
from services.api.db import UTCDateTime
from services.api.errors import Forbidden, NotFound, Unprocessable
from services.api.events import service as events
from services.api.models import (
    Disruption,
    Member,
    MemberRole,
    PlanningSettings,
    Quadrant,
    Request,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
    WorkSchedule,
)
from services.api.pagination import where_given
from services.api.planning import chunking, planner
from services.api.planning.schemas import (
    ChunksCreate,
    DisruptionCreate,
    ScheduleIn,
    SettingsUpdate,
    WorkItemCreate,
    WorkItemUpdate,
)
from services.api.team.service import get_member  # one load-or-404 for members

SETTINGS_ID = 1
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
MAX_PLAN_DAYS = 14
SLOT_SEARCH_DAYS = 56
MAX_CHUNKS = 100
SPLIT_RANK = 9  # a project split into chunks: its chunks are queued, not the project
LATE_NOTICE = timedelta(hours=48)
OWNER_ROLES = (MemberRole.strategist, MemberRole.manager)


# The matrix


def derive_impact(*, pillar_fit: bool, goal: str | None, deadline: datetime | None,
                  asked_at: datetime) -> int:
    """The default impact when nobody set one: 2, +2 when the work fits a strategy pillar,
    +1 when it states a goal, -1 when it is asked late (due within 48 hours of being asked, or
    already past), clamped to 1..5. Fit weighs most because the article judges every request
    against the quarter's pillars first; lateness costs a point because rushed work lands
    worse and displaces planned work."""
    value = 2 + (2 if pillar_fit else 0) + (1 if goal else 0)
    if deadline is not None and deadline - asked_at < LATE_NOTICE:
        value -= 1
    return max(1, min(5, value))


def classify(impact: int, effort: float, chunk_count: int,
             thresholds: PlanningSettings) -> tuple[Quadrant, int]:
    """Quadrant and queue rank; the same rule as `_reclassify_sql`, which must stay in step."""
    high_side = impact >= thresholds.medium_impact_min
    low_effort = effort <= thresholds.low_effort_max_hours
    if high_side and low_effort:
        quadrant, rank = Quadrant.quick_win, 1 if impact >= thresholds.high_impact_min else 2
    elif high_side:
        quadrant, rank = Quadrant.major_project, 3
    elif low_effort:
        quadrant, rank = Quadrant.fill_in, 4
    else:
        quadrant, rank = Quadrant.thankless, 5
    return quadrant, SPLIT_RANK if chunk_count > 0 else rank


def _reclassify_sql(thresholds: PlanningSettings) -> Any:
    impact, effort = col(WorkItem.impact), col(WorkItem.matrix_effort_hours)
    high_side = impact >= thresholds.medium_impact_min
    low_effort = effort <= thresholds.low_effort_max_hours
    quadrant = case(
        (high_side & low_effort, Quadrant.quick_win.value),
        (high_side, Quadrant.major_project.value),
        (low_effort, Quadrant.fill_in.value),
        else_=Quadrant.thankless.value,
    )
    rank = case(
        (col(WorkItem.chunk_count) > 0, SPLIT_RANK),
        (high_side & low_effort & (impact >= thresholds.high_impact_min), 1),
        (high_side & low_effort, 2),
        (high_side, 3),
        (low_effort, 4),
        else_=5,
    )
    return update(WorkItem).values(quadrant=quadrant, queue_rank=rank)


async def get_settings(session: AsyncSession) -> PlanningSettings:
    """The team's thresholds; the defaults (not yet stored) until the manager changes them."""
    stored = await session.get(PlanningSettings, SETTINGS_ID)
    return stored or PlanningSettings(id=SETTINGS_ID)


async def update_settings(session: AsyncSession, data: SettingsUpdate, *, if_match: str,
                          actor: Principal) -> PlanningSettings:
    current = await session.get(PlanningSettings, SETTINGS_ID)
    if current is None:
        # Store the defaults first, so this change becomes v2 and the defaults' ETag goes stale.
        current = PlanningSettings(id=SETTINGS_ID)
        session.add(current)
        await session.flush()
    check_if_match(current, if_match)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        setattr(current, field, value)
    if current.high_impact_min < current.medium_impact_min:
        raise Unprocessable("high_impact_min must be at least medium_impact_min.")
    current.updated_at = clock.now()
    session.add(current)
    await session.flush()
    # Every item's quadrant and rank in one statement; nothing is loaded into Python.
    await session.exec(_reclassify_sql(current))
    await events.record(session, "planning.thresholds_changed", "planning_settings",
                        SETTINGS_ID, changes, actor=actor)
    await session.commit()
    return current


# Work items


async def _owner(session: AsyncSession, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None or not member.is_active or member.role not in OWNER_ROLES:
        raise Unprocessable(f"Member {member_id} is not an active strategist or manager; only "
                            "they own work.")
    return member


async def get_item(session: AsyncSession, item_id: int) -> WorkItem:
    item = await session.get(WorkItem, item_id)
    if item is None:
        raise NotFound(f"No work item with id {item_id}.")
    return item


def end_of_day(day: date, zone: str) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone)).astimezone(UTC)


def derive_columns(item: WorkItem, thresholds: PlanningSettings, owner_zone: str) -> None:
    """Refresh the derived columns after any change to the inputs."""
    item.quadrant, item.queue_rank = classify(item.impact, item.matrix_effort_hours,
                                              item.chunk_count, thresholds)
    due = item.deadline
    if item.target_on is not None:
        target = end_of_day(item.target_on, owner_zone)
        due = min(due, target) if due else target
    item.sort_due = due or FAR_FUTURE


def due_of(item: Any) -> datetime | None:
    return None if item.sort_due >= FAR_FUTURE else item.sort_due


def _check_fixed(is_fixed: bool | None, actor: Principal | None) -> None:
    if is_fixed is not None and actor is not None and not actor.is_manager:
        raise Forbidden("Only the manager marks work as fixed.")


async def _new_item(session: AsyncSession, *, kind: WorkItemKind, request_id: int | None,
                    owner: Member, title: str, effort_hours: float, deadline: datetime | None,
                    pillar_fit: bool, goal: str | None, impact: int | None,
                    is_fixed: bool = False, effort_is_assumed: bool = False) -> WorkItem:
    if effort_hours <= 0 or effort_hours > 1000:
        raise Unprocessable("effort_hours must be over 0 and at most 1,000.")
    if impact is not None and not 1 <= impact <= 5:
        raise Unprocessable("impact must be between 1 and 5.")
    now = clock.now()
    item = WorkItem(
        kind=kind, request_id=request_id, owner_id=owner.id or 0, title=title,
        status=WorkItemStatus.open,
        impact=impact if impact is not None else derive_impact(
            pillar_fit=pillar_fit, goal=goal, deadline=deadline, asked_at=now),
        impact_is_derived=impact is None, pillar_fit=pillar_fit, goal=goal,
        effort_hours=effort_hours, effort_is_assumed=effort_is_assumed, deadline=deadline,
        is_fixed=is_fixed,
        matrix_effort_hours=effort_hours, quadrant=Quadrant.quick_win, queue_rank=1,
        sort_due=FAR_FUTURE,
    )
    derive_columns(item, await get_settings(session), owner.time_zone)
    session.add(item)
    await session.flush()
    return item


async def create_item(session: AsyncSession, data: WorkItemCreate, *,
                      actor: Principal | None) -> WorkItem:
    """Add work to an owner's plate; `actor=None` is the command line (the demo seed)."""
    _check_fixed(data.is_fixed or None, actor)
    owner = await _owner(session, data.owner_id)
    if data.request_id is not None and await session.get(Request, data.request_id) is None:
        raise Unprocessable(f"No request with id {data.request_id} to link.")
    kind = WorkItemKind.initiative if data.request_id is None else WorkItemKind.request
    item = await _new_item(session, kind=kind, request_id=data.request_id, owner=owner,
                           title=data.title, effort_hours=data.effort_hours,
                           deadline=data.deadline, pillar_fit=data.pillar_fit, goal=data.goal,
                           impact=data.impact, is_fixed=data.is_fixed)
    await events.record(session, "work_item.created", "work_item", item.id,
                        event_data(item, effort_is_assumed=item.effort_is_assumed), actor=actor)
    await session.commit()
    return item


async def create_item_for_request(session: AsyncSession, *, request_id: int, owner_id: int,
                                  title: str, effort_hours: float, deadline: datetime | None,
                                  pillar_fit: bool, goal: str | None, impact: int | None,
                                  effort_is_assumed: bool = False) -> WorkItem:
    """The work item for an accepted request, flushed but NOT committed: triage commits it with
    the request's own change. `impact=None` derives it (see `derive_impact`);
    `effort_is_assumed` marks an effort triage did not estimate, for the owner to confirm."""
    owner = await _owner(session, owner_id)
    item = await _new_item(session, kind=WorkItemKind.request, request_id=request_id,
                           owner=owner, title=title, effort_hours=effort_hours,
                           deadline=deadline, pillar_fit=pillar_fit, goal=goal, impact=impact,
                           effort_is_assumed=effort_is_assumed)
    await events.record(session, "work_item.created", "work_item", item.id,
                        event_data(item, effort_is_assumed=effort_is_assumed))
    return item


async def close_for_request(session: AsyncSession, request_id: int, status: WorkItemStatus,
                            *, reason: str, actor: Principal) -> list[int]:
    """Close the request's open work (chunks included) when the request closes, in the
    caller's transaction (no commit), with a `work_item.closed` event per item; the queue
    and plans only carry open work. Returns the ids closed."""
    rows = list((await session.exec(select(WorkItem).where(
        WorkItem.request_id == request_id,
        col(WorkItem.status).in_([WorkItemStatus.open, WorkItemStatus.deferred]))
        .order_by(col(WorkItem.id)))).all())
    now = clock.now()
    for row in rows:
        row.status = status
        row.updated_at = now
        session.add(row)
    await session.flush()
    for row in rows:
        await events.record(session, "work_item.closed", "work_item", row.id,
                            event_data(row, status=status.value, reason=reason), actor=actor)
    return [row.id or 0 for row in rows]


def event_data(item: WorkItem, **extra: Any) -> dict[str, Any]:
    return {"request_id": item.request_id, "owner_id": item.owner_id, "title": item.title,
            "quadrant": item.quadrant.value, **extra}


async def update_item(session: AsyncSession, item_id: int, data: WorkItemUpdate, *,
                      if_match: str, actor: Principal) -> WorkItem:
    item = await get_item(session, item_id)
    check_if_match(item, if_match)
    changes = data.model_dump(exclude_unset=True)
    _check_fixed(changes.get("is_fixed"), actor)
    if "target_on" in changes and item.parent_id is None and changes["target_on"] is not None:
        raise Unprocessable("Only chunks have a target date; give a project a deadline.")
    owner = await _owner(session, changes.get("owner_id") or item.owner_id)
    # Read everything before changing anything: a query would autoflush a half-made change.
    thresholds = await get_settings(session)
    for field, value in changes.items():
        setattr(item, field, value)
    if "impact" in changes:
        item.impact_is_derived = changes["impact"] is None
    if "effort_hours" in changes:
        item.effort_is_assumed = False  # the owner gave (or confirmed) the estimate
    if item.impact_is_derived:
        item.impact = derive_impact(pillar_fit=item.pillar_fit, goal=item.goal,
                                    deadline=item.deadline, asked_at=item.created_at)
    if item.parent_id is None:
        item.matrix_effort_hours = item.effort_hours
    derive_columns(item, thresholds, owner.time_zone)
    item.updated_at = clock.now()
    session.add(item)
    if item.chunk_count:
        # Chunks take their project's place on the matrix, its owner and its deadline.
        chunks = (await session.exec(select(WorkItem).where(WorkItem.parent_id == item.id))).all()
        for chunk in chunks:
            chunk.impact, chunk.matrix_effort_hours = item.impact, item.effort_hours
            chunk.owner_id = item.owner_id
            if "deadline" in changes:
                chunk.deadline = item.deadline
            derive_columns(chunk, thresholds, owner.time_zone)
            session.add(chunk)
    changes = {k: (v.isoformat() if isinstance(v, datetime | date) else v)
               for k, v in changes.items()}
    await events.record(session, "work_item.updated", "work_item", item.id,
                        event_data(item, changes=changes), actor=actor)
    await session.commit()
    return item


async def add_chunks(session: AsyncSession, item_id: int, data: ChunksCreate, *,
                     actor: Principal) -> WorkItem:
    parent = await get_item(session, item_id)
    if parent.parent_id is not None:
        raise Unprocessable("A chunk cannot be split further.")
    if parent.status != WorkItemStatus.open:
        raise Unprocessable(f"Only open work is split; this one is {parent.status.value}.")
    if parent.chunk_count + len(data.chunks) > MAX_CHUNKS:
        raise Unprocessable(f"A project has at most {MAX_CHUNKS} chunks.")
    owner = await get_member(session, parent.owner_id)
    thresholds = await get_settings(session)
    for n, chunk in enumerate(sorted(data.chunks, key=lambda c: c.target_on),
                              start=parent.chunk_count + 1):
        row = WorkItem(
            kind=parent.kind, request_id=parent.request_id, owner_id=parent.owner_id,
            title=chunk.title, status=WorkItemStatus.open, impact=parent.impact,
            impact_is_derived=parent.impact_is_derived, pillar_fit=parent.pillar_fit,
            goal=parent.goal, effort_hours=chunk.effort_hours, deadline=None,
            is_fixed=parent.is_fixed, parent_id=parent.id, chunk_no=n,
            target_on=chunk.target_on, matrix_effort_hours=parent.effort_hours,
            quadrant=Quadrant.major_project, queue_rank=3, sort_due=FAR_FUTURE)
        if parent.deadline is not None:
            row.deadline = parent.deadline
        derive_columns(row, thresholds, owner.time_zone)
        session.add(row)
    parent.chunk_count += len(data.chunks)
    derive_columns(parent, thresholds, owner.time_zone)
    parent.updated_at = clock.now()
    session.add(parent)
    await session.flush()
    await events.record(session, "work_item.split", "work_item", parent.id,
                        event_data(parent, chunks=parent.chunk_count), actor=actor)
    await session.commit()
    return parent


async def delete_item(session: AsyncSession, item_id: int, *, if_match: str,
                      actor: Principal) -> None:
    """Delete an item; a project goes with its chunks, a chunk leaves its project's count."""
    item = await get_item(session, item_id)
    check_if_match(item, if_match)
    parent = await session.get(WorkItem, item.parent_id) if item.parent_id else None
    chunks = await chunks_of(session, item_id) if item.chunk_count else []
    owner = await get_member(session, parent.owner_id) if parent else None
    thresholds = await get_settings(session)
    for chunk in chunks:
        await session.delete(chunk)
    await session.flush()
    if parent is not None and owner is not None:
        parent.chunk_count -= 1
        derive_columns(parent, thresholds, owner.time_zone)
        parent.updated_at = clock.now()
        session.add(parent)
    await events.record(session, "work_item.deleted", "work_item", item.id,
                        event_data(item, chunks=len(chunks)), actor=actor)
    await session.delete(item)
    await session.commit()


async def chunks_of(session: AsyncSession, parent_id: int) -> list[WorkItem]:
    stmt = (select(WorkItem).where(WorkItem.parent_id == parent_id)
            .order_by(col(WorkItem.chunk_no), col(WorkItem.id)).limit(MAX_CHUNKS))
    return list((await session.exec(stmt)).all())


def progress_and_warnings(parent: WorkItem, chunks: Sequence[WorkItem]
                          ) -> tuple[float | None, list[str]]:
    if not chunks:
        if parent.quadrant == Quadrant.major_project and parent.parent_id is None \
                and parent.status == WorkItemStatus.open:
            # The article: big projects are broken into chunks over a longer horizon.
            return None, [f"A major project of {parent.effort_hours:g}h without chunks: split "
                          f"it over the weeks it needs (GET /v1/work-items/{parent.id}/"
                          "chunk-proposal proposes dated chunks)."]
        return None, []
    live = [c for c in chunks if c.status != WorkItemStatus.declined]
    total = sum(c.effort_hours for c in live)
    done = sum(c.effort_hours for c in live if c.status == WorkItemStatus.done)
    warnings = []
    if abs(total - parent.effort_hours) > 0.01:
        warnings.append(f"The chunks add up to {total:g}h but the project is estimated at "
                        f"{parent.effort_hours:g}h.")
    return (round(done / total, 4) if total else 0.0), warnings


async def propose_chunks(session: AsyncSession, item_id: int
                         ) -> tuple[WorkItem, list[tuple[str, float, date]], float]:
    """Dated chunks for an open project without chunks, over the next eight weeks of its
    owner's plan (their blocks, buffer and other open work placed first): (project, chunks as
    (title, hours, target day), hours that found no room before its deadline)."""
    item = await get_item(session, item_id)
    if item.parent_id is not None or item.chunk_count:
        raise Unprocessable("Only a project not yet split gets a chunk proposal.")
    if item.status != WorkItemStatus.open:
        raise Unprocessable(f"Only open work is split; this one is {item.status.value}.")
    inputs = await plan_inputs(session, item.owner_id, first=None, days=SLOT_SEARCH_DAYS)
    others = [i for i in inputs.items if i.id != item.id]
    plan = run_plan(inputs, others)
    deadline_day = (item.deadline.astimezone(inputs.zone).date() if item.deadline else None)
    drafts, left = chunking.split(item.title[:280], planner.minutes(item.effort_hours), plan,
                                  deadline_day=deadline_day)
    hours = [round(d.minutes / 60, 2) for d in drafts]
    if hours and not left:
        hours[-1] = round(item.effort_hours - sum(hours[:-1]), 2)  # they add up exactly
    return item, [(d.title, h, d.target_on) for d, h in zip(drafts, hours, strict=True)], \
        round(left / 60, 2)


def list_items_query(owner_id: int | None, status: WorkItemStatus | None,
                     parent_id: int | None) -> Any:
    return where_given(select(WorkItem), (WorkItem.owner_id, owner_id),
                       (WorkItem.status, status), (WorkItem.parent_id, parent_id))


# The queue


QUEUE_ORDER = (col(WorkItem.queue_rank), col(WorkItem.sort_due), col(WorkItem.id))


def queue_query(owner_id: int | None) -> Any:
    """Open, queued work in the article's order; served by ix_work_item_queue_owner/_team."""
    stmt = select(WorkItem).where(WorkItem.status == WorkItemStatus.open,
                                  col(WorkItem.queue_rank) < SPLIT_RANK)
    if owner_id is not None:
        stmt = stmt.where(WorkItem.owner_id == owner_id)
    return stmt


QUEUE_ROW = tuple(getattr(WorkItem, name) for name in (
    "id", "kind", "request_id", "owner_id", "title", "status", "impact", "impact_is_derived",
    "pillar_fit", "goal", "effort_hours", "deadline", "is_fixed", "parent_id", "chunk_no",
    "target_on", "quadrant", "queue_rank", "created_at", "updated_at", "sort_due",
    "not_before_at", "effort_is_assumed"))


def _queue_statement(*, owner: bool, after: bool) -> Any:
    stmt = select(*QUEUE_ROW).where(WorkItem.status == WorkItemStatus.open,
                                    col(WorkItem.queue_rank) < SPLIT_RANK)
    if owner:
        stmt = stmt.where(WorkItem.owner_id == bindparam("owner_id"))
    if after:
        # A row comparison: PostgreSQL walks the index from the cursor on.
        stmt = stmt.where(tuple_(*QUEUE_ORDER) > tuple_(
            bindparam("rank"), bindparam("due", type_=UTCDateTime()), bindparam("id")))
    return stmt.order_by(*QUEUE_ORDER).limit(bindparam("limit"))


# The hottest list of the API, built once (see auth.KEY_BY_HASH for why).
QUEUE_STATEMENTS = {(owner, after): _queue_statement(owner=owner, after=after)
                    for owner in (False, True) for after in (False, True)}


def _queue_cursor(row: Any) -> str:
    return pagination.encode_cursor([row.queue_rank, row.sort_due, row.id])


def _queue_after(cursor: str) -> dict[str, Any]:
    rank, due, item_id = pagination.decode_cursor(cursor, QUEUE_ORDER)
    return {"rank": rank, "due": due, "id": item_id}


async def queue_page(session: AsyncSession, *, owner_id: int | None, limit: int,
                     cursor: str | None) -> tuple[list[Any], str | None]:
    """One page of the queue as plain rows (the columns of `WorkItemPublic` plus `sort_due`)
    and the next cursor: an index range scan of ix_work_item_queue_owner or _team."""
    params: dict[str, Any] = {"limit": limit + 1}
    if owner_id is not None:
        params["owner_id"] = owner_id
    if cursor:
        params |= _queue_after(cursor)
    stmt = QUEUE_STATEMENTS[(owner_id is not None, bool(cursor))]
    rows = list((await session.exec(stmt, params=params)).all())
    return rows[:limit], _queue_cursor(rows[limit - 1]) if len(rows) > limit else None


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def queue_entry(row: Any, totals: dict[int, int]) -> dict[str, Any]:
    """One queue entry in the `QueueEntry` wire shape, straight from a `QUEUE_ROW` row
    (enums are str subclasses, so json.dumps writes their values)."""
    (item_id, kind, request_id, owner_id, title, status, impact, derived, fit, goal, effort,
     deadline, fixed, parent_id, chunk_no, target_on, quadrant, rank, created, updated,
     _, not_before_at, assumed) = row
    n = totals.get(parent_id) if parent_id is not None else None
    return {
        "item": {"id": item_id, "kind": kind, "request_id": request_id, "owner_id": owner_id,
                 "title": title, "status": status, "impact": impact, "impact_is_derived": derived,
                 "pillar_fit": fit, "goal": goal, "effort_hours": effort,
                 "effort_is_assumed": assumed,
                 "deadline": _iso(deadline), "is_fixed": fixed, "parent_id": parent_id,
                 "chunk_no": chunk_no, "target_on": _iso(target_on),
                 "not_before_at": _iso(not_before_at), "quadrant": quadrant,
                 "queue_rank": rank, "created_at": _iso(created), "updated_at": _iso(updated)},
        "reason": reason(row, n), "push_back": rank == 5,
        "chunk_of": None if parent_id is None else {"parent_id": parent_id, "k": chunk_no or 0,
                                                    "n": n or 0},
    }


async def chunk_totals(session: AsyncSession, parent_ids: set[int]) -> dict[int, int]:
    if not parent_ids:
        return {}
    stmt = select(WorkItem.id, WorkItem.chunk_count).where(col(WorkItem.id).in_(parent_ids))
    return {pid: n for pid, n in (await session.exec(stmt)).all() if pid is not None}


RANK_WORDS = {1: "quick win", 2: "quick win (medium impact)", 3: "major project",
              4: "fill-in", 5: "thankless task: push back"}


def reason(item: Any, chunk_total: int | None) -> str:
    parts = [f"{RANK_WORDS[item.queue_rank]}: impact {item.impact}, {item.effort_hours:g}h"
             + (" (assumed: no estimate yet, owner to confirm)" if item.effort_is_assumed
                else "")]
    if item.parent_id is not None:
        parts.append(f"chunk {item.chunk_no} of {chunk_total or item.chunk_no}")
    due = due_of(item)
    parts.append(f"due {due.isoformat()}" if due else "no deadline")
    return "; ".join(parts)


# Schedules and disruptions


@dataclass
class ScheduleView:
    member_id: int
    time_zone: str
    buffer_share: float
    blocks: list[dict[str, str]]
    is_default: bool
    version: int


async def get_schedule(session: AsyncSession, member: Member) -> ScheduleView:
    stored = (await session.exec(
        select(WorkSchedule).where(WorkSchedule.member_id == member.id))).first()
    if stored is None:
        return ScheduleView(member.id or 0, member.time_zone, 0.2, planner.DEFAULT_BLOCKS, True,
                            0)
    return ScheduleView(member.id or 0, stored.time_zone, stored.buffer_share, stored.blocks,
                        False, stored.version)


def _may_plan_for(member: Member, actor: Principal) -> None:
    if not actor.is_manager and actor.member_id != member.id:
        raise Forbidden("Only the member themselves or the manager changes this.")


async def put_schedule(session: AsyncSession, member_id: int, data: ScheduleIn, *,
                       actor: Principal) -> ScheduleView:
    member = await get_member(session, member_id)
    _may_plan_for(member, actor)
    stored = (await session.exec(
        select(WorkSchedule).where(WorkSchedule.member_id == member_id))).first()
    blocks = [b.model_dump() for b in data.blocks]
    zone = data.time_zone or member.time_zone
    if stored is None:
        stored = WorkSchedule(member_id=member_id, time_zone=zone,
                              buffer_share=data.buffer_share, blocks=blocks)
    else:
        stored.time_zone, stored.buffer_share, stored.blocks = zone, data.buffer_share, blocks
        stored.updated_at = clock.now()
    session.add(stored)
    await session.flush()
    await events.record(session, "schedule.changed", "member", member_id,
                        {"time_zone": zone, "buffer_share": data.buffer_share,
                         "blocks": len(blocks)}, actor=actor)
    await session.commit()
    return ScheduleView(member_id, zone, data.buffer_share, blocks, False, stored.version)


async def log_disruption(session: AsyncSession, member_id: int, data: DisruptionCreate, *,
                         actor: Principal) -> Disruption:
    member = await get_member(session, member_id)
    _may_plan_for(member, actor)
    row = Disruption(member_id=member_id, started_at=data.started_at, hours=data.hours,
                     note=data.note)
    session.add(row)
    await session.flush()
    await events.record(session, "disruption.logged", "member", member_id,
                        {"disruption_id": row.id, "hours": data.hours, "note": data.note},
                        actor=actor)
    await session.commit()
    return row


# Plans


@dataclass
class PlanInputs:
    member: Member
    schedule: ScheduleView
    zone: ZoneInfo
    start: datetime
    end: datetime
    first_day: date
    days: int
    items: list[planner.Item]
    rows: dict[int, WorkItem]
    disruptions: list[tuple[int, datetime, float]]


QUEUE_COLUMNS = (WorkItem.id, WorkItem.title, WorkItem.effort_hours, WorkItem.queue_rank,
                 WorkItem.sort_due, WorkItem.quadrant, WorkItem.is_fixed, WorkItem.kind,
                 WorkItem.request_id, WorkItem.version, WorkItem.target_on,
                 WorkItem.not_before_at)
CHUNK_LEAD = timedelta(days=6)


async def open_queue(session: AsyncSession, owner_id: int, zone: ZoneInfo
                     ) -> list[planner.Item]:
    """One member's open queue in order, as light tuples (uses ix_work_item_queue_owner).
    A chunk is not started before the week leading to its target date, which spreads a
    project's chunks over the weeks they were planned for."""
    stmt = (select(*QUEUE_COLUMNS)  # type: ignore[call-overload]
            .where(WorkItem.owner_id == owner_id, WorkItem.status == WorkItemStatus.open,
                   col(WorkItem.queue_rank) < SPLIT_RANK)
            .order_by(*QUEUE_ORDER))
    out = []
    for r in (await session.exec(stmt)).all():
        sort_due = r.sort_due
        out.append(planner.Item(
            id=r.id, title=r.title, minutes=planner.minutes(r.effort_hours),
            due=None if sort_due >= FAR_FUTURE else sort_due, rank=r.queue_rank,
            sort_due=sort_due, quadrant=str(r.quadrant), is_fixed=r.is_fixed, kind=str(r.kind),
            request_id=r.request_id, version=r.version, is_chunk=r.target_on is not None,
            not_before=not_before_of(r.target_on, r.not_before_at, zone)))
    return out


def not_before_of(target_on: date | None, not_before_at: datetime | None, zone: ZoneInfo
                ) -> datetime | None:
    """The later of a chunk's lead week and a deferral's wait."""
    lead = None if target_on is None else datetime.combine(
        target_on - CHUNK_LEAD, time(0), zone).astimezone(UTC)
    found = [t for t in (lead, not_before_at) if t is not None]
    return max(found) if found else None


def check_days(days: int) -> None:
    if days < 1 or days > MAX_PLAN_DAYS:
        raise Unprocessable(f"A plan covers 1 to {MAX_PLAN_DAYS} days, not {days}; ask for "
                            "the weeks one at a time.")


async def plan_inputs(session: AsyncSession, member_id: int, *, first: date | None, days: int,
                      now: datetime | None = None) -> PlanInputs:
    member = await get_member(session, member_id)
    schedule = await get_schedule(session, member)
    zone = ZoneInfo(schedule.time_zone)
    now = now or clock.now()
    first = first or now.astimezone(zone).date()
    start = max(now, datetime.combine(first, time(0), zone).astimezone(UTC))
    end = datetime.combine(first + timedelta(days=days), time(0), zone).astimezone(UTC)
    if end <= start:
        raise Unprocessable("The plan would end before now; ask for a later start.")
    stmt = select(Disruption.id, Disruption.started_at, Disruption.hours).where(
        Disruption.member_id == member_id, col(Disruption.started_at) >= start - timedelta(1),
        col(Disruption.started_at) < end)
    disruptions = [(i or 0, s, h) for i, s, h in (await session.exec(stmt)).all()]
    items = await open_queue(session, member_id, zone)
    return PlanInputs(member, schedule, zone, start, end, first, days, items, {}, disruptions)


def run_plan(inputs: PlanInputs, items: list[planner.Item] | None = None, *,
             with_disruptions: bool = True, days: int | None = None) -> planner.Plan:
    count = days or inputs.days
    end = (datetime.combine(inputs.first_day + timedelta(days=count), time(0), inputs.zone)
           .astimezone(UTC))
    grid = planner.build_days(
        inputs.schedule.blocks, inputs.zone, inputs.first_day, count,
        buffer_share=inputs.schedule.buffer_share, now=inputs.start,
        disruptions=[(s, h) for _, s, h in inputs.disruptions] if with_disruptions else [])
    return planner.place(inputs.items if items is None else items, grid, start=inputs.start,
                         end=end)


def moved(inputs: PlanInputs, plan: planner.Plan) -> list[tuple[planner.Item, datetime | None,
                                                                 datetime | None]]:
    if not inputs.disruptions:
        return []
    calm = run_plan(inputs, with_disruptions=False)
    out = []
    for item in inputs.items:
        before, after = calm.first_start(item.id), plan.first_start(item.id)
        if before != after:
            out.append((item, before, after))
    return out


async def earliest_slot_window(session: AsyncSession, owner_id: int, effort_hours: float, *,
                               after: datetime) -> tuple[datetime, datetime]:
    """When new work of `effort_hours` could be done by `owner_id` if it went after everything
    already planned: (start, finish). Searches eight weeks; 422 beyond that."""
    if effort_hours <= 0 or effort_hours > 1000:
        raise Unprocessable("effort_hours must be over 0 and at most 1,000.")
    inputs = await plan_inputs(session, owner_id, first=None, days=SLOT_SEARCH_DAYS, now=after)
    newcomer = planner.Item(id=0, title="new work", minutes=planner.minutes(effort_hours),
                            due=None, rank=99, sort_due=FAR_FUTURE, quadrant="")
    plan = run_plan(inputs, [*inputs.items, newcomer])
    start, finish = plan.first_start(0), plan.finish(0)
    if start is None or finish is None:
        raise Unprocessable(f"No room for {effort_hours:g}h in the next {SLOT_SEARCH_DAYS} "
                            "days of this member's plan; clear their plate first.")
    return start, finish


async def earliest_slot(session: AsyncSession, owner_id: int, effort_hours: float, *,
                        after: datetime) -> datetime:
    """The earliest honest start for new work ("a story takes three hours; not before
    11:00"): after the owner's already planned work, in their non-buffer blocks."""
    start, _ = await earliest_slot_window(session, owner_id, effort_hours, after=after)
    return start


@dataclass
class Capacity:
    demand: float
    capacity: float
    checkpoints: list[tuple[datetime, float, float]]


def capacity(inputs: PlanInputs) -> Capacity:
    """Demand (open work due by each deadline in the window) against plannable time until
    then; the same grid the planner uses, so disruptions count."""
    grid = planner.build_days(inputs.schedule.blocks, inputs.zone, inputs.first_day,
                              inputs.days, buffer_share=inputs.schedule.buffer_share,
                              now=inputs.start,
                              disruptions=[(s, h) for _, s, h in inputs.disruptions])
    due_items = sorted((i for i in inputs.items if i.due is not None and i.due <= inputs.end),
                       key=lambda i: i.due or FAR_FUTURE)
    checkpoints = []
    demand = 0
    for i, item in enumerate(due_items):
        demand += item.minutes
        if i + 1 < len(due_items) and due_items[i + 1].due == item.due:
            continue
        due = item.due or FAR_FUTURE
        cap = sum(_cap_until(day, due) for day in grid)
        checkpoints.append((due, demand / 60, cap / 60))
    total_cap = sum(d.cap for d in grid)
    total_demand = sum(i.minutes for i in inputs.items)
    return Capacity(total_demand / 60, total_cap / 60, checkpoints)


def _cap_until(day: planner.Day, due: datetime) -> int:
    free = 0
    for s, e in day.windows:
        if s >= due:
            break
        free += int((min(e, due) - s).total_seconds() // 60)
    return min(free, day.cap)


# The matrix


async def matrix_points(session: AsyncSession, owner_id: int | None, limit: int
                        ) -> tuple[list[WorkItem], dict[str, int]]:
    stmt = queue_query(owner_id).order_by(*QUEUE_ORDER).limit(limit)
    items = list((await session.exec(stmt)).all())
    counts_stmt = (select(WorkItem.quadrant, func.count())
                   .where(WorkItem.status == WorkItemStatus.open,
                          col(WorkItem.queue_rank) < SPLIT_RANK))
    if owner_id is not None:
        counts_stmt = counts_stmt.where(WorkItem.owner_id == owner_id)
    counts = {q.value: 0 for q in Quadrant}
    for quadrant, n in (await session.exec(counts_stmt.group_by(WorkItem.quadrant))).all():
        counts[str(quadrant)] = n
    return items, counts
