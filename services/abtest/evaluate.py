"""Turn an experiment and its per-arm aggregates into a verdict, and work through the due ones.

Stateless: the looks so far (their information fractions) and the last always-valid p-value
come from the experiment the API serves, which records them with every verdict.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from scipy import special

from services.abtest import stats
from shared.client import ApiError, ApiUnavailable, ExperimentsClient
from shared.schemas.experiments import (
    PROPORTION_METRICS,
    Aggregates,
    ArmAggregate,
    ArmRole,
    Decision,
    Design,
    ExperimentPublic,
    GuardrailResult,
    Metric,
    Unit,
    VerdictBatchItem,
    VerdictCreate,
)

log = logging.getLogger("services.abtest")

# With the post as the unit, the tests' normal approximations need enough posts: below this
# many per arm a verdict stays "keep collecting" whatever the test says (a conservative rule:
# it only removes rejections, so the false-positive rate stays at or below alpha).
MIN_POSTS_TO_CONCLUDE = 10

METRIC_WORDS = {
    Metric.engagement_rate: "engagement",
    Metric.click_rate: "click-through",
    Metric.video_views: "video views per post",
    Metric.watch_time: "watch time per post (seconds)",
}


@dataclass(frozen=True)
class Comparison:
    """One metric's test between the team arm (a) and the stakeholder arm (b)."""

    result: stats.TestResult | None  # None: not enough data for the test yet
    n_a: int
    n_b: int
    display_a: float  # the arm's value for people: a rate, or a raw mean for values
    display_b: float


def _ratio(arm: ArmAggregate, metric: Metric) -> stats.ArmRatio:
    sums = arm.metrics[metric.value]
    return stats.ArmRatio(arm.posts, sums.sum, float(arm.impressions), sums.sum_sq,
                          arm.impressions_sq, sums.sum_cross or 0.0)


def _moments(arm: ArmAggregate, metric: Metric) -> stats.ArmMoments:
    s = arm.metrics[metric.value]
    return stats.ArmMoments(s.n, s.sum, s.sum_sq, s.sum_log or 0.0, s.sum_log_sq or 0.0)


def compare(metric: Metric, unit: Unit, a: ArmAggregate, b: ArmAggregate, *,
            alpha: float) -> Comparison:
    """The test that fits the metric and the randomised unit; `result` None when too early."""
    if metric in PROPORTION_METRICS:
        sa, sb = a.metrics[metric.value].sum, b.metrics[metric.value].sum
        rate_a = sa / a.impressions if a.impressions else 0.0
        rate_b = sb / b.impressions if b.impressions else 0.0
        if unit == Unit.impression:
            if a.impressions == 0 or b.impressions == 0:
                return Comparison(None, a.impressions, b.impressions, rate_a, rate_b)
            counts_a = stats.ArmCounts(a.impressions, round(sa))
            counts_b = stats.ArmCounts(b.impressions, round(sb))
            result = stats.compare_proportions(counts_a, counts_b, alpha=alpha)
            return Comparison(result, a.impressions, b.impressions, rate_a, rate_b)
        if min(a.posts, b.posts) < 2 or a.impressions == 0 or b.impressions == 0:
            return Comparison(None, a.impressions, b.impressions, rate_a, rate_b)
        result = stats.compare_ratio(_ratio(a, metric), _ratio(b, metric), alpha=alpha)
        return Comparison(result, a.impressions, b.impressions, rate_a, rate_b)
    ma, mb = _moments(a, metric), _moments(b, metric)
    mean_a = ma.total / ma.n if ma.n else 0.0
    mean_b = mb.total / mb.n if mb.n else 0.0
    if min(ma.n, mb.n) < 2:
        return Comparison(None, ma.n, mb.n, mean_a, mean_b)
    # Views and watch time are skewed: Welch's t-test on log1p, the effect as a ratio.
    return Comparison(stats.compare_means(ma, mb, alpha=alpha, log_scale=True), ma.n, mb.n,
                      mean_a, mean_b)


def _z_of(result: stats.TestResult) -> float:
    """A z on the normal scale with the test's p-value (Fisher and Welch have no z of their own)."""
    if result.p_value <= 0:
        return math.copysign(math.inf, result.diff) if result.diff else math.inf
    return math.copysign(-float(special.ndtri(result.p_value / 2.0)), result.diff or 1.0)


@dataclass(frozen=True)
class SrmCheck:
    """Sample ratio mismatch on the randomised unit: posts, or impressions of a split post."""

    n_a: int
    n_b: int
    what: str
    p_value: float
    mismatch: bool


def _srm(experiment: ExperimentPublic, a: ArmAggregate, b: ArmAggregate,
         comparison: Comparison) -> SrmCheck:
    share_a = next(arm.share for arm in experiment.arms if arm.role == ArmRole.team)
    if experiment.unit == Unit.impression:
        n_a, n_b, what = a.impressions, b.impressions, "impressions"
    elif experiment.primary_metric in PROPORTION_METRICS:
        n_a, n_b, what = a.posts, b.posts, "posts"
    else:
        n_a, n_b, what = comparison.n_a, comparison.n_b, "posts"
    p_value, mismatch = stats.srm_check(n_a, n_b, expected_share_a=share_a)
    return SrmCheck(n_a, n_b, what, p_value, mismatch)


def _guardrails(experiment: ExperimentPublic, a: ArmAggregate,
                b: ArmAggregate) -> list[GuardrailResult]:
    tested = [(m, compare(m, experiment.unit, a, b, alpha=experiment.alpha).result)
              for m in experiment.guardrail_metrics]
    ready = [(m, r) for m, r in tested if r is not None]
    adjusted = stats.holm([r.p_value for _, r in ready])
    return [GuardrailResult(metric=m, method=r.method, diff=r.diff, p_value=r.p_value,
                            adjusted_p_value=adj,
                            harmed=adj <= experiment.alpha and r.diff < 0)
            for (m, r), adj in zip(ready, adjusted, strict=True)]


def evaluate(experiment: ExperimentPublic, aggregates: Aggregates) -> VerdictCreate:
    """One look at one experiment: the verdict to write for `aggregates.data_version`."""
    by_key = {arm.arm: arm for arm in aggregates.arms}
    team = next(arm for arm in experiment.arms if arm.role == ArmRole.team)
    other = next(arm for arm in experiment.arms if arm.role == ArmRole.stakeholder)
    a, b = by_key[team.key], by_key[other.key]
    metric, alpha = experiment.primary_metric, experiment.alpha
    comparison = compare(metric, experiment.unit, a, b, alpha=alpha)
    planned = experiment.planned_n_per_arm
    info = min(comparison.n_a, comparison.n_b) / planned
    srm = _srm(experiment, a, b, comparison)
    result = comparison.result
    base = {
        "data_version": aggregates.data_version, "look": len(experiment.looks) + 1,
        "info_fraction": info, "metric": metric, "unit": experiment.unit,
        "estimates": {team.key: comparison.display_a, other.key: comparison.display_b},
        "n_per_arm": {team.key: comparison.n_a, other.key: comparison.n_b},
        "planned_n_per_arm": planned, "srm_p_value": srm.p_value,
        "guardrails": _guardrails(experiment, a, b),
    }
    if result is not None:
        base |= {"effect": result.diff, "ci_low": result.ci_low, "ci_high": result.ci_high,
                 "rel_effect": result.rel_diff, "rel_ci_low": result.rel_ci_low,
                 "rel_ci_high": result.rel_ci_high, "p_value": result.p_value}
    method = result.method if result else "none yet (too little data)"
    if srm.mismatch:
        decision = Decision.invalid_srm
    elif result is None:
        decision = Decision.keep_collecting
    else:
        decision, extra = _decide(experiment, result, info)
        base |= extra
        method = f"{result.method}; {_design_words(experiment.design)}"
        if decision in (Decision.team_better, Decision.stakeholder_better,
                        Decision.no_difference) and _too_few_posts(experiment, a, b, comparison):
            decision = Decision.keep_collecting
    winner = {Decision.team_better: team.key,
              Decision.stakeholder_better: other.key}.get(decision)
    verdict = VerdictCreate(decision=decision, winner=winner, method=method, summary=".",
                            **base)
    posts = _posts(experiment, a, b, comparison) if experiment.unit == Unit.post else None
    return verdict.model_copy(update={"summary": paragraph(experiment, verdict, comparison,
                                                           srm, posts=posts)})


def _posts(experiment: ExperimentPublic, a: ArmAggregate, b: ArmAggregate,
           comparison: Comparison) -> int:
    if experiment.primary_metric in PROPORTION_METRICS:
        return min(a.posts, b.posts)
    return min(comparison.n_a, comparison.n_b)


def _too_few_posts(experiment: ExperimentPublic, a: ArmAggregate, b: ArmAggregate,
                   comparison: Comparison) -> bool:
    return (experiment.unit == Unit.post
            and _posts(experiment, a, b, comparison) < MIN_POSTS_TO_CONCLUDE)


def _design_words(design: Design) -> str:
    return {
        Design.sequential: "group-sequential, O'Brien-Fleming-type spending (Lan-DeMets)",
        Design.always_valid: "always-valid mixture SPRT",
        Design.fixed: "fixed horizon",
    }[design]


def _decide(experiment: ExperimentPublic, result: stats.TestResult,
            info: float) -> tuple[Decision, dict[str, float | None]]:
    alpha = experiment.alpha
    better = Decision.stakeholder_better if result.diff > 0 else Decision.team_better
    at_horizon = info >= 1.0
    if experiment.design == Design.fixed:
        if not at_horizon:
            return Decision.keep_collecting, {"p_value": None}
        return (better if result.p_value <= alpha else Decision.no_difference), {}
    if experiment.design == Design.always_valid:
        tau2 = stats.msprt_tau2(math.log1p(experiment.mde) if result.method == stats.WELCH_LOG
                                else experiment.mde)
        previous = experiment.last_always_valid_p or 1.0
        p_av = stats.msprt_p_value(result.diff, result.std_error**2, tau2=tau2,
                                   previous_p=previous)
        if p_av <= alpha:
            return better, {"always_valid_p": p_av}
        return (Decision.no_difference if at_horizon else Decision.keep_collecting,
                {"always_valid_p": p_av})
    if info <= 0:
        return Decision.keep_collecting, {}
    z = _z_of(result)
    outcome = Decision.no_difference if at_horizon else Decision.keep_collecting
    # P(|Z_k| >= c_k) <= alpha spent by t_k, so c_k >= the nominal bound for all the alpha
    # spent so far: below it this look cannot reject, and the exact (costly) boundary is moot.
    spent = 2.0 * stats.obf_spending(info, alpha / 2.0)
    if spent <= 0 or abs(z) < -float(special.ndtri(spent / 2.0)):
        return outcome, {"alpha_spent": spent}
    # Earlier looks at the same or more information (data corrected downwards) are dropped:
    # the fractions must increase, and this look replaces them.
    fractions = [t for t in experiment.looks if 0 < t < info] + [info]
    decision = stats.gs_test(z, fractions, alpha=alpha)
    extra = {"boundary": decision.boundary if math.isfinite(decision.boundary) else None,
             "alpha_spent": decision.spent_alpha}
    if decision.reject:
        return better, extra
    return outcome, extra


def _fmt_value(metric: Metric, value: float) -> str:
    if metric in PROPORTION_METRICS:
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def _fmt_effect(metric: Metric, verdict: VerdictCreate, result_unit: str, alpha: float) -> str:
    if verdict.effect is None or verdict.ci_low is None or verdict.ci_high is None:
        return ""
    level = f"{1 - alpha:.0%}"
    if metric in PROPORTION_METRICS:
        return (f" (difference {verdict.effect * 100:+.1f} points, {level} interval "
                f"{verdict.ci_low * 100:+.1f} to {verdict.ci_high * 100:+.1f}; {result_unit})")
    if verdict.rel_effect is None:
        return ""
    low = verdict.rel_ci_low if verdict.rel_ci_low is not None else math.nan
    high = verdict.rel_ci_high if verdict.rel_ci_high is not None else math.nan
    return (f" (typical post {verdict.rel_effect * 100:+.0f}%, interval {low * 100:+.0f}% to "
            f"{high * 100:+.0f}%, {level}; {result_unit})")


def paragraph(experiment: ExperimentPublic, verdict: VerdictCreate, comparison: Comparison,
              srm: SrmCheck, *, posts: int | None = None) -> str:
    """The plain paragraph for the stakeholder: numbers, what was tested, what happens next."""
    team = next(arm for arm in experiment.arms if arm.role == ArmRole.team)
    other = next(arm for arm in experiment.arms if arm.role == ArmRole.stakeholder)
    metric = experiment.primary_metric
    words = METRIC_WORDS[metric]
    unit_words = ("each post counted as one unit" if experiment.unit == Unit.post
                  else "impressions of one post split between the variants")
    test = verdict.method.split(";")[0].split(" (")[0]
    numbers = (f"The {other.name.lower()} reached {_fmt_value(metric, comparison.display_b)} "
               f"{words} against {_fmt_value(metric, comparison.display_a)} for the "
               f"{team.name.lower()}")
    numbers += _fmt_effect(metric, verdict, f"{test}, {unit_words}", experiment.alpha) + "."
    counted = "impressions" if metric in PROPORTION_METRICS else "posts"
    n = min(verdict.n_per_arm.values())
    progress = f"{n:,} of {verdict.planned_n_per_arm:,} planned {counted} per arm"
    if verdict.decision == Decision.invalid_srm:
        return (f"The {team.name.lower()} received {srm.n_a:,} {srm.what} and the "
                f"{other.name.lower()} {srm.n_b:,} where the plan split them "
                f"{team.share:.0%}/{other.share:.0%}; an imbalance this large (sample ratio "
                f"mismatch, p = {srm.p_value:.1g}) means the {srm.what} were not assigned as "
                "planned, so no verdict can be drawn until the assignment is fixed.")
    if verdict.decision == Decision.keep_collecting:
        if comparison.result is None:
            return (f"Too early to compare: {progress} so far, and each variant needs at "
                    "least two posts. We keep collecting.")
        if posts is not None and posts < MIN_POSTS_TO_CONCLUDE:
            return (f"{numbers} It is too early to call with {posts} posts per variant "
                    f"({progress}); we call it once each variant has {MIN_POSTS_TO_CONCLUDE} "
                    "posts. We keep collecting.")
        return (f"{numbers} It is too early to call: {progress} so far, and the difference "
                "is not yet beyond what chance produces at this stage. We keep collecting "
                "and look again when new data arrives.")
    if verdict.decision == Decision.no_difference:
        return (f"{numbers} With {progress} the test detects no difference: either variant "
                "serves this audience about as well, so we keep the team's plan.")
    winner, loser = ((other, team) if verdict.decision == Decision.stakeholder_better
                     else (team, other))
    harmed = [g.metric.value for g in verdict.guardrails if g.harmed]
    caveat = (f" Note: the stakeholder's variant did worse on {', '.join(harmed)}."
              if harmed else "")
    plan = ("we will adopt the stakeholder's variant" if winner is other
            else "we will keep the team's variant")
    return (f"{numbers} The {winner.name.lower()} performs better than the "
            f"{loser.name.lower()}; {plan}.{caveat}")


# Running over the due experiments


@dataclass(frozen=True)
class Outcome:
    experiment_id: int
    status: str  # written, replayed, stale, failed
    decision: Decision | None = None
    error: str | None = None


@dataclass
class RunSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    listing_error: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and self.listing_error is None

    def text(self) -> str:
        decisions: dict[str, int] = {}
        for o in self.outcomes:
            if o.decision is not None and o.status in ("written", "replayed"):
                decisions[o.decision.value] = decisions.get(o.decision.value, 0) + 1
        lines = [f"evaluated {len(self.outcomes)} due experiment(s): "
                 f"{self.count('written')} verdict(s) written, {self.count('replayed')} "
                 f"already recorded, {self.count('stale')} skipped (data changed meanwhile), "
                 f"{len(self.failed)} failed"]
        if decisions:
            lines.append("decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(
                decisions.items())))
        if self.listing_error:
            lines.append(f"could not list due experiments: {self.listing_error}")
        lines += [f"failed: experiment {o.experiment_id}: {o.error}" for o in self.failed]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "evaluated": len(self.outcomes), "written": self.count("written"),
                "replayed": self.count("replayed"), "stale": self.count("stale"),
                "failed": [{"experiment_id": o.experiment_id, "error": o.error}
                           for o in self.failed],
                "listing_error": self.listing_error, "summary": self.text()}


def _evaluate_page(client: ExperimentsClient, page: list[ExperimentPublic]) -> list[Outcome]:
    """Evaluate one page of due experiments and write their verdicts in one request."""
    outcomes: dict[int, Outcome] = {}
    items: list[VerdictBatchItem] = []
    for experiment in page:
        if experiment.aggregates is None:
            outcomes[experiment.id] = Outcome(experiment.id, "failed",
                                              error="the API sent no aggregates")
            continue
        try:
            verdict = evaluate(experiment, experiment.aggregates)
        except (ValueError, StopIteration, KeyError) as exc:  # data the statistics reject
            log.exception("experiment %s: cannot evaluate", experiment.id)
            outcomes[experiment.id] = Outcome(experiment.id, "failed",
                                              error=f"cannot evaluate: {exc!r}")
            continue
        items.append(VerdictBatchItem(experiment_id=experiment.id, **verdict.model_dump()))
    if items:
        try:
            result = client.post_verdicts(items)
        except (ApiUnavailable, ApiError) as exc:
            for item in items:
                outcomes[item.experiment_id] = Outcome(item.experiment_id, "failed",
                                                       error=str(exc))
        else:
            for r in result.items:
                if r.status in (200, 201) and r.verdict is not None:
                    status = "written" if r.status == 201 else "replayed"
                    outcomes[r.experiment_id] = Outcome(r.experiment_id, status,
                                                        decision=r.verdict.decision)
                elif r.status == 409:
                    # Data arrived (or another run wrote) after we read: the next run looks.
                    outcomes[r.experiment_id] = Outcome(r.experiment_id, "stale", error=r.detail)
                else:
                    outcomes[r.experiment_id] = Outcome(r.experiment_id, "failed",
                                                        error=f"{r.status}: {r.detail}")
    return [outcomes[e.id] for e in page]


def evaluate_due(client: ExperimentsClient, *, workers: int = 1, page_size: int = 200,
                 on_outcome: Callable[[Outcome], None] | None = None) -> RunSummary:
    """Evaluate every due experiment once, a page at a time (up to `workers` pages in flight);
    failures are reported in the summary, never raised."""
    summary = RunSummary()

    def collect(outcomes: list[Outcome]) -> None:
        summary.outcomes.extend(outcomes)
        if on_outcome:
            for outcome in outcomes:
                on_outcome(outcome)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        pending: list[Future[list[Outcome]]] = []
        try:
            for page in client.due_experiments(page_size=page_size):
                pending.append(pool.submit(_evaluate_page, client, page))
                while len(pending) >= max(1, workers):
                    collect(pending.pop(0).result())
        except (ApiUnavailable, ApiError) as exc:
            summary.listing_error = str(exc)
        for future in pending:
            collect(future.result())
    return summary
