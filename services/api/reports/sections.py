"""The section registry of custom reports. A section kind is one decorated async function
that turns its validated params and the report's context into a `RenderedSection`; adding a
kind is one more function here."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.errors import Unprocessable, field_errors
from services.api.models import ContentType
from services.api.reports import service, triage
from services.api.reports.periods import Period
from services.api.reports.schemas import (
    Bar,
    Chart,
    RenderedSection,
    SortKey,
    TrendMetric,
)
from shared.schemas.bounds import Id, Int32, Int64, Real


@dataclass(frozen=True)
class Context:
    session: AsyncSession
    period: Period
    networks: list[str]
    stale_after_hours: int


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


Builder = Callable[[Context, Any, str], Awaitable[RenderedSection]]


@dataclass(frozen=True)
class Kind:
    params: type[Params]
    default_title: str
    build: Builder


SECTIONS: dict[str, Kind] = {}


def section(kind: str, params: type[Params], title: str) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        SECTIONS[kind] = Kind(params, title, build)
        return build
    return register


def validate(index: int, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The section's params, validated by its kind; 422 naming the field otherwise."""
    if kind not in SECTIONS:
        raise Unprocessable(
            f"Section {index} has unknown kind '{kind}' (known: {', '.join(sorted(SECTIONS))}).",
            errors=field_errors([{"loc": ("body", "sections", index, "kind"),
                                  "msg": f"unknown section kind '{kind}'", "type": "enum"}]))
    try:
        return SECTIONS[kind].params.model_validate(params).model_dump(mode="json")
    except ValidationError as exc:
        raise Unprocessable(f"Section {index} ({kind}) has invalid params.", errors=field_errors(
            [{**e, "loc": ("body", "sections", index, "params", *e["loc"])}
             for e in exc.errors()])) from exc


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:.2f}%"


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


class PerformanceParams(Params):
    sort: SortKey = SortKey.engagement_rate
    limit: Int32 = Field(default=10, ge=1, le=50)
    content_types: list[ContentType] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, max_length=20)
    min_impressions: Int64 = Field(default=0, ge=0)


@section("performance", PerformanceParams, "Top posts")
async def performance_section(ctx: Context, p: PerformanceParams, title: str) -> RenderedSection:
    report = await service.performance(
        ctx.session, service.Filters(ctx.period, ctx.networks, p.content_types, p.tags),
        sort=p.sort, limit=p.limit, min_impressions=p.min_impressions,
        stale_after_hours=ctx.stale_after_hours)
    rows, bars = [], []
    for r in report.rows:
        m = r.metrics
        rows.append([r.rank, r.post.network, r.post.content_type.value, r.post.title,
                     r.post.published_at.date().isoformat(), m.impressions, m.engagements,
                     m.engagement_rate, m.video_views, " | ".join(n.body for n in r.notes)])
        value = getattr(m, p.sort.value)
        bars.append(Bar(label=f"{r.post.network}: {r.post.title or r.post.external_id}"[:60],
                        value=(value or 0) * (100 if p.sort is SortKey.engagement_rate else 1)))
    highlights = []
    if report.rows:
        best = report.rows[0]
        shown = (_pct(best.metrics.engagement_rate) if p.sort is SortKey.engagement_rate
                 else _num(getattr(best.metrics, p.sort.value)))
        highlights.append(f"Top post by {p.sort.value.replace('_', ' ')}: "
                          f"\"{best.post.title or best.post.external_id}\" on "
                          f"{best.post.network} ({shown}).")
    t = report.totals
    highlights.append(f"{t.posts} posts: {_num(t.metrics.impressions)} impressions, "
                      f"{_num(t.metrics.engagements)} engagements, engagement rate "
                      f"{_pct(t.metrics.engagement_rate)}.")
    return RenderedSection(
        key="", kind="performance", title=title, annotations=[],
        columns=["rank", "network", "content_type", "title", "published_on", "impressions",
                 "engagements", "engagement_rate", "video_views", "notes"],
        rows=rows, highlights=highlights,
        chart=Chart(title=f"By {p.sort.value.replace('_', ' ')}", bars=bars,
                    unit="%" if p.sort is SortKey.engagement_rate else "") if bars else None)


class ProfileParams(Params):
    pass


@section("profiles", ProfileParams, "Networks against their goals")
async def profiles_section(ctx: Context, p: ProfileParams, title: str) -> RenderedSection:
    report = await service.profiles(ctx.session, service.Filters(ctx.period, ctx.networks),
                                    stale_after_hours=ctx.stale_after_hours)
    rows, bars, highlights, behind = [], [], [], []
    for n in report.networks:
        for k in n.kpis:
            if k.actual is None and k.target is None:
                continue
            rows.append([n.network, n.freshness, k.metric.value, k.actual, k.target,
                         k.percent_of_goal, k.previous, k.change_pct, k.on_track])
            if k.percent_of_goal is not None:
                bars.append(Bar(label=f"{n.network} {k.metric.value.replace('_', ' ')}",
                                value=k.percent_of_goal,
                                note="on track" if k.on_track else "behind"))
                if not k.on_track:
                    behind.append((k.percent_of_goal, f"{n.name} is behind on "
                                   f"{k.metric.value.replace('_', ' ')}: "
                                   f"{k.percent_of_goal:.0f}% of goal with "
                                   f"{report.elapsed_pct:.0f}% of the period gone."))
        if n.freshness != "fresh":
            highlights.append(f"{n.name}: data is {n.freshness}; its figures are not current.")
    behind.sort()
    highlights = [text for _, text in behind[:5]] + (
        [f"{len(behind) - 5} more KPIs are behind their goals."] if len(behind) > 5 else []
    ) + highlights
    return RenderedSection(
        key="", kind="profiles", title=title, annotations=[],
        columns=["network", "freshness", "metric", "actual", "target", "percent_of_goal",
                 "previous", "change_pct", "on_track"],
        rows=rows, highlights=highlights,
        chart=Chart(title="Percent of goal", unit="%", bars=bars, reference=100.0)
        if bars else None)


class TrendParams(Params):
    metrics: list[TrendMetric] = Field(default_factory=lambda: list(TrendMetric), min_length=1)
    content_types: list[ContentType] = Field(default_factory=list)
    threshold_pct: Real = Field(default=20.0, gt=0, le=1000)
    alpha: Real = Field(default=0.05, gt=0, lt=0.5)


@section("trends", TrendParams, "Trends against the previous period")
async def trends_section(ctx: Context, p: TrendParams, title: str) -> RenderedSection:
    report = await service.trends(
        ctx.session, service.Filters(ctx.period, ctx.networks, p.content_types),
        metrics=p.metrics, threshold_pct=p.threshold_pct, alpha=p.alpha,
        stale_after_hours=ctx.stale_after_hours)
    rows = [[c.network, c.content_type.value, c.metric.value, c.current_posts, c.previous_posts,
             c.current, c.previous, c.change_pct, c.p_adjusted, c.flag or ""]
            for c in report.cells]
    shown = report.signals or [c for c in report.cells if c.change_pct is not None][:12]
    bars = [Bar(label=f"{c.network} {c.content_type.value} {c.metric.value.replace('_', ' ')}",
                value=c.change_pct or 0, note=c.flag or "") for c in shown[:12]]
    highlights = [c.sentence for c in report.signals[:5]] or [
        "No shift is both large and statistically credible against the previous period."]
    return RenderedSection(
        key="", kind="trends", title=title, annotations=[],
        columns=["network", "content_type", "metric", "posts_now", "posts_before", "current",
                 "previous", "change_pct", "p_adjusted", "flag"],
        rows=rows, highlights=highlights,
        chart=Chart(title="Change against the previous period", unit="%", bars=bars,
                    reference=0.0) if bars else None)


class RequestsParams(Params):
    owner_id: Id | None = Field(default=None, ge=1,
                                 description="Only requests this member owns (routes to).")


def _hours_text(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.1f} h"


@section("requests", RequestsParams, "Requests and triage")
async def requests_section(ctx: Context, p: RequestsParams, title: str) -> RenderedSection:
    networks = await service.resolve_networks(ctx.session, ctx.networks) if ctx.networks else None
    rows, total = await triage.triage_summary(
        ctx.session, ctx.period, network_ids=[n.id for n in networks if n.id is not None]
        if networks is not None else None, owner_id=p.owner_id)
    c = total.counts
    highlights = [
        f"{c['submitted']} requests came in: {c['accepted']} accepted, {c['compromise']} "
        f"accepted with a compromise, {c['redirected']} redirected, {c['declined']} declined; "
        f"{c['untriaged']} still await triage and {c['withdrawn']} were withdrawn."]
    if c["submitted"]:
        highlights.append(
            f"Median time from submission to triage: {_hours_text(total.median_hours_to_triage)}"
            f"; to the first progress update: "
            f"{_hours_text(total.median_hours_to_first_update)}.")
    if c["strategy_review"]:
        highlights.append(f"{c['strategy_review']} flagged for strategy review (audience or "
                          "pillar mismatch with the network).")
    outcome = [("accepted", "accepted"), ("compromise", "compromise"),
               ("redirected", "redirected"), ("declined", "declined"),
               ("untriaged", "awaiting triage"), ("withdrawn", "withdrawn")]
    bars = [Bar(label=label, value=c[key], note="drop" if key == "declined" else "")
            for key, label in outcome]
    return RenderedSection(
        key="", kind="requests", title=title, annotations=[],
        columns=["network", *triage.COUNTS, "median_hours_to_triage",
                 "median_hours_to_first_update"],
        rows=[[r.network, *(r.counts[k] for k in triage.COUNTS), r.median_hours_to_triage,
               r.median_hours_to_first_update] for r in [*rows, total]] if rows else [],
        highlights=highlights,
        chart=Chart(title=f"{c['submitted']} requests by outcome", bars=bars)
        if c["submitted"] else None)
