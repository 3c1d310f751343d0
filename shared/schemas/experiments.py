"""Wire models of experiments, per-arm aggregates and verdicts: what the API serves and the
evaluator reads and writes. Pydantic and the stdlib only; both services import these."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.schemas.bounds import Id, Int32, Int64, Real


class ExperimentState(StrEnum):
    draft = "draft"
    running = "running"
    concluded = "concluded"
    stopped = "stopped"


class Metric(StrEnum):
    """Proportions (successes / impressions) and skewed per-post values."""

    engagement_rate = "engagement_rate"
    click_rate = "click_rate"
    video_views = "video_views"
    watch_time = "watch_time"


PROPORTION_METRICS = {Metric.engagement_rate: "engagements", Metric.click_rate: "clicks"}
VALUE_METRICS = {Metric.video_views: "video_views", Metric.watch_time: "watch_seconds"}


class Design(StrEnum):
    """sequential: group-sequential O'Brien-Fleming spending over the looks actually made
    (valid under repeated looks, the default); always_valid: mixture SPRT, for unplanned looks
    without a horizon; fixed: one test once the planned sample size is reached."""

    sequential = "sequential"
    always_valid = "always_valid"
    fixed = "fixed"


class Unit(StrEnum):
    """The randomised unit. `post`: each post is assigned to an arm (variance from the posts);
    `impression`: one post shown to a split audience, impressions are independent trials."""

    post = "post"
    impression = "impression"


class ArmRole(StrEnum):
    team = "team"
    stakeholder = "stakeholder"


class Decision(StrEnum):
    """no_difference: equivalent within the experiment's margin (two one-sided tests);
    inconclusive: the planned size was reached and neither a difference nor equivalence shown."""

    keep_collecting = "keep_collecting"
    team_better = "team_better"
    stakeholder_better = "stakeholder_better"
    no_difference = "no_difference"
    inconclusive = "inconclusive"
    invalid_srm = "invalid_srm"


CONCLUSIVE = {Decision.team_better, Decision.stakeholder_better, Decision.no_difference,
              Decision.inconclusive}

ArmKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class ArmPublic(BaseModel):
    key: str = Field(examples=["video"])
    name: str = Field(examples=["Product video"])
    role: ArmRole
    share: float = Field(description="Planned share of the traffic (posts or impressions).")


class VerdictSummary(BaseModel):
    """The latest verdict, as shown on the experiment (and on its request)."""

    id: int
    look: int
    decision: Decision
    winner: str | None
    data_version: int
    summary: str
    created_at: datetime


class MetricSums(BaseModel):
    """Per-post sums of one metric in one arm. For proportions the numerator is the success
    count, the denominator the impressions (`sum_cross` = sum of num * impressions); for values
    `sum_log` and `sum_log_sq` are sums of log1p(x) and its square."""

    n: int
    sum: float
    sum_sq: float
    sum_cross: float | None = None
    sum_log: float | None = None
    sum_log_sq: float | None = None
    sum_sq_cross: float | None = Field(default=None, description="Proportions: sum of "
                                       "num^2 * impressions (leverage-corrected variance).")
    sum_sq_cross2: float | None = Field(default=None, description="Proportions: sum of "
                                        "num^2 * impressions^2.")
    sum_cross2: float | None = Field(default=None, description="Proportions: sum of "
                                     "num * impressions^2.")
    sum_cross3: float | None = Field(default=None, description="Proportions: sum of "
                                     "num * impressions^3.")


class ArmAggregate(BaseModel):
    arm: str
    posts: int
    impressions: int
    impressions_sq: float
    impressions_cube: float | None = Field(default=None, description="Sum of impressions^3.")
    impressions_4th: float | None = Field(default=None, description="Sum of impressions^4.")
    metrics: dict[str, MetricSums]


class Aggregates(BaseModel):
    experiment_id: int
    data_version: int
    arms: list[ArmAggregate]


class ExperimentPublic(BaseModel):
    id: int
    name: str = Field(examples=["Webinar post vs product video on Instagram"])
    hypothesis: str
    request_id: int | None
    state: ExperimentState
    arms: list[ArmPublic]
    primary_metric: Metric
    guardrail_metrics: list[Metric]
    unit: Unit
    design: Design
    alpha: float
    power: float
    baseline_rate: float | None
    mde: float = Field(description="Minimum detectable effect: absolute for proportions "
                                   "(0.005 = half a point), relative for values (0.1 = 10%).")
    planned_n_per_arm: int = Field(description="Posts per arm with unit post, impressions per "
                                               "arm with unit impression.")
    sizing_basis: str = Field(default="", description="How the planned size was computed: "
                                                      "the variance's source and the formula.")
    equivalence_margin: float | None = Field(
        default=None, description="Margin of the equivalence test (same scale as mde); null: "
                                  "the mde is the margin.")
    data_version: int = Field(description="Grows whenever the observations change.")
    evaluated_version: int = Field(description="data_version of the latest verdict (0: none).")
    looks: list[float] = Field(description="Information fractions of the verdicts so far.")
    last_always_valid_p: float | None
    latest_verdict: VerdictSummary | None
    started_at: datetime | None
    concluded_at: datetime | None
    created_at: datetime
    updated_at: datetime
    aggregates: Aggregates | None = Field(
        default=None, description="Per-arm aggregates, when listed with include=aggregates.")


class GuardrailResult(BaseModel):
    metric: Metric
    method: str
    diff: float
    p_value: float
    adjusted_p_value: float = Field(description="Holm-adjusted across the guardrails.")
    harmed: bool = Field(description="The stakeholder's variant is significantly worse.")


class VerdictCreate(BaseModel):
    """What the evaluator writes after a look. Effects are stakeholder arm minus team arm."""

    model_config = ConfigDict(extra="forbid")

    data_version: Int32 = Field(ge=1, examples=[7])
    look: Int32 = Field(ge=1, examples=[3])
    info_fraction: Real = Field(ge=0, examples=[0.45])
    decision: Decision
    winner: ArmKey | None = None
    metric: Metric
    method: str = Field(max_length=200, examples=["delta-method ratio z-test (unit: post)"])
    unit: Unit
    estimates: dict[str, Real] = Field(examples=[{"video": 0.028, "webinar": 0.012}])
    n_per_arm: dict[str, Int64]
    planned_n_per_arm: Int32
    effect: Real | None = None
    ci_low: Real | None = None
    ci_high: Real | None = None
    rel_effect: Real | None = None
    rel_ci_low: Real | None = None
    rel_ci_high: Real | None = None
    p_value: Real | None = Field(default=None, ge=0, le=1)
    always_valid_p: Real | None = Field(default=None, ge=0, le=1)
    equivalence_p_value: Real | None = Field(
        default=None, ge=0, le=1, description="Two one-sided tests against the equivalence "
                                              "margin, at the planned size without a winner.")
    boundary: Real | None = Field(
        default=None, description="Group-sequential: |z| needed to reject at this look; null "
                                  "when |z| was below the bound for all the alpha spent so far "
                                  "(no rejection possible, exact boundary not computed).")
    alpha_spent: Real | None = None
    srm_p_value: Real | None = Field(default=None, ge=0, le=1)
    guardrails: list[GuardrailResult] = Field(default_factory=list)
    summary: str = Field(min_length=1, max_length=4000)


class VerdictPublic(VerdictCreate):
    model_config = ConfigDict(extra="ignore")

    id: int
    experiment_id: int
    is_conclusive: bool
    created_at: datetime



class VerdictBatchItem(VerdictCreate):
    experiment_id: Id


class VerdictBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdicts: list[VerdictBatchItem] = Field(min_length=1, max_length=200)


class VerdictBatchOutcome(BaseModel):
    """One item's result: 201 written, 200 already recorded (the stored verdict), or the
    status and detail of the problem the single-verdict endpoint would return (404, 409, 422)."""

    experiment_id: int
    status: int = Field(examples=[201])
    verdict: VerdictPublic | None = None
    detail: str | None = None


class VerdictBatchResult(BaseModel):
    items: list[VerdictBatchOutcome]
