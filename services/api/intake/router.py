"""HTTP for requests: intake, triage, moves, history, progress updates, blockers and the
team-wide blocked and overdue views."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import col, select

from services.api.auth import ManagerKey, PersonKey, StaffKey
from services.api.concurrency import etag
from services.api.db import SessionDep, utcnow
from services.api.errors import problems
from services.api.intake import service
from services.api.intake.schemas import (
    AlternativeProposal,
    BlockedItem,
    BlockerCreate,
    BlockerPublic,
    BlockerResolve,
    RequestCreate,
    RequestExperiment,
    RequestPublic,
    RequestSummary,
    RequestVerdict,
    TransitionCreate,
    TransitionPublic,
    TriageCreate,
    TriagePublic,
    UpdateCreate,
    UpdatePublic,
)
from services.api.models import (
    Blocker,
    Experiment,
    Member,
    RequestStatus,
    RequestTransition,
    RequestUpdate,
    Verdict,
)
from services.api.models import Request as RequestRow
from services.api.pagination import CursorParam, Limit, paginate
from services.api.team.schemas import MemberSummary
from shared.schemas import Page
from shared.schemas.bounds import IdParam

router = APIRouter(prefix="/v1/requests", tags=["requests"])


def _summary(m: Member | None) -> MemberSummary | None:
    return MemberSummary.model_validate(m, from_attributes=True) if m else None


def _blocker(b: Blocker) -> BlockerPublic:
    return BlockerPublic.model_validate(b, from_attributes=True)


def _update(u: RequestUpdate) -> UpdatePublic:
    return UpdatePublic(id=u.id or 0, request_id=u.request_id, note=u.note,
                        done_count=u.done_count, total_count=u.total_count, unit=u.unit,
                        progress=service.progress(u), author_member_id=u.author_member_id,
                        next_update_due_at=u.next_update_due_at, created_at=u.created_at)


async def _public(session: SessionDep, r: RequestRow, response: Response) -> RequestPublic:
    owner = await session.get(Member, r.owner_id) if r.owner_id else None
    latest = await service.latest_update(session, r.id or 0)
    triage = None
    if r.decision is not None and r.triaged_at is not None:
        triage = TriagePublic(
            decision=r.decision, rationale=r.rationale,
            alternative=AlternativeProposal(**r.alternative) if r.alternative else None,
            would_help=r.would_help, would_help_note=r.would_help_note,
            effort_hours=r.effort_hours, earliest_start_at=r.earliest_start_at,
            triaged_at=r.triaged_at)
    response.headers["ETag"] = etag(r)
    return RequestPublic(
        id=r.id or 0, title=r.title, description=r.description, goal=r.goal,
        audience=r.audience, networks=r.networks, pillar_ids=r.pillar_ids,
        desired_publish_at=r.desired_publish_at, deadline_at=r.deadline_at,
        assets=r.assets, context=r.context, department=r.department,
        requester_id=r.requester_id, owner=_summary(owner), status=r.status,
        allowed_moves=list(service.ALLOWED[r.status]),
        needs_strategy_review=r.needs_strategy_review, review_reasons=r.review_reasons,
        triage=triage, next_update_due_at=r.next_update_due_at,
        open_blockers=[_blocker(b) for b in await service.open_blockers(session, r.id or 0)],
        latest_update=_update(latest) if latest else None,
        experiments=[_experiment(e, v)
                     for e, v in await service.experiments_of(session, r.id or 0)],
        created_at=r.created_at, updated_at=r.updated_at)


def _experiment(e: Experiment, v: Verdict | None) -> RequestExperiment:
    verdict = None if v is None else RequestVerdict(
        decision=v.decision, winner=v.winner, summary=v.summary, metric=v.metric,
        effect=v.effect, ci_low=v.ci_low, ci_high=v.ci_high, p_value=v.p_value,
        method=v.method, is_conclusive=v.is_conclusive, decided_at=v.created_at)
    return RequestExperiment(id=e.id or 0, name=e.name, state=e.state, verdict=verdict)


def _row_summary(r: Any) -> RequestSummary:
    return RequestSummary.model_validate(r._mapping)


@router.post("", status_code=201, summary="Submit a request",
             responses=problems(401, 403, 409, 422))
async def submit_request(body: RequestCreate, session: SessionDep, me: PersonKey,
                         response: Response) -> RequestPublic:
    """The intake form. The request is routed to the owner, on the desired publish date (or
    the deadline), of the **first network listed** (the primary network), whoever owns the
    others. It is flagged for strategy review, with the reasons, when no pillar of that
    quarter serves its networks, when a pillar it claims does not serve them, or when its
    audience shares no word with the networks' and pillars' audiences."""
    request = await service.submit_request(session, body, principal=me)
    response.headers["Location"] = f"/v1/requests/{request.id}"
    return await _public(session, request, response)


@router.get("", summary="List requests", responses=problems(401, 403, 422))
async def list_requests(
    session: SessionDep, me: PersonKey, request: Request, response: Response,
    owner_id: IdParam | None = None, requester_id: IdParam | None = None,
    status: RequestStatus | None = None,
    open: Annotated[bool | None, Query(description="Only open (or only closed) requests.")] = None,
    network: Annotated[str | None, Query(description="Primary network slug.")] = None,
    limit: Limit = 50, cursor: CursorParam = None,
) -> Page[RequestSummary]:
    """Newest first. A stakeholder sees only their own requests; a strategist those routed to
    them or whose primary network they own; the manager all."""
    stmt = await service.list_requests_query(session, me, owner_id=owner_id,
                                             requester_id=requester_id, status=status,
                                             is_open=open, network=network)
    return await paginate(session, stmt, order=[(col(RequestRow.id), True)],
                          key=lambda r: [r.id], convert=_row_summary, limit=limit,
                          cursor=cursor, request=request, response=response)


@router.get("/blocked", summary="Blocked work, team-wide", responses=problems(401, 403, 422))
async def list_blocked(session: SessionDep, _: StaffKey, request: Request, response: Response,
                       limit: Limit = 50, cursor: CursorParam = None) -> Page[BlockedItem]:
    """Every open blocker with its request and owner, oldest blocker first."""
    page = await paginate(session, service.blocked_query(), order=[(col(Blocker.id), False)],
                          key=lambda r: [r[0].id], convert=lambda r: r, limit=limit,
                          cursor=cursor, request=request, response=response)
    owners = await service.members(session, [r.owner_id for _, r in page.items])
    return Page[BlockedItem](items=[
        BlockedItem(blocker=_blocker(b), request_id=r.id or 0, request_title=r.title,
                    owner=_summary(owners.get(r.owner_id or 0))) for b, r in page.items],
        next=page.next)


@router.get("/overdue-updates", summary="Requests whose progress update is overdue",
            responses=problems(401, 403, 422))
async def list_overdue(session: SessionDep, _: ManagerKey, request: Request,
                       response: Response, limit: Limit = 50,
                       cursor: CursorParam = None) -> Page[RequestSummary]:
    """Open requests past their `next_update_due_at`, most overdue first. Manager only."""
    return await paginate(session, service.overdue_query(utcnow()),
                          order=[(col(RequestRow.next_update_due_at), False),
                                 (col(RequestRow.id), False)],
                          key=lambda r: [r.next_update_due_at, r.id], convert=_row_summary,
                          limit=limit, cursor=cursor, request=request, response=response)


@router.get("/{request_id:int}", summary="Read a request", responses=problems(401, 403, 404))
async def read_request(request_id: IdParam, session: SessionDep, me: PersonKey,
                       response: Response) -> RequestPublic:
    """The request with its owner, strategy-review flags, the triage decision written for the
    stakeholder, open blockers and the latest progress. 404 for a request you may not see."""
    return await _public(session, await service.get_request(session, request_id, me), response)


@router.post("/{request_id:int}/triage", summary="Triage a request",
             responses=problems(401, 403, 404, 409, 422))
async def triage_request(request_id: IdParam, body: TriageCreate, session: SessionDep,
                         me: StaffKey, request: Request, response: Response) -> RequestPublic:
    """Accept, compromise, redirect or decline: by the owner of the request or the manager
    (403 for anyone else). Anything but an accept needs a `rationale` for the stakeholder; it
    may carry an `alternative` (another network, a reduced scope, or an `ab_test`), what
    would have made it work, and an effort estimate. Without `earliest_start_at`, the earliest
    slot is computed from the owner's plan (their time blocks, after the work already
    planned). An accept or a compromise puts a work item on the owner's queue (effort from
    the estimate, 2h without one); a compromise whose alternative is an `ab_test` also
    creates a draft experiment, team's variant against the stakeholder's, listed under
    `experiments`. A redirect re-routes the request to that network's owner."""
    row = await service.triage(session, request_id, body, principal=me,
                               cadence_days=request.app.state.settings.update_cadence_days)
    return await _public(session, row, response)


@router.post("/{request_id:int}/transitions", summary="Move a request",
             responses=problems(401, 403, 404, 409, 422))
async def move_request(request_id: IdParam, body: TransitionCreate, session: SessionDep,
                       me: PersonKey, response: Response) -> RequestPublic:
    """Move to another status: submitted → triaged/declined (by triage) → planned →
    in_progress → published → done, blocked by adding blockers, withdrawn from any open
    status. A forbidden move is a 409 naming the allowed ones. The requester may withdraw;
    the owner or the manager makes the other moves."""
    row = await service.transition(session, request_id, body, principal=me)
    return await _public(session, row, response)


@router.get("/{request_id:int}/history", summary="History of a request's moves",
            responses=problems(401, 403, 404, 422))
async def request_history(request_id: IdParam, session: SessionDep, me: PersonKey,
                          request: Request, response: Response, limit: Limit = 50,
                          cursor: CursorParam = None) -> Page[TransitionPublic]:
    """Every move: who, when, from, to, oldest first."""
    await service.get_request(session, request_id, me)
    return await paginate(session, service.history_query(request_id),
                          order=[(col(RequestTransition.id), False)], key=lambda t: [t.id],
                          convert=lambda t: TransitionPublic.model_validate(
                              t, from_attributes=True),
                          limit=limit, cursor=cursor, request=request, response=response)


@router.post("/{request_id:int}/updates", status_code=201, summary="Post a progress update",
             responses=problems(401, 403, 404, 409, 422))
async def post_update(request_id: IdParam, body: UpdateCreate, session: SessionDep,
                      me: StaffKey, request: Request) -> UpdatePublic:
    """A note, optionally with counts ("3 of 5 videos"). Moves the request's
    `next_update_due_at` (to the date you give, or a few days from now)."""
    update = await service.add_update(
        session, request_id, body, principal=me,
        cadence_days=request.app.state.settings.update_cadence_days)
    return _update(update)


@router.get("/{request_id:int}/updates", summary="Progress updates of a request",
            responses=problems(401, 403, 404, 422))
async def list_updates(request_id: IdParam, session: SessionDep, me: PersonKey, request: Request,
                       response: Response, limit: Limit = 50,
                       cursor: CursorParam = None) -> Page[UpdatePublic]:
    """Newest first."""
    await service.get_request(session, request_id, me)
    return await paginate(session, service.updates_query(request_id),
                          order=[(col(RequestUpdate.id), True)], key=lambda u: [u.id],
                          convert=_update, limit=limit, cursor=cursor, request=request,
                          response=response)


@router.post("/{request_id:int}/blockers", status_code=201, summary="Block a request",
             responses=problems(401, 403, 404, 409, 422))
async def add_blocker(request_id: IdParam, body: BlockerCreate, session: SessionDep,
                      me: StaffKey) -> BlockerPublic:
    """Say what the request waits on and on whom; accepted work becomes `blocked` and shows in
    the team-wide blocked view until every blocker is resolved."""
    return _blocker(await service.add_blocker(session, request_id, body, principal=me))


@router.get("/{request_id:int}/blockers", summary="Blockers of a request",
            responses=problems(401, 403, 404, 422))
async def list_blockers(request_id: IdParam, session: SessionDep, me: PersonKey, request: Request,
                        response: Response, limit: Limit = 50,
                        cursor: CursorParam = None) -> Page[BlockerPublic]:
    """Open and resolved blockers, oldest first."""
    await service.get_request(session, request_id, me)
    stmt = select(Blocker).where(Blocker.request_id == request_id)
    return await paginate(session, stmt, order=[(col(Blocker.id), False)], key=lambda b: [b.id],
                          convert=_blocker, limit=limit, cursor=cursor, request=request,
                          response=response)


@router.post("/{request_id:int}/blockers/{blocker_id:int}/resolve", summary="Resolve a blocker",
             responses=problems(401, 403, 404, 409, 422))
async def resolve_blocker(request_id: IdParam, blocker_id: IdParam, body: BlockerResolve,
                          session: SessionDep, me: StaffKey) -> BlockerPublic:
    """Close a blocker; when none is left, the request returns to the status it had."""
    return _blocker(await service.resolve_blocker(session, request_id, blocker_id, body,
                                                  principal=me))
