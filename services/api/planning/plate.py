"""What can I take off my plate? Which of a member's items come off so their plan over the
window becomes feasible, what happens to each (hand over, defer, decline), and applying
exactly that. The choices are plain functions over `planner` plans; SQL only loads and stores.

What it guarantees (tests/api/planning/test_plate_properties.py checks each over random plates):
- after apply, the member's plan over the window is feasible, except for fixed items that do
  not fit even alone (`cannot_fit`, named in the proposal with the reason);
- fixed items are never touched; only the lowest-priority movable items come off, and the set
  is minimal: keeping any one of them makes the plan infeasible again;
- a hand-over goes only to a teammate whose own plan over the window stays feasible with it;
- a deferral waits for the end of the window (`not_before`), so it cannot take time from the
  plan it was taken off, and its new deadline is never earlier than the old one and is one
  the member's plan meets;
- asking again right after apply proposes nothing;
- apply recomputes the proposal and refuses (412) when it is not the one read."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api import clock
from services.api.auth import Principal
from services.api.errors import PreconditionFailed, Unprocessable
from services.api.events import service as events
from services.api.models import Member, MemberRole, Quadrant, Request, WorkItem, WorkItemStatus
from services.api.planning import planner
from services.api.planning.service import (
    FAR_FUTURE,
    OWNER_ROLES,
    SLOT_SEARCH_DAYS,
    PlanInputs,
    check_days,
    derive_columns,
    due_of,
    end_of_day,
    event_data,
    get_settings,
    not_before_of,
    plan_inputs,
    run_plan,
)

REQUEST_EVENTS = {"work_item.deferred": "request.rescheduled",
                  "work_item.handed_over": "request.handed_over",
                  "work_item.declined": "request.declined_by_plan"}
# Rounds of moving deferred dates later before an item that still does not fit is declined.
DEFER_ROUNDS = 8


@dataclass
class Action:
    item: planner.Item
    action: str
    reason: str
    new_deadline: datetime | None = None
    not_before: datetime | None = None
    hand_to: int | None = None


@dataclass
class Proposal:
    inputs: PlanInputs
    before: planner.Plan
    after: planner.Plan  # the member's plan over the window once the actions are applied
    actions: list[Action]
    cannot_fit: dict[int, str]  # fixed items that do not fit even alone -> why
    token: str
    note: str


@dataclass
class Teammate:
    """A teammate who may take work: their plan inputs and what this proposal gives them."""

    id: int
    is_manager: bool
    inputs: PlanInputs
    given: list[planner.Item] = field(default_factory=list)
    free: int = 0  # minutes still unplanned in their window


def queue_key(item: planner.Item) -> tuple[int, datetime, int]:
    """The queue's order (rank, due, id), as `service.QUEUE_ORDER` sorts it in SQL."""
    return item.rank, item.sort_due, item.id


def _plan(inputs: PlanInputs, items: list[planner.Item], days: int | None = None
          ) -> planner.Plan:
    return run_plan(inputs, sorted(items, key=queue_key), days=days)


def clear(inputs: PlanInputs, before: planner.Plan
          ) -> tuple[list[planner.Item], list[planner.Item], set[int]]:
    """(kept, removed lowest priority first, stuck): the fewest lowest-priority movable items
    to take off so that only `stuck` items are late, `stuck` being the fixed items that are
    late even in a plan of the fixed items alone (nothing allowed can make room for them).

    The plan places items in queue order, so a late movable item never took time from an
    item ahead of it: taking the late item itself off is the lowest-priority fix. A late
    fixed item that fits alone gets room by taking off the lowest-priority movable item
    placed ahead of it. Then every removed item that could come back is put back, highest
    priority first, until none can: keeping any one of the rest makes the plan infeasible."""
    order = {i.id: n for n, i in enumerate(inputs.items)}
    stuck = set(_plan(inputs, [i for i in inputs.items if i.is_fixed]).late)
    kept = list(inputs.items)
    removed: list[planner.Item] = []
    evicted: list[planner.Item] = []  # placed items taken off to make room for fixed ones
    plan = before
    while not plan.late <= stuck:
        late = plan.late - stuck
        movable = {i.id for i in kept if i.id in late and not i.is_fixed}
        if not movable:
            first = min(late, key=order.__getitem__)
            ahead = [i for i in kept if not i.is_fixed and i.id in plan.placed
                     and order[i.id] < order[first]]
            if not ahead:  # only fixed work is ahead of it: it cannot fit whatever moves
                stuck.add(first)
                continue
            taken = max(ahead, key=lambda i: order[i.id])
            evicted.append(taken)
            movable = {taken.id}
        removed += [i for i in kept if i.id in movable]
        kept = [i for i in kept if i.id not in movable]
        plan = _plan(inputs, kept)
    if evicted:
        # An item taken off because it was late in the first plan comes back only if the work
        # ahead of it changed, that is if an evicted item was ahead of it.
        first_evicted = min(order[i.id] for i in evicted)
        changed = True
        while changed:
            changed = False
            for candidate in sorted(removed, key=lambda i: order[i.id]):
                if order[candidate.id] < first_evicted:
                    continue
                trial = _plan(inputs, [*kept, candidate])
                if trial.late <= stuck:
                    kept.append(candidate)
                    removed.remove(candidate)
                    changed = True
    removed.sort(key=lambda i: -order[i.id])
    return kept, removed, stuck


def hand_overs(removed: list[planner.Item], end: datetime, teammates: list[Teammate]
               ) -> dict[int, Action]:
    """Whole items due inside the window go to a teammate whose plan over the window stays
    feasible with them and places them on time, the highest-priority items first (the
    teammates' room is worth most there); strategists before the manager, then the one with
    most free time. Their plan is run, not their free hours counted: an item ahead of their
    own undated work in the queue fits even when their week looks full. A chunk stays
    with its project's owner; thankless work is declined, not passed on."""
    out: dict[int, Action] = {}
    for item in reversed(removed):
        if item.is_chunk or item.quadrant == Quadrant.thankless.value or item.due is None \
                or item.due > end:
            continue
        for mate in sorted(teammates, key=lambda t: (t.is_manager, -t.free, t.id)):
            trial = run_plan(mate.inputs, sorted([*mate.inputs.items, *mate.given, item],
                                                 key=queue_key))
            # Placed, not only feasible: their window may end before the item's due time.
            if trial.feasible and item.id in trial.placed:
                mate.given.append(item)
                mate.free = sum(d.cap for d in trial.days)
                out[item.id] = Action(item, "hand_over", f"due {item.due.isoformat()}; member "
                                      f"{mate.id}'s plan fits it before then", hand_to=mate.id)
                break
    return out


def deferrals(inputs: PlanInputs, kept: list[planner.Item], waiting: list[planner.Item],
              day_end: Callable[[datetime, planner.Item], datetime]) -> dict[int, Action]:
    """New dates for the items that wait: each is held until the end of the window (so the
    window's plan is the one without it) and gets the deadline its place in the queue lets
    the member meet over the next weeks, never earlier than the old one. An item that does
    not fit in the next weeks is declined."""
    nb = inputs.end

    def held(item: planner.Item, due: datetime | None, wait: datetime | None = nb
             ) -> planner.Item:
        return as_deferred(item, due, wait, inputs.zone)

    # First guess: each waits behind all kept work, in queue order among themselves.
    tail = [replace(held(i, None), rank=99) for i in sorted(waiting, key=queue_key)]
    first = _plan(inputs, [*kept, *tail], days=SLOT_SEARCH_DAYS)
    dates: dict[int, datetime] = {}
    declined: dict[int, Action] = {}
    for item in waiting:
        finish = first.finish(item.id)
        if finish is None:
            declined[item.id] = Action(item, "decline", f"no room in the next "
                                       f"{SLOT_SEARCH_DAYS} days and nobody can take it")
        else:
            dates[item.id] = _not_earlier(day_end(finish, item), item)
    # With its new date an item moves up the queue, which may push another deferred item
    # past its date: move those dates later until every deferred item meets its own, and
    # after a few rounds decline the lowest-priority one that still does not (which frees
    # room for the others), one at a time.
    rounds = 0
    while True:
        live = [i for i in waiting if i.id in dates]
        plan = _plan(inputs, [*kept, *(held(i, dates[i.id]) for i in live)],
                     days=SLOT_SEARCH_DAYS)
        missed = [i for i in live if i.id not in plan.placed]
        if not missed:
            break
        rounds += 1
        moved = False
        for item in missed if rounds <= DEFER_ROUNDS else []:
            loose = _plan(inputs, [*kept, *(held(i, dates[i.id]) for i in live
                                             if i.id != item.id),
                                   replace(held(item, None), sort_due=dates[item.id])],
                          days=SLOT_SEARCH_DAYS)
            finish = loose.finish(item.id)
            if finish is not None and day_end(finish, item) > dates[item.id]:
                dates[item.id] = day_end(finish, item)
                moved = True
        if not moved:
            last = max(missed, key=queue_key)
            del dates[last.id]
            declined[last.id] = Action(last, "decline", f"no date in the next "
                                       f"{SLOT_SEARCH_DAYS} days holds with the rest of the "
                                       "plan, and nobody can take it")
    # Held past the window, every date holds. Now bring items back into the window where
    # there is room after the kept work, highest priority first, if the window's plan and
    # every other deferred date still hold with it (the same checks as before, not hopes).
    waits: dict[int, datetime | None] = {i.id: nb for i in waiting if i.id in dates}
    by_id = {i.id: i for i in waiting}
    stuck = _plan(inputs, kept).late

    def post(ids: dict[int, datetime | None]) -> list[planner.Item]:
        return [*kept, *(held(by_id[i], dates[i], ids[i]) for i in ids)]

    for item in sorted((by_id[i] for i in waits), key=queue_key):
        trial_waits = waits | {item.id: None}
        others = [i for i in post(waits) if i.id != item.id]
        loose = _plan(inputs, [*others, replace(item, due=None, rank=99, sort_due=FAR_FUTURE)])
        finish = loose.finish(item.id)
        if finish is None:
            continue
        due = _not_earlier(day_end(finish, item), item)
        trial_dates = dates | {item.id: due}
        saved, dates = dates, trial_dates
        window = _plan(inputs, post(trial_waits))
        weeks = _plan(inputs, post(trial_waits), days=SLOT_SEARCH_DAYS)
        if window.late <= stuck and all(i in weeks.placed for i in trial_waits):
            waits = trial_waits
        else:
            dates = saved
    out = dict(declined)
    for item in waiting:
        if item.id in dates:
            wait = waits[item.id]
            out[item.id] = Action(item, "defer", (
                "the lowest-priority work that does not fit before its deadline; there is "
                "room later in this plan" if wait is None else
                "the lowest-priority work that does not fit this plan; it waits until the "
                "plan's end"), new_deadline=dates[item.id], not_before=wait)
    return out


def as_deferred(item: planner.Item, due: datetime | None, wait: datetime | None,
                zone: ZoneInfo) -> planner.Item:
    """The item as the queue loads it once deferred to `due` and held until `wait`: a chunk's
    lead week follows its new target day (see `service.open_queue`)."""
    target = None
    if item.is_chunk and due is not None:
        target = (due - timedelta(microseconds=1)).astimezone(zone).date()
    return replace(item, due=due, sort_due=due or FAR_FUTURE,
                   not_before=not_before_of(target, wait, zone))


def _not_earlier(new: datetime, item: planner.Item) -> datetime:
    return max(new, item.due) if item.due is not None else new


def decide(inputs: PlanInputs, kept: list[planner.Item], removed: list[planner.Item],
           teammates: list[Teammate]) -> list[Action]:
    """Per removed item, lowest priority first: decline thankless work (the article's
    push-back); otherwise hand over, else defer, else decline, in that order of preference."""
    decided = {i.id: Action(i, "decline", "thankless task (low impact, high effort): push "
                            "back on it")
               for i in removed if i.quadrant == Quadrant.thankless.value}
    decided |= hand_overs([i for i in removed if i.id not in decided], inputs.end, teammates)
    zone = ZoneInfo(inputs.schedule.time_zone)

    def day_end(finish: datetime, item: planner.Item) -> datetime:
        # A chunk is due by the end of its target day: the date apply stores.
        if not item.is_chunk:
            return finish
        return end_of_day((finish - timedelta(microseconds=1)).astimezone(zone).date(),
                           inputs.schedule.time_zone)

    decided |= deferrals(inputs, kept, [i for i in removed if i.id not in decided], day_end)
    return [decided[i.id] for i in removed]


def post_apply_items(inputs: PlanInputs, actions: list[Action]) -> list[planner.Item]:
    """The member's queue once `actions` are applied, in queue order."""
    gone = {a.item.id for a in actions if a.action != "defer"}
    moved = {a.item.id: a for a in actions if a.action == "defer"}
    out = []
    for item in inputs.items:
        if item.id in gone:
            continue
        action = moved.get(item.id)
        if action is not None:
            item = as_deferred(item, action.new_deadline, action.not_before, inputs.zone)
        out.append(item)
    return sorted(out, key=queue_key)


async def teammates_of(session: AsyncSession, inputs: PlanInputs) -> list[Teammate]:
    """The other active strategists and the manager, with their plans over the same days;
    only those whose own plan is feasible can take anything."""
    stmt = select(Member.id, Member.role).where(
        col(Member.role).in_(OWNER_ROLES), col(Member.is_active).is_(True),
        Member.id != inputs.member.id).order_by(col(Member.id))
    out = []
    for member_id, role in (await session.exec(stmt)).all():
        try:
            mate = await plan_inputs(session, member_id or 0, first=inputs.first_day,
                                     days=inputs.days, now=inputs.start)
        except Unprocessable:  # their window (another time zone) has already ended
            continue
        found = teammate(member_id or 0, mate, is_manager=role == MemberRole.manager)
        if found is not None:
            out.append(found)
    return out


def teammate(member_id: int, inputs: PlanInputs, *, is_manager: bool) -> Teammate | None:
    """A teammate who can take work: one whose own plan over the window is feasible."""
    plan = run_plan(inputs)
    if not plan.feasible:
        return None
    return Teammate(member_id, is_manager, inputs, free=sum(d.cap for d in plan.days))


def propose(inputs: PlanInputs, teammates: list[Teammate]) -> Proposal:
    """The proposal, computed from loaded inputs only (apply runs the same function)."""
    before = run_plan(inputs)
    actions: list[Action] = []
    if not before.feasible:
        kept, removed, _ = clear(inputs, before)
        actions = decide(inputs, kept, removed, teammates)
    after = run_plan(inputs, post_apply_items(inputs, actions))
    cannot_fit = {i: f"fixed, and does not fit even without the movable work: "
                     f"{after.unplaced[i]}" for i in sorted(after.late)}
    freed = sum(a.item.minutes for a in actions) / 60
    if before.feasible:
        note = "The plan is feasible; nothing needs to come off the plate."
    elif not cannot_fit:
        note = f"Taking {len(actions)} item(s) off frees {freed:g}h and makes the plan feasible."
    else:
        note = (f"Taking {len(actions)} item(s) off frees {freed:g}h, but {len(cannot_fit)} "
                "fixed item(s) do not fit even alone (see cannot_fit): move a fixed item or "
                "add time.")
    return Proposal(inputs, before, after, actions, cannot_fit, _token(inputs, actions,
                                                                       cannot_fit), note)


async def propose_plate(session: AsyncSession, member_id: int, *, first: date | None,
                        days: int) -> Proposal:
    check_days(days)
    inputs = await plan_inputs(session, member_id, first=first, days=days)
    if run_plan(inputs).feasible:
        return propose(inputs, [])
    return propose(inputs, await teammates_of(session, inputs))


def _token(inputs: PlanInputs, actions: list[Action], cannot_fit: dict[int, str]) -> str:
    state = {
        "items": [(i.id, i.version) for i in inputs.items],
        "schedule": inputs.schedule.version,
        "disruptions": [d[0] for d in inputs.disruptions],
        "window": [inputs.first_day.isoformat(), inputs.days],
        # New dates are left out: they follow the clock, and are recomputed when applied.
        "actions": [(a.item.id, a.action, a.hand_to) for a in actions],
        "cannot_fit": sorted(cannot_fit),
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:32]


async def _tell_requester(session: AsyncSession, request: Request, row: WorkItem, kind: str,
                          data: dict[str, Any], now: datetime, actor: Principal) -> None:
    """A request-level event for the stakeholders following the request; a handed-over
    request follows its work to the new owner."""
    told: dict[str, Any] = {"request_id": request.id, "requester_id": request.requester_id,
                            "work_item_id": row.id, "reason": data["reason"]}
    if kind == "work_item.handed_over":
        told["from_owner_id"] = request.owner_id
        request.owner_id = row.owner_id
        request.updated_at = now
        session.add(request)
        told["to_owner_id"] = row.owner_id
    elif kind == "work_item.deferred":
        told["new_date"] = data["new_deadline"]
    await events.record(session, REQUEST_EVENTS[kind], "request", request.id, told,
                        actor=actor)


async def apply_plate(session: AsyncSession, member_id: int, *, token: str, first: date | None,
                      days: int, actor: Principal) -> tuple[Proposal, bool]:
    """Recompute the proposal and apply it only if it is the one the manager read (412 when
    anything it rests on changed). One event per moved item, carrying its request id.
    Returns the proposal applied (its new dates as stored) and whether the plan is feasible."""
    proposal = await propose_plate(session, member_id, first=first, days=days)
    if proposal.token != token:
        raise PreconditionFailed("The proposal changed since you read it (work, schedule or "
                                 "disruptions moved); ask for it again and apply the new one.")
    rows = {r.id: r for r in (await session.exec(select(WorkItem).where(
        col(WorkItem.id).in_([a.item.id for a in proposal.actions])))).all()}
    thresholds = await get_settings(session)
    owner_ids = {member_id} | {a.hand_to for a in proposal.actions if a.hand_to}
    zones = {m.id: m.time_zone for m in (await session.exec(
        select(Member).where(col(Member.id).in_(owner_ids)))).all()}
    zones[member_id] = proposal.inputs.schedule.time_zone
    requests = {r.id: r for r in (await session.exec(select(Request).where(
        col(Request.id).in_([r.request_id for r in rows.values() if r.request_id])))).all()}
    now = clock.now()
    for action in proposal.actions:
        row = rows[action.item.id]
        data = {k: v for k, v in event_data(row, action=action.action,
                                             reason=action.reason).items() if k != "owner_id"}
        if action.action == "decline":
            row.status = WorkItemStatus.declined
            data["owner_id"] = row.owner_id
            kind = "work_item.declined"
        elif action.action == "hand_over":
            # Two fields that say what they mean: readers took `owner_id` for the new owner.
            data["from_owner_id"] = row.owner_id
            row.owner_id = action.hand_to or row.owner_id
            data["to_owner_id"] = row.owner_id
            kind = "work_item.handed_over"
        else:
            data["owner_id"] = row.owner_id
            old = due_of(row)
            data["old_deadline"] = old.isoformat() if old else None
            new = action.new_deadline or FAR_FUTURE
            if row.parent_id is not None:
                # A chunk keeps being a chunk: its target moves to the day it can be done.
                # `new` is the end of that day (midnight after it): the day is the one before.
                row.target_on = (new - timedelta(seconds=1)).astimezone(
                    ZoneInfo(zones[row.owner_id])).date()
                row.deadline = None
            else:
                row.deadline = new
            row.not_before_at = action.not_before
            data["not_before"] = action.not_before.isoformat() if action.not_before else None
            kind = "work_item.deferred"
        derive_columns(row, thresholds, zones.get(row.owner_id, proposal.inputs.schedule.time_zone))
        if kind == "work_item.deferred":
            data["new_deadline"] = row.sort_due.isoformat()
        row.updated_at = now
        session.add(row)
        await events.record(session, kind, "work_item", row.id, data, actor=actor)
        request = requests.get(row.request_id or 0)
        if request is not None:
            await _tell_requester(session, request, row, kind, data, now, actor)
    await session.flush()
    await session.commit()
    inputs = await plan_inputs(session, member_id, first=first, days=days)
    after = run_plan(inputs)
    return proposal, after.feasible
