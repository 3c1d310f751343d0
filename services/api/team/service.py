"""Team use cases: members, networks and their owners over time, pillars, routing.
Knows SQL and the rules, not HTTP."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.auth import Principal
from services.api.concurrency import check_if_match
from services.api.db import Direct, Row, utcnow
from services.api.errors import Conflict, NotFound, Unprocessable
from services.api.events import service as events
from services.api.models import Member, MemberRole, Network, NetworkOwnership, Pillar, PillarNetwork
from services.api.pagination import where_given
from services.api.team.schemas import (
    MemberCreate,
    MemberUpdate,
    NetworkCreate,
    NetworkUpdate,
    OwnershipCreate,
    PillarCreate,
    PillarUpdate,
)

OWNER_ROLES = (MemberRole.strategist, MemberRole.manager)


async def get_member(session: AsyncSession, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None:
        raise NotFound(f"No member with id {member_id}.")
    return member


async def _email_taken(session: AsyncSession, email: str, *, other_than: int | None) -> bool:
    stmt = select(Member.id).where(func.lower(Member.email) == email.lower())
    if other_than is not None:
        stmt = stmt.where(Member.id != other_than)
    return (await session.exec(stmt)).first() is not None


async def _commit_unique(session: AsyncSession, what: str) -> None:
    """Commit; a unique-constraint race with another writer becomes a 409, not a 500."""
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(f"{what} already exists.") from exc


async def create_member(session: AsyncSession, data: MemberCreate, *,
                        actor: Principal | None) -> Member:
    if await _email_taken(session, data.email, other_than=None):
        raise Conflict(f"A member with email {data.email} already exists.")
    member = Member(**data.model_dump())
    session.add(member)
    await session.flush()
    await events.record(session, "member.created", "member", member.id,
                        {"name": member.name, "role": member.role}, actor=actor)
    await _commit_unique(session, f"A member with email {data.email}")
    return member


async def update_member(session: AsyncSession, member_id: int, data: MemberUpdate, *,
                        if_match: str, actor: Principal | None) -> Member:
    member = await get_member(session, member_id)
    check_if_match(member, if_match)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("email") and await _email_taken(session, changes["email"], other_than=member_id):
        raise Conflict(f"A member with email {changes['email']} already exists.")
    if (
        changes.get("role") not in (None, *OWNER_ROLES) or changes.get("is_active") is False
    ) and await _owned_networks(session, member_id):
        raise Conflict("This member owns networks; reassign them before changing the role "
                       "or deactivating.")
    for field, value in changes.items():
        setattr(member, field, value)
    member.updated_at = utcnow()
    session.add(member)
    await events.record(session, "member.updated", "member", member.id, changes, actor=actor)
    await _commit_unique(session, "A member with that email")
    return member


def list_members_query(role: MemberRole | None, active: bool | None) -> Any:
    return where_given(select(Member), (Member.role, role), (Member.is_active, active))


# Networks and ownership


async def get_network(session: AsyncSession, slug: str) -> Network:
    network = (await session.exec(select(Network).where(Network.slug == slug))).first()
    if network is None:
        raise NotFound(f"No network with slug '{slug}'.")
    return network


def _owned_on(day: Any) -> Any:
    return (col(NetworkOwnership.starts_on) <= day) & or_(
        col(NetworkOwnership.ends_on).is_(None), col(NetworkOwnership.ends_on) > day
    )


def _networks_with_owners(where: Any) -> Any:
    """Networks with their owner on the `day` parameter (`owner_*` columns, null if none)."""
    return (
        select(Network.slug, Network.name, Network.purpose,  # type: ignore[call-overload]
               Network.audience, Network.version, Network.created_at, Network.updated_at,
               col(Member.id).label("owner_id"), col(Member.name).label("owner_name"),
               col(Member.email).label("owner_email"), col(Member.role).label("owner_role"))
        .outerjoin(NetworkOwnership, (col(NetworkOwnership.network_id) == Network.id)
                   & _owned_on(bindparam("day")))
        .outerjoin(Member, col(Member.id) == NetworkOwnership.member_id)
        .where(where)
    )


# The hottest reads of the API: built once, run directly on the driver (see db.Direct).
NETWORK_WITH_OWNER = _networks_with_owners(Network.slug == bindparam("slug"))
NETWORKS_WITH_OWNERS = _networks_with_owners(
    col(Network.slug).in_(bindparam("slugs", expanding=True)))


async def network_with_owner(direct: Direct, slug: str, day: date) -> Row:
    """The network and its owner on `day`, in one query."""
    row = await direct.one(NETWORK_WITH_OWNER, {"slug": slug, "day": day})
    if row is None:
        raise NotFound(f"No network with slug '{slug}'.")
    return row


async def owners_on(session: AsyncSession, network_ids: Sequence[int],
                    day: date) -> dict[int, Member]:
    """The owner of each network on `day`, in one query."""
    rows = (await session.exec(
        select(NetworkOwnership.network_id, Member)
        .join(Member, col(Member.id) == NetworkOwnership.member_id)
        .where(col(NetworkOwnership.network_id).in_(network_ids), _owned_on(day))
    )).all()
    return {network_id: member for network_id, member in rows}


async def _owned_networks(session: AsyncSession, member_id: int) -> list[int]:
    rows = await session.exec(select(NetworkOwnership.network_id).where(
        NetworkOwnership.member_id == member_id, col(NetworkOwnership.ends_on).is_(None)))
    return list(rows.all())


async def _eligible_owner(session: AsyncSession, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None:
        raise Unprocessable(f"No member with id {member_id} to make owner.")
    if member.role not in OWNER_ROLES or not member.is_active:
        raise Unprocessable(
            f"{member.name} is {'an inactive' if not member.is_active else 'a'} "
            f"{member.role.value}; only an active strategist or manager can own a network."
        )
    return member


async def create_network(session: AsyncSession, data: NetworkCreate, *,
                         actor: Principal | None) -> tuple[Network, Member | None]:
    if (await session.exec(select(Network.id).where(Network.slug == data.slug))).first():
        raise Conflict(f"A network with slug '{data.slug}' already exists.")
    owner = await _eligible_owner(session, data.owner_id) if data.owner_id is not None else None
    network = Network(**data.model_dump(exclude={"owner_id"}))
    session.add(network)
    await session.flush()
    assert network.id is not None
    if owner is not None:
        assert owner.id is not None
        session.add(NetworkOwnership(network_id=network.id, member_id=owner.id,
                                     starts_on=utcnow().date()))
    await events.record(session, "network.created", "network", network.slug,
                        {"owner_id": data.owner_id, "purpose": network.purpose}, actor=actor)
    await _commit_unique(session, f"A network with slug '{data.slug}'")
    return network, owner


async def update_network(session: AsyncSession, slug: str, data: NetworkUpdate, *,
                         if_match: str, actor: Principal | None) -> Network:
    network = await get_network(session, slug)
    check_if_match(network, if_match)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        setattr(network, field, value)
    network.updated_at = utcnow()
    session.add(network)
    await events.record(session, "network.updated", "network", slug, changes, actor=actor)
    await session.commit()
    return network


async def assign_owner(session: AsyncSession, slug: str, data: OwnershipCreate, *,
                       actor: Principal | None) -> tuple[NetworkOwnership, Member]:
    """Hand a network to a new owner from `starts_on`; the previous span is closed, not lost."""
    network = await get_network(session, slug)
    owner = await _eligible_owner(session, data.member_id)
    starts_on = data.starts_on or utcnow().date()
    current = (await session.exec(select(NetworkOwnership).where(
        NetworkOwnership.network_id == network.id, col(NetworkOwnership.ends_on).is_(None)
    ).with_for_update())).first()
    if current is not None:
        if current.member_id == data.member_id:
            raise Conflict(f"{owner.name} already owns {network.name}.")
        if starts_on <= current.starts_on:
            raise Unprocessable(
                f"starts_on must be after {current.starts_on}, when the current ownership "
                "began; history is not rewritten."
            )
        current.ends_on = starts_on
        session.add(current)
    assert network.id is not None and owner.id is not None
    span = NetworkOwnership(network_id=network.id, member_id=owner.id, starts_on=starts_on,
                            note=data.note)
    session.add(span)
    await events.record(session, "network.owner_changed", "network", slug,
                        {"member_id": owner.id, "starts_on": starts_on.isoformat(),
                         "previous_member_id": current.member_id if current else None},
                        actor=actor)
    await session.commit()
    return span, owner


def ownership_history_query(network_id: int) -> Any:
    return (select(NetworkOwnership, Member)
            .join(Member, col(Member.id) == NetworkOwnership.member_id)
            .where(NetworkOwnership.network_id == network_id))


async def route(direct: Direct, slugs: Sequence[str], day: date) -> list[Row]:
    """Who to talk to about each network (rows as `network_with_owner`), in the order asked."""
    wanted = list(dict.fromkeys(slugs))
    found = {r["slug"]: r for r in await direct.all(NETWORKS_WITH_OWNERS,
                                                   {"slugs": wanted, "day": day})}
    unknown = [s for s in wanted if s not in found]
    if unknown:
        raise Unprocessable(f"Unknown network(s): {', '.join(unknown)}.")
    return [found[s] for s in wanted]


# Pillars


async def get_pillar(session: AsyncSession, pillar_id: int) -> tuple[Pillar, list[str]]:
    pillar = await session.get(Pillar, pillar_id)
    if pillar is None:
        raise NotFound(f"No pillar with id {pillar_id}.")
    return pillar, (await pillar_networks(session, [pillar_id]))[pillar_id]


async def pillar_networks(session: AsyncSession, pillar_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {pid: [] for pid in pillar_ids}
    rows = await session.exec(
        select(PillarNetwork.pillar_id, Network.slug)
        .join(Network, col(Network.id) == PillarNetwork.network_id)
        .where(col(PillarNetwork.pillar_id).in_(pillar_ids)).order_by(col(Network.slug)))
    for pillar_id, slug in rows.all():
        found[pillar_id].append(slug)
    return found


async def _network_ids(session: AsyncSession, slugs: Sequence[str]) -> list[int]:
    networks = {n.slug: n.id for n in (await session.exec(
        select(Network).where(col(Network.slug).in_(slugs)))).all()}
    unknown = [s for s in slugs if s not in networks]
    if unknown:
        raise Unprocessable(f"Unknown network(s): {', '.join(unknown)}.")
    return [nid for nid in networks.values() if nid is not None]


async def create_pillar(session: AsyncSession, data: PillarCreate, *,
                        actor: Principal | None) -> tuple[Pillar, list[str]]:
    network_ids = await _network_ids(session, data.networks)
    if (await session.exec(select(Pillar.id).where(
            Pillar.quarter == data.quarter, Pillar.name == data.name))).first():
        raise Conflict(f"{data.quarter} already has a pillar named '{data.name}'.")
    pillar = Pillar(**data.model_dump(exclude={"networks"}))
    session.add(pillar)
    await session.flush()
    assert pillar.id is not None
    session.add_all([PillarNetwork(pillar_id=pillar.id, network_id=n) for n in network_ids])
    await events.record(session, "pillar.created", "pillar", pillar.id,
                        {"quarter": pillar.quarter, "name": pillar.name}, actor=actor)
    await _commit_unique(session, f"A pillar named '{data.name}' in {data.quarter}")
    return pillar, sorted(set(data.networks))


async def update_pillar(session: AsyncSession, pillar_id: int, data: PillarUpdate, *,
                        if_match: str, actor: Principal | None) -> tuple[Pillar, list[str]]:
    pillar, slugs = await get_pillar(session, pillar_id)
    check_if_match(pillar, if_match)
    changes = data.model_dump(exclude_unset=True)
    if "networks" in changes:
        network_ids = await _network_ids(session, changes["networks"])
        await session.exec(delete(PillarNetwork).where(
            col(PillarNetwork.pillar_id) == pillar_id))
        session.add_all([PillarNetwork(pillar_id=pillar_id, network_id=n) for n in network_ids])
        slugs = sorted(set(changes.pop("networks")))
    for field, value in changes.items():
        setattr(pillar, field, value)
    pillar.updated_at = utcnow()
    session.add(pillar)
    await events.record(session, "pillar.updated", "pillar", pillar_id,
                        data.model_dump(exclude_unset=True), actor=actor)
    await _commit_unique(session, "A pillar with that name in this quarter")
    return pillar, slugs


async def delete_pillar(session: AsyncSession, pillar_id: int, *, if_match: str,
                        actor: Principal | None) -> None:
    pillar, _ = await get_pillar(session, pillar_id)
    check_if_match(pillar, if_match)
    await session.exec(delete(PillarNetwork).where(
        col(PillarNetwork.pillar_id) == pillar_id))
    await session.delete(pillar)
    await events.record(session, "pillar.deleted", "pillar", pillar_id,
                        {"quarter": pillar.quarter, "name": pillar.name}, actor=actor)
    await session.commit()
