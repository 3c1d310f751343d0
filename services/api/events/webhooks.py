"""Webhooks: registration, Standard Webhooks signatures (HMAC-SHA256), and the delivery
worker. The worker fans new events out to deliveries, claims due deliveries so several API
processes never send one twice at once, and retries with exponential back-off."""

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
from datetime import timedelta
from typing import Any

import httpx2
from sqlalchemy import or_, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.auth import Principal
from services.api.concurrency import check_if_match
from services.api.db import utcnow
from services.api.errors import InvalidTransition, NotFound
from services.api.events import service as events
from services.api.models import DeliveryStatus, Event, Webhook, WebhookDelivery
from services.api.settings import Settings

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
CLAIM_SECONDS = 60
FANOUT_BATCH = 500
CLAIM_BATCH = 20
MAX_BACKOFF = timedelta(hours=1)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`
    keyed with the base64-decoded part of the secret after `whsec_`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def payload(event: Event) -> bytes:
    return json.dumps({"id": event.id, "type": event.type, "subject_type": event.subject_type,
                       "subject_id": event.subject_id, "data": event.data,
                       "occurred_at": event.occurred_at.isoformat()},
                      separators=(",", ":")).encode()


# Registration


async def _move_cursor(session: AsyncSession, hook: Webhook, cursor: int) -> None:
    """A plain UPDATE: the cursor is bookkeeping, so it must not bump the webhook's version
    (its ETag) under a manager who is editing it."""
    await session.exec(update(Webhook).where(
        col(Webhook.id) == hook.id).values(cursor=cursor))
    set_committed_value(hook, "cursor", cursor)


async def create_webhook(session: AsyncSession, *, url: str, description: str,
                         event_types: list[str], principal: Principal) -> Webhook:
    """Receives the events recorded after its own `webhook.created` event."""
    hook = Webhook(url=url, description=description, event_types=event_types,
                   secret=new_secret(), created_by_key_id=principal.key_id)
    session.add(hook)
    await session.flush()
    created = await events.record(session, "webhook.created", "webhook", hook.id,
                                  {"url": url, "event_types": event_types}, actor=principal)
    await session.flush()
    await _move_cursor(session, hook, created.id or 0)
    await session.commit()
    return hook


async def get_webhook(session: AsyncSession, webhook_id: int) -> Webhook:
    hook = await session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound(f"No webhook with id {webhook_id}.")
    return hook


async def update_webhook(session: AsyncSession, webhook_id: int, changes: dict[str, Any], *,
                         if_match: str, principal: Principal) -> Webhook:
    hook = await get_webhook(session, webhook_id)
    check_if_match(hook, if_match)
    for field, value in changes.items():
        setattr(hook, field, value)
    hook.updated_at = utcnow()
    session.add(hook)
    await events.record(session, "webhook.updated", "webhook", webhook_id, changes,
                        actor=principal)
    await session.commit()
    return hook


async def delete_webhook(session: AsyncSession, webhook_id: int, *, if_match: str,
                         principal: Principal) -> None:
    hook = await get_webhook(session, webhook_id)
    check_if_match(hook, if_match)
    await session.exec(text("DELETE FROM webhook_delivery WHERE webhook_id = :w")  # type: ignore[call-overload]
                       .bindparams(w=webhook_id))
    await session.delete(hook)
    await events.record(session, "webhook.deleted", "webhook", webhook_id, {"url": hook.url},
                        actor=principal)
    await session.commit()


def deliveries_query(webhook_id: int, status: DeliveryStatus | None) -> Any:
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return stmt


async def replay(session: AsyncSession, webhook_id: int, delivery_id: int, *,
                 principal: Principal) -> WebhookDelivery:
    """Queue a failed (or succeeded) delivery again, with a fresh set of attempts."""
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook_id:
        raise NotFound(f"No delivery {delivery_id} for webhook {webhook_id}.")
    if delivery.status in (DeliveryStatus.pending, DeliveryStatus.delivering):
        raise InvalidTransition(f"The delivery is {delivery.status.value} already.")
    delivery.status = DeliveryStatus.pending
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.last_error = None
    session.add(delivery)
    await events.record(session, "webhook.delivery_replayed", "webhook", webhook_id,
                        {"delivery_id": delivery_id, "event_id": delivery.event_id},
                        actor=principal)
    await session.commit()
    return delivery


# The worker


def _pg(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


async def fan_out(session: AsyncSession) -> int:
    """Create deliveries for events past each active webhook's cursor. On PostgreSQL the
    webhook row is locked (SKIP LOCKED) so two processes never fan out the same one; the
    unique (webhook_id, event_id) pair is the last guard."""
    hooks_stmt = select(Webhook).where(Webhook.is_active == True)  # noqa: E712
    if _pg(session):
        hooks_stmt = hooks_stmt.with_for_update(skip_locked=True)
    created = 0
    for hook in (await session.exec(hooks_stmt)).all():
        rows = (await session.exec(select(Event).where(col(Event.id) > hook.cursor).order_by(
            col(Event.id)).limit(FANOUT_BATCH))).all()
        if not rows:
            continue
        now = utcnow()
        for event in rows:
            if not hook.event_types or event.type in hook.event_types:
                session.add(WebhookDelivery(webhook_id=hook.id or 0, event_id=event.id or 0,
                                            next_attempt_at=now))
                created += 1
        await _move_cursor(session, hook, rows[-1].id or hook.cursor)
    await session.commit()
    return created


async def claim(session: AsyncSession, *, limit: int = CLAIM_BATCH) -> list[int]:
    """Take due deliveries (pending and due, or claimed by a process that died) for this
    process: one UPDATE ... WHERE status is still claimable per row, so exactly one claimer
    wins each; PostgreSQL skips rows another process is claiming."""
    now = utcnow()
    due = or_(
        (col(WebhookDelivery.status) == DeliveryStatus.pending)
        & (col(WebhookDelivery.next_attempt_at) <= now),
        (col(WebhookDelivery.status) == DeliveryStatus.delivering)
        & (col(WebhookDelivery.claimed_until) < now))
    stmt = select(WebhookDelivery.id).where(due).order_by(
        col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id)).limit(limit)
    if _pg(session):
        stmt = stmt.with_for_update(skip_locked=True)
    ids = [i for i in (await session.exec(stmt)).all() if i is not None]
    won: list[int] = []
    for delivery_id in ids:
        result = await session.exec(update(WebhookDelivery).where(
            col(WebhookDelivery.id) == delivery_id, due).values(
            status=DeliveryStatus.delivering, claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
            attempts=WebhookDelivery.attempts + 1, last_attempt_at=now))
        if result.rowcount == 1:
            won.append(delivery_id)
    await session.commit()
    return won


def backoff(attempts: int, base_seconds: float) -> timedelta:
    return min(timedelta(seconds=base_seconds * 2 ** (attempts - 1)), MAX_BACKOFF)


async def deliver(engine: AsyncEngine, client: httpx2.AsyncClient, delivery_id: int,
                  settings: Settings) -> DeliveryStatus:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return DeliveryStatus.failed  # the webhook was deleted since the claim
        hook = await session.get(Webhook, delivery.webhook_id)
        event = await session.get(Event, delivery.event_id)
        if hook is None or event is None:
            return DeliveryStatus.failed
        body = payload(event)
        msg_id = f"evt_{event.id}"
        timestamp = int(utcnow().timestamp())
        headers = {"content-type": "application/json", "webhook-id": msg_id,
                   "webhook-timestamp": str(timestamp),
                   "webhook-signature": sign(hook.secret, msg_id, timestamp, body)}
        code: int | None = None
        error: str | None = None
        try:
            response = await client.post(hook.url, content=body, headers=headers,
                                         timeout=settings.webhook_timeout_seconds)
            code = response.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except httpx2.HTTPError as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:1000]
        now = utcnow()
        delivery.last_status_code = code
        delivery.last_error = error
        delivery.claimed_until = None
        if error is None:
            delivery.status = DeliveryStatus.succeeded
            delivery.delivered_at = now
        elif delivery.attempts >= settings.webhook_max_attempts:
            delivery.status = DeliveryStatus.failed
        else:
            delivery.status = DeliveryStatus.pending
            delivery.next_attempt_at = now + backoff(delivery.attempts,
                                                     settings.webhook_backoff_seconds)
        session.add(delivery)
        try:
            await session.commit()
        except StaleDataError:
            # The webhook, and its deliveries with it, was deleted while this one was sent.
            await session.rollback()
            return DeliveryStatus.failed
        return delivery.status


async def _deliver_logged(engine: AsyncEngine, client: httpx2.AsyncClient, delivery_id: int,
                          settings: Settings) -> None:
    try:
        await deliver(engine, client, delivery_id, settings)
    except Exception:
        log.exception("webhook delivery %s failed", delivery_id)


async def run_once(engine: AsyncEngine, client: httpx2.AsyncClient, settings: Settings) -> int:
    """One pass: fan out, claim, deliver concurrently. Returns the deliveries attempted."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        await fan_out(session)
        ids = await claim(session)
    # A task group, not gather: one failed delivery leaves the others running, and a cancelled
    # pass (shutdown) waits for every delivery to stop before the pools close. Deliveries
    # orphaned by gather outlived the engine and hung the event loop's close.
    async with asyncio.TaskGroup() as group:
        for i in ids:
            group.create_task(_deliver_logged(engine, client, i, settings))
    return len(ids)


async def worker(engine: AsyncEngine, settings: Settings) -> None:
    """Runs until cancelled (at shutdown); an error in one pass is logged, not fatal."""
    async with httpx2.AsyncClient(follow_redirects=False) as client:
        while True:
            try:
                busy = await run_once(engine, client, settings)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook delivery pass failed")
                busy = 0
            if not busy:
                await asyncio.sleep(settings.webhook_poll_seconds)
