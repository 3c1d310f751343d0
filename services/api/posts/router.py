"""HTTP for posts and metrics: bulk upsert, reading posts and snapshots, notes, goals,
follower counts."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlmodel import col, select

from services.api.auth import MetricsWriterKey, ReportReaderKey, StaffKey
from services.api.db import SessionDep
from services.api.errors import problems
from services.api.models import METRICS, ContentType, MetricSnapshot, Network, Post, PostTag
from services.api.pagination import CursorParam, Limit, paginate
from services.api.posts import service
from services.api.posts.schemas import (
    ENGAGEMENT_RATE,
    BulkResult,
    BulkUpsert,
    FollowersPut,
    FollowersResult,
    GoalPublic,
    GoalSet,
    GoalsPut,
    MetricsPublic,
    NoteCreate,
    NotePublic,
    PostPublic,
    SnapshotPublic,
)
from services.api.reports.periods import day_start
from services.api.team.schemas import QUARTER_PATTERN, SLUG_PATTERN
from shared.schemas import Page
from shared.schemas.bounds import DayParam, IdParam

router = APIRouter(prefix="/v1")


def metrics_of(obj: object) -> MetricsPublic:
    values = {m: getattr(obj, m) for m in METRICS}
    return MetricsPublic(**values, engagement_rate=service.rate(values["engagements"],
                                                                values["impressions"]))


def post_public(p: Post, slug: str) -> PostPublic:
    return PostPublic(id=p.id or 0, network=slug, external_id=p.external_id,
                      published_at=p.published_at, content_type=p.content_type, title=p.title,
                      url=p.url, owner_id=p.owner_id, campaign_tags=p.campaign_tags,
                      calendar_entry_id=p.calendar_entry_id, request_id=p.request_id,
                      metrics_as_of=p.metrics_as_of, metrics=metrics_of(p))


BULK_DOC = """Upsert up to 1,000 posts and 5,000 snapshots in one call. Posts are keyed on
    (network, external_id), snapshots on (post, captured_at): resending the same data changes
    nothing (`snapshots_unchanged`), so collectors can retry freely. Counters are cumulative;
    a snapshot lowering one against the previous snapshot is stored but listed in `flagged`
    (and marked `is_flagged`). A post on an unknown network rejects the whole call (422,
    nothing written). The newest snapshot becomes the post's current metrics. """


@router.post("/posts/bulk", tags=["posts"], summary="Upsert posts and metric snapshots",
             responses=problems(400, 401, 403, 413, 422), description=BULK_DOC + ENGAGEMENT_RATE)
async def bulk_upsert(body: BulkUpsert, session: SessionDep,
                      me: MetricsWriterKey) -> BulkResult:
    return await service.bulk_upsert(session, body, actor=me)


@router.get("/posts", tags=["posts"], summary="List posts",
            responses=problems(401, 403, 422))
async def list_posts(
    session: SessionDep, _: ReportReaderKey, request: Request, response: Response,
    network: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None,
    content_type: ContentType | None = None,
    tag: Annotated[str | None, Query(max_length=100, description="A campaign tag.")] = None,
    published_from: DayParam | None = None, published_to: DayParam | None = None,
    limit: Limit = 50, cursor: CursorParam = None,
) -> Page[PostPublic]:
    """Posts, newest published first, with their current metrics."""
    stmt = select(Post, Network.slug).join(Network, col(Network.id) == Post.network_id)
    if network:
        stmt = stmt.where(Network.slug == network)
    if content_type:
        stmt = stmt.where(Post.content_type == content_type)
    if tag:
        stmt = stmt.where(select(PostTag.post_id).where(
            PostTag.post_id == Post.id, PostTag.tag == tag.lower()).exists())
    if published_from:
        stmt = stmt.where(col(Post.published_at) >= day_start(published_from))
    if published_to:
        stmt = stmt.where(col(Post.published_at) < day_start(published_to, plus_days=1))
    return await paginate(session, stmt, order=[(col(Post.published_at), True),
                                                (col(Post.id), True)],
                          key=lambda r: [r[0].published_at, r[0].id],
                          convert=lambda r: post_public(r[0], r[1]), limit=limit,
                          cursor=cursor, request=request, response=response)


@router.get("/posts/{post_id:int}", tags=["posts"], summary="Read a post",
            responses=problems(401, 403, 404))
async def read_post(post_id: IdParam, session: SessionDep, _: ReportReaderKey) -> PostPublic:
    """Keys that may read reports. The post with its newest metrics."""
    post, slug = await service.get_post(session, post_id)
    return post_public(post, slug)


@router.get("/posts/{post_id:int}/snapshots", tags=["posts"], summary="A post's metric history",
            responses=problems(401, 403, 404, 422))
async def list_snapshots(post_id: IdParam, session: SessionDep, _: ReportReaderKey,
                         request: Request, response: Response, flagged: bool | None = None,
                         limit: Limit = 50, cursor: CursorParam = None) -> Page[SnapshotPublic]:
    """Snapshots oldest first; `flagged=true` shows only those that lowered a counter."""
    await service.get_post(session, post_id)
    stmt = select(MetricSnapshot).where(MetricSnapshot.post_id == post_id)
    if flagged is not None:
        stmt = stmt.where(MetricSnapshot.is_flagged == flagged)
    return await paginate(
        session, stmt, order=[(col(MetricSnapshot.captured_at), False)],
        key=lambda s: [s.captured_at],
        convert=lambda s: SnapshotPublic(id=s.id, captured_at=s.captured_at,
                                         is_flagged=s.is_flagged, decreased=s.decreased,
                                         **metrics_of(s).model_dump()),
        limit=limit, cursor=cursor, request=request, response=response)


@router.post("/posts/{post_id:int}/notes", status_code=201, tags=["posts"],
             summary="Note what worked on a post", responses=problems(401, 403, 404, 422))
async def add_note(post_id: IdParam, body: NoteCreate, session: SessionDep,
                   me: StaffKey) -> NotePublic:
    """A qualitative note; the post performance report shows it next to the numbers."""
    note = await service.add_note(session, post_id, body, actor=me)
    return NotePublic.model_validate(note, from_attributes=True)


@router.get("/posts/{post_id:int}/notes", tags=["posts"], summary="Notes on a post",
            responses=problems(401, 403, 404))
async def list_notes(post_id: IdParam, session: SessionDep,
                     _: ReportReaderKey) -> list[NotePublic]:
    """Keys that may read reports. Strategists' notes on the post."""
    await service.get_post(session, post_id)
    notes = (await service.notes_for(session, [post_id]))[post_id]
    return [NotePublic.model_validate(n, from_attributes=True) for n in notes]


QuarterPath = Annotated[str, Path(pattern=QUARTER_PATTERN, examples=["2026-Q4"])]


@router.put("/networks/{slug}/goals/{quarter}", tags=["goals"],
            summary="Set a network's goals for a quarter", responses=problems(401, 403, 404, 422))
async def put_goals(slug: str, quarter: QuarterPath, body: GoalsPut, session: SessionDep,
                    me: StaffKey) -> GoalSet:
    """Replace the quarter's KPI targets of the network (idempotent). The network profile
    report measures each against the quarter's actuals."""
    goals = await service.put_goals(session, slug, quarter, body, actor=me)
    return GoalSet(network=slug, quarter=quarter, goals=[GoalPublic(
        network=slug, quarter=g.quarter, metric=g.metric, target=g.target) for g in goals])


@router.get("/goals", tags=["goals"], summary="Goals of a quarter",
            responses=problems(401, 403, 422))
async def list_goals(session: SessionDep, _: ReportReaderKey,
                     quarter: Annotated[str, Query(pattern=QUARTER_PATTERN,
                                                   examples=["2026-Q4"])]) -> list[GoalPublic]:
    """Keys that may read reports. Each network's targets for the `quarter`."""
    goals = await service.goals_of(session, quarter)
    slugs = dict((await session.exec(select(Network.id, Network.slug))).all())
    return [GoalPublic(network=slugs[g.network_id], quarter=g.quarter, metric=g.metric,
                       target=g.target) for g in goals]


@router.put("/networks/{slug}/followers", tags=["goals"],
            summary="Record follower counts", responses=problems(401, 403, 404, 422))
async def put_followers(slug: str, body: FollowersPut, session: SessionDep,
                        me: MetricsWriterKey) -> FollowersResult:
    """Daily follower counts of the network's account (upsert by day; `written` counts the
    new or changed days). Follower growth over a period is the last count on or before its
    end minus the last before its start."""
    return FollowersResult(network=slug,
                           written=await service.put_followers(session, slug, body, actor=me))
