"""Requests and triage over a period, aggregated in SQL: how many came in, what triage decided,
what still waits, and the median hours from submission to triage and to the first progress
update. Medians use window functions (row_number and count over a partition), which SQLite and
PostgreSQL both support; no row is loaded into Python."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.models import Decision, Network, Request, RequestStatus, RequestUpdate
from services.api.reports.periods import Period

COUNTS = ("submitted", "accepted", "compromise", "redirected", "declined", "untriaged",
          "withdrawn", "strategy_review")


@dataclass
class TriageRow:
    network: str
    counts: dict[str, int]
    median_hours_to_triage: float | None
    median_hours_to_first_update: float | None


def _hours(session: AsyncSession, later: Any, earlier: Any) -> ColumnElement[Any]:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 3600.0
    return (func.julianday(later) - func.julianday(earlier)) * 24.0


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _medians(values: Any) -> Any:
    """(network_id, median) per network plus (NULL, median) over all, from a subquery of
    (network_id, value). The middle row, or the mean of the two middle rows: 2 * rank falls
    between n and n + 2 exactly there."""
    out = []
    for per_network in (True, False):
        partition = [values.c.network_id] if per_network else None
        ranked = select(
            values.c.network_id, values.c.value,
            func.row_number().over(partition_by=partition, order_by=values.c.value).label("rn"),
            func.count().over(partition_by=partition).label("n"),
        ).subquery()
        group = ranked.c.network_id if per_network else literal(None)
        stmt = select(group.label("network_id"), func.avg(ranked.c.value)).where(
            (ranked.c.rn * 2).between(ranked.c.n, ranked.c.n + 2))
        out.append(stmt.group_by(ranked.c.network_id) if per_network else stmt)
    return out


async def triage_summary(session: AsyncSession, period: Period, *, network_ids: list[int] | None,
                         owner_id: int | None) -> tuple[list[TriageRow], TriageRow]:
    """Requests submitted in the period (by `created_at`), per current primary network, and the
    total. Decisions count triage outcomes (a request triaged then withdrawn counts in both its
    decision and `withdrawn`); `untriaged` is still waiting for triage."""
    where = [col(Request.created_at) >= period.start_at, col(Request.created_at) < period.end_at]
    if network_ids is not None:
        where.append(col(Request.network_id).in_(network_ids))
    if owner_id is not None:
        where.append(col(Request.owner_id) == owner_id)
    cond = and_(*where)

    decision = col(Request.decision)
    counts = select(  # type: ignore[call-overload]
        col(Request.network_id), func.count().label("submitted"),
        _count(decision == Decision.accept).label("accepted"),
        _count(decision == Decision.compromise).label("compromise"),
        _count(decision == Decision.redirect).label("redirected"),
        _count(decision == Decision.decline).label("declined"),
        _count(and_(col(Request.triaged_at).is_(None),
                    col(Request.status) == RequestStatus.submitted)).label("untriaged"),
        _count(col(Request.status) == RequestStatus.withdrawn).label("withdrawn"),
        _count(col(Request.needs_strategy_review) == True).label(  # noqa: E712
            "strategy_review"),
    ).where(cond).group_by(col(Request.network_id))

    to_triage = select(
        col(Request.network_id).label("network_id"),
        cast(_hours(session, col(Request.triaged_at), col(Request.created_at)),
             Float).label("value"),
    ).where(cond, col(Request.triaged_at).is_not(None)).subquery()
    # The cohort's own updates only (ix_request_update_request_id), not every update.
    to_update = select(
        col(Request.network_id).label("network_id"),
        cast(_hours(session, func.min(col(RequestUpdate.created_at)), col(Request.created_at)),
             Float).label("value"),
    ).join(RequestUpdate, col(RequestUpdate.request_id) == col(Request.id)).where(cond) \
        .group_by(col(Request.id), col(Request.network_id), col(Request.created_at)).subquery()

    per: dict[int | None, dict[str, Any]] = {}
    for row in (await session.exec(counts)).all():
        per[row[0]] = {"counts": dict(zip(COUNTS, (int(v) for v in row[1:]), strict=True)),
                       "triage": None, "update": None}
    total: dict[str, Any] = {"counts": {k: sum(p["counts"][k] for p in per.values())
                                        for k in COUNTS}, "triage": None, "update": None}
    for name, values in (("triage", to_triage), ("update", to_update)):
        for stmt in _medians(values):
            for network_id, median in (await session.exec(stmt)).all():
                target = total if network_id is None else per.get(network_id)
                if target is not None and median is not None:
                    target[name] = round(float(median), 2)
    slugs = dict((await session.exec(select(Network.id, Network.slug).where(
        col(Network.id).in_([k for k in per if k is not None])))).all()) if per else {}
    rows = sorted((TriageRow(slugs.get(k, str(k)), v["counts"], v["triage"], v["update"])
                   for k, v in per.items()), key=lambda r: r.network)
    return rows, TriageRow("all", total["counts"], total["triage"], total["update"])
