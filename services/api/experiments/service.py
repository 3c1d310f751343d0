"""Experiment use cases: define and run experiments, ingest observations idempotently, serve
per-arm aggregates computed in SQL, and store verdicts once per data version."""

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Float, cast, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.abtest import sizing
from services.api.auth import Principal
from services.api.db import utcnow
from services.api.errors import AppError, Conflict, InvalidTransition, NotFound, Unprocessable
from services.api.events import service as events
from services.api.experiments.schemas import (
    ExperimentCreate,
    ExperimentPlanPublic,
    ExperimentPlanRequest,
    ObservationBatch,
    ObservationResult,
)
from services.api.models import (
    Experiment,
    ExperimentArm,
    Network,
    Observation,
    Post,
    Request,
    Verdict,
)
from services.api.pagination import where_given
from shared.schemas.bounds import INT32_MAX
from shared.schemas.experiments import (
    CONCLUSIVE,
    PROPORTION_METRICS,
    VALUE_METRICS,
    Aggregates,
    ArmAggregate,
    ArmPublic,
    ArmRole,
    Decision,
    ExperimentPublic,
    ExperimentState,
    Metric,
    MetricSums,
    Unit,
    VerdictBatch,
    VerdictBatchOutcome,
    VerdictBatchResult,
    VerdictCreate,
    VerdictPublic,
    VerdictSummary,
)

# Fields compared on upsert: a re-sent identical row changes nothing, not even data_version.
_OBSERVED = ("day", "impressions", "engagements", "clicks", "video_views", "watch_seconds")


# Experiments


# Planning: history posts of the network, the most recent first, within this window.
HISTORY_DAYS = 180
HISTORY_POSTS = 500
# A per-post experiment plans at least as many posts as the evaluator needs to conclude.
MIN_PLANNED_POSTS = 10
_HISTORY_COLUMN = {Metric.engagement_rate: "engagements", Metric.click_rate: "clicks",
                   Metric.video_views: "video_views", Metric.watch_time: "watch_time_seconds"}


async def _network_id(session: AsyncSession, slug: str | None,
                      request_id: int | None) -> tuple[int, str] | None:
    if slug is not None:
        network = (await session.exec(select(Network).where(Network.slug == slug))).first()
        if network is None or network.id is None:
            raise Unprocessable(f"No network '{slug}'.")
        return network.id, network.name
    if request_id is not None:
        request = await session.get(Request, request_id)
        if request is not None:
            network = await session.get(Network, request.network_id)
            if network is not None and network.id is not None:
                return network.id, network.name
    return None


async def _history(session: AsyncSession, network: tuple[int, str] | None,
                   metric: Metric) -> tuple[list[float], list[float]]:
    """(metric values, impressions) of the network's recent posts with impressions."""
    if network is None:
        return [], []
    value = getattr(Post, _HISTORY_COLUMN[metric])
    since = utcnow() - timedelta(days=HISTORY_DAYS)
    rows = (await session.exec(
        select(value, Post.impressions)
        .where(Post.network_id == network[0], col(Post.impressions) > 0,
               col(Post.published_at) >= since)
        .order_by(col(Post.published_at).desc()).limit(HISTORY_POSTS))).all()
    return [float(v) for v, _ in rows], [float(x) for _, x in rows]


async def plan(session: AsyncSession, data: ExperimentPlanRequest, *,
               request_id: int | None = None) -> ExperimentPlanPublic:
    """Size per arm and detectable effect in the experiment's unit (see ExperimentPlanPublic)."""
    metric = data.primary_metric
    if data.unit == Unit.impression:
        if metric in VALUE_METRICS:
            raise Unprocessable("Per-post values need unit `post`.")
        if data.baseline_rate is None:
            raise Unprocessable("Give baseline_rate (the team arm's expected rate).")
        p = data.baseline_rate
        n = None
        if data.mde is not None:
            if p + data.mde >= 1:
                raise Unprocessable("baseline_rate + mde must stay below 1.")
            n = sizing.required_sample_size_proportions(p, data.mde, alpha=data.alpha,
                                                        power=data.power)
        # Normal approximation with the baseline's binomial variance per impression.
        per_impression = (sizing.detectable_effect_posts(data.n_per_arm, p * (1 - p),
                                                         alpha=data.alpha, power=data.power)
                          if data.n_per_arm is not None else None)
        return ExperimentPlanPublic(counted="impressions", n_per_arm=n, mde=data.mde,
                          detectable_effect=per_impression, variance=None,
                          basis="Fleiss' formula for the two-proportion z-test (impressions "
                                "as independent trials).")
    network = await _network_id(session, data.network, request_id)
    values, impressions = await _history(session, network, metric)
    where = f"{len(values)} recent {network[1]} posts" if network else "no network given"
    extra = 0.0
    variance_b: float | None = None
    if metric in PROPORTION_METRICS:
        if data.baseline_rate is None:
            raise Unprocessable("Give baseline_rate (the team arm's expected rate).")
        rate = data.baseline_rate
        found = sizing.rate_dispersion(values, impressions)
        basis = (f"between-post variance of the rate from {where}" if found is not None else
                 f"fallback dispersion {sizing.FALLBACK_DISPERSION} (variance D r (1 - r) per "
                 f"post): {where}, fewer than {sizing.MIN_HISTORY_POSTS}")
        dispersion, m2 = found or (sizing.FALLBACK_DISPERSION, sizing.FALLBACK_LEVERAGE)
        variance = dispersion * rate * (1 - rate)
        extra = 2.0 * m2
        effect = data.mde
        if effect is not None:
            other = rate + effect
            if not 0 < other < 1:
                raise Unprocessable("baseline_rate + mde must stay below 1.")
            variance_b = dispersion * other * (1 - other)
    else:
        log_var = sizing.log_value_variance(values)
        basis = (f"variance of log1p({metric.value}) from {where}" if log_var is not None
                 else f"fallback sd of log1p({metric.value}) {sizing.FALLBACK_LOG_SD}: "
                      f"{where}, fewer than {sizing.MIN_HISTORY_POSTS}")
        variance = log_var if log_var is not None else sizing.FALLBACK_LOG_SD**2
        effect = math.log1p(data.mde) if data.mde is not None else None
    n = (max(MIN_PLANNED_POSTS, sizing.required_posts(
        variance, effect, variance_b=variance_b, extra_posts=extra, alpha=data.alpha,
        power=data.power)) if effect is not None else None)
    detectable: float | None = None
    if data.n_per_arm is not None:
        detectable = sizing.detectable_effect_posts(data.n_per_arm, variance,
                                                    extra_posts=extra, alpha=data.alpha,
                                                    power=data.power)
        if metric in VALUE_METRICS:
            detectable = math.expm1(detectable) if detectable < 700 else math.inf
        detectable = detectable if math.isfinite(detectable) else None
    return ExperimentPlanPublic(counted="posts", n_per_arm=n, mde=data.mde,
                                detectable_effect=detectable, variance=variance,
                                basis=f"{basis}; Welch t sample size (normal formula with "
                                      "Guenther's small-sample correction).")


async def _planned_n(session: AsyncSession, data: ExperimentCreate) -> tuple[int, str]:
    """(planned size per arm, how it was planned)."""
    counted = "posts" if data.unit == Unit.post else "impressions"
    if data.planned_n_per_arm is not None:
        return data.planned_n_per_arm, f"{counted} per arm as given"
    planned = await plan(session, ExperimentPlanRequest(
        primary_metric=data.primary_metric, unit=data.unit, alpha=data.alpha, power=data.power,
        baseline_rate=data.baseline_rate, mde=data.mde, network=data.network),
        request_id=data.request_id)
    assert planned.n_per_arm is not None  # mde is required on ExperimentCreate
    if planned.n_per_arm > INT32_MAX:
        raise Unprocessable(f"An mde of {data.mde:g} needs {planned.n_per_arm:,} {counted} per "
                            f"arm, more than an experiment can plan ({INT32_MAX:,}); choose a "
                            "larger mde or give planned_n_per_arm.")
    return planned.n_per_arm, planned.basis


def _check_definition(data: ExperimentCreate) -> None:
    if len(data.arms) != 2:
        raise Unprocessable(f"An experiment needs exactly two arms (the team's variant and the "
                            f"stakeholder's), got {len(data.arms)}.")
    if {a.role for a in data.arms} != {ArmRole.team, ArmRole.stakeholder}:
        raise Unprocessable("One arm must have role `team` and the other `stakeholder`.")
    if data.arms[0].key == data.arms[1].key:
        raise Unprocessable(f"Arm keys must differ (both are '{data.arms[0].key}').")
    if not math.isclose(sum(a.share for a in data.arms), 1.0, abs_tol=1e-9):
        raise Unprocessable("Arm shares must add up to 1.")
    if data.primary_metric in data.guardrail_metrics:
        raise Unprocessable("The primary metric cannot also be a guardrail.")
    if len(set(data.guardrail_metrics)) != len(data.guardrail_metrics):
        raise Unprocessable("Guardrail metrics must not repeat.")
    if data.unit == Unit.impression and any(
            m in VALUE_METRICS for m in [data.primary_metric, *data.guardrail_metrics]):
        raise Unprocessable("Per-post values need unit `post`; unit `impression` fits "
                            "engagement_rate or click_rate on one post shown to a split audience.")


async def create_experiment(session: AsyncSession, data: ExperimentCreate, *,
                            actor: Principal) -> Experiment:
    experiment = await add_experiment(session, data, actor=actor)
    await session.commit()
    return experiment


async def add_experiment(session: AsyncSession, data: ExperimentCreate, *,
                         actor: Principal) -> Experiment:
    """Check and add the experiment with its arms, flushed but NOT committed (a triage adds it
    with the request's own change). 422 when `request_id` names no request."""
    _check_definition(data)
    if data.request_id is not None and await session.get(Request, data.request_id) is None:
        raise Unprocessable(f"No request with id {data.request_id}.")
    planned, basis = await _planned_n(session, data)
    now = utcnow()
    experiment = Experiment(
        **data.model_dump(exclude={"arms", "start", "planned_n_per_arm", "guardrail_metrics",
                                   "network"}),
        guardrail_metrics=[m.value for m in data.guardrail_metrics],
        planned_n_per_arm=planned, sizing_basis=basis,
        state=ExperimentState.running if data.start else ExperimentState.draft,
        started_at=now if data.start else None, created_by_key_id=actor.key_id,
    )
    session.add(experiment)
    await session.flush()
    assert experiment.id is not None
    arms = sorted(data.arms, key=lambda a: a.role != ArmRole.team)
    session.add_all([ExperimentArm(experiment_id=experiment.id, position=i, **a.model_dump())
                     for i, a in enumerate(arms)])
    await events.record(session, "experiment.created", "experiment", experiment.id,
                        {"request_id": data.request_id, "state": experiment.state,
                         "planned_n_per_arm": planned}, actor=actor)
    return experiment


async def get_experiment(session: AsyncSession, experiment_id: int, *,
                         for_update: bool = False) -> Experiment:
    stmt = select(Experiment).where(Experiment.id == experiment_id)
    if for_update:
        stmt = stmt.with_for_update()
    experiment = (await session.exec(stmt)).first()
    if experiment is None:
        raise NotFound(f"No experiment with id {experiment_id}.")
    return experiment


async def arms_of(session: AsyncSession,
                  experiment_ids: Sequence[int]) -> dict[int, list[ExperimentArm]]:
    found: dict[int, list[ExperimentArm]] = {i: [] for i in experiment_ids}
    rows = await session.exec(select(ExperimentArm).where(
        col(ExperimentArm.experiment_id).in_(experiment_ids)).order_by(
        col(ExperimentArm.experiment_id), col(ExperimentArm.position)))
    for arm in rows.all():
        found[arm.experiment_id].append(arm)
    return found


async def public(session: AsyncSession, experiments: Sequence[Experiment], *,
                 with_aggregates: bool = False) -> list[ExperimentPublic]:
    """Experiments with their arms and latest verdict (and aggregates), a query each for the
    whole list."""
    ids = [e.id for e in experiments if e.id is not None]
    arms = await arms_of(session, ids)
    sums = (await aggregates(session, ids, {e.id: e.data_version for e in experiments
                                            if e.id is not None})
            if with_aggregates and ids else {})
    verdict_ids = [e.latest_verdict_id for e in experiments if e.latest_verdict_id]
    verdicts = {v.id: v for v in (await session.exec(
        select(Verdict).where(col(Verdict.id).in_(verdict_ids)))).all()} if verdict_ids else {}
    out = []
    for e in experiments:
        latest = verdicts.get(e.latest_verdict_id)
        out.append(ExperimentPublic.model_validate({
            **e.model_dump(),
            "arms": [ArmPublic.model_validate(a, from_attributes=True) for a in arms[e.id or 0]],
            "latest_verdict": VerdictSummary.model_validate(latest, from_attributes=True)
            if latest else None,
            "aggregates": sums.get(e.id or 0),
        }))
    return out


def list_query(*, state: ExperimentState | None, request_id: int | None, due: bool | None) -> Any:
    stmt = select(Experiment)
    stmt = where_given(stmt, (Experiment.state, state), (Experiment.request_id, request_id))
    if due is True:
        stmt = stmt.where(Experiment.state == ExperimentState.running,
                          col(Experiment.data_version) > col(Experiment.evaluated_version))
    elif due is False:
        stmt = stmt.where(or_(col(Experiment.state) != ExperimentState.running,
                              col(Experiment.data_version) <= col(Experiment.evaluated_version)))
    return stmt


async def _transition(session: AsyncSession, experiment_id: int, *,
                      allowed: set[ExperimentState], to: ExperimentState,
                      actor: Principal) -> Experiment:
    experiment = await get_experiment(session, experiment_id, for_update=True)
    if experiment.state not in allowed:
        raise InvalidTransition(f"Experiment {experiment_id} is {experiment.state.value}; it "
                                f"cannot become {to.value}.")
    previous = experiment.state
    experiment.state = to
    experiment.updated_at = utcnow()
    if to == ExperimentState.running:
        experiment.started_at = experiment.updated_at
    session.add(experiment)
    await events.record(session, f"experiment.{'started' if to == 'running' else 'stopped'}",
                        "experiment", experiment_id, {"from": previous, "to": to}, actor=actor)
    await session.commit()
    return experiment


async def start_experiment(session: AsyncSession, experiment_id: int, *,
                           actor: Principal) -> Experiment:
    return await _transition(session, experiment_id, allowed={ExperimentState.draft},
                             to=ExperimentState.running, actor=actor)


async def stop_experiment(session: AsyncSession, experiment_id: int, *,
                          actor: Principal) -> Experiment:
    return await _transition(session, experiment_id,
                             allowed={ExperimentState.draft, ExperimentState.running},
                             to=ExperimentState.stopped, actor=actor)


# Observations


async def ingest(session: AsyncSession, experiment_id: int, batch: ObservationBatch, *,
                 actor: Principal) -> ObservationResult:
    """Upsert per-post rows; data_version grows by one when anything actually changed."""
    experiment = await get_experiment(session, experiment_id, for_update=True)
    if experiment.state != ExperimentState.running:
        raise InvalidTransition(f"Experiment {experiment_id} is {experiment.state.value}; only "
                                "a running experiment accepts observations.")
    arms = {a.key: a for a in (await arms_of(session, [experiment_id]))[experiment_id]}
    unknown = sorted({o.arm for o in batch.observations} - arms.keys())
    if unknown:
        raise Unprocessable(f"Unknown arm(s): {', '.join(unknown)} (arms: "
                            f"{', '.join(arms)}).")
    keys = [(o.arm, o.post_key) for o in batch.observations]
    posts = [o.post_key for o in batch.observations if o.post_id is not None]
    if len(set(keys)) != len(keys) or len(set(posts)) != len(posts):
        raise Unprocessable("A post (or an arm's day) appears twice in this batch; send it once.")
    existing = {(o.arm_id, o.post_key): o for o in (await session.exec(select(Observation).where(
        Observation.experiment_id == experiment_id,
        col(Observation.post_key).in_({k for _, k in keys})))).all()}
    # A post is assigned to one arm for good; days (daily counts) exist once per arm.
    owner = {k: arm_id for (arm_id, k) in existing}
    moved = sorted({o.post_key for o in batch.observations if o.post_id is not None
                    and owner.get(o.post_key, arms[o.arm].id) != arms[o.arm].id})
    if moved:
        raise Unprocessable(f"Post(s) already assigned to the other arm: "
                            f"{', '.join(moved[:5])}.")
    inserted = updated = 0
    now = utcnow()
    for o in batch.observations:
        values = o.model_dump(include=set(_OBSERVED))
        values["video_views_log"] = _log1p(o.video_views)
        values["watch_seconds_log"] = _log1p(o.watch_seconds)
        row = existing.get((arms[o.arm].id or 0, o.post_key))
        if row is None:
            session.add(Observation(experiment_id=experiment_id, arm_id=arms[o.arm].id or 0,
                                    post_key=o.post_key, updated_at=now, **values))
            inserted += 1
        elif any(getattr(row, f) != values[f] for f in _OBSERVED):
            for field, value in values.items():
                setattr(row, field, value)
            row.updated_at = now
            session.add(row)
            updated += 1
    version = experiment.data_version
    if inserted or updated:
        version = (await session.exec(
            update(Experiment).where(col(Experiment.id) == experiment_id)
            .values(data_version=col(Experiment.data_version) + 1)
            .returning(col(Experiment.data_version))
            .execution_options(synchronize_session=False))).scalar_one()
        await events.record(session, "experiment.observations", "experiment", experiment_id,
                            {"inserted": inserted, "updated": updated, "data_version": version},
                            actor=actor)
        await session.commit()
    return ObservationResult(received=len(keys), inserted=inserted, updated=updated,
                             unchanged=len(keys) - inserted - updated, data_version=version)


def _log1p(value: float | None) -> float | None:
    return None if value is None else math.log1p(value)


def _fsum(column: Any) -> Any:
    return func.coalesce(func.sum(cast(column, Float)), 0.0)


def _fsum_product(*factors: Any) -> Any:
    # Floats before multiplying: a billion impressions squared overflows BIGINT.
    product: Any = cast(factors[0], Float)
    for factor in factors[1:]:
        product = product * cast(factor, Float)
    return func.coalesce(func.sum(product), 0.0)


async def aggregates(session: AsyncSession, experiment_ids: Sequence[int],
                     versions: dict[int, int]) -> dict[int, Aggregates]:
    """Per-arm sums for each experiment in one GROUP BY; `versions` were read before the sums,
    so a verdict computed from them is at worst rejected as stale, never mislabelled."""
    o = Observation
    x = o.impressions
    columns = [
        func.count(col(o.id)), func.coalesce(func.sum(x), 0), _fsum_product(x, x),
        _fsum_product(x, x, x), _fsum_product(x, x, x, x),
    ]
    for name in PROPORTION_METRICS.values():
        c = getattr(o, name)
        # The higher cross moments give the evaluator the posts' leverage (jackknife variance).
        columns += [_fsum(c), _fsum_product(c, c), _fsum_product(c, x),
                    _fsum_product(c, c, x), _fsum_product(c, c, x, x), _fsum_product(c, x, x),
                    _fsum_product(c, x, x, x)]
    for name in VALUE_METRICS.values():
        c, log = getattr(o, name), getattr(o, f"{name}_log")
        columns += [func.count(c), _fsum(c), _fsum_product(c, c), _fsum(log),
                    _fsum_product(log, log)]
    stmt = (select(ExperimentArm.experiment_id, ExperimentArm.key, *columns)
            .select_from(ExperimentArm)
            .outerjoin(o, (col(o.experiment_id) == col(ExperimentArm.experiment_id))
                      & (col(o.arm_id) == col(ExperimentArm.id)))
            .where(col(ExperimentArm.experiment_id).in_(experiment_ids))
            .group_by(col(ExperimentArm.experiment_id), col(ExperimentArm.id),
                      col(ExperimentArm.key), col(ExperimentArm.position))
            .order_by(col(ExperimentArm.experiment_id), col(ExperimentArm.position)))
    out = {i: Aggregates(experiment_id=i, data_version=versions[i], arms=[])
           for i in experiment_ids}
    for row in (await session.exec(stmt)).all():
        exp_id, key, posts, impressions, impressions_sq, cube, fourth, *rest = row
        metrics: dict[str, MetricSums] = {}
        for metric in PROPORTION_METRICS:
            total, total_sq, cross, sq_cross, sq_cross2, cross2, cross3, *rest = rest
            metrics[metric.value] = MetricSums(n=posts, sum=total, sum_sq=total_sq,
                                               sum_cross=cross, sum_sq_cross=sq_cross,
                                               sum_sq_cross2=sq_cross2, sum_cross2=cross2,
                                               sum_cross3=cross3)
        for metric in VALUE_METRICS:
            n, total, total_sq, log, log_sq, *rest = rest
            metrics[metric.value] = MetricSums(n=n, sum=total, sum_sq=total_sq, sum_log=log,
                                               sum_log_sq=log_sq)
        out[exp_id].arms.append(ArmAggregate(arm=key, posts=posts, impressions=impressions,
                                             impressions_sq=impressions_sq,
                                             impressions_cube=cube, impressions_4th=fourth,
                                             metrics=metrics))
    return out


# Verdicts


def _check_verdict(data: VerdictCreate, arms: list[ExperimentArm], experiment: Experiment) -> None:
    by_role = {a.role: a.key for a in arms}
    expected_winner = {Decision.team_better: by_role[ArmRole.team],
                       Decision.stakeholder_better: by_role[ArmRole.stakeholder]}
    if data.winner != expected_winner.get(data.decision):
        raise Unprocessable(f"Decision {data.decision.value} needs winner "
                            f"{expected_winner.get(data.decision)!r}, got {data.winner!r}.")
    if data.metric != experiment.primary_metric:
        raise Unprocessable(f"The verdict is on {data.metric.value}; the experiment's primary "
                            f"metric is {experiment.primary_metric.value}.")
    unknown = (set(data.estimates) | set(data.n_per_arm)) - {a.key for a in arms}
    if unknown:
        raise Unprocessable(f"Unknown arm(s) in the verdict: {', '.join(sorted(unknown))}.")


def _verdict_problem(experiment: Experiment | None, experiment_id: int, data: VerdictCreate,
                     arms: list[ExperimentArm]) -> AppError | None:
    if experiment is None:
        return NotFound(f"No experiment with id {experiment_id}.")
    if experiment.state != ExperimentState.running:
        return InvalidTransition(f"Experiment {experiment_id} is {experiment.state.value}; it "
                                 "takes no new verdict.")
    if data.data_version != experiment.data_version:
        return Conflict(f"Stale data: the verdict is for data version {data.data_version}, the "
                        f"experiment is at {experiment.data_version}. Fetch the aggregates "
                        "again and re-evaluate.")
    if data.look != len(experiment.looks) + 1:
        return Conflict(f"This would be look {len(experiment.looks) + 1}, not {data.look}.")
    try:
        _check_verdict(data, arms, experiment)
    except AppError as exc:
        return exc
    return None


def _same_verdict(stored: VerdictPublic, data: VerdictCreate) -> bool:
    """The same verdict again (a retry) rather than a different one for the same data."""
    fields = set(VerdictCreate.model_fields)
    return (VerdictCreate.model_validate(stored.model_dump(include=fields)).model_dump(mode="json")
            == VerdictCreate.model_validate(data.model_dump(include=fields)).model_dump(
                mode="json"))


async def _store_verdicts(session: AsyncSession, items: Sequence[tuple[int, VerdictCreate]], *,
                          actor: Principal) -> dict[int, VerdictBatchOutcome | AppError]:
    """Check and add verdicts to the transaction in a fixed number of queries, whatever the
    count; the caller commits. Per experiment: an outcome (201 new, 200 stored) or a problem."""
    ids = sorted(exp_id for exp_id, _ in items)
    # Row locks in id order, so two writers cannot deadlock; a concurrent writer of the same
    # verdict waits here, then finds it stored.
    experiments = {e.id: e for e in (await session.exec(
        select(Experiment).where(col(Experiment.id).in_(ids)).order_by(col(Experiment.id))
        .with_for_update())).all()}
    arms = await arms_of(session, ids)
    # Verdicts are written only for the current data version, and data versions only grow,
    # so one exists for a version exactly when the latest verdict is at or after it.
    replays = [(exp_id, data.data_version) for exp_id, data in items
               if (e := experiments.get(exp_id)) and e.evaluated_version >= data.data_version]
    stored: dict[tuple[int, int], Verdict] = {}
    if replays:
        rows = await session.exec(select(Verdict).where(
            col(Verdict.experiment_id).in_([r[0] for r in replays])))
        stored = {(v.experiment_id, v.data_version): v for v in rows.all()}
    results: dict[int, VerdictBatchOutcome | AppError] = {}
    new: list[tuple[Experiment, Verdict]] = []
    for exp_id, data in items:
        replay = stored.get((exp_id, data.data_version))
        if replay is not None:
            stored_public = verdict_public(replay)
            if not _same_verdict(stored_public, data):
                results[exp_id] = Conflict(
                    f"Verdict {replay.id} ({replay.decision.value}) is already stored for data "
                    f"version {data.data_version} and differs from this one; a data version "
                    "has one verdict. Send new observations to get a new look.")
                continue
            results[exp_id] = VerdictBatchOutcome(experiment_id=exp_id, status=200,
                                                  verdict=stored_public)
            continue
        experiment = experiments.get(exp_id)
        problem = _verdict_problem(experiment, exp_id, data, arms.get(exp_id, []))
        if problem is not None or experiment is None:
            results[exp_id] = problem or NotFound(f"No experiment with id {exp_id}.")
            continue
        verdict = Verdict(experiment_id=exp_id, is_conclusive=data.decision in CONCLUSIVE,
                          author_key_id=actor.key_id,
                          **data.model_dump(exclude={"guardrails", "experiment_id"}),
                          guardrails=[g.model_dump(mode="json") for g in data.guardrails])
        new.append((experiment, verdict))
    if not new:
        return results
    session.add_all([v for _, v in new])
    await session.flush()
    now = utcnow()
    changes = []
    for experiment, verdict in new:
        change: dict[str, Any] = {
            "id": experiment.id, "evaluated_version": verdict.data_version,
            "looks": [*experiment.looks, verdict.info_fraction],
            "latest_verdict_id": verdict.id, "updated_at": now,
            "version": experiment.version,  # the optimistic-lock check; SQLAlchemy bumps it
            "last_always_valid_p": verdict.always_valid_p
            if verdict.always_valid_p is not None else experiment.last_always_valid_p,
            "state": ExperimentState.concluded if verdict.is_conclusive else experiment.state,
            "concluded_at": now if verdict.is_conclusive else experiment.concluded_at,
        }
        changes.append(change)
        results[verdict.experiment_id] = VerdictBatchOutcome(
            experiment_id=verdict.experiment_id, status=201, verdict=verdict_public(verdict))
    # One executemany UPDATE by primary key; the rows are locked, so the version is ours.
    await session.exec(update(Experiment), params=changes)
    for experiment, verdict in new:
        await events.record(session, "experiment.verdict", "experiment", verdict.experiment_id,
                            {"verdict_id": verdict.id, "decision": verdict.decision,
                             "winner": verdict.winner, "data_version": verdict.data_version,
                             "look": verdict.look, "request_id": experiment.request_id},
                            actor=actor)
        if experiment.request_id is not None:
            # Stakeholders follow their request, not the experiment.
            await events.record(session, "request.verdict", "request", experiment.request_id, {
                "experiment_id": verdict.experiment_id, "verdict_id": verdict.id,
                "decision": verdict.decision, "winner": verdict.winner,
                "is_conclusive": verdict.is_conclusive, "summary": verdict.summary},
                actor=actor)
    return results


async def _commit_verdicts(session: AsyncSession, items: Sequence[tuple[int, VerdictCreate]], *,
                           actor: Principal) -> dict[int, VerdictBatchOutcome | AppError]:
    results = await _store_verdicts(session, items, actor=actor)
    try:
        await session.commit()
    except IntegrityError:
        # Another writer stored the same (experiment, data_version) first (SQLite takes no
        # row locks): start again, and those verdicts now come back as stored ones.
        await session.rollback()
        results = await _store_verdicts(session, items, actor=actor)
        await session.commit()
    return results


async def record_verdict(session: AsyncSession, experiment_id: int, data: VerdictCreate, *,
                         actor: Principal) -> tuple[VerdictPublic, bool]:
    """Store the verdict of one look; (verdict, created). The same (experiment, data_version)
    returns the stored verdict; a conclusive one concludes the experiment."""
    result = (await _commit_verdicts(session, [(experiment_id, data)], actor=actor))[
        experiment_id]
    if isinstance(result, AppError):
        raise result
    assert result.verdict is not None
    return result.verdict, result.status == 201


async def record_verdicts(session: AsyncSession, batch: VerdictBatch, *,
                          actor: Principal) -> VerdictBatchResult:
    """Each item as `record_verdict` would store it, in one transaction; an item's problem
    (stale, concluded, unknown) is reported for that item and leaves the others alone."""
    ids = [item.experiment_id for item in batch.verdicts]
    if len(set(ids)) != len(ids):
        raise Unprocessable("An experiment appears twice in this batch.")
    results = await _commit_verdicts(session, [(v.experiment_id, v) for v in batch.verdicts],
                                     actor=actor)
    return VerdictBatchResult(items=[
        VerdictBatchOutcome(experiment_id=i, status=r.status, detail=r.detail)
        if isinstance(r, AppError) else r for i, r in ((i, results[i]) for i in ids)])


def verdict_public(verdict: Verdict) -> VerdictPublic:
    return VerdictPublic.model_validate(verdict, from_attributes=True)
