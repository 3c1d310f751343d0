"""`Idempotency-Key` on creating POSTs: the first response is stored and replayed to retries.

Only an authenticated caller claims a key (a row with no response yet), scoped to its API
key, so two concurrent retries cannot both create. The claim is a lease: it expires
`lease_seconds` after it was taken unless the request, still running, renews it. A process
that dies mid-request therefore leaves a claim that lapses within seconds, and the retry runs
again. The response is stored (and kept `ttl_hours`) once the handler finishes; a 5xx releases
the claim. Bodies are compared as canonical JSON, so key order and spacing do not matter."""

import asyncio
import contextlib
import hashlib
import json
import math
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.auth import authenticate
from services.api.db import utcnow
from services.api.errors import AppError, problem_response
from services.api.models import IdempotencyRecord

REPLAYED_HEADERS = ("content-type", "location", "etag")


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """One hash per request meaning: a JSON body counts by its canonical form (sorted keys,
    no spaces), any other body by its bytes."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False).encode()
    except (ValueError, RecursionError):
        canonical = body
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), query, canonical])
                          ).hexdigest()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, ttl_hours: int, lease_seconds: float) -> None:
        self.app = app
        self.ttl = timedelta(hours=ttl_hours)
        self.lease = timedelta(seconds=lease_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key_raw = dict(scope["headers"]).get(b"idempotency-key")
        if key_raw is None:
            await self.app(scope, receive, send)
            return
        key = key_raw.decode("latin-1").strip()
        if not 1 <= len(key) <= 255:
            await problem_response(400, "bad-idempotency-key", "Bad Idempotency-Key",
                                   "Idempotency-Key must be 1 to 255 characters.",
                                   None)(scope, receive, send)
            return
        try:
            principal = await authenticate(Request(scope))
        except AppError:
            # Nothing is claimed for an unknown caller: the route answers the 401 itself.
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)  # at most max_body_bytes: BodyLimitMiddleware runs first
        print_ = fingerprint(scope["method"], scope["path"], scope.get("query_string", b""),
                             body)
        engine: AsyncEngine = scope["app"].state.engine

        async with AsyncSession(engine, expire_on_commit=False) as session:
            record, claimed = await self._claim(session, f"key:{principal.key_id}", key, scope,
                                                print_)
        if not claimed:
            await self._answer_existing(record, print_, scope, receive, send)
            return

        status = 500
        response_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def replay_receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        renewing = asyncio.create_task(self._renew(engine, record))
        try:
            await self.app(scope, replay_receive, capture)
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            await self._finish(engine, record, status, response_headers, b"".join(chunks))

    async def _renew(self, engine: AsyncEngine, record: IdempotencyRecord) -> None:
        """Extend the lease while the request runs, a third of the lease before it lapses."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            async with AsyncSession(engine) as session:
                await session.exec(update(IdempotencyRecord).where(
                    col(IdempotencyRecord.id) == record.id,
                    col(IdempotencyRecord.status_code).is_(None),
                ).values(expires_at=utcnow() + self.lease))
                await session.commit()

    async def _finish(self, engine: AsyncEngine, record: IdempotencyRecord, status: int,
                      headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            stored = await session.get(IdempotencyRecord, record.id)
            # Another request may hold the key now if this one outlived its lease unrenewed
            # (a stalled event loop): its row is not ours to fill.
            if stored is None or stored.body_hash != record.body_hash \
                    or stored.created_at != record.created_at:
                return
            if status < 500:
                kept = {k.decode().lower(): v.decode("latin-1") for k, v in headers}
                stored.status_code = status
                stored.response_headers = {k: v for k, v in kept.items()
                                           if k in REPLAYED_HEADERS}
                stored.response_body = body.decode("utf-8", "replace")
                stored.expires_at = utcnow() + self.ttl
                session.add(stored)
            else:
                await session.delete(stored)
            await session.commit()

    async def _claim(self, session: AsyncSession, principal: str, key: str, scope: Scope,
                     fingerprint: str) -> tuple[IdempotencyRecord, bool]:
        for _ in range(3):
            now = utcnow()
            # An expired row is a stored response past its TTL or a lapsed lease (its holder
            # died): either way the key is free again.
            await session.exec(delete(IdempotencyRecord).where(
                col(IdempotencyRecord.principal) == principal, col(IdempotencyRecord.key) == key,
                col(IdempotencyRecord.expires_at) < now))
            existing = (await session.exec(select(IdempotencyRecord).where(
                IdempotencyRecord.principal == principal, IdempotencyRecord.key == key))).first()
            if existing is not None:
                await session.commit()
                return existing, False
            record = IdempotencyRecord(
                principal=principal, key=key, method=scope["method"], path=scope["path"],
                body_hash=fingerprint, created_at=now, expires_at=now + self.lease,
            )
            session.add(record)
            try:
                await session.commit()
                return record, True
            except IntegrityError:
                await session.rollback()  # a concurrent retry claimed it first: read theirs
        raise RuntimeError("idempotency claim raced three times")

    async def _answer_existing(self, record: IdempotencyRecord, fingerprint: str, scope: Scope,
                               receive: Receive, send: Send) -> None:
        if record.body_hash != fingerprint:
            response: Response = problem_response(
                422, "idempotency-key-reused", "Idempotency-Key reused",
                "This Idempotency-Key was already used with a different request body; "
                "use a new key for a new request.", None)
        elif record.status_code is None:
            left = (record.expires_at - utcnow()).total_seconds()
            response = problem_response(
                409, "idempotency-in-progress", "Request in progress",
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                None, headers={"Retry-After": str(max(1, math.ceil(left)))})
        else:
            response = Response(
                content=record.response_body, status_code=record.status_code,
                headers={**(record.response_headers or {}), "Idempotent-Replayed": "true"},
            )
        await response(scope, receive, send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
