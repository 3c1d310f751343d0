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

# With the post as the unit, the tests' t approximations need enough posts: below this many
# per arm a look cannot conclude whatever the test says, and it counts for nothing later (no
# always-valid p carried forward, no interval): it only removes rejections.
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
    moments = (sums.sum_sq_cross, sums.sum_sq_cross2, sums.sum_cross2, sums.sum_cross3,
               arm.impressions_cube, arm.impressions_4th)
    leverage = (None if any(m is None for m in moments)
                else tuple(float(m or 0.0) for m in moments))
    return stats.ArmRatio(arm.posts, sums.sum, float(arm.impressions), sums.sum_sq,
                          arm.impressions_sq, sums.sum_cross or 0.0,
                          leverage)  # type: ignore[arg-type]


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
        # Posts are the unit: they count towards the plan, not their impressions.
        if min(a.posts, b.posts) < 2 or a.impressions == 0 or b.impressions == 0:
            return Comparison(None, a.posts, b.posts, rate_a, rate_b)
        result = stats.compare_ratio(_ratio(a, metric), _ratio(b, metric), alpha=alpha)
        return Comparison(result, a.posts, b.posts, rate_a, rate_b)
    ma, mb = _moments(a, metric), _moments(b, metric)
    mean_a = ma.total / ma.n if ma.n else 0.0
    mean_b = mb.total / mb.n if mb.n else 0.0
    if min(ma.n, mb.n) < 2:
        return Comparison(None, ma.n, mb.n, mean_a, mean_b)
    # Views and watch time are skewed: Welch's t-test on log1p, the effect as a ratio.
    return Comparison(stats.compare_means(ma, mb, alpha=alpha, log_scale=True), ma.n, mb.n,
                      mean_a, mean_b)


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


@dataclass(frozen=True)
class Call:
    """What the design concludes at one look, with the interval it justifies."""

    decision: Decision
    z_crit: float | None  # critical value on the z scale for the interval; None: no interval
    extra: dict[str, float | None] = field(default_factory=dict)


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
    base: dict[str, object] = {
        "data_version": aggregates.data_version, "look": len(experiment.looks) + 1,
        "info_fraction": info, "metric": metric, "unit": experiment.unit,
        "estimates": {team.key: comparison.display_a, other.key: comparison.display_b},
        "n_per_arm": {team.key: comparison.n_a, other.key: comparison.n_b},
        "planned_n_per_arm": planned, "srm_p_value": srm.p_value,
        "guardrails": _guardrails(experiment, a, b),
    }
    if result is not None:
        # A fixed-horizon test has no p-value before its horizon: showing one invites peeking.
        peeking = experiment.design == Design.fixed and info < 1.0
        base |= {"effect": result.diff, "rel_effect": result.rel_diff,
                 "p_value": None if peeking else result.p_value}
    method = result.method if result else "none yet (too little data)"
    if srm.mismatch:
        decision = Decision.invalid_srm
    elif result is None:
        decision = Decision.keep_collecting
    elif _too_few_posts(experiment, a, b, comparison):
        # A look that may not conclude is no look of the design: no always-valid p, no
        # interval, nothing carried forward to later looks.
        decision = Decision.keep_collecting
        method = f"{result.method}; {_design_words(experiment.design)}"
    else:
        call = _decide(experiment, result, info)
        decision = call.decision
        base |= call.extra
        method = f"{result.method}; {_design_words(experiment.design)}"
        if call.z_crit is not None:
            low, high, rel_low, rel_high = stats.adjusted_interval(result, call.z_crit)
            base |= {"ci_low": _finite(low), "ci_high": _finite(high),
                     "rel_ci_low": rel_low, "rel_ci_high": rel_high}
    winner = {Decision.team_better: team.key,
              Decision.stakeholder_better: other.key}.get(decision)
    verdict = VerdictCreate(decision=decision, winner=winner, method=method, summary=".",
                            **base)
    posts = _posts(experiment, a, b, comparison) if experiment.unit == Unit.post else None
    return verdict.model_copy(update={"summary": paragraph(experiment, verdict, comparison,
                                                           srm, posts=posts,
                                                           imbalance=_imbalance(experiment,
                                                                                a, b))})


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# Per-post experiments: mean impressions per post differing by more than this factor (and
# beyond chance, Welch p < IMBALANCE_P) earn a warning in the paragraph; posts, not
# impressions, are randomised, so it does not block the verdict.
IMBALANCE_RATIO = 1.10
IMBALANCE_P = 0.01


@dataclass(frozen=True)
class Imbalance:
    per_post_a: float
    per_post_b: float
    p_value: float


def _imbalance(experiment: ExperimentPublic, a: ArmAggregate,
               b: ArmAggregate) -> Imbalance | None:
    """Impressions per post between arms, for per-post experiments: None when balanced."""
    if experiment.unit != Unit.post or min(a.posts, b.posts) < 2:
        return None
    moments = [stats.ArmMoments(arm.posts, float(arm.impressions), arm.impressions_sq, 0.0, 0.0)
               for arm in (a, b)]
    mean_a, mean_b = moments[0].total / a.posts, moments[1].total / b.posts
    if min(mean_a, mean_b) <= 0 or max(mean_a, mean_b) / min(mean_a, mean_b) <= IMBALANCE_RATIO:
        return None
    p_value = stats.compare_means(moments[0], moments[1]).p_value
    return Imbalance(mean_a, mean_b, p_value) if p_value < IMBALANCE_P else None


def _posts(experiment: ExperimentPublic, a: ArmAggregate, b: ArmAggregate,
           comparison: Comparison) -> int:
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


def margin_of(experiment: ExperimentPublic, result: stats.TestResult) -> float:
    """The equivalence margin on the result's scale: log1p of a relative one on log scale."""
    margin = experiment.equivalence_margin or experiment.mde
    return math.log1p(margin) if result.log_scale else margin


def _at_horizon(experiment: ExperimentPublic, result: stats.TestResult, z_crit: float,
                extra: dict[str, float | None]) -> Call:
    """Planned size reached without a winner: equivalent within the margin (TOST) or not."""
    tost = stats.tost_p_value(result, margin_of(experiment, result))
    extra = extra | {"equivalence_p_value": tost}
    decision = Decision.no_difference if tost <= experiment.alpha else Decision.inconclusive
    return Call(decision, z_crit, extra)


def _decide(experiment: ExperimentPublic, result: stats.TestResult, info: float) -> Call:
    alpha = experiment.alpha
    better = Decision.stakeholder_better if result.diff > 0 else Decision.team_better
    at_horizon = info >= 1.0
    z = stats.z_equivalent(result)
    if experiment.design == Design.fixed:
        if not at_horizon:
            return Call(Decision.keep_collecting, None, {"p_value": None})
        crit = float(special.ndtri(1.0 - alpha / 2.0))
        if result.p_value <= alpha:
            return Call(better, crit)
        return _at_horizon(experiment, result, crit, {})
    if experiment.design == Design.always_valid:
        tau2 = stats.msprt_tau2(math.log1p(experiment.mde) if result.log_scale
                                else experiment.mde)
        # The mixture SPRT assumes a normal diff with known variance; a t-test result enters
        # with the variance that gives its own p-value under the normal, (diff / z_eq)^2.
        variance = result.std_error**2
        if result.diff != 0 and 0 < abs(z) < math.inf:
            variance = (result.diff / z) ** 2
        previous = (experiment.last_always_valid_p
                    if experiment.last_always_valid_p is not None else 1.0)
        p_av = stats.msprt_p_value(result.diff, variance, tau2=tau2, previous_p=previous)
        half = stats.msprt_half_width(variance, tau2=tau2, alpha=alpha)
        crit = half / math.sqrt(variance) if variance > 0 else math.inf
        extra: dict[str, float | None] = {"always_valid_p": p_av}
        if p_av <= alpha:
            return Call(better, crit, extra)
        if at_horizon:
            return _at_horizon(experiment, result, crit, extra)
        return Call(Decision.keep_collecting, crit, extra)
    if info <= 0:
        return Call(Decision.keep_collecting, None)
    # Earlier looks at the same or more information (data corrected downwards) are dropped:
    # the fractions must increase, and this look replaces them.
    fractions = [t for t in experiment.looks if 0 < t < info] + [info]
    decision = stats.gs_test(z, fractions, alpha=alpha)
    extra = {"boundary": decision.boundary if math.isfinite(decision.boundary) else None,
             "alpha_spent": decision.spent_alpha}
    if decision.reject:
        return Call(better, decision.boundary, extra)
    if at_horizon:
        return _at_horizon(experiment, result, decision.boundary, extra)
    return Call(Decision.keep_collecting, decision.boundary, extra)


def _fmt_value(metric: Metric, value: float) -> str:
    if metric in PROPORTION_METRICS:
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def _interval_name(experiment: ExperimentPublic, look: int) -> str:
    level = f"{1 - experiment.alpha:.0%}"
    return {Design.sequential: f"{level} repeated confidence interval at look {look}",
            Design.always_valid: f"{level} confidence sequence",
            Design.fixed: f"{level} interval"}[experiment.design]


def _fmt_effect(experiment: ExperimentPublic, verdict: VerdictCreate, result_unit: str) -> str:
    metric = experiment.primary_metric
    if verdict.effect is None:
        return ""
    interval = _interval_name(experiment, verdict.look)
    if metric in PROPORTION_METRICS:
        text = f" (difference {verdict.effect * 100:+.1f} points"
        if verdict.ci_low is not None and verdict.ci_high is not None:
            text += (f", {interval} {verdict.ci_low * 100:+.1f} to "
                     f"{verdict.ci_high * 100:+.1f}")
        return f"{text}; {result_unit})"
    if verdict.rel_effect is None:
        return ""
    text = f" (typical post {verdict.rel_effect * 100:+.0f}%"
    if verdict.rel_ci_low is not None and verdict.rel_ci_high is not None:
        text += (f", {interval} {verdict.rel_ci_low * 100:+.0f}% to "
                 f"{verdict.rel_ci_high * 100:+.0f}%")
    return f"{text}; {result_unit})"


def _fmt_margin(experiment: ExperimentPublic, value: float) -> str:
    """A difference on the verdict's scale in words: points for proportions, % otherwise."""
    if experiment.primary_metric in PROPORTION_METRICS:
        return f"{value * 100:.2g} points"
    return f"{value * 100:.2g}%"


def paragraph(experiment: ExperimentPublic, verdict: VerdictCreate, comparison: Comparison,
              srm: SrmCheck, *, posts: int | None = None,
              imbalance: Imbalance | None = None) -> str:
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
    numbers += _fmt_effect(experiment, verdict, f"{test}, {unit_words}") + "."
    if imbalance is not None:
        numbers += (f" Warning: the {team.name.lower()}'s posts had "
                    f"{imbalance.per_post_a:,.0f} impressions each on average against "
                    f"{imbalance.per_post_b:,.0f} for the {other.name.lower()}'s; the "
                    "comparison holds per post, but check how the posts were distributed.")
    counted = "impressions" if experiment.unit == Unit.impression else "posts"
    n = min(verdict.n_per_arm.values())
    progress = f"{n:,} of {verdict.planned_n_per_arm:,} planned {counted} per arm"
    per_variant = (f"{posts} posts per variant" if posts is not None
                   else f"{n:,} {counted} per variant")
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
    result = comparison.result
    if verdict.decision in (Decision.no_difference, Decision.inconclusive) and result:
        margin = _fmt_margin(experiment, experiment.equivalence_margin or experiment.mde)
        if verdict.decision == Decision.no_difference:
            return (f"{numbers} With {per_variant} the variants are equivalent within "
                    f"±{margin} (two one-sided tests, p = {verdict.equivalence_p_value:.2g}): "
                    "either serves this audience about as well, so we keep the team's plan.")
        detectable = stats.detectable_effect(result, alpha=experiment.alpha,
                                             power=experiment.power)
        shown = math.expm1(detectable) if result.log_scale else detectable
        needed = n * (detectable / margin_of(experiment, result)) ** 2
        return (f"{numbers} Inconclusive: with {per_variant} the data cannot tell a "
                f"difference smaller than {_fmt_margin(experiment, shown)} from none, so "
                f"they show neither a winner nor that the variants are within ±{margin}. "
                f"Settling it would take about {math.ceil(needed):,} {counted} per variant; "
                "until then we keep the team's plan.")
    winner, loser = ((other, team) if verdict.decision == Decision.stakeholder_better
                     else (team, other))
    harmed = [g.metric.value for g in verdict.guardrails if g.harmed]
    caveat = (f" Note: the stakeholder's variant did worse on {', '.join(harmed)}."
              if harmed else "")
    plan = ("we will adopt the stakeholder's variant" if winner is other
            else "we will keep the team's variant")
    design = {Design.sequential: "the group-sequential test",
              Design.always_valid: "the always-valid test",
              Design.fixed: "the fixed-horizon test"}[experiment.design]
    return (f"{numbers} The {winner.name.lower()} performs better than the "
            f"{loser.name.lower()}: {design} called it at look {verdict.look} with "
            f"{per_variant}; {plan}.{caveat}")


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
