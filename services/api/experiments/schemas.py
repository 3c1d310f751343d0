"""Request bodies for experiments and observations; the responses are the shared wire models."""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from shared.schemas.bounds import Day, Id, Int32, Int64, Real
from shared.schemas.experiments import ArmKey, ArmRole, Design, Metric, Unit

NetworkSlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArmCreate(Strict):
    key: ArmKey = Field(examples=["video"])
    name: Name = Field(examples=["Product video"])
    role: ArmRole
    share: Real = Field(default=0.5, gt=0, lt=1,
                         description="Planned share of posts (or impressions) for this arm.")


class ExperimentCreate(Strict):
    name: Name = Field(examples=["Webinar post vs product video on Instagram"])
    hypothesis: str = Field(default="", max_length=4000,
                            examples=["A webinar post engages our Instagram audience as well "
                                      "as a product video."])
    request_id: Id | None = Field(default=None, description="The intake request it settles.")
    arms: list[ArmCreate] = Field(
        description="Exactly two arms: the team's variant and the stakeholder's.",
        examples=[[{"key": "video", "name": "Product video", "role": "team"},
                   {"key": "webinar", "name": "Webinar post", "role": "stakeholder"}]])
    primary_metric: Metric = Metric.engagement_rate
    guardrail_metrics: list[Metric] = Field(default_factory=list, max_length=4)
    unit: Unit = Unit.post
    design: Design = Design.sequential
    alpha: Real = Field(default=0.05, gt=0, le=0.2)
    power: Real = Field(default=0.8, ge=0.5, lt=1)
    baseline_rate: Real | None = Field(
        default=None, gt=0, lt=1, examples=[0.05],
        description="Expected rate of the team's arm; needed to plan a proportion metric.")
    mde: Real = Field(gt=0, examples=[0.005],
                       description="Smallest effect worth detecting: absolute for proportions, "
                                   "relative for per-post values (0.1 = 10%).")
    equivalence_margin: Real | None = Field(
        default=None, gt=0, le=1e6, examples=[0.004],
        description="Differences within +-margin count as no difference (two one-sided tests "
                    "at the planned size); same scale as mde, which is the default.")
    planned_n_per_arm: Int32 | None = Field(
        default=None, ge=2,
        description="Override the planned size: posts per arm with unit `post`, impressions "
                    "per arm with unit `impression`.")
    network: NetworkSlug | None = Field(
        default=None, examples=["instagram"],
        description="Network whose recent posts give the between-post variance for planning "
                    "(default: the request's first network).")
    start: StrictBool = Field(default=False,
                              description="Start collecting at once (state running).")


class ObservationIn(Strict):
    arm: ArmKey = Field(examples=["video"])
    post_id: str | None = Field(default=None, min_length=1, max_length=180,
                                examples=["ig-2026-11-20-001"],
                                description="The network's post id; rows are upserted by it.")
    day: Day | None = Field(default=None, description="For daily counts per arm (impression "
                                                        "split) instead of a post id.")
    impressions: Int64 = Field(ge=0, le=10**12, examples=[1200])
    engagements: Int64 = Field(default=0, ge=0, le=10**12, examples=[31])
    clicks: Int64 = Field(default=0, ge=0, le=10**12)
    video_views: Real | None = Field(default=None, ge=0, le=1e12)
    watch_seconds: Real | None = Field(default=None, ge=0, le=1e12)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.post_id is None and self.day is None:
            raise ValueError("send post_id (a post) or day (daily counts)")
        if self.engagements > self.impressions:
            raise ValueError(f"engagements ({self.engagements}) exceed impressions "
                             f"({self.impressions})")
        if self.clicks > self.impressions:
            raise ValueError(f"clicks ({self.clicks}) exceed impressions ({self.impressions})")
        return self

    @property
    def post_key(self) -> str:
        return self.post_id if self.post_id is not None else f"day:{self.day}"


class ObservationBatch(Strict):
    observations: list[ObservationIn] = Field(min_length=1, max_length=1000)


class ObservationResult(BaseModel):
    received: int
    inserted: int
    updated: int
    unchanged: int
    data_version: int = Field(description="The experiment's data version after this batch.")


class ExperimentPlanRequest(Strict):
    """What to plan: give `mde` for the size per arm, `n_per_arm` for the detectable effect,
    or both."""

    primary_metric: Metric = Metric.engagement_rate
    unit: Unit = Unit.post
    alpha: float = Field(default=0.05, gt=0, le=0.2)
    power: float = Field(default=0.8, ge=0.5, lt=1)
    baseline_rate: float | None = Field(default=None, gt=0, lt=1, examples=[0.03])
    mde: float | None = Field(default=None, gt=0, le=1e6, examples=[0.005])
    n_per_arm: int | None = Field(default=None, ge=2, le=10**12, examples=[40])
    network: NetworkSlug | None = Field(default=None, examples=["instagram"])

    @model_validator(mode="after")
    def _asks_something(self) -> Self:
        if self.mde is None and self.n_per_arm is None:
            raise ValueError("give mde (for the size per arm) or n_per_arm (for the "
                             "detectable effect)")
        return self


class ExperimentPlanPublic(BaseModel):
    counted: Literal["posts", "impressions"] = Field(
        description="What n_per_arm counts: posts (unit post) or impressions (unit impression).")
    n_per_arm: int | None = Field(description="Size per arm to detect mde with the power.")
    mde: float | None
    detectable_effect: float | None = Field(
        description="Smallest effect (scale of mde) detectable with the power at the given "
                    "n_per_arm.")
    variance: float | None = Field(
        description="Per-post variance used: of the linearised rate at the baseline, or of "
                    "log1p(value); null for impressions.")
    basis: str = Field(description="Where the variance came from, and the formula.")
