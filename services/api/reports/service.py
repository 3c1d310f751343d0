"""The reports: freshness, post performance, network profiles against goals, and trends.
Every figure is aggregated in SQL over the posts' current metrics; Python only shapes it."""

import typing
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, union_all
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.db import utcnow
from services.api.errors import Unprocessable
from services.api.models import (
    METRICS,
    ContentType,
    FollowerCount,
    GoalMetric,
    Network,
    NetworkGoal,
    Post,
    PostTag,
)
from services.api.posts import service as posts
from services.api.posts.router import metrics_of
from services.api.posts.schemas import MetricsPublic, NotePublic
from services.api.reports import stats
from services.api.reports.periods import Period, compared, quarter_of
from services.api.reports.schemas import (
    Freshness,
    Kpi,
    NetworkFreshness,
    NetworkProfile,
    PerformanceReport,
    PerformanceRow,
    PeriodPublic,
    PostSummary,
    ProfileReport,
    SortKey,
    Totals,
    TrendCell,
    TrendMetric,
    TrendsReport,
)

MAX_TOP = 500
RATE_GOALS = {GoalMetric.engagement_rate}


def period_public(p: Period) -> PeriodPublic:
    return PeriodPublic(start=p.start, end=p.end, days=p.days)


@dataclass
class Filters:
    period: Period
    networks: list[str] = field(default_factory=list)
    content_types: list[ContentType] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    owner_ids: list[int] = field(default_factory=list)

    def echo(self) -> dict[str, Any]:
        return {"networks": self.networks, "content_types": [c.value for c in
                                                             self.content_types],
                "tags": self.tags, "owner_ids": self.owner_ids}


async def resolve_networks(session: AsyncSession, slugs: list[str]) -> list[Network]:
    """The named networks (all when none are named), by slug; 422 on an unknown one."""
    stmt = select(Network).order_by(col(Network.slug))
    if slugs:
        stmt = stmt.where(col(Network.slug).in_(slugs))
    found = list((await session.exec(stmt)).all())
    unknown = sorted(set(slugs) - {n.slug for n in found})
    if unknown:
        raise Unprocessable(f"Unknown network(s): {', '.join(unknown)}.")
    return found


def _where(f: Filters, network_ids: list[int] | None, period: Period) -> list[Any]:
    clauses: list[Any] = [col(Post.published_at) >= period.start_at,
                          col(Post.published_at) < period.end_at]
    if network_ids is not None:
        clauses.append(col(Post.network_id).in_(network_ids))
    if f.content_types:
        clauses.append(col(Post.content_type).in_(f.content_types))
    if f.owner_ids:
        clauses.append(col(Post.owner_id).in_(f.owner_ids))
    if f.tags:
        clauses.append(select(PostTag.post_id).where(
            PostTag.post_id == Post.id, col(PostTag.tag).in_([t.lower() for t in f.tags]))
            .exists())
    return clauses


async def freshness(session: AsyncSession, networks: list[Network], *,
                    stale_after_hours: int) -> Freshness:
    """Newest snapshot per network (one index probe each), and which are stale or missing."""
    now = utcnow()
    newest: dict[int, datetime | None] = {}
    if networks:
        probes = [select(func.max(Post.metrics_as_of)).where(Post.network_id == n.id)
                  .scalar_subquery().label(f"n{n.id}") for n in networks]
        row = (await session.exec(select(*probes))).one()
        values = row if isinstance(row, tuple | list) or hasattr(row, "_mapping") else [row]
        for n, value in zip(networks, values, strict=True):
            newest[n.id or 0] = _aware(value)
    limit = now - timedelta(hours=stale_after_hours)
    items = []
    for n in networks:
        at = newest.get(n.id or 0)
        status = "missing" if at is None else ("fresh" if at >= limit else "stale")
        items.append(NetworkFreshness(network=n.slug, name=n.name, status=status,
                                      data_as_of=at))
    stamps = [i.data_as_of for i in items if i.data_as_of]
    return Freshness(generated_at=now, data_as_of=max(stamps) if stamps else None,
                     stale_after_hours=stale_after_hours, networks=items)


def _aware(value: Any) -> datetime | None:
    from services.api.db import UTCDateTime

    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns MAX() of a timestamp column as text
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]


SORTS: dict[SortKey, Any] = {k: getattr(Post, k.value) for k in SortKey}


async def performance(session: AsyncSession, f: Filters, *, sort: SortKey, limit: int,
                      min_impressions: int, stale_after_hours: int) -> PerformanceReport:
    """The top `limit` posts published in the period by `sort`, with notes, and totals."""
    networks = await resolve_networks(session, f.networks)
    ids = [n.id or 0 for n in networks] if f.networks else None
    where = _where(f, ids, f.period)
    top_where = [*where, col(Post.impressions) >= min_impressions] if min_impressions else where
    slugs = {n.id: n.slug for n in networks}
    order = SORTS[sort]
    rows = (await session.exec(select(Post).where(*top_where).order_by(
        order.desc(), col(Post.id).desc()).limit(limit))).all()
    # The stubs pick select()'s one-column overload for a starred argument list: a row here.
    sums = typing.cast(tuple[Any, ...], (await session.exec(select(func.count(col(Post.id)), *[
        func.coalesce(func.sum(getattr(Post, m)), 0) for m in METRICS]).where(*where))).one())
    totals = dict(zip(METRICS, [int(v) for v in sums[1:]], strict=True))
    notes = await posts.notes_for(session, [p.id or 0 for p in rows])
    return PerformanceReport(
        period=period_public(f.period), sort=sort,
        filters={**f.echo(), "min_impressions": min_impressions, "limit": limit},
        totals=Totals(posts=int(sums[0]), metrics=MetricsPublic(
            **totals, engagement_rate=posts.rate(totals["engagements"], totals["impressions"]))),
        rows=[PerformanceRow(rank=i + 1, post=summary(p, slugs[p.network_id]),
                             metrics=metrics_of(p),
                             notes=[NotePublic.model_validate(n, from_attributes=True)
                                    for n in notes.get(p.id or 0, [])])
              for i, p in enumerate(rows)],
        freshness=await freshness(session, networks, stale_after_hours=stale_after_hours),
    )


def summary(p: Post, slug: str) -> PostSummary:
    return PostSummary(id=p.id or 0, network=slug, external_id=p.external_id, title=p.title,
                       url=p.url, content_type=p.content_type, published_at=p.published_at,
                       campaign_tags=p.campaign_tags, owner_id=p.owner_id,
                       metrics_as_of=p.metrics_as_of)


def _in(period: Period) -> ColumnElement[bool]:
    return and_(col(Post.published_at) >= period.start_at, col(Post.published_at) < period.end_at)


def _sum_in(period: Period, expr: Any) -> Any:
    return func.coalesce(func.sum(case((_in(period), expr), else_=literal(0))), 0)


async def _followers_growth(session: AsyncSession, network_ids: list[int],
                            periods: list[Period]) -> list[dict[int, float]]:
    """Per period: the last count on or before its end minus the last before its start.
    One query for every boundary of every period."""
    bounds = [d for p in periods for d in (p.start - timedelta(days=1), p.end)]
    parts = []
    for i, day in enumerate(bounds):
        latest = (select(FollowerCount.network_id, func.max(FollowerCount.day).label("d"))
                  .where(col(FollowerCount.network_id).in_(network_ids),
                         col(FollowerCount.day) <= day)
                  .group_by(col(FollowerCount.network_id)).subquery())
        parts.append(select(literal(i).label("i"), FollowerCount.network_id,
                            FollowerCount.followers)
                     .join(latest, and_(col(FollowerCount.network_id) == latest.c.network_id,
                                        col(FollowerCount.day) == latest.c.d)))
    found: dict[int, dict[int, int]] = defaultdict(dict)
    for i, nid, followers in (await session.exec(union_all(*parts))).all():  # type: ignore[call-overload]
        found[i][nid] = followers
    return [{n: float(found[2 * k + 1][n] - found[2 * k][n])
             for n in found[2 * k + 1] if n in found[2 * k]} for k in range(len(periods))]


async def profiles(session: AsyncSession, f: Filters, *,
                   stale_after_hours: int) -> ProfileReport:
    """Per network: the period's KPIs, the previous period's, and the quarter's goals (the
    quarter the period starts in). Posts count in the period they were published in."""
    networks = await resolve_networks(session, f.networks)
    ids = [n.id or 0 for n in networks]
    cur, prev = compared(f.period, utcnow().date())
    both = Period(prev.start, cur.end)
    where = _where(Filters(both, content_types=f.content_types, tags=f.tags,
                           owner_ids=f.owner_ids), ids, both)
    measures = ("impressions", "engagements", "video_views")
    cols = []
    for p in (cur, prev):
        cols.append(_sum_in(p, literal(1)))
        cols += [_sum_in(p, getattr(Post, m)) for m in measures]
    rows = (await session.exec(select(col(Post.network_id), *cols).where(*where)
                               .group_by(col(Post.network_id)))).all()
    agg: dict[int, list[float]] = {r[0]: [float(v) for v in r[1:]] for r in rows}
    quarter = quarter_of(cur.start)
    goals: dict[int, dict[GoalMetric, float]] = defaultdict(dict)
    for g in (await session.exec(select(NetworkGoal).where(
            NetworkGoal.quarter == quarter, col(NetworkGoal.network_id).in_(ids)))).all():
        goals[g.network_id][g.metric] = g.target
    growth_now, growth_before = await _followers_growth(session, ids, [cur, prev])
    fresh = await freshness(session, networks, stale_after_hours=stale_after_hours)
    status = {n.network: n.status for n in fresh.networks}
    elapsed = f.period.elapsed_fraction(utcnow().date())
    result = []
    for n in networks:
        nid = n.id or 0
        missing = status[n.slug] == "missing"
        values = agg.get(nid, [0.0] * 8)

        def kpis(v: list[float], growth: dict[int, float],
                 nid: int = nid) -> dict[GoalMetric, float | None]:
            posts_, imp, eng, views = v
            return {GoalMetric.posts: posts_, GoalMetric.impressions: imp,
                    GoalMetric.engagements: eng, GoalMetric.video_views: views,
                    GoalMetric.engagement_rate: posts.rate(eng, imp),
                    GoalMetric.follower_growth: growth.get(nid)}

        now_k, before_k = kpis(values[:4], growth_now), kpis(values[4:], growth_before)
        items = []
        for metric in GoalMetric:
            actual = None if missing and metric != GoalMetric.follower_growth else now_k[metric]
            before = None if missing and metric != GoalMetric.follower_growth \
                else before_k[metric]
            target = goals[nid].get(metric)
            pct = actual / target * 100 if actual is not None and target else None
            on_track = None
            if pct is not None:
                on_track = pct >= 100 if metric in RATE_GOALS else pct >= elapsed * 100
            items.append(Kpi(metric=metric, actual=actual, previous=before,
                             change_pct=change_pct(actual, before), target=target,
                             percent_of_goal=pct, on_track=on_track))
        result.append(NetworkProfile(network=n.slug, name=n.name, purpose=n.purpose.value,
                                     freshness=status[n.slug], kpis=items))
    return ProfileReport(period=period_public(cur), previous_period=period_public(prev),
                         goals_quarter=quarter, elapsed_pct=elapsed * 100, networks=result,
                         freshness=fresh)


def change_pct(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return (now - before) / before * 100


TREND_METHOD = (
    "Each network x content type x metric is compared between the period and the previous one "
    "of equal length, with the post as the unit. Counts (impressions, engagements, video "
    "views): mean per post, tested with Welch's t-test on log(1+x) per post. Engagement rate: "
    "ratio of sums, z-test with delta-method variance over posts. p-values are Holm-adjusted "
    "over every test in the report. A cell is flagged only when the change is at least the "
    "threshold AND the adjusted p-value is under alpha; fewer than 5 posts on a side are never "
    "flagged."
)


async def trends(session: AsyncSession, f: Filters, *, metrics: list[TrendMetric],
                 threshold_pct: float, alpha: float, stale_after_hours: int) -> TrendsReport:
    networks = await resolve_networks(session, f.networks)
    ids = [n.id or 0 for n in networks]
    slugs = {n.id: n.slug for n in networks}
    cur, prev = compared(f.period, utcnow().date())
    both = Period(prev.start, cur.end)
    where = _where(Filters(both, content_types=f.content_types, tags=f.tags,
                           owner_ids=f.owner_ids), ids, both)
    is_cur = case((col(Post.published_at) >= cur.start_at, 1), else_=0).label("cur")
    count_metrics = [m for m in metrics if m is not TrendMetric.engagement_rate]
    cols: list[Any] = [func.count()]
    for m in count_metrics:
        x = cast(getattr(Post, m.value), Float)
        lx = func.ln(1.0 + x)
        cols += [func.sum(x), func.sum(lx), func.sum(lx * lx)]
    e, i = cast(Post.engagements, Float), cast(Post.impressions, Float)
    with_imp = col(Post.impressions) > 0
    cols += [func.sum(case((with_imp, 1), else_=0)), func.sum(e), func.sum(i), func.sum(e * e),
             func.sum(i * i), func.sum(e * i)]
    rows = (await session.exec(select(col(Post.network_id), col(Post.content_type), is_cur,
                                      *cols).where(*where)
                               .group_by(col(Post.network_id), col(Post.content_type), is_cur)
                               )).all()
    groups: dict[tuple[int, str], dict[int, tuple[Any, ...]]] = defaultdict(dict)
    for r in rows:
        sums_of: tuple[Any, ...] = r[3:]
        groups[(r[0], str(r[1]))][int(r[2])] = tuple(float(v or 0) for v in sums_of)
    pending: list[dict[str, Any]] = []
    for (nid, ctype), sides in sorted(groups.items(), key=lambda g: (slugs[g[0][0]], g[0][1])):
        empty = (0.0,) * (1 + 3 * len(count_metrics) + 6)
        now_v, before_v = sides.get(1, empty), sides.get(0, empty)
        for k, m in enumerate(count_metrics):
            a = stats.LogAgg(int(now_v[0]), *now_v[1 + 3 * k:4 + 3 * k])
            b = stats.LogAgg(int(before_v[0]), *before_v[1 + 3 * k:4 + 3 * k])
            pending.append({"nid": nid, "ctype": ctype, "metric": m, "n1": a.n, "n0": b.n,
                            "cur": a.mean, "prev": b.mean, "test": stats.compare_counts(a, b)})
        if TrendMetric.engagement_rate in metrics:
            off = 1 + 3 * len(count_metrics)
            a2 = stats.RatioAgg(int(now_v[off]), *now_v[off + 1:off + 6])
            b2 = stats.RatioAgg(int(before_v[off]), *before_v[off + 1:off + 6])
            pending.append({"nid": nid, "ctype": ctype, "metric": TrendMetric.engagement_rate,
                            "n1": a2.n, "n0": b2.n, "cur": a2.rate, "prev": b2.rate,
                            "test": stats.compare_rates(a2, b2)})
    adjusted = stats.holm([c["test"].p_value for c in pending])
    cells = []
    for c, p_adj in zip(pending, adjusted, strict=True):
        change = change_pct(c["cur"], c["prev"])
        large = change is not None and abs(change) >= threshold_pct
        credible = p_adj is not None and p_adj < alpha
        flag = ("rise" if (change or 0) > 0 else "drop") if large and credible else None
        cells.append(TrendCell(
            network=slugs[c["nid"]], content_type=ContentType(c["ctype"]), metric=c["metric"],
            current_posts=c["n1"], previous_posts=c["n0"], current=c["cur"], previous=c["prev"],
            change_pct=change, p_value=c["test"].p_value, p_adjusted=p_adj,
            method=c["test"].method, is_large=large, is_credible=credible, flag=flag,
            sentence=_sentence(slugs[c["nid"]], c, change, large, credible, p_adj)))
    signals = sorted([c for c in cells if c.flag], key=lambda c: -abs(c.change_pct or 0))
    return TrendsReport(period=period_public(cur), previous_period=period_public(prev),
                        threshold_pct=threshold_pct, alpha=alpha, method=TREND_METHOD,
                        cells=cells, signals=signals,
                        freshness=await freshness(session, networks,
                                                  stale_after_hours=stale_after_hours))


def _value(v: float | None) -> str:
    return "no impressions" if v is None else f"{v:,.4g}"


def _sentence(slug: str, c: dict[str, Any], change: float | None, large: bool, credible: bool,
              p_adj: float | None) -> str:
    what = ("engagement rate" if c["metric"] is TrendMetric.engagement_rate
            else f"{c['metric'].value.replace('_', ' ')} per post")
    subject = f"{what.capitalize()} of {slug} {c['ctype']} posts"
    if min(c["n1"], c["n0"]) < stats.MIN_POSTS:
        return (f"{subject}: not enough posts to compare ({c['n1']} now, {c['n0']} before; "
                f"{stats.MIN_POSTS} needed on each side).")
    if c["test"].p_value is None or change is None:
        # Enough posts, but nothing to take a percentage of: the earlier value is zero (image
        # posts have no video views) or a rate has no impressions under it.
        return (f"{subject}: no change to measure, {_value(c['cur'])} now against "
                f"{_value(c['prev'])} before ({c['n1']} posts vs {c['n0']}).")
    direction = "rose" if change > 0 else "fell"
    body = f"{subject} {direction} {abs(change):.0f}% ({c['n1']} posts vs {c['n0']})"
    if large and credible:
        return f"{body}; a real shift, not noise (adjusted p = {p_adj:.3g})."
    if large:
        return f"{body}, but that is within the noise (adjusted p = {p_adj:.3g})."
    return f"{body}: a small change (adjusted p = {p_adj:.3g})."
