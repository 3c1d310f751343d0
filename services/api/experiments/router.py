"""HTTP for A/B experiments: definitions, observations, per-arm aggregates and verdicts."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import col, select

from services.api.auth import (
    ExperimentReaderKey,
    ObservationWriterKey,
    Principal,
    StaffKey,
    VerdictWriterKey,
)
from services.api.concurrency import etag
from services.api.db import SessionDep
from services.api.errors import AppError, problems
from services.api.experiments import service, visibility
from services.api.experiments.schemas import (
    ExperimentCreate,
    ExperimentPlanPublic,
    ExperimentPlanRequest,
    ObservationBatch,
    ObservationResult,
)
from services.api.models import Experiment, Verdict
from services.api.pagination import CursorParam, Limit, paginate
from shared.schemas import Page
from shared.schemas.bounds import IdParam
from shared.schemas.experiments import (
    Aggregates,
    ExperimentPublic,
    ExperimentState,
    VerdictBatch,
    VerdictBatchResult,
    VerdictCreate,
    VerdictPublic,
)

router = APIRouter(prefix="/v1/experiments", tags=["experiments"])


async def _readable(session: SessionDep, experiment_id: IdParam, me: Principal) -> Experiment:
    """The experiment if the caller may see it; 404 otherwise (existence is not leaked)."""
    experiment = await session.get(Experiment, experiment_id)
    return await visibility.check_visible(session, experiment, experiment_id, me)


async def _one(session: SessionDep, experiment: Experiment, response: Response) -> ExperimentPublic:
    response.headers["ETag"] = etag(experiment)
    return (await service.public(session, [experiment]))[0]


@router.post("/plans", summary="Plan a sample size or a detectable effect",
             responses=problems(401, 403, 422))
async def plan_experiment(body: ExperimentPlanRequest, session: SessionDep,
                          me: StaffKey) -> ExperimentPlanPublic:
    """Writes nothing. With unit `post`: posts per arm for a Welch t-test on the per-post
    values, with the between-post variance of the network's recent posts (180 days, latest
    500; a documented fallback below 10 posts); with `n_per_arm`, the smallest effect that
    size detects with the given power ("with 20 posts per arm, what lift can we detect?").
    With unit `impression`: impressions per arm by Fleiss' formula."""
    return await service.plan(session, body)


@router.post("", status_code=201, summary="Create an experiment",
             responses=problems(401, 403, 422))
async def create_experiment(body: ExperimentCreate, session: SessionDep, me: StaffKey,
                            response: Response) -> ExperimentPublic:
    """Define a compromise A/B test: the team's variant against the stakeholder's, a primary
    metric, optional guardrails, and the design. The planned size per arm comes from `mde`,
    `alpha`, `power` (and `baseline_rate` for rates) as `POST /v1/experiments/plans` computes
    it: posts per arm with unit `post`, using the between-post variance of the network's recent
    posts, impressions per arm (Fleiss) with unit `impression`. `start: true` starts collecting
    at once; otherwise it stays a draft."""
    experiment = await service.create_experiment(session, body, actor=me)
    response.headers["Location"] = f"/v1/experiments/{experiment.id}"
    return await _one(session, experiment, response)


@router.get("", summary="List experiments", responses=problems(401, 403, 422))
async def list_experiments(
    session: SessionDep, me: ExperimentReaderKey, request: Request, response: Response,
    state: ExperimentState | None = None,
    request_id: Annotated[IdParam | None, Query(description="Only experiments of this request.")]
    = None,
    due: Annotated[bool | None, Query(
        description="true: running experiments whose data changed since their last verdict "
                    "(what the evaluator works through).")] = None,
    include: Annotated[Literal["aggregates"] | None, Query(
        description="`aggregates`: add each experiment's per-arm aggregates.")] = None,
    limit: Limit = 50, cursor: CursorParam = None,
) -> Page[ExperimentPublic]:
    """Experiments in id order, each with its arms and latest verdict. The evaluator asks for
    `due=true&include=aggregates`: one call per page instead of one per experiment.
    A stakeholder sees the experiments on their own requests; a strategist those on requests
    they can see and those they defined; the manager and service keys see all."""
    stmt = service.list_query(state=state, request_id=request_id, due=due)
    where = await visibility.visible(session, me)
    if where is not None:
        stmt = stmt.where(where)
    page = await paginate(session, stmt,
                          order=[(col(Experiment.id), False)], key=lambda e: [e.id],
                          convert=lambda e: e, limit=limit, cursor=cursor, request=request,
                          response=response)
    items = await service.public(session, page.items, with_aggregates=include == "aggregates")
    return Page[ExperimentPublic](items=items, next=page.next)


@router.post("/verdicts", summary="Record verdicts in bulk",
             responses=problems(401, 403, 413, 422))
async def create_verdicts(body: VerdictBatch, session: SessionDep, me: VerdictWriterKey,
                          request: Request) -> VerdictBatchResult:
    """Up to 200 verdicts (each with its `experiment_id`) in one transaction, for the
    evaluator's service key. Each item behaves as `POST /v1/experiments/{id}/verdicts`: its
    `status` is 201 (written), 200 (this data version already had a verdict: the stored one)
    or the problem status (404, 409 stale or concluded, 422) with its `detail`; one item's
    problem does not affect the others. Safe to retry as a whole."""
    result = await service.record_verdicts(session, body, actor=me)
    for item in result.items:
        _count_evaluation(request, item.status)
    return result


def _count_evaluation(request: Request, status: int) -> None:
    outcome = {201: "written", 200: "replayed"}.get(status, "rejected")
    request.app.state.metrics.evaluations.labels(outcome).inc()


@router.get("/{experiment_id:int}", summary="Read an experiment", responses=problems(401, 403, 404))
async def read_experiment(experiment_id: IdParam, session: SessionDep, me: ExperimentReaderKey,
                          response: Response) -> ExperimentPublic:
    """The experiment, its state, data version, looks so far and the latest verdict with its
    plain-language summary. 404 for an experiment on someone else's request."""
    return await _one(session, await _readable(session, experiment_id, me), response)


@router.post("/{experiment_id:int}/start", summary="Start collecting",
             responses=problems(401, 403, 404, 409))
async def start_experiment(experiment_id: IdParam, session: SessionDep, me: StaffKey,
                           response: Response) -> ExperimentPublic:
    """draft -> running: observations are accepted and the evaluator looks at it."""
    return await _one(session, await service.start_experiment(session, experiment_id, actor=me),
                      response)


@router.post("/{experiment_id:int}/stop", summary="Stop without a verdict",
             responses=problems(401, 403, 404, 409))
async def stop_experiment(experiment_id: IdParam, session: SessionDep, me: StaffKey,
                          response: Response) -> ExperimentPublic:
    """draft or running -> stopped: no more data, no more looks."""
    return await _one(session, await service.stop_experiment(session, experiment_id, actor=me),
                      response)


@router.post("/{experiment_id:int}/observations", summary="Send observations",
             responses=problems(401, 403, 404, 409, 413, 422))
async def add_observations(experiment_id: IdParam, body: ObservationBatch, session: SessionDep,
                           me: ObservationWriterKey) -> ObservationResult:
    """Up to 1,000 rows per call, each a post's cumulative counts in one arm (or, for an
    impression-split experiment, one day's counts). Rows are upserted by (arm, post): sending
    the same rows again changes nothing; corrected counts replace the old ones. The
    experiment's `data_version` grows by one per call that changes anything. A bad row rejects
    the whole batch."""
    return await service.ingest(session, experiment_id, body, actor=me)


@router.get("/{experiment_id:int}/aggregates", summary="Per-arm aggregates",
            responses=problems(401, 403, 404))
async def read_aggregates(experiment_id: IdParam, session: SessionDep,
                          me: ExperimentReaderKey) -> Aggregates:
    """Per arm: posts, impressions and, per metric, the sums, sums of squares and cross
    products over posts that the tests need, at the reported `data_version`."""
    experiment = await _readable(session, experiment_id, me)
    return (await service.aggregates(session, [experiment_id],
                                     {experiment_id: experiment.data_version}))[experiment_id]


@router.post("/{experiment_id:int}/verdicts", status_code=201, summary="Record a verdict",
             responses=problems(401, 403, 404, 409, 422)
             | {200: {"description": "This data version already has this verdict: the stored one",
                      "model": VerdictPublic}})
async def create_verdict(experiment_id: IdParam, body: VerdictCreate, session: SessionDep,
                         me: VerdictWriterKey, request: Request,
                         response: Response) -> VerdictPublic:
    """For the evaluator's service key (scope `verdicts:write`). One verdict per data version:
    sending the same verdict again returns the stored verdict with 200; a different verdict for
    a data version that already has one is a 409 naming the stored verdict's id. A verdict for
    an older data version is a 409 (re-read the aggregates); a conclusive decision (a winner,
    equivalent, inconclusive) concludes the experiment."""
    try:
        verdict, created = await service.record_verdict(session, experiment_id, body, actor=me)
    except AppError as exc:
        _count_evaluation(request, exc.status)
        raise
    if not created:
        response.status_code = 200
    _count_evaluation(request, response.status_code or 201)
    return verdict


@router.get("/{experiment_id:int}/verdicts", summary="Verdict history",
            responses=problems(401, 403, 404, 422))
async def list_verdicts(experiment_id: IdParam, session: SessionDep, me: ExperimentReaderKey,
                        request: Request, response: Response, limit: Limit = 50,
                        cursor: CursorParam = None) -> Page[VerdictPublic]:
    """Every look's verdict, newest first."""
    await _readable(session, experiment_id, me)
    return await paginate(session, select(Verdict).where(Verdict.experiment_id == experiment_id),
                          order=[(col(Verdict.id), True)], key=lambda v: [v.id],
                          convert=service.verdict_public, limit=limit, cursor=cursor,
                          request=request, response=response)
