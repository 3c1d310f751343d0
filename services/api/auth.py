"""Who is calling: bearer API keys, roles and scopes, as `Annotated` dependency aliases."""

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import bindparam, update
from sqlmodel import col, select

from services.api.db import Direct, utcnow
from services.api.errors import Forbidden, Unauthorized
from services.api.models import ApiKey, Role

KEY_PREFIX = "sp_"
# Recording every use would turn each read into a write; a minute's precision is plenty.
LAST_USED_PRECISION = timedelta(seconds=60)

SCOPES = {
    "experiments:read": "Read experiments and their per-arm aggregates.",
    "verdicts:write": "Write verdicts on experiments.",
    "observations:write": "Send observations (per-post counts) to running experiments.",
    "events:read": "Read the event feed.",
    "metrics:write": "Upsert posts and their metric snapshots (collectors).",
    "reports:read": "Read posts, metrics and reports (BI dashboards).",
}


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    # A 256-bit random secret needs no slow hash: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


# Run on every request, so built once and run directly on the driver (see db.Direct).
KEY_BY_HASH = select(  # type: ignore[call-overload]
    ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.member_id, ApiKey.scopes, ApiKey.revoked_at,
    ApiKey.last_used_at,
).where(ApiKey.secret_hash == bindparam("secret_hash"))
TOUCH_KEY = (update(ApiKey).where(col(ApiKey.id) == bindparam("key_id"))
             .values(last_used_at=bindparam("now")))


@dataclass(frozen=True)
class Principal:
    key_id: int
    name: str
    role: Role
    member_id: int | None
    scopes: frozenset[str]

    @property
    def is_manager(self) -> bool:
        return self.role == Role.manager


class KeyCache:
    """Who each recently seen valid key is, for `ttl` seconds (0 turns it off).

    Looking the key up was half the CPU of a one-row read. The price is bounded staleness:
    revoking evicts the key from the cache of the process that served the revocation, so it
    gets 401 at once there, and within `ttl` seconds in any other worker process."""

    MAX_ENTRIES = 10_000

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}
        # Bumped by every eviction: a lookup that started before a revocation must not put
        # the revoked key back once the revocation has evicted it.
        self.generation = 0

    def get(self, secret_hash: str) -> Principal | None:
        entry = self._entries.get(secret_hash)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[secret_hash]
            return None
        return entry[1]

    def put(self, secret_hash: str, principal: Principal, *, looked_up_at: int) -> None:
        """Keep `principal`, read from the database when `generation` was `looked_up_at`."""
        if self.ttl <= 0 or looked_up_at != self.generation:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[secret_hash] = (time.monotonic() + self.ttl, principal)

    def evict(self, key_id: int) -> None:
        self.generation += 1
        for secret_hash, (_, principal) in list(self._entries.items()):
            if principal.key_id == key_id:
                del self._entries[secret_hash]


async def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    challenge = {"WWW-Authenticate": 'Bearer realm="social-priorities"'}
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>`.", headers=challenge)
    secret_hash = hash_secret(secret)
    cache: KeyCache = request.app.state.key_cache
    if (principal := cache.get(secret_hash)) is not None:
        return principal
    direct: Direct = request.app.state.direct
    looked_up_at = cache.generation
    key = await direct.one(KEY_BY_HASH, {"secret_hash": secret_hash})
    if key is None or key["revoked_at"] is not None:
        raise Unauthorized("This API key is unknown or has been revoked.", headers=challenge)
    now = utcnow()
    if key["last_used_at"] is None or now - key["last_used_at"] > LAST_USED_PRECISION:
        await direct.run(TOUCH_KEY, {"key_id": key["id"], "now": now})
    principal = Principal(key["id"], key["name"], Role(key["role"]), key["member_id"],
                          frozenset(key["scopes"]))
    cache.put(secret_hash, principal, looked_up_at=looked_up_at)
    return principal


def require(*roles: Role, scope: str | None = None) -> Principal:
    """A dependency admitting the given people roles, and service keys holding `scope`."""

    async def check(request: Request) -> Principal:
        # authenticate is called, not declared as a sub-dependency: one resolution per request
        # less, on every request.
        principal = await authenticate(request)
        if principal.role == Role.service:
            if scope is None or scope not in principal.scopes:
                raise Forbidden(f"A service key needs the `{scope}` scope for this."
                                if scope else "Service keys may not do this.")
        elif principal.role not in roles:
            allowed = ", ".join(r.value for r in roles) or "no person"
            raise Forbidden(
                f"The {principal.role.value} role may not do this (allowed: {allowed})."
            )
        return principal

    return Depends(check)  # type: ignore[no-any-return]


AnyKey = Annotated[Principal, Depends(authenticate)]
PersonKey = Annotated[Principal, require(Role.stakeholder, Role.strategist, Role.manager)]
StaffKey = Annotated[Principal, require(Role.strategist, Role.manager)]
ManagerKey = Annotated[Principal, require(Role.manager)]
ExperimentReaderKey = Annotated[
    Principal,
    require(Role.stakeholder, Role.strategist, Role.manager, scope="experiments:read"),
]
ObservationWriterKey = Annotated[
    Principal, require(Role.strategist, Role.manager, scope="observations:write")
]
VerdictWriterKey = Annotated[Principal, require(scope="verdicts:write")]
EventReaderKey = Annotated[
    Principal, require(Role.strategist, Role.manager, scope="events:read")
]
MetricsWriterKey = Annotated[
    Principal, require(Role.strategist, Role.manager, scope="metrics:write")
]
ReportReaderKey = Annotated[
    Principal, require(Role.stakeholder, Role.strategist, Role.manager, scope="reports:read")
]
