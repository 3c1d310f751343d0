"""Planning rules: impact derivation, the matrix, the pure planner (time zones, DST, buffer),
and the service functions triage calls."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.db import make_async_engine
from services.api.models import PlanningSettings, Quadrant, WorkItem
from services.api.planning import planner, service
from tests.factories import Api

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def test_derived_impact_weighs_fit_goal_and_lateness() -> None:
    def derive(fit: bool, goal: str | None, due_in: timedelta | None) -> int:
        return service.derive_impact(pillar_fit=fit, goal=goal, asked_at=NOW,
                                     deadline=NOW + due_in if due_in is not None else None)

    assert derive(True, "Reach", None) == 5
    assert derive(True, None, timedelta(days=7)) == 4
    assert derive(False, None, None) == 2
    assert derive(False, None, timedelta(hours=3)) == 1
    assert derive(False, None, timedelta(hours=-3)) == 1
    assert derive(True, "Reach", timedelta(hours=47)) == 4


def test_quadrants_follow_the_thresholds() -> None:
    t = PlanningSettings()
    assert service.classify(5, 2, 0, t) == (Quadrant.quick_win, 1)
    assert service.classify(3, 4, 0, t) == (Quadrant.quick_win, 2)
    assert service.classify(5, 4.5, 0, t) == (Quadrant.major_project, 3)
    assert service.classify(2, 1, 0, t) == (Quadrant.fill_in, 4)
    assert service.classify(1, 10, 0, t) == (Quadrant.thankless, 5)
    assert service.classify(5, 40, 3, t) == (Quadrant.major_project, 9)


def test_blocks_follow_the_clock_across_a_dst_change() -> None:
    zone = ZoneInfo("America/Chicago")
    blocks = [{"day": "sun", "start": "00:00", "end": "04:00", "kind": "regular"}]
    autumn = planner.local_windows(blocks, zone, date(2026, 11, 1))
    spring = planner.local_windows(blocks, zone, date(2027, 3, 14))
    plain = planner.local_windows(blocks, zone, date(2027, 1, 3))
    assert [(e - s).total_seconds() / 3600 for s, e, _ in autumn] == [5.0]
    assert [(e - s).total_seconds() / 3600 for s, e, _ in spring] == [3.0]
    assert [(e - s).total_seconds() / 3600 for s, e, _ in plain] == [4.0]


def test_buffer_share_holds_back_time_and_disruptions_eat_it_first() -> None:
    zone = ZoneInfo("UTC")
    days = planner.build_days(planner.DEFAULT_BLOCKS, zone, date(2027, 1, 4), 1,
                              buffer_share=0.25, now=NOW,
                              disruptions=[(datetime(2027, 1, 4, 10, tzinfo=UTC), 3)])
    [monday] = days
    assert monday.buffer_minutes == 120 and monday.buffer_used == 120
    assert monday.cap == 480 - 120 - 60


def test_planner_never_half_places_and_keeps_queue_order() -> None:
    zone = ZoneInfo("UTC")
    grid = planner.build_days(planner.DEFAULT_BLOCKS, zone, date(2027, 1, 4), 1,
                              buffer_share=0, now=NOW, disruptions=[])
    due = datetime(2027, 1, 4, 12, tzinfo=UTC)
    items = [planner.Item(1, "a", 120, None, 1, service.FAR_FUTURE, "quick_win"),
             planner.Item(2, "b", 120, due, 2, due, "quick_win"),
             planner.Item(3, "c", 60, due, 2, due, "quick_win")]
    plan = planner.place(items, grid, start=NOW, end=NOW + timedelta(days=7))
    assert [(p.start.hour, p.end.hour) for p in plan.placed[1] + plan.placed[3]] == [
        (9, 11), (11, 12)]
    assert plan.unplaced == {2: "does not fit in the free time before its due date"}
    assert plan.late == {2}


def test_item_for_request_is_flushed_not_committed_and_slot_is_honest(api: Api) -> None:
    owner = api.make_member(time_zone="UTC")
    story, reel = api.make_request()["id"], api.make_request()["id"]

    async def run() -> tuple[int, int, int, datetime]:
        engine = make_async_engine(api.db_url)
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                item = await service.create_item_for_request(
                    session, request_id=story, owner_id=owner["id"], title="Story",
                    effort_hours=3, deadline=None, pillar_fit=True, goal=None, impact=None)
                await session.rollback()
            async with AsyncSession(engine) as session:
                left = (await session.exec(select(func.count()).select_from(WorkItem))).one()
                kept = await service.create_item_for_request(
                    session, request_id=reel, owner_id=owner["id"], title="Reel",
                    effort_hours=2, deadline=None, pillar_fit=False, goal="Reach", impact=None)
                impact = kept.impact
                await session.commit()
                slot = await service.earliest_slot(session, owner["id"], 3,
                                                   after=datetime(2027, 1, 4, tzinfo=UTC))
            return item.impact, left, impact, slot
        finally:
            await engine.dispose()

    first_impact, left_after_rollback, second_impact, slot = asyncio.run(run())
    assert first_impact == 4 and left_after_rollback == 0 and second_impact == 3
    assert slot == datetime(2027, 1, 4, 11, tzinfo=UTC)  # "a story takes three hours; not
    # before 11:00": the 2-hour reel comes first from 09:00


def test_a_block_may_end_at_midnight() -> None:
    blocks = [{"day": "fri", "start": "23:00", "end": "24:00", "kind": "buffer"}]
    [(start, end, kind)] = planner.local_windows(blocks, ZoneInfo("Europe/Paris"),
                                                 date(2027, 1, 8))
    assert (start.isoformat(), end.isoformat(), kind) == (
        "2027-01-08T22:00:00+00:00", "2027-01-08T23:00:00+00:00", "buffer")
