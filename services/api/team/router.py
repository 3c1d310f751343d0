"""HTTP for the team: members, networks and their owners, pillars, and routing."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import col, select

from services.api.auth import ManagerKey, PersonKey
from services.api.concurrency import IfMatch, etag, etag_of
from services.api.db import Row, SessionDep, utcnow
from services.api.errors import problems
from services.api.models import Member, MemberRole, Network, NetworkOwnership, Pillar, Purpose
from services.api.pagination import CursorParam, Limit, paginate
from services.api.team import service
from services.api.team.schemas import (
    QUARTER_PATTERN,
    SLUG_PATTERN,
    MemberCreate,
    MemberPublic,
    MemberSummary,
    MemberUpdate,
    NetworkCreate,
    NetworkPublic,
    NetworkUpdate,
    OwnershipCreate,
    OwnershipPublic,
    PillarCreate,
    PillarPublic,
    PillarUpdate,
    Route,
    Routing,
)
from shared.schemas import Page
from shared.schemas.bounds import DayParam, IdParam

router = APIRouter(prefix="/v1")

def _member(m: Member) -> MemberPublic:
    return MemberPublic.model_validate(m, from_attributes=True)


def _summary(m: Member | None) -> MemberSummary | None:
    return MemberSummary.model_validate(m, from_attributes=True) if m else None


def _network(n: Network, owner: Member | None) -> NetworkPublic:
    return NetworkPublic(slug=n.slug, name=n.name, purpose=n.purpose, audience=n.audience,
                         owner=_summary(owner), created_at=n.created_at, updated_at=n.updated_at)


def _owner_of(row: Row) -> MemberSummary | None:
    """The owner from a `service.network_with_owner` row."""
    if row["owner_id"] is None:
        return None
    return MemberSummary(id=row["owner_id"], name=row["owner_name"], email=row["owner_email"],
                         role=row["owner_role"])


def _pillar(p: Pillar, networks: list[str]) -> PillarPublic:
    return PillarPublic(id=p.id or 0, quarter=p.quarter, name=p.name, description=p.description,
                        networks=networks, audiences=p.audiences, created_at=p.created_at,
                        updated_at=p.updated_at)


# Networks, their owners and routing (first: routes match in order, these are the hottest)


@router.post("/networks", status_code=201, tags=["networks"], summary="Add a network",
             responses=problems(401, 403, 409, 422))
async def create_network(body: NetworkCreate, session: SessionDep, me: ManagerKey,
                         response: Response) -> NetworkPublic:
    """Manager only. Adds a network with its purpose, audience and first owner; answers with its
    `ETag` and `Location`. A slug already taken is a 409."""
    network, owner = await service.create_network(session, body, actor=me)
    response.headers["ETag"] = etag(network)
    response.headers["Location"] = f"/v1/networks/{network.slug}"
    return _network(network, owner)


@router.get("/networks", tags=["networks"], summary="List networks",
            responses=problems(401, 403, 422))
async def list_networks(session: SessionDep, _: PersonKey, request: Request, response: Response,
                        purpose: Purpose | None = None, limit: Limit = 50,
                        cursor: CursorParam = None) -> Page[NetworkPublic]:
    """Networks by slug, each with its current owner."""
    stmt = select(Network)
    if purpose is not None:
        stmt = stmt.where(Network.purpose == purpose)
    page = await paginate(session, stmt, order=[(col(Network.slug), False)],
                          key=lambda n: [n.slug], convert=lambda n: n, limit=limit,
                          cursor=cursor, request=request, response=response)
    owners = await service.owners_on(session, [n.id for n in page.items], utcnow().date())
    return Page[NetworkPublic](items=[_network(n, owners.get(n.id)) for n in page.items],
                               next=page.next)


@router.get("/networks/{slug}", tags=["networks"], summary="Read a network and its owner",
            responses=problems(401, 403, 404))
async def read_network(slug: str, _: PersonKey, request: Request,
                       response: Response) -> NetworkPublic:
    """The network with its current owner: who to talk to about it."""
    row = await service.network_with_owner(request.app.state.direct, slug, utcnow().date())
    response.headers["ETag"] = etag_of(row["version"])
    return NetworkPublic(slug=row["slug"], name=row["name"], purpose=row["purpose"],
                         audience=row["audience"], owner=_owner_of(row),
                         created_at=row["created_at"], updated_at=row["updated_at"])


@router.patch("/networks/{slug}", tags=["networks"], summary="Change a network",
              responses=problems(401, 403, 404, 412, 422, 428))
async def update_network(slug: str, body: NetworkUpdate, session: SessionDep, me: ManagerKey,
                         if_match: IfMatch, response: Response) -> NetworkPublic:
    """Manager only. Changes the fields you send; send the `ETag` you read as `If-Match`. Owners
    change through `POST /v1/networks/{slug}/owners`, which keeps the history."""
    network = await service.update_network(session, slug, body, if_match=if_match, actor=me)
    owners = await service.owners_on(session, [network.id or 0], utcnow().date())
    response.headers["ETag"] = etag(network)
    return _network(network, owners.get(network.id or 0))


@router.post("/networks/{slug}/owners", status_code=201, tags=["networks"],
             summary="Hand a network to a new owner", responses=problems(401, 403, 404, 409, 422))
async def assign_owner(slug: str, body: OwnershipCreate, session: SessionDep,
                       me: ManagerKey) -> OwnershipPublic:
    """From `starts_on`, the member owns the network; the previous ownership is kept in the
    history. Only an active strategist or manager can own a network."""
    span, owner = await service.assign_owner(session, slug, body, actor=me)
    return OwnershipPublic(network=slug, owner=MemberSummary.model_validate(
        owner, from_attributes=True), starts_on=span.starts_on, ends_on=span.ends_on,
        note=span.note)


@router.get("/networks/{slug}/owners", tags=["networks"], summary="Ownership history",
            responses=problems(401, 403, 404, 422))
async def list_owners(slug: str, session: SessionDep, _: PersonKey, request: Request,
                      response: Response, on: DayParam | None = None, limit: Limit = 50,
                      cursor: CursorParam = None) -> Page[OwnershipPublic]:
    """Who owned the network when, newest first. With `on`, only the owner on that day."""
    network = await service.get_network(session, slug)
    stmt = service.ownership_history_query(network.id or 0)
    if on is not None:
        stmt = stmt.where(service._owned_on(on))
    return await paginate(
        session, stmt, order=[(col(NetworkOwnership.starts_on), True),
                              (col(NetworkOwnership.id), True)],
        key=lambda r: [r[0].starts_on, r[0].id],
        convert=lambda r: OwnershipPublic(
            network=slug, owner=MemberSummary.model_validate(r[1], from_attributes=True),
            starts_on=r[0].starts_on, ends_on=r[0].ends_on, note=r[0].note),
        limit=limit, cursor=cursor, request=request, response=response)


@router.get("/routing", tags=["networks"], summary="Who owns these networks?",
            responses=problems(401, 403, 422))
async def route_networks(
    _: PersonKey, request: Request,
    network: Annotated[list[Annotated[str, Query(pattern=SLUG_PATTERN)]],
                       Query(min_length=1, max_length=50,
                             description="Network slugs; repeat the parameter.")],
    on: Annotated[DayParam | None,
                  Query(description="The day to route for; default today.")] = None,
) -> Routing:
    """The owner of each network, in the order asked: who to talk to about TikTok."""
    day = on or utcnow().date()
    rows = await service.route(request.app.state.direct, network, day)
    return Routing(on=day, routes=[Route(network=r["slug"], purpose=r["purpose"],
                                         owner=_owner_of(r)) for r in rows])


# Members


@router.post("/members", status_code=201, tags=["team"], summary="Add a member",
             responses=problems(401, 403, 409, 422))
async def create_member(body: MemberCreate, session: SessionDep, me: ManagerKey,
                        response: Response) -> MemberPublic:
    """Add a stakeholder, strategist or manager. Emails are unique (case-insensitive)."""
    member = await service.create_member(session, body, actor=me)
    response.headers["ETag"] = etag(member)
    response.headers["Location"] = f"/v1/members/{member.id}"
    return _member(member)


@router.get("/members", tags=["team"], summary="List members",
            responses=problems(401, 403, 422))
async def list_members(session: SessionDep, _: PersonKey, request: Request, response: Response,
                       role: MemberRole | None = None, active: bool | None = None,
                       limit: Limit = 50, cursor: CursorParam = None) -> Page[MemberPublic]:
    """Members in id order, optionally only one role or only (in)active ones."""
    return await paginate(session, service.list_members_query(role, active),
                          order=[(col(Member.id), False)], key=lambda m: [m.id],
                          convert=_member, limit=limit, cursor=cursor, request=request,
                          response=response)


@router.get("/members/{member_id:int}", tags=["team"], summary="Read a member",
            responses=problems(401, 403, 404))
async def read_member(member_id: IdParam, session: SessionDep, _: PersonKey,
                      response: Response) -> MemberPublic:
    """Any person's key. The member with their role, time zone and weekly capacity, and an `ETag`
    for `PATCH`."""
    member = await service.get_member(session, member_id)
    response.headers["ETag"] = etag(member)
    return _member(member)


@router.patch("/members/{member_id:int}", tags=["team"], summary="Change a member",
              responses=problems(401, 403, 404, 409, 412, 422, 428))
async def update_member(member_id: IdParam, body: MemberUpdate, session: SessionDep, me: ManagerKey,
                        if_match: IfMatch, response: Response) -> MemberPublic:
    """Change fields you send; send the ETag you read as If-Match."""
    member = await service.update_member(session, member_id, body, if_match=if_match, actor=me)
    response.headers["ETag"] = etag(member)
    return _member(member)


# Pillars


@router.post("/pillars", status_code=201, tags=["pillars"], summary="Add a strategy pillar",
             responses=problems(401, 403, 409, 422))
async def create_pillar(body: PillarCreate, session: SessionDep, me: ManagerKey,
                        response: Response) -> PillarPublic:
    """Manager only. A content pillar for a quarter, with the networks and audiences it serves;
    requests are checked against the pillars of their quarter. The same name twice in a
    quarter is a 409."""
    pillar, networks = await service.create_pillar(session, body, actor=me)
    response.headers["ETag"] = etag(pillar)
    response.headers["Location"] = f"/v1/pillars/{pillar.id}"
    return _pillar(pillar, networks)


@router.get("/pillars", tags=["pillars"], summary="List strategy pillars",
            responses=problems(401, 403, 422))
async def list_pillars(
    session: SessionDep, _: PersonKey, request: Request, response: Response,
    quarter: Annotated[str | None, Query(pattern=QUARTER_PATTERN,
                                         examples=["2026-Q4"])] = None,
    limit: Limit = 50, cursor: CursorParam = None,
) -> Page[PillarPublic]:
    """Any person's key. Pillars, optionally of one `quarter`."""
    stmt = select(Pillar)
    if quarter is not None:
        stmt = stmt.where(Pillar.quarter == quarter)
    page = await paginate(session, stmt, order=[(col(Pillar.id), False)], key=lambda p: [p.id],
                          convert=lambda p: p, limit=limit, cursor=cursor, request=request,
                          response=response)
    networks = await service.pillar_networks(session, [p.id for p in page.items])
    return Page[PillarPublic](items=[_pillar(p, networks[p.id]) for p in page.items],
                              next=page.next)


@router.get("/pillars/{pillar_id:int}", tags=["pillars"], summary="Read a pillar",
            responses=problems(401, 403, 404))
async def read_pillar(pillar_id: IdParam, session: SessionDep, _: PersonKey,
                      response: Response) -> PillarPublic:
    """Any person's key. The pillar with its networks and audiences, and an `ETag` for `PATCH` and
    `DELETE`."""
    pillar, networks = await service.get_pillar(session, pillar_id)
    response.headers["ETag"] = etag(pillar)
    return _pillar(pillar, networks)


@router.patch("/pillars/{pillar_id:int}", tags=["pillars"], summary="Change a pillar",
              responses=problems(401, 403, 404, 409, 412, 422, 428))
async def update_pillar(pillar_id: IdParam, body: PillarUpdate, session: SessionDep, me: ManagerKey,
                        if_match: IfMatch, response: Response) -> PillarPublic:
    """Manager only. Changes the fields you send; send the `ETag` you read as `If-Match`."""
    pillar, networks = await service.update_pillar(session, pillar_id, body, if_match=if_match,
                                                   actor=me)
    response.headers["ETag"] = etag(pillar)
    return _pillar(pillar, networks)


@router.delete("/pillars/{pillar_id:int}", status_code=204, tags=["pillars"],
               summary="Delete a pillar", responses=problems(401, 403, 404, 412, 428))
async def delete_pillar(pillar_id: IdParam, session: SessionDep, me: ManagerKey,
                        if_match: IfMatch) -> None:
    """Manager only. Send the `ETag` you read as `If-Match`."""
    await service.delete_pillar(session, pillar_id, if_match=if_match, actor=me)

