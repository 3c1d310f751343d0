"""The outbox: `record` adds an event to the caller's transaction; the feed reads them in order."""

from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.auth import Principal
from services.api.models import Event

# Ids come from a sequence, so on PostgreSQL a transaction that took id 7 may commit after
# the one that took id 8, and a reader at "after=8" would never see 7. Writers of events
# take this lock until they commit, so ids become visible in order. Record events last.
OUTBOX_LOCK = 727_002


async def record(session: AsyncSession, type: str, subject_type: str, subject_id: Any,
                 data: dict[str, Any], *, actor: Principal | None = None) -> Event:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        connection = await session.connection()
        await connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": OUTBOX_LOCK})
    event = Event(type=type, subject_type=subject_type, subject_id=str(subject_id), data=data,
                  actor_key_id=actor.key_id if actor else None)
    session.add(event)
    return event


async def feed(session: AsyncSession, *, after: int, limit: int,
               types: list[str] | None) -> list[Event]:
    stmt = select(Event).where(col(Event.id) > after)
    if types:
        stmt = stmt.where(col(Event.type).in_(types))
    return list((await session.exec(stmt.order_by(col(Event.id)).limit(limit))).all())
