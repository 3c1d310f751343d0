"""Delivery rules without HTTP: two workers (as in two API processes) never claim the same
delivery, back-off doubles and is capped, a dead worker's claim expires."""

import asyncio
from datetime import timedelta

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.db import make_async_engine, utcnow
from services.api.events import webhooks
from services.api.models import DeliveryStatus, Event, Webhook, WebhookDelivery


async def _setup(url: str, n: int) -> None:
    engine = make_async_engine(url)
    async with AsyncSession(engine) as session:
        hook = Webhook(url="http://127.0.0.1:9/hook", secret=webhooks.new_secret())
        session.add(hook)
        session.add_all([Event(type="t", subject_type="s", subject_id=str(i)) for i in range(n)])
        await session.commit()
        await webhooks.fan_out(session)
    await engine.dispose()


async def _claim_twice(url: str) -> tuple[list[int], list[int]]:
    engines = [make_async_engine(url) for _ in range(2)]

    async def one(engine: object) -> list[int]:
        won: list[int] = []
        async with AsyncSession(engine) as session:  # type: ignore[arg-type]
            for _ in range(5):
                won += await webhooks.claim(session, limit=7)
        return won

    try:
        first, second = await asyncio.gather(*(one(e) for e in engines))
    finally:
        for e in engines:
            await e.dispose()
    return first, second


def test_two_workers_never_claim_the_same_delivery(db_url: str) -> None:
    asyncio.run(_setup(db_url, 40))
    first, second = asyncio.run(_claim_twice(db_url))
    assert not set(first) & set(second)
    assert len(first) + len(second) == 40


async def _expire_and_reclaim(url: str) -> tuple[list[int], int]:
    engine = make_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            claimed = await webhooks.claim(session)
            none_left = await webhooks.claim(session)
            assert none_left == []
            await session.exec(update(WebhookDelivery).values(
                claimed_until=utcnow() - timedelta(seconds=1)))
            await session.commit()
            again = await webhooks.claim(session)
            delivery = await session.get(WebhookDelivery, again[0])
            assert delivery is not None and delivery.status == DeliveryStatus.delivering
            return claimed, delivery.attempts
    finally:
        await engine.dispose()


def test_a_dead_workers_claim_expires_and_counts_as_an_attempt(db_url: str) -> None:
    asyncio.run(_setup(db_url, 1))
    claimed, attempts = asyncio.run(_expire_and_reclaim(db_url))
    assert len(claimed) == 1 and attempts == 2


def test_backoff_doubles_and_is_capped() -> None:
    assert [webhooks.backoff(a, 10).total_seconds() for a in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert webhooks.backoff(30, 10) == timedelta(hours=1)
