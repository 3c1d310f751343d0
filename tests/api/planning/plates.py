"""Random plates for the plate-clearer's property tests, and the invariants they must keep.

A plate is built from the same pieces the service loads (`PlanInputs` of `planner.Item`s), so
`plate.propose`, `post_apply_items` and `run_plan` run exactly as they do behind the API;
apply is modelled by `post_apply_items` (the owner's queue once applied) and the teammates'
queues with what they were given (`tests/api/planning/test_plate_http.py` checks the real
apply against this model through HTTP)."""

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from services.api.models import Member, Quadrant
from services.api.planning import planner, plate, service

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
# A plain week, and windows with a DST change: New York springs forward on 2027-03-14,
# Paris falls back on 2027-10-31, Sydney springs forward on 2027-10-03.
FIRST_DAYS = [date(2027, 1, 4), date(2027, 3, 11), date(2027, 10, 28), date(2027, 10, 1)]
QUADRANT_OF_RANK = {1: Quadrant.quick_win, 2: Quadrant.quick_win, 3: Quadrant.major_project,
                    4: Quadrant.fill_in, 5: Quadrant.thankless}
KINDS = ["regular", "focus", "buffer"]


@dataclass(frozen=True)
class Mate:
    id: int
    is_manager: bool
    inputs: service.PlanInputs


@dataclass(frozen=True)
class World:
    inputs: service.PlanInputs
    mates: tuple[Mate, ...]

    def teammates(self) -> list[plate.Teammate]:
        """Fresh teammates (a proposal records what it gives them)."""
        out = []
        for m in self.mates:
            found = plate.teammate(m.id, m.inputs, is_manager=m.is_manager)
            if found is not None:
                out.append(found)
        return out


@st.composite
def blocks(draw: st.DrawFn) -> list[dict[str, str]]:
    """A week of blocks: some days empty, up to three blocks a day in any order of kinds
    (a buffer may come first or in the middle of the day, not only at its end)."""
    if draw(st.booleans()):
        return planner.DEFAULT_BLOCKS
    out = []
    for day in planner.DAYS:
        hour = draw(st.integers(0, 14))
        for _ in range(draw(st.integers(0, 3))):
            length = draw(st.integers(1, 5))
            if hour + length > 24:
                break
            end = "24:00" if hour + length == 24 else f"{hour + length:02d}:00"
            out.append({"day": day, "start": f"{hour:02d}:00", "end": end,
                        "kind": draw(st.sampled_from(KINDS))})
            hour += length + draw(st.integers(0, 2))
    return out


def _local(day: date, hours: float, zone: ZoneInfo) -> datetime:
    return (datetime.combine(day, time(0), zone) + timedelta(hours=hours)).astimezone(UTC)


@st.composite
def items(draw: st.DrawFn, *, first_id: int, count: int, first: date, days: int,
          zone: ZoneInfo, start: datetime, fixed_share: float) -> list[planner.Item]:
    """Open items in queue order: efforts from a quarter hour to ten hours, deadlines past,
    today, inside the window or weeks out (or none), every rank, some fixed, a few chunks."""
    out = []
    for n in range(count):
        minutes = draw(st.sampled_from([15, 30, 45, 60, 90, 120, 180, 240, 360, 600]))
        when = draw(st.sampled_from(["none", "past", "today", "window", "weeks"]))
        due: datetime | None
        if when == "none":
            due = None
        elif when == "past":
            due = start - timedelta(hours=draw(st.integers(1, 72)))
        elif when == "today":
            due = _local(first, draw(st.integers(9, 23)), zone)
        elif when == "window":
            due = _local(first, draw(st.integers(9, 24 * days)), zone)
        else:
            due = _local(first, 24 * days + draw(st.integers(1, 24 * 28)), zone)
        rank = draw(st.integers(1, 5))
        is_fixed = draw(st.floats(0, 1)) < fixed_share
        is_chunk = not is_fixed and rank == 3 and due is not None and draw(st.booleans())
        not_before = None
        if is_chunk and due is not None:
            # A chunk is due by the end of its target day and waits for the week before it.
            target = (due - timedelta(microseconds=1)).astimezone(zone).date()
            due = service.end_of_day(target, str(zone))
            not_before = service.not_before_of(target, None, zone)
        out.append(planner.Item(
            id=first_id + n, title=f"item {first_id + n}", minutes=minutes, due=due, rank=rank,
            sort_due=due or service.FAR_FUTURE, quadrant=QUADRANT_OF_RANK[rank].value,
            is_fixed=is_fixed, is_chunk=is_chunk, not_before=not_before))
    return sorted(out, key=plate.queue_key)


@st.composite
def plan_inputs(draw: st.DrawFn, *, member_id: int, first: date, days: int,
                now: datetime | None, count: int, fixed_share: float
                ) -> service.PlanInputs:
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    midnight = datetime.combine(first, time(0), zone).astimezone(UTC)
    now = now or midnight + timedelta(hours=draw(st.integers(0, 30)))
    start = max(now, midnight)
    end = datetime.combine(first + timedelta(days=days), time(0), zone).astimezone(UTC)
    schedule = service.ScheduleView(member_id, zone_name,
                                    draw(st.sampled_from([0.0, 0.1, 0.2, 0.5])),
                                    draw(blocks()), False, 1)
    disruptions = [(n, start + timedelta(hours=draw(st.integers(0, 24 * days))),
                    draw(st.sampled_from([0.5, 1.0, 2.0, 3.0, 6.0])))
                   for n in range(draw(st.integers(0, 3)))]
    queue = draw(items(first_id=member_id * 1000, count=count, first=first, days=days,
                       zone=zone, start=start, fixed_share=fixed_share))
    member = Member(id=member_id, name=f"m{member_id}", email=f"m{member_id}@example.com",
                    time_zone=zone_name)
    return service.PlanInputs(member, schedule, zone, start, max(end, start + timedelta(hours=1)),
                              first, days, queue, {}, disruptions)


@st.composite
def worlds(draw: st.DrawFn, *, max_items: int = 300) -> World:
    first = draw(st.sampled_from(FIRST_DAYS))
    days = draw(st.integers(1, 14))
    count = draw(st.integers(1, max_items))
    owner = draw(plan_inputs(member_id=1, first=first, days=days, now=None, count=count,
                             fixed_share=draw(st.sampled_from([0.0, 0.05, 0.3]))))
    mates = []
    for n in range(draw(st.integers(0, 4))):
        mate = draw(plan_inputs(member_id=2 + n, first=first, days=days, now=owner.start,
                                count=draw(st.integers(0, 12)), fixed_share=0.0))
        if mate.end <= mate.start:
            continue
        mates.append(Mate(2 + n, draw(st.booleans()), mate))
    return World(owner, tuple(mates))


def after_apply(world: World, proposal: plate.Proposal) -> World:
    """The world once the proposal is applied: the owner's new queue, the teammates' queues
    with the items handed to them."""
    owner = replace(world.inputs, items=plate.post_apply_items(world.inputs, proposal.actions))
    given: dict[int, list[planner.Item]] = {}
    for a in proposal.actions:
        if a.action == "hand_over" and a.hand_to is not None:
            given.setdefault(a.hand_to, []).append(a.item)
    mates = tuple(replace(m, inputs=replace(m.inputs, items=sorted(
        [*m.inputs.items, *given.get(m.id, [])], key=plate.queue_key))) for m in world.mates)
    return World(owner, mates)


def check_invariants(world: World) -> plate.Proposal:
    """Every invariant of the plate-clearer on one plate; returns the proposal."""
    inputs = world.inputs
    proposal = plate.propose(inputs, world.teammates())
    by_id = {i.id: i for i in inputs.items}
    order = {i.id: n for n, i in enumerate(inputs.items)}
    moved = {a.item.id for a in proposal.actions}
    assert len(moved) == len(proposal.actions), "one action per item"

    # Proposal and apply are one computation: the same inputs give the same answer.
    again = plate.propose(inputs, world.teammates())
    assert again.token == proposal.token
    assert [(a.item.id, a.action, a.new_deadline, a.not_before, a.hand_to)
            for a in again.actions] == [(a.item.id, a.action, a.new_deadline, a.not_before,
                                         a.hand_to) for a in proposal.actions]

    # Fixed items are never touched.
    assert not any(by_id[i].is_fixed for i in moved)
    # After apply the plan is feasible but for the fixed items named up front, which are
    # exactly those a plan of the fixed items alone cannot place either.
    applied = after_apply(world, proposal)
    after = service.run_plan(applied.inputs)
    assert after.late == set(proposal.cannot_fit)
    alone = service.run_plan(inputs, [i for i in inputs.items if i.is_fixed])
    assert set(proposal.cannot_fit) <= alone.late
    assert all(by_id[i].is_fixed for i in proposal.cannot_fit)
    for item in inputs.items:
        # (Fixed work due after the window may wait for a later plan, like any other.)
        if item.is_fixed and item.id not in proposal.cannot_fit and item.due is not None \
                and item.due <= inputs.end:
            assert item.id in after.placed, f"fixed item {item.id} is placed"
    assert proposal.after.late == after.late
    # No two pieces of work overlap, none is in a buffer block, none starts before now.
    pieces = sorted((p for ps in after.placed.values() for p in ps), key=lambda p: p.start)
    assert all(a.end <= b.start for a, b in itertools.pairwise(pieces)), "overlap"
    assert all(p.start >= inputs.start for p in pieces)
    buffers = [(s, e) for n in range(inputs.days + 1) for s, e, k in planner.local_windows(
        inputs.schedule.blocks, inputs.zone, inputs.first_day + timedelta(days=n)) if k == "buffer"]
    assert all(p.end <= bs or p.start >= be for p in pieces for bs, be in buffers), "in a buffer"
    # No work is placed inside a disruption's hours.
    blocked = [(s, s + timedelta(minutes=planner.minutes(h))) for _, s, h in inputs.disruptions]
    for pieces in after.placed.values():
        for p in pieces:
            assert all(p.end <= bs or p.start >= be for bs, be in blocked), "inside a disruption"
    if proposal.before.feasible:
        assert proposal.actions == []

    # Deferrals: never earlier, and the new date is met in the member's plan after apply.
    weeks = service.run_plan(applied.inputs, days=service.SLOT_SEARCH_DAYS)
    for a in proposal.actions:
        if a.action != "defer":
            continue
        assert a.new_deadline is not None
        if a.item.due is not None:
            assert a.new_deadline >= a.item.due, f"deferral of {a.item.id} moved it earlier"
        finish = weeks.finish(a.item.id)
        assert finish is not None and finish <= a.new_deadline, f"{a.item.id} misses its date"

    # Hand-overs: only to a teammate whose plan over the window stays feasible with them.
    mates = {m.id: m for m in applied.mates}
    for a in proposal.actions:
        if a.action == "hand_over":
            assert a.hand_to in mates
            assert a.item.due is not None and a.item.due <= inputs.end
            assert not a.item.is_chunk
    for mate_id in {a.hand_to for a in proposal.actions if a.action == "hand_over"}:
        assert mate_id is not None
        mate_plan = service.run_plan(mates[mate_id].inputs)
        assert mate_plan.feasible
        for a in proposal.actions:
            if a.hand_to == mate_id:
                finish = mate_plan.finish(a.item.id)
                assert finish is not None and a.item.due is not None and finish <= a.item.due

    # Minimal: keeping any one proposed item makes the plan infeasible again.
    kept = [i for i in inputs.items if i.id not in moved]
    kept_late = service.run_plan(inputs, kept).late
    for a in proposal.actions:
        back = sorted([*kept, a.item], key=plate.queue_key)
        assert not service.run_plan(inputs, back).late <= kept_late, (
            f"{a.item.id} could have stayed")

    # Lowest priority first: each item taken off was late itself (nothing of lower priority
    # could help it: the plan places in queue order), or was work ahead of a fixed item
    # (taking it off made room for the fixed one; that fixed item may only turn late once
    # other work came off, so it need not be late in the first plan). Actions are listed
    # lowest priority first.
    before = proposal.before
    fixed = [i.id for i in inputs.items if i.is_fixed]
    for a in proposal.actions:
        assert a.item.id in before.late or any(order[a.item.id] < order[f] for f in fixed)
    assert [order[a.item.id] for a in proposal.actions] == sorted(
        (order[a.item.id] for a in proposal.actions), reverse=True)

    # Preference: thankless work is declined; other work due in the window that a teammate
    # could still take with everything handed over is never deferred or declined.
    for a in proposal.actions:
        if a.item.quadrant == Quadrant.thankless.value:
            assert a.action == "decline"
        elif a.action != "hand_over" and not a.item.is_chunk and a.item.due is not None \
                and a.item.due <= inputs.end:
            for mate in applied.mates:
                if not service.run_plan(mate.inputs).feasible:
                    continue
                trial = service.run_plan(mate.inputs, sorted([*mate.inputs.items, a.item],
                                                              key=plate.queue_key))
                assert not (trial.feasible and a.item.id in trial.placed), (
                    f"{a.item.id} could have gone to {mate.id}")

    # A fixed point: asking again right after apply proposes nothing.
    second = plate.propose(applied.inputs, applied.teammates())
    assert second.actions == [], [(a.item.id, a.action) for a in second.actions]
    assert set(second.cannot_fit) == set(proposal.cannot_fit)
    return proposal
