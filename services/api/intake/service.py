"""Intake use cases: submitting and routing requests, the strategy check, triage, the
lifecycle, progress updates and blockers. Knows SQL and the rules, not HTTP."""

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api import clock
from services.api.auth import Principal
from services.api.db import utcnow
from services.api.errors import Forbidden, InvalidTransition, NotFound, Unprocessable
from services.api.events import service as events
from services.api.experiments import service as experiments
from services.api.experiments.schemas import ArmCreate, ExperimentCreate
from services.api.intake.schemas import (
    Alternative,
    AlternativeProposal,
    BlockerCreate,
    BlockerResolve,
    RequestCreate,
    TransitionCreate,
    TriageCreate,
    UpdateCreate,
)
from services.api.models import (
    Blocker,
    Decision,
    Experiment,
    Member,
    Network,
    NetworkOwnership,
    Pillar,
    PillarNetwork,
    Request,
    RequestStatus,
    RequestTransition,
    RequestUpdate,
    Role,
    Verdict,
    WorkItem,
    WorkItemStatus,
)
from services.api.pagination import where_given
from services.api.planning import service as planning
from services.api.team import service as team
from shared.schemas.experiments import ArmRole, Metric

S = RequestStatus
ALLOWED: dict[RequestStatus, tuple[RequestStatus, ...]] = {
    S.submitted: (S.triaged, S.declined, S.withdrawn),
    S.triaged: (S.planned, S.in_progress, S.withdrawn),
    S.planned: (S.in_progress, S.blocked, S.published, S.withdrawn),
    S.in_progress: (S.blocked, S.published, S.withdrawn),
    S.blocked: (S.planned, S.in_progress, S.withdrawn),
    S.published: (S.done,),
    S.done: (), S.declined: (), S.withdrawn: (),
}
CLOSED = (S.done, S.declined, S.withdrawn)
# Moves that have their own operation, because they carry more than a status.
VIA_TRIAGE = (S.triaged, S.declined)
# Accepted work gets a work item; a triage without an estimate plans this much.
DEFAULT_EFFORT_HOURS = 2.0
# An A/B test proposed in a triage without its settings: a 3% engagement rate, and a
# difference of one point is worth knowing.
AB_BASELINE_RATE, AB_MDE = 0.03, 0.01
STOPWORDS = frozenset(["and", "the", "for", "with", "who", "want", "that", "are", "our",
                       "their", "from", "into", "looking"])


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def words(text: str) -> set[str]:
    """Lower-case words of three letters or more, plural 's' dropped, common words removed."""
    out = set()
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        if len(w) >= 3 and w not in STOPWORDS:
            out.add(w[:-1] if len(w) > 3 and w.endswith("s") else w)
    return out


# Lists read only these columns: building whole rows (and decoding their JSON) for a page
# of 50 costs more than the query.
SUMMARY_COLUMNS = [col(getattr(Request, name)) for name in (
    "id", "title", "goal", "networks", "owner_id", "requester_id", "status",
    "needs_strategy_review", "desired_publish_at", "deadline_at", "next_update_due_at",
    "created_at")]


# Visibility


async def owned_network_ids(session: AsyncSession, member_id: int) -> list[int]:
    today = utcnow().date()
    rows = await session.exec(select(NetworkOwnership.network_id).where(
        NetworkOwnership.member_id == member_id, col(NetworkOwnership.starts_on) <= today,
        or_(col(NetworkOwnership.ends_on).is_(None), col(NetworkOwnership.ends_on) > today)))
    return list(rows.all())


async def can_see(session: AsyncSession, request: Request, principal: Principal) -> bool:
    """Manager: all. Strategist: requests routed to them or on a network they own now.
    Stakeholder: only their own."""
    if principal.role == Role.manager:
        return True
    if principal.member_id is None:
        return False
    if principal.role == Role.stakeholder:
        return request.requester_id == principal.member_id
    if request.owner_id == principal.member_id or request.requester_id == principal.member_id:
        return True
    owned = await owned_network_ids(session, principal.member_id)
    ids = (await session.exec(select(Network.id).where(
        col(Network.slug).in_(request.networks)))).all()
    return bool(set(owned) & set(ids))


async def get_request(session: AsyncSession, request_id: int, principal: Principal) -> Request:
    """The request, or 404 when it does not exist or the caller may not see it (so its
    existence is not leaked)."""
    request = await session.get(Request, request_id)
    if request is None or not await can_see(session, request, principal):
        raise NotFound(f"No request with id {request_id}.")
    return request


def _may_manage(request: Request, principal: Principal) -> None:
    if principal.role == Role.manager:
        return
    if principal.role == Role.strategist and request.owner_id == principal.member_id:
        return
    raise Forbidden("Only the owner of the request's network or the manager may do this.")


async def list_requests_query(session: AsyncSession, principal: Principal, *,
                              owner_id: int | None, requester_id: int | None,
                              status: RequestStatus | None, is_open: bool | None,
                              network: str | None) -> Any:
    stmt = select(*SUMMARY_COLUMNS)
    if principal.role == Role.stakeholder:
        stmt = stmt.where(Request.requester_id == (principal.member_id or -1))
    elif principal.role == Role.strategist and owner_id != principal.member_id:
        owned = await owned_network_ids(session, principal.member_id or -1)
        stmt = stmt.where(or_(col(Request.owner_id) == principal.member_id,
                              col(Request.requester_id) == principal.member_id,
                              col(Request.network_id).in_(owned)))
    stmt = where_given(stmt, (Request.owner_id, owner_id), (Request.requester_id, requester_id),
                       (Request.status, status), (Request.is_open, is_open))
    if network is not None:
        found = (await session.exec(select(Network.id).where(Network.slug == network))).first()
        if found is None:
            raise Unprocessable(f"Unknown network '{network}'.")
        stmt = stmt.where(Request.network_id == found)
    return stmt


# Submission and routing


async def strategy_review(session: AsyncSession, networks: Sequence[Network],
                          pillar_ids: Sequence[int], audience: str, day: date) -> list[str]:
    """Reasons to send a request to strategy review (empty when it fits):

    - no pillar of the quarter of `day` serves any of its networks;
    - a pillar it claims is not of that quarter, or serves none of its networks;
    - its audience shares no word (see `words`) with any of its networks' audiences nor with
      the audiences of the quarter's pillars serving those networks.
    """
    quarter = quarter_of(day)
    network_ids = {n.id for n in networks}
    rows = (await session.exec(
        select(Pillar, PillarNetwork.network_id)
        .join(PillarNetwork, col(PillarNetwork.pillar_id) == Pillar.id)
        .where(Pillar.quarter == quarter, col(PillarNetwork.network_id).in_(network_ids))
    )).all()
    covering = {p.id: p for p, _ in rows}
    reasons = []
    names = ", ".join(n.name for n in networks)
    if not covering:
        reasons.append(f"no {quarter} pillar serves {names}")
    if pillar_ids:
        claimed = (await session.exec(select(Pillar).where(col(Pillar.id).in_(pillar_ids)))).all()
        for pillar in claimed:
            if pillar.quarter != quarter:
                reasons.append(f"claimed pillar '{pillar.name}' is for {pillar.quarter}, "
                               f"not {quarter}")
            elif pillar.id not in covering:
                reasons.append(f"claimed pillar '{pillar.name}' does not serve {names}")
    asked = words(audience)
    known = set().union(*(words(n.audience) for n in networks),
                        *(words(a) for p in covering.values() for a in p.audiences))
    if asked and not asked & known:
        audiences = "; ".join(f"{n.name}: '{n.audience}'" for n in networks)
        reasons.append(f"audience '{audience}' shares no word with the networks' audiences "
                       f"({audiences}) or their pillars' audiences")
    return reasons


async def submit_request(session: AsyncSession, data: RequestCreate, *,
                         principal: Principal) -> Request:
    """Validate, route to the owner of the FIRST (primary) network on the target day (the
    desired publish date, else the deadline), run the strategy check, record the event."""
    now = utcnow()
    for field in ("desired_publish_at", "deadline_at"):
        value = getattr(data, field)
        if value is not None and value <= now:
            raise Unprocessable(f"{field} {value.isoformat()} is in the past; pick a future time.")
    target = data.desired_publish_at or data.deadline_at
    assert target is not None
    found = {n.slug: n for n in (await session.exec(
        select(Network).where(col(Network.slug).in_(data.networks)))).all()}
    unknown = [s for s in data.networks if s not in found]
    if unknown:
        raise Unprocessable(f"Unknown network(s): {', '.join(unknown)}.")
    if data.pillar_ids:
        known = set((await session.exec(
            select(Pillar.id).where(col(Pillar.id).in_(data.pillar_ids)))).all())
        missing = [str(p) for p in data.pillar_ids if p not in known]
        if missing:
            raise Unprocessable(f"Unknown pillar id(s): {', '.join(missing)}.")
    networks = [found[s] for s in data.networks]
    primary = networks[0]
    assert primary.id is not None
    owners = await team.owners_on(session, [primary.id], target.date())
    owner = owners.get(primary.id)
    reasons = await strategy_review(session, networks, data.pillar_ids, data.audience,
                                    target.date())
    if owner is None:
        reasons.append(f"{primary.name} has no owner on {target.date()}; the manager routes it")
    request = Request(
        **data.model_dump(exclude={"assets"}), assets=[a.model_dump() for a in data.assets],
        network_id=primary.id, requester_id=principal.member_id,
        requester_key_id=principal.key_id, owner_id=owner.id if owner else None,
        needs_strategy_review=bool(reasons), review_reasons=reasons)
    session.add(request)
    await session.flush()
    assert request.id is not None
    session.add(RequestTransition(request_id=request.id, from_status=None, to_status=S.submitted,
                                  actor_key_id=principal.key_id,
                                  actor_member_id=principal.member_id))
    await events.record(session, "request.submitted", "request", request.id, {
        "title": request.title, "networks": request.networks, "owner_id": request.owner_id,
        "needs_strategy_review": request.needs_strategy_review,
        "review_reasons": reasons}, actor=principal)
    await session.commit()
    return request


# Triage and lifecycle


def check_move(request: Request, to: RequestStatus) -> None:
    """409 naming the allowed moves when `to` is not one of them."""
    allowed = ALLOWED[request.status]
    if to not in allowed:
        names = ", ".join(s.value for s in allowed) or "none (it is closed)"
        raise InvalidTransition(
            f"A {request.status.value} request cannot move to {to.value}; allowed: {names}.")


def _move(request: Request, to: RequestStatus, principal: Principal, note: str | None,
          session: AsyncSession) -> RequestTransition:
    check_move(request, to)
    assert request.id is not None
    move = RequestTransition(request_id=request.id, from_status=request.status, to_status=to,
                             actor_key_id=principal.key_id,
                             actor_member_id=principal.member_id, note=note)
    request.status = to
    request.is_open = to not in CLOSED
    request.updated_at = utcnow()
    session.add(move)
    session.add(request)
    return move


async def triage(session: AsyncSession, request_id: int, data: TriageCreate, *,
                 principal: Principal, cadence_days: int) -> Request:
    """Accept, compromise, redirect or decline, by the owner or the manager. A redirect
    re-routes the request to the new network's owner and checks it against that network."""
    # Only staff get here (the route admits strategists and the manager): a strategist who
    # does not own the network gets 403, as the issue asks, rather than a 404.
    # Locked first: concurrent triages queue here and the later ones find it triaged (409),
    # before any of them writes (a work item, an experiment) or takes the outbox lock.
    request = (await session.exec(select(Request).where(Request.id == request_id)
                                  .with_for_update())).first()
    if request is None:
        raise NotFound(f"No request with id {request_id}.")
    _may_manage(request, principal)
    now = clock.now()  # the app's clock: the earliest slot below plans from it
    to = S.declined if data.decision == Decision.decline else S.triaged
    check_move(request, to)
    for field in ("earliest_start_at", "next_update_due_at"):
        value = getattr(data, field)
        if value is not None and value <= now:
            raise Unprocessable(f"{field} {value.isoformat()} is in the past.")
    if data.alternative and data.alternative.kind == "network":
        slug = data.alternative.network or ""
        target = (await session.exec(select(Network).where(Network.slug == slug))).first()
        if target is None:
            raise Unprocessable(f"Unknown network '{slug}' in the alternative.")
        if data.decision == Decision.redirect:
            assert target.id is not None
            owner = (await team.owners_on(session, [target.id], now.date())).get(target.id)
            request.networks = [target.slug]
            request.network_id = target.id
            request.owner_id = owner.id if owner else request.owner_id
            target_day = (request.desired_publish_at or request.deadline_at or now).date()
            reasons = await strategy_review(session, [target], request.pillar_ids,
                                            request.audience, target_day)
            request.needs_strategy_review = bool(reasons)
            request.review_reasons = reasons
    accepted = data.decision in (Decision.accept, Decision.compromise)
    earliest = data.earliest_start_at
    if earliest is None and data.effort_hours and request.owner_id is not None \
            and data.decision != Decision.decline:
        # Before the new work item exists: the slot comes after the work already planned.
        earliest = await planning.earliest_slot(session, request.owner_id, data.effort_hours,
                                                after=now)
    request.decision = data.decision
    request.rationale = data.rationale
    request.alternative = data.alternative.model_dump() if data.alternative else None
    request.would_help = [w.value for w in data.would_help]
    request.would_help_note = data.would_help_note
    request.effort_hours = data.effort_hours
    request.earliest_start_at = earliest
    request.triaged_at = now
    request.triaged_by_key_id = principal.key_id
    if to != S.declined:
        request.next_update_due_at = data.next_update_due_at or now + timedelta(days=cadence_days)
    _move(request, to, principal, data.rationale, session)
    assert request.id is not None
    await _close_work(session, request, to, principal)
    work_item_id = experiment_id = None
    if accepted and request.owner_id is not None:
        work_item_id = await _work_item_for(session, request, request.owner_id,
                                            data.effort_hours)
    if data.decision == Decision.compromise and data.alternative is not None \
            and data.alternative.kind == Alternative.ab_test:
        experiment_id = await _experiment_for(session, request, data.alternative, principal)
    await events.record(session, "request.triaged", "request", request.id, {
        "decision": data.decision, "status": request.status, "owner_id": request.owner_id,
        "alternative": request.alternative, "effort_hours": request.effort_hours,
        "earliest_start_at": earliest.isoformat() if earliest else None,
        "work_item_id": work_item_id, "experiment_id": experiment_id}, actor=principal)
    await session.commit()
    return request


async def _work_item_for(session: AsyncSession, request: Request, owner_id: int,
                         effort_hours: float | None) -> int | None:
    """The owner's work item for accepted work, once per request (a triage retried after a
    lost response finds it). Without an estimate it is planned at DEFAULT_EFFORT_HOURS and
    marked `effort_is_assumed`, so the queue and the item say so and the owner confirms."""
    assert request.id is not None
    found = (await session.exec(select(WorkItem.id).where(
        WorkItem.request_id == request.id, col(WorkItem.parent_id).is_(None)).limit(1))).first()
    if found is not None:
        return found
    item = await planning.create_item_for_request(
        session, request_id=request.id, owner_id=owner_id, title=request.title[:300],
        effort_hours=effort_hours or DEFAULT_EFFORT_HOURS,
        effort_is_assumed=effort_hours is None, deadline=request.deadline_at,
        pillar_fit=not request.needs_strategy_review, goal=request.goal.value, impact=None)
    return item.id


async def _experiment_for(session: AsyncSession, request: Request,
                          alternative: AlternativeProposal, principal: Principal) -> int | None:
    """The draft A/B test a compromise proposes: the team's variant against what the
    stakeholder asked for, once per request."""
    assert request.id is not None
    found = (await session.exec(select(Experiment.id).where(
        Experiment.request_id == request.id).limit(1))).first()
    if found is not None:
        return found
    spec = ExperimentCreate(
        name=f"Request #{request.id}: {request.title}"[:200],
        hypothesis=alternative.description or
        f"The team's variant serves '{request.goal.value}' at least as well as the request.",
        request_id=request.id,
        arms=[ArmCreate(key="team", name="Team's variant", role=ArmRole.team),
              ArmCreate(key="stakeholder", name="Requested post", role=ArmRole.stakeholder)],
        primary_metric=alternative.metric or Metric.engagement_rate,
        baseline_rate=alternative.baseline_rate or AB_BASELINE_RATE,
        mde=alternative.mde or AB_MDE)
    experiment = await experiments.add_experiment(session, spec, actor=principal)
    return experiment.id


async def transition(session: AsyncSession, request_id: int, data: TransitionCreate, *,
                     principal: Principal) -> Request:
    """Move a request. The requester may withdraw it; the owner or manager moves the rest.
    Triage and blockers have their own operations."""
    request = await get_request(session, request_id, principal)
    is_requester = request.requester_id is not None and \
        request.requester_id == principal.member_id
    if not (data.to == S.withdrawn and is_requester):
        _may_manage(request, principal)
    if data.to in VIA_TRIAGE and data.to in ALLOWED[request.status]:
        raise InvalidTransition(f"Use POST /v1/requests/{request_id}/triage to move a request "
                                f"to {data.to.value}: it carries the decision.")
    if data.to == S.blocked and data.to in ALLOWED[request.status]:
        raise InvalidTransition(f"Add a blocker (POST /v1/requests/{request_id}/blockers) "
                                "to block a request: say what it waits on.")
    if request.status == S.blocked and data.to != S.withdrawn and await open_blockers(
            session, request_id):
        raise InvalidTransition("The request still has open blockers; resolve them first.")
    await apply_transition(session, request, data.to, principal=principal, note=data.note)
    await session.commit()
    return request


async def apply_transition(session: AsyncSession, request: Request, to: RequestStatus, *,
                           principal: Principal, note: str | None) -> None:
    """Move and record the event, inside the caller's transaction (no commit)."""
    before = request.status
    _move(request, to, principal, note, session)
    await _close_work(session, request, to, principal)
    await events.record(session, "request.status_changed", "request", request.id,
                        {"from": before, "to": to, "note": note}, actor=principal)


# A published request's work is done (only `done` can follow); a request that will not be
# done takes its work off the queue as declined.
WORK_CLOSED_BY = {S.published: WorkItemStatus.done, S.done: WorkItemStatus.done,
                  S.withdrawn: WorkItemStatus.declined, S.declined: WorkItemStatus.declined}


async def _close_work(session: AsyncSession, request: Request, to: RequestStatus,
                      principal: Principal) -> None:
    status = WORK_CLOSED_BY.get(to)
    if status is not None and request.id is not None:
        await planning.close_for_request(session, request.id, status,
                                         reason=f"request {request.id} is {to.value}",
                                         actor=principal)


async def experiments_of(session: AsyncSession, request_id: int
                         ) -> list[tuple[Experiment, Verdict | None]]:
    """The request's A/B tests (at most 20, oldest first) with their latest verdicts."""
    rows = (await session.exec(select(Experiment).where(
        Experiment.request_id == request_id).order_by(col(Experiment.id)).limit(20))).all()
    ids = [e.latest_verdict_id for e in rows if e.latest_verdict_id is not None]
    verdicts = {v.id: v for v in (await session.exec(
        select(Verdict).where(col(Verdict.id).in_(ids)))).all()} if ids else {}
    return [(e, verdicts.get(e.latest_verdict_id or 0)) for e in rows]


def history_query(request_id: int) -> Any:
    return select(RequestTransition).where(RequestTransition.request_id == request_id)


# Updates and blockers


async def add_update(session: AsyncSession, request_id: int, data: UpdateCreate, *,
                     principal: Principal, cadence_days: int) -> RequestUpdate:
    request = await get_request(session, request_id, principal)
    _may_manage(request, principal)
    if not request.is_open:
        raise InvalidTransition(f"The request is {request.status.value}; it takes no updates.")
    now = utcnow()
    if data.next_update_due_at is not None and data.next_update_due_at <= now:
        raise Unprocessable("next_update_due_at is in the past.")
    due = data.next_update_due_at or now + timedelta(days=cadence_days)
    update = RequestUpdate(request_id=request_id, note=data.note, done_count=data.done_count,
                           total_count=data.total_count, unit=data.unit,
                           author_key_id=principal.key_id, author_member_id=principal.member_id,
                           next_update_due_at=due)
    request.next_update_due_at = due
    request.updated_at = now
    session.add(update)
    session.add(request)
    await session.flush()
    await events.record(session, "request.updated", "request", request_id, {
        "update_id": update.id, "note": data.note, "progress": progress(update),
        "next_update_due_at": due.isoformat()}, actor=principal)
    await session.commit()
    return update


def progress(update: RequestUpdate) -> str | None:
    if update.done_count is None or update.total_count is None:
        return None
    return f"{update.done_count} of {update.total_count}" + (
        f" {update.unit}" if update.unit else "")


async def latest_update(session: AsyncSession, request_id: int) -> RequestUpdate | None:
    return (await session.exec(select(RequestUpdate).where(
        RequestUpdate.request_id == request_id).order_by(
        col(RequestUpdate.id).desc()).limit(1))).first()


def updates_query(request_id: int) -> Any:
    return select(RequestUpdate).where(RequestUpdate.request_id == request_id)


async def open_blockers(session: AsyncSession, request_id: int) -> list[Blocker]:
    return list((await session.exec(select(Blocker).where(
        Blocker.request_id == request_id, Blocker.is_open == True  # noqa: E712
    ).order_by(col(Blocker.id)).limit(50))).all())




async def add_blocker(session: AsyncSession, request_id: int, data: BlockerCreate, *,
                      principal: Principal) -> Blocker:
    """Record what the request waits on; an active request becomes blocked."""
    request = await get_request(session, request_id, principal)
    _may_manage(request, principal)
    if not request.is_open or request.status == S.submitted:
        raise InvalidTransition(f"A {request.status.value} request cannot be blocked; "
                                "blockers are for accepted work.")
    now = utcnow()
    if data.since_at is not None and data.since_at > now:
        raise Unprocessable("since_at is in the future.")
    blocker = Blocker(request_id=request_id, what=data.what, waiting_on=data.waiting_on,
                      since_at=data.since_at or now)
    session.add(blocker)
    if request.status != S.blocked:
        request.status_before_block = request.status
        if request.status == S.triaged:
            # triaged work cannot be blocked directly; it is at least planned once blocked.
            request.status_before_block = S.planned
            await apply_transition(session, request, S.planned, principal=principal,
                                   note="planned before blocking")
        await apply_transition(session, request, S.blocked, principal=principal, note=data.what)
    await session.flush()
    await events.record(session, "request.blocked", "request", request_id, {
        "blocker_id": blocker.id, "what": blocker.what, "waiting_on": blocker.waiting_on},
        actor=principal)
    await session.commit()
    return blocker


async def resolve_blocker(session: AsyncSession, request_id: int, blocker_id: int,
                          data: BlockerResolve, *, principal: Principal) -> Blocker:
    """Resolve a blocker; when it was the last open one, the request returns to the status
    it had before it was blocked."""
    request = await get_request(session, request_id, principal)
    _may_manage(request, principal)
    blocker = await session.get(Blocker, blocker_id)
    if blocker is None or blocker.request_id != request_id:
        raise NotFound(f"No blocker {blocker_id} on request {request_id}.")
    if not blocker.is_open:
        raise InvalidTransition("This blocker is already resolved.")
    now = utcnow()
    blocker.is_open = False
    blocker.resolved_at = now
    blocker.resolution = data.resolution
    blocker.updated_at = now
    session.add(blocker)
    remaining = [b for b in await open_blockers(session, request_id) if b.id != blocker_id]
    if not remaining and request.status == S.blocked:
        back = request.status_before_block or S.in_progress
        request.status_before_block = None
        await apply_transition(session, request, back, principal=principal,
                               note=f"unblocked: {data.resolution or blocker.what}")
    await events.record(session, "request.unblocked", "request", request_id, {
        "blocker_id": blocker_id, "resolution": data.resolution,
        "still_blocked": bool(remaining)}, actor=principal)
    await session.commit()
    return blocker


def blocked_query() -> Any:
    return (select(Blocker, Request).join(Request, col(Request.id) == Blocker.request_id)
            .where(Blocker.is_open == True))  # noqa: E712


def overdue_query(now: datetime) -> Any:
    return select(*SUMMARY_COLUMNS).where(Request.is_open == True,  # noqa: E712
                                 col(Request.next_update_due_at) < now)


async def members(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, Member]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.exec(select(Member).where(col(Member.id).in_(wanted)))
    return {m.id: m for m in rows.all() if m.id is not None}
