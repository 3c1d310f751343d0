"""`Idempotency-Key` on creating POSTs: the first response is stored and replayed to retries.

A key is claimed (a row with no response yet) before the handler runs, so two concurrent
retries cannot both create; the response is stored once the handler finishes. A 5xx
releases the claim so the client can retry. Keys are scoped to the caller's API key."""

import hashlib
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.db import utcnow
from services.api.errors import problem_response
from services.api.limits import BodyTooLarge
from services.api.models import IdempotencyRecord

REPLAYED_HEADERS = ("content-type", "location", "etag")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, ttl_hours: int) -> None:
        self.app = app
        self.ttl = timedelta(hours=ttl_hours)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key_raw = headers.get(b"idempotency-key")
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
            body = await _read_body(receive)
        except BodyTooLarge as exc:
            await problem_response(413, "payload-too-large", "Request body too large",
                                   str(exc.detail), None)(scope, receive, send)
            return
        principal = hashlib.sha256(headers.get(b"authorization", b"")).hexdigest()
        fingerprint = hashlib.sha256(
            b"\n".join([scope["method"].encode(), scope["path"].encode(),
                        scope.get("query_string", b""), body])
        ).hexdigest()
        engine = scope["app"].state.engine

        async with AsyncSession(engine, expire_on_commit=False) as session:
            record, claimed = await self._claim(session, principal, key, scope, fingerprint)
        if not claimed:
            await self._answer_existing(record, fingerprint, scope, receive, send)
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

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                stored = await session.get(IdempotencyRecord, record.id)
                if stored is not None and status < 500:
                    kept = {k.decode().lower(): v.decode("latin-1") for k, v in response_headers}
                    stored.status_code = status
                    stored.response_headers = {
                        k: v for k, v in kept.items() if k in REPLAYED_HEADERS
                    }
                    stored.response_body = b"".join(chunks).decode("utf-8", "replace")
                    session.add(stored)
                elif stored is not None:
                    await session.delete(stored)
                await session.commit()

    async def _claim(self, session: AsyncSession, principal: str, key: str, scope: Scope,
                     fingerprint: str) -> tuple[IdempotencyRecord, bool]:
        now = utcnow()
        for _ in range(2):
            await session.exec(delete(IdempotencyRecord).where(
                col(IdempotencyRecord.principal) == principal, col(IdempotencyRecord.key) == key,
                col(IdempotencyRecord.expires_at) < now))
            existing = (await session.exec(select(IdempotencyRecord).where(
                IdempotencyRecord.principal == principal, IdempotencyRecord.key == key))).first()
            if existing is not None:
                return existing, False
            record = IdempotencyRecord(
                principal=principal, key=key, method=scope["method"], path=scope["path"],
                body_hash=fingerprint, expires_at=now + self.ttl,
            )
            session.add(record)
            try:
                await session.commit()
                return record, True
            except IntegrityError:
                await session.rollback()  # a concurrent retry claimed it first: read theirs
        raise RuntimeError("idempotency claim raced twice")

    async def _answer_existing(self, record: IdempotencyRecord, fingerprint: str, scope: Scope,
                               receive: Receive, send: Send) -> None:
        if record.body_hash != fingerprint:
            response: Response = problem_response(
                422, "idempotency-key-reused", "Idempotency-Key reused",
                "This Idempotency-Key was already used with a different request body; "
                "use a new key for a new request.", None)
        elif record.status_code is None:
            response = problem_response(
                409, "idempotency-in-progress", "Request in progress",
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                None, headers={"Retry-After": "1"})
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
