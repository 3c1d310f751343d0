"""HTTP for reports: post performance (JSON and CSV), network profiles, trends, custom
reports with annotations and exports, share links, and the public shared view."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlmodel import col, select

from services.api.auth import ReportReaderKey, StaffKey
from services.api.concurrency import IfMatch, etag
from services.api.db import SessionDep
from services.api.errors import problems
from services.api.models import ContentType, Report, ShareLink
from services.api.pagination import CursorParam, Limit, paginate
from services.api.posts.schemas import ENGAGEMENT_RATE
from services.api.reports import custom, render, service
from services.api.reports.periods import MAX_RANGE_DAYS, resolve
from services.api.reports.schemas import (
    AnnotationCreate,
    AnnotationPublic,
    Highlights,
    PerformanceReport,
    ProfileReport,
    RenderedReport,
    ReportCreate,
    ReportPublic,
    ReportUpdate,
    SectionPublic,
    ShareLinkCreate,
    ShareLinkPublic,
    SortKey,
    TrendMetric,
    TrendsReport,
)
from services.api.team.schemas import QUARTER_PATTERN, SLUG_PATTERN
from shared.schemas import Page
from shared.schemas.bounds import DayParam, IdParam, Int64Param

router = APIRouter(prefix="/v1")

CSV = "text/csv; charset=utf-8"
PERIOD_DOC = (f"Period: `quarter` (e.g. 2026-Q4), or `from` and `to` (inclusive UTC days, at "
              f"most {MAX_RANGE_DAYS} days; longer is a 422); default the current quarter. "
              "Posts count in the period they were published in, with their current metrics. "
              "Comparisons use the previous period of equal length; a period still running "
              "is measured to date against the same span of the previous one.")

QuarterQ = Annotated[str | None, Query(pattern=QUARTER_PATTERN, examples=["2026-Q4"])]
FromQ = Annotated[DayParam | None, Query(alias="from", description="First day (inclusive).")]
ToQ = Annotated[DayParam | None, Query(alias="to", description="Last day (inclusive).")]
NetworksQ = Annotated[list[Annotated[str, Query(pattern=SLUG_PATTERN)]],
                      Query(max_length=50, description="Network slugs; repeat.")]
TypesQ = Annotated[list[ContentType], Query(max_length=6, description="Repeat.")]
TagsQ = Annotated[list[Annotated[str, Query(max_length=100)]],
                  Query(max_length=20, description="Campaign tags (any of); repeat.")]
OwnersQ = Annotated[list[IdParam], Query(max_length=50, description="Owner member ids; repeat.")]


def _stale(request: Request) -> int:
    return int(request.app.state.settings.stale_after_hours)


def _filters(quarter: str | None, start: DayParam | None, end: DayParam | None, network: list[str],
             content_type: list[ContentType], tag: list[str] | None = None,
             owner_id: list[int] | None = None) -> service.Filters:
    return service.Filters(resolve(quarter, start, end), network, content_type, tag or [],
                           owner_id or [])


async def _performance(request: Request, session: SessionDep, quarter: str | None,
                       start: DayParam | None, end: DayParam | None, network: list[str],
                       content_type: list[ContentType], tag: list[str], owner_id: list[int],
                       sort: SortKey, limit: int, min_impressions: int) -> PerformanceReport:
    return await service.performance(
        session, _filters(quarter, start, end, network, content_type, tag, owner_id),
        sort=sort, limit=limit, min_impressions=min_impressions,
        stale_after_hours=_stale(request))


PERF_DOC = ("Which posts created the most awareness (sort=impressions), the most engagement "
            "(engagements) or the highest engagement rate (engagement_rate; pair it with "
            "`min_impressions` so tiny posts do not top the list). The top `limit` posts, each "
            "with the notes strategists recorded, plus totals over every matching post and "
            "the data's freshness per network. " + PERIOD_DOC + " " + ENGAGEMENT_RATE)
SortQ = Annotated[SortKey, Query(description="Order, highest first.")]
TopQ = Annotated[int, Query(ge=1, le=service.MAX_TOP, description="Top N.")]
MinImpQ = Annotated[Int64Param, Query(ge=0, description="Only posts with at least this many "
                               "impressions in the ranking (totals include all).")]


@router.get("/reports/performance", tags=["reports"], summary="Post performance report",
            description=PERF_DOC, responses=problems(401, 403, 422))
async def performance_report(
    request: Request, session: SessionDep, _: ReportReaderKey, quarter: QuarterQ = None,
    start: FromQ = None, end: ToQ = None, network: NetworksQ = [],  # noqa: B006
    content_type: TypesQ = [], tag: TagsQ = [], owner_id: OwnersQ = [],  # noqa: B006
    sort: SortQ = SortKey.engagement_rate, limit: TopQ = 20, min_impressions: MinImpQ = 0,
) -> PerformanceReport:
    return await _performance(request, session, quarter, start, end, network, content_type,
                              tag, owner_id, sort, limit, min_impressions)


@router.get("/reports/performance.csv", tags=["reports"], summary="Post performance as CSV",
            response_class=PlainTextResponse, responses={
                **problems(401, 403, 422),
                200: {"content": {"text/csv": {"example": "rank,network,...\r\n"}},
                      "description": "The same rows as the JSON report."}})
async def performance_csv(
    request: Request, session: SessionDep, _: ReportReaderKey, quarter: QuarterQ = None,
    start: FromQ = None, end: ToQ = None, network: NetworksQ = [],  # noqa: B006
    content_type: TypesQ = [], tag: TagsQ = [], owner_id: OwnersQ = [],  # noqa: B006
    sort: SortQ = SortKey.engagement_rate, limit: TopQ = 20, min_impressions: MinImpQ = 0,
) -> Response:
    """The performance report's rows (same parameters), one line per post; rates are
    fractions; notes joined with ` | `."""
    r = await _performance(request, session, quarter, start, end, network, content_type, tag,
                           owner_id, sort, limit, min_impressions)
    columns = ["rank", "post_id", "network", "external_id", "content_type", "published_at",
               "title", "campaign_tags", "impressions", "reach", "engagements",
               "engagement_rate", "likes", "comments", "shares", "saves", "clicks",
               "video_views", "watch_time_seconds", "metrics_as_of", "notes"]
    rows = [[x.rank, x.post.id, x.post.network, x.post.external_id, x.post.content_type.value,
             x.post.published_at.isoformat(), x.post.title, " ".join(x.post.campaign_tags),
             x.metrics.impressions, x.metrics.reach, x.metrics.engagements,
             x.metrics.engagement_rate, x.metrics.likes, x.metrics.comments, x.metrics.shares,
             x.metrics.saves, x.metrics.clicks, x.metrics.video_views,
             x.metrics.watch_time_seconds,
             x.post.metrics_as_of.isoformat() if x.post.metrics_as_of else None,
             " | ".join(n.body for n in x.notes)] for x in r.rows]
    return Response(render.rows_csv(columns, rows), media_type=CSV, headers={
        "Content-Disposition": 'attachment; filename="post-performance.csv"'})


@router.get("/reports/profiles", tags=["reports"], summary="Network profile report",
            responses=problems(401, 403, 422))
async def profile_report(
    request: Request, session: SessionDep, _: ReportReaderKey, quarter: QuarterQ = None,
    start: FromQ = None, end: ToQ = None, network: NetworksQ = [],  # noqa: B006
) -> ProfileReport:
    """Per network: posts, impressions, engagements, engagement rate, video views and
    follower growth over the period, the previous period of equal length and the change,
    and each against the quarter's goal (the quarter the period starts in) as percent of goal
    and on track or not. Networks without any data show null figures and `missing`, never
    zeros. """
    return await service.profiles(session, _filters(quarter, start, end, network, []),
                                  stale_after_hours=_stale(request))


@router.get("/reports/trends", tags=["reports"], summary="Trends against the previous period",
            description=service.TREND_METHOD, responses=problems(401, 403, 422))
async def trends_report(
    request: Request, session: SessionDep, _: ReportReaderKey, quarter: QuarterQ = None,
    start: FromQ = None, end: ToQ = None, network: NetworksQ = [],  # noqa: B006
    content_type: TypesQ = [],  # noqa: B006
    metric: Annotated[list[TrendMetric], Query(description="Repeat; default all.")] = [],  # noqa: B006
    threshold_pct: Annotated[float, Query(gt=0, le=1000, description="A change at least this "
                                          "large (percent) counts as large.")] = 20.0,
    alpha: Annotated[float, Query(gt=0, lt=0.5)] = 0.05,
) -> TrendsReport:
    return await service.trends(session, _filters(quarter, start, end, network, content_type),
                                metrics=metric or list(TrendMetric), threshold_pct=threshold_pct,
                                alpha=alpha, stale_after_hours=_stale(request))


# Custom reports


def _report(r: Report) -> ReportPublic:
    return ReportPublic(id=r.id or 0, name=r.name, description=r.description,
                        period_from=r.period_from, period_to=r.period_to, networks=r.networks,
                        sections=[SectionPublic(**s) for s in r.sections],
                        created_at=r.created_at, updated_at=r.updated_at)


@router.post("/reports", status_code=201, tags=["custom reports"],
             summary="Save a custom report", responses=problems(401, 403, 422))
async def create_report(body: ReportCreate, session: SessionDep, me: StaffKey,
                        response: Response) -> ReportPublic:
    """A report definition: a period (at most 366 days), optional networks, and sections of
    kind `performance` (params: sort, limit, content_types, tags, min_impressions),
    `profiles`, or `trends` (params: metrics, content_types, threshold_pct, alpha). Each
    rendering recomputes it from current data. An unknown kind or param is a 422."""
    report = await custom.create_report(session, body, actor=me)
    response.headers["ETag"] = etag(report)
    response.headers["Location"] = f"/v1/reports/{report.id}"
    return _report(report)


@router.get("/reports", tags=["custom reports"], summary="List custom reports",
            responses=problems(401, 403, 422))
async def list_reports(session: SessionDep, _: ReportReaderKey, request: Request,
                       response: Response, limit: Limit = 50,
                       cursor: CursorParam = None) -> Page[ReportPublic]:
    """Keys that may read reports. Saved report definitions, newest first."""
    return await paginate(session, select(Report), order=[(col(Report.id), True)],
                          key=lambda r: [r.id], convert=_report, limit=limit, cursor=cursor,
                          request=request, response=response)


@router.get("/reports/{report_id:int}", tags=["custom reports"], summary="Read a report definition",
            responses=problems(401, 403, 404))
async def read_report(report_id: IdParam, session: SessionDep, _: ReportReaderKey,
                      response: Response) -> ReportPublic:
    """Keys that may read reports. The definition (period, filters, sections), with an `ETag` for
    `PATCH` and `DELETE`; `GET .../render` runs it."""
    report = await custom.get_report(session, report_id)
    response.headers["ETag"] = etag(report)
    return _report(report)


@router.patch("/reports/{report_id:int}", tags=["custom reports"], summary="Change a report",
              responses=problems(401, 403, 404, 412, 422, 428))
async def update_report(report_id: IdParam, body: ReportUpdate, session: SessionDep, me: StaffKey,
                        if_match: IfMatch, response: Response) -> ReportPublic:
    """Strategist or manager. Changes the fields you send; send the `ETag` you read as
    `If-Match`."""
    report = await custom.update_report(session, report_id, body, if_match=if_match, actor=me)
    response.headers["ETag"] = etag(report)
    return _report(report)


@router.delete("/reports/{report_id:int}", status_code=204, tags=["custom reports"],
               summary="Delete a report", responses=problems(401, 403, 404, 412, 428))
async def delete_report(report_id: IdParam, session: SessionDep, me: StaffKey,
                        if_match: IfMatch) -> None:
    """Deletes its annotations and share links too: shared links stop working."""
    await custom.delete_report(session, report_id, if_match=if_match, actor=me)


async def _rendered(request: Request, session: SessionDep, report_id: IdParam) -> RenderedReport:
    report = await custom.get_report(session, report_id)
    return await custom.render(session, report, stale_after_hours=_stale(request))


@router.get("/reports/{report_id:int}/render", tags=["custom reports"], summary="Run a report",
            responses=problems(401, 403, 404))
async def render_report(report_id: IdParam, request: Request, session: SessionDep,
                        _: ReportReaderKey) -> RenderedReport:
    """Every section computed from current data, with annotations, a chart spec, the rows
    and highlights, and the data's freshness."""
    return await _rendered(request, session, report_id)


HTML_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"example": "<!DOCTYPE html>..."}},
          "description": "One self-contained page (inline CSS and SVG charts)."}}
CSV_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"example": "# section: Top posts,s1,performance"}},
          "description": "One block per section."}}


@router.get("/reports/{report_id:int}/export.html", tags=["custom reports"],
            summary="Export a report as HTML", response_class=HTMLResponse,
            responses={**problems(401, 403, 404), **HTML_DOC})
async def export_html(report_id: IdParam, request: Request, session: SessionDep,
                      _: ReportReaderKey) -> HTMLResponse:
    """A single HTML page with inline CSS and SVG charts and no external resources; it
    prints cleanly to PDF (A4, sections kept whole)."""
    return HTMLResponse(render.to_html(await _rendered(request, session, report_id)))


@router.get("/reports/{report_id:int}/export.csv", tags=["custom reports"],
            summary="Export a report as CSV", response_class=PlainTextResponse,
            responses={**problems(401, 403, 404), **CSV_DOC})
async def export_csv(report_id: IdParam, request: Request, session: SessionDep,
                     _: ReportReaderKey) -> Response:
    """Keys that may read reports. The rendered report as CSV."""
    text = render.to_csv(await _rendered(request, session, report_id))
    return Response(text, media_type=CSV, headers={
        "Content-Disposition": f'attachment; filename="report-{report_id}.csv"'})


@router.get("/reports/{report_id:int}/highlights", tags=["custom reports"],
            summary="Email highlights of a report", responses=problems(401, 403, 404))
async def report_highlights(report_id: IdParam, request: Request, session: SessionDep,
                            _: ReportReaderKey) -> Highlights:
    """A subject line and the highlights of every section with its annotations, in plain
    text and in HTML, ready to paste into an email."""
    return render.highlights(await _rendered(request, session, report_id))


@router.post("/reports/{report_id:int}/annotations", status_code=201, tags=["custom reports"],
             summary="Annotate a section", responses=problems(401, 403, 404, 422))
async def add_annotation(report_id: IdParam, body: AnnotationCreate, session: SessionDep,
                         me: StaffKey) -> AnnotationPublic:
    """Strategist or manager. A note on one section of the report, named by its `key`."""
    note = await custom.add_annotation(session, report_id, body, actor=me)
    return AnnotationPublic.model_validate(note, from_attributes=True)


@router.get("/reports/{report_id:int}/annotations", tags=["custom reports"],
            summary="A report's annotations", responses=problems(401, 403, 404))
async def list_annotations(report_id: IdParam, session: SessionDep,
                           _: ReportReaderKey) -> list[AnnotationPublic]:
    """Keys that may read reports. The report's annotations."""
    await custom.get_report(session, report_id)
    return [AnnotationPublic.model_validate(n, from_attributes=True)
            for n in await custom.annotations(session, report_id)]


@router.delete("/reports/{report_id:int}/annotations/{annotation_id:int}", status_code=204,
               tags=["custom reports"], summary="Remove an annotation",
               responses=problems(401, 403, 404))
async def delete_annotation(report_id: IdParam, annotation_id: IdParam, session: SessionDep,
                            me: StaffKey) -> None:
    """Strategist or manager. The annotation leaves the report and its exports."""
    await custom.delete_annotation(session, report_id, annotation_id, actor=me)


def _link(link: ShareLink, url: str | None = None) -> ShareLinkPublic:
    return ShareLinkPublic(id=link.id or 0, report_id=link.report_id, label=link.label,
                           expires_at=link.expires_at, revoked_at=link.revoked_at,
                           created_at=link.created_at, url=url)


@router.post("/reports/{report_id:int}/share-links", status_code=201, tags=["custom reports"],
             summary="Share a report read-only", responses=problems(401, 403, 404, 422))
async def create_share_link(report_id: IdParam, body: ShareLinkCreate, request: Request,
                            session: SessionDep, me: StaffKey) -> ShareLinkPublic:
    """A signed link that opens this report, and nothing else, without a key, until it
    expires or is revoked. The URL is shown only here; append `.html` or `.csv`."""
    settings = request.app.state.settings
    link, token = await custom.create_link(session, report_id, body, actor=me,
                                           configured_secret=settings.share_secret)
    return _link(link, f"{settings.public_base_url.rstrip('/')}/v1/shared/{token}")


@router.get("/reports/{report_id:int}/share-links", tags=["custom reports"],
            summary="A report's share links", responses=problems(401, 403, 404))
async def list_share_links(report_id: IdParam, session: SessionDep,
                           _: StaffKey) -> list[ShareLinkPublic]:
    """Strategist or manager. The report's share links, revoked and expired ones included."""
    return [_link(link) for link in await custom.links(session, report_id)]


@router.post("/reports/{report_id:int}/share-links/{link_id:int}/revoke", tags=["custom reports"],
             summary="Revoke a share link", responses=problems(401, 403, 404))
async def revoke_share_link(report_id: IdParam, link_id: IdParam, session: SessionDep,
                            me: StaffKey) -> ShareLinkPublic:
    """The link stops working at once (idempotent)."""
    return _link(await custom.revoke_link(session, report_id, link_id, actor=me))


# The public, keyless view. Routes with a suffix come first: `{token}` matches dots too.

shared = APIRouter(prefix="/v1/shared", tags=["shared"])
PUBLIC: dict[str, Any] = {"security": []}  # no key: the signed token in the URL is the credential
INVALID_DOC = problems(404)


async def _shared(request: Request, session: SessionDep, token: str) -> RenderedReport:
    report = await custom.open_link(session, token,
                                    configured_secret=request.app.state.settings.share_secret)
    return await custom.render(session, report, stale_after_hours=_stale(request))


@shared.get("/{token}.html", summary="Open a shared report (HTML)", response_class=HTMLResponse,
            responses={**INVALID_DOC, **HTML_DOC}, openapi_extra=PUBLIC)
async def shared_html(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """No key needed. A tampered, expired or revoked token is a 404, whichever it is."""
    return HTMLResponse(render.to_html(await _shared(request, session, token)))


@shared.get("/{token}.csv", summary="Open a shared report (CSV)",
            response_class=PlainTextResponse, responses={**INVALID_DOC, **CSV_DOC},
            openapi_extra=PUBLIC)
async def shared_csv(token: str, request: Request, session: SessionDep) -> Response:
    """No key: the signed token in the URL is the credential. A tampered, expired or revoked link
    is a 404."""
    return Response(render.to_csv(await _shared(request, session, token)), media_type=CSV)


@shared.get("/{token}", summary="Open a shared report", responses=INVALID_DOC,
            openapi_extra=PUBLIC)
async def shared_json(token: str, request: Request, session: SessionDep) -> RenderedReport:
    """The rendered report, read-only, without a key."""
    return await _shared(request, session, token)
