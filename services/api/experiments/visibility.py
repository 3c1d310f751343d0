"""Who sees which experiment: the people who see its request (intake's `can_see`), plus the
strategist who defined it. Managers and service keys see all. Hidden experiments are 404s,
so their existence is not leaked."""

from typing import Any

from sqlalchemy import false, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.auth import Principal
from services.api.errors import NotFound
from services.api.intake import service as intake
from services.api.models import ApiKey, Experiment, Request, Role


def _sees_all(principal: Principal) -> bool:
    return principal.role in (Role.manager, Role.service)


def _own_keys(member_id: int) -> Any:
    return select(ApiKey.id).where(ApiKey.member_id == member_id)


async def visible(session: AsyncSession, principal: Principal) -> Any | None:
    """A WHERE clause on Experiment for the caller's lists; None when they see everything.
    Stakeholder: experiments on their own requests. Strategist: experiments defined with one
    of their keys, or on requests routed to them, asked by them, or on a network they own."""
    if _sees_all(principal):
        return None
    member_id = principal.member_id
    if member_id is None:
        return false()
    if principal.role == Role.stakeholder:
        requests = select(Request.id).where(Request.requester_id == member_id)
        return col(Experiment.request_id).in_(requests)
    owned = await intake.owned_network_ids(session, member_id)
    requests = select(Request.id).where(or_(
        col(Request.owner_id) == member_id, col(Request.requester_id) == member_id,
        col(Request.network_id).in_(owned)))
    return or_(col(Experiment.created_by_key_id).in_(_own_keys(member_id)),
               col(Experiment.request_id).in_(requests))


async def check_visible(session: AsyncSession, experiment: Experiment | None,
                        experiment_id: int, principal: Principal) -> Experiment:
    """The experiment, or 404 when it does not exist or the caller may not see it."""
    if experiment is None or not (_sees_all(principal)
                                  or await _may_see(session, experiment, principal)):
        raise NotFound(f"No experiment with id {experiment_id}.")
    return experiment


async def _may_see(session: AsyncSession, experiment: Experiment,
                   principal: Principal) -> bool:
    if principal.member_id is None:
        return False
    if principal.role == Role.strategist and experiment.created_by_key_id is not None:
        creator = await session.get(ApiKey, experiment.created_by_key_id)
        if creator is not None and creator.member_id == principal.member_id:
            return True
    if experiment.request_id is None:
        return False
    request = await session.get(Request, experiment.request_id)
    return request is not None and await intake.can_see(session, request, principal)
