"""API key use cases: issue (the secret is returned once), list, revoke."""

from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.auth import SCOPES, Principal, hash_secret, new_secret
from services.api.db import utcnow
from services.api.errors import NotFound, Unprocessable
from services.api.events import service as events
from services.api.models import ApiKey, Member, Role


async def issue_key(session: AsyncSession, *, name: str, role: Role, member_id: int | None,
                    scopes: list[str], actor: Principal | None) -> tuple[ApiKey, str]:
    """Create a key. People keys belong to a member of the same role (stakeholder and
    strategist keys must); service keys carry scopes instead."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise Unprocessable(f"Unknown scope(s): {', '.join(unknown)}; known: {', '.join(SCOPES)}.")
    if role == Role.service:
        if member_id is not None:
            raise Unprocessable("A service key does not belong to a member.")
        if not scopes:
            raise Unprocessable("A service key needs at least one scope.")
    else:
        if scopes:
            raise Unprocessable("Only service keys carry scopes; people keys act by role.")
        if member_id is None and role != Role.manager:
            raise Unprocessable(f"A {role.value} key must belong to a member (member_id; "
                                    "--member-email on the command line).")
        if member_id is not None:
            member = await session.get(Member, member_id)
            if member is None:
                raise Unprocessable(f"No member with id {member_id}.")
            if member.role.value != role.value:
                raise Unprocessable(f"{member.name} is a {member.role.value}, not a {role.value}.")
    secret = new_secret()
    key = ApiKey(name=name, role=role, member_id=member_id, scopes=sorted(set(scopes)),
                 prefix=secret[:10], secret_hash=hash_secret(secret))
    session.add(key)
    await session.flush()
    await events.record(session, "api_key.created", "api_key", key.id,
                        {"name": name, "role": role.value}, actor=actor)
    await session.commit()
    return key, secret


async def revoke_key(session: AsyncSession, key_id: int, *, actor: Principal | None) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No API key with id {key_id}.")
    if key.revoked_at is None:  # revoking twice is a no-op, so retries are safe
        key.revoked_at = utcnow()
        session.add(key)
        await events.record(session, "api_key.revoked", "api_key", key.id, {}, actor=actor)
        await session.commit()
    return key
