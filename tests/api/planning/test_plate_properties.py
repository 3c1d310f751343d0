"""The plate-clearer's invariants (see `services/api/planning/plate.py`) over random plates:
1-300 items, 0-4 teammates, random blocks, buffers, time zones (windows with a DST change)
and disruptions. The default run is derandomized (the same examples every time, so CI is
stable); `-m slow` runs many more on random seeds."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from services.api.models import Member
from services.api.planning import planner, service
from tests.api.planning.plates import Mate, World, check_invariants, worlds

COMMON = {"deadline": None, "database": None,
          "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
# Shrinking a 300-item plate takes minutes: the big runs report the example as found.
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)


@settings(max_examples=60, derandomize=True, **COMMON)  # type: ignore[arg-type]
@given(worlds(max_items=60))
def test_plate_invariants_hold_on_small_plates(world: World) -> None:
    check_invariants(world)


@settings(max_examples=12, derandomize=True, phases=NO_SHRINK, **COMMON)  # type: ignore[arg-type]
@given(worlds(max_items=300))
def test_plate_invariants_hold_on_plates_of_up_to_300_items(world: World) -> None:
    check_invariants(world)


@pytest.mark.slow
@settings(max_examples=400, **COMMON)  # type: ignore[arg-type]
@given(worlds(max_items=300))
def test_plate_invariants_hold_on_random_seeds(world: World) -> None:
    check_invariants(world)


# Examples Hypothesis found, kept as plain tests.


def _inputs(member_id: int, zone: str, first: date, days: int, now: datetime,
            items: list[planner.Item], blocks: list[dict[str, str]] | None = None
            ) -> service.PlanInputs:
    tz = ZoneInfo(zone)
    end = datetime.combine(first + timedelta(days=days), time(0), tz).astimezone(UTC)
    schedule = service.ScheduleView(member_id, zone, 0.0, blocks or planner.DEFAULT_BLOCKS,
                                    False, 1)
    member = Member(id=member_id, name="m", email="m@example.com", time_zone=zone)
    return service.PlanInputs(member, schedule, tz, now, end, first, days, items, {}, [])


def _item(item_id: int, minutes: int, due: datetime | None, rank: int = 4) -> planner.Item:
    return planner.Item(item_id, f"item {item_id}", minutes, due, rank,
                        due or service.FAR_FUTURE, "fill_in")


def test_no_hand_over_to_a_teammate_whose_window_ends_before_the_item_is_due() -> None:
    # The owner's window (UTC) ends Monday 00:00 UTC; the teammate's (Kolkata) ends 18:30 UTC
    # the day before: an item due Sunday 23:00 UTC lies past the end of the teammate's plan,
    # so their plan stayed "feasible" without placing it, and the hand-over was accepted.
    first, now = date(2027, 3, 11), datetime(2027, 3, 11, tzinfo=UTC)
    due = datetime(2027, 3, 14, 23, tzinfo=UTC)
    owner = _inputs(1, "UTC", first, 4, now, [_item(1, 8 * 60, due, rank=1),
                                               _item(2, 8 * 60, due, rank=1),
                                               _item(3, 8 * 60, due, rank=1),
                                               _item(4, 15, due)])
    busy = [_item(10, 8 * 60, None, rank=1), _item(11, 8 * 60, None, rank=1)]  # undated
    mate = _inputs(2, "Asia/Kolkata", first, 4, now, busy)
    world = World(owner, (Mate(2, False, mate),))
    proposal = check_invariants(world)
    # Item 3 goes ahead of the teammate's undated work (it is due); item 4 cannot.
    assert [(a.item.id, a.action) for a in proposal.actions] == [(4, "defer"), (3, "hand_over")]
