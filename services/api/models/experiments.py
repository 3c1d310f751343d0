"""A/B experiments: their arms, per-post observations, and the verdicts the evaluator writes."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.api.models.base import Versioned, enum_field, utc_field
from shared.schemas.experiments import ArmRole, Decision, Design, ExperimentState, Metric, Unit


class Experiment(Versioned, table=True):
    """`data_version` and `evaluated_version` change by plain UPDATEs (not the ETag version):
    new data does not make an editor's If-Match stale."""

    __table_args__ = (Index("ix_experiment_state_id", "state", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    hypothesis: str = Field(default="", max_length=4000)
    # The intake request this compromise came from.
    request_id: int | None = Field(default=None, index=True, foreign_key="request.id",
                                   ondelete="SET NULL")
    state: ExperimentState = enum_field(ExperimentState)
    primary_metric: Metric = enum_field(Metric)
    guardrail_metrics: list[str] = Field(default_factory=list,
                                         sa_column=Column(JSON, nullable=False))
    unit: Unit = enum_field(Unit)
    design: Design = enum_field(Design)
    alpha: float
    power: float
    baseline_rate: float | None = None
    mde: float
    equivalence_margin: float | None = None
    planned_n_per_arm: int
    sizing_basis: str = Field(default="", max_length=500)
    data_version: int = Field(default=0)
    evaluated_version: int = Field(default=0)
    looks: list[float] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    last_always_valid_p: float | None = None
    latest_verdict_id: int | None = None
    created_by_key_id: int | None = None
    started_at: datetime | None = utc_field(nullable=True)
    concluded_at: datetime | None = utc_field(nullable=True)


class ExperimentArm(SQLModel, table=True):
    __tablename__ = "experiment_arm"
    __table_args__ = (UniqueConstraint("experiment_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiment.id")
    key: str = Field(max_length=40)
    name: str = Field(max_length=200)
    role: ArmRole = enum_field(ArmRole)
    share: float
    position: int


class Observation(SQLModel, table=True):
    """One post's cumulative counts (or one day's counts for an impression-split experiment),
    upserted by (experiment, arm, post_key): sending the same row again changes nothing."""

    __table_args__ = (UniqueConstraint("experiment_id", "arm_id", "post_key"),)

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiment.id")
    arm_id: int = Field(foreign_key="experiment_arm.id")
    post_key: str = Field(max_length=200)
    day: date | None = None
    # BIGINT: a viral post can pass 2^31 impressions.
    impressions: int = Field(sa_type=BigInteger)
    engagements: int = Field(default=0, sa_type=BigInteger)
    clicks: int = Field(default=0, sa_type=BigInteger)
    video_views: float | None = None
    video_views_log: float | None = None
    watch_seconds: float | None = None
    watch_seconds_log: float | None = None
    updated_at: datetime = utc_field()


class Verdict(SQLModel, table=True):
    """One look's result. At most one per (experiment, data_version): a replay finds it."""

    __table_args__ = (UniqueConstraint("experiment_id", "data_version"),)

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiment.id")
    data_version: int
    look: int
    info_fraction: float
    decision: Decision = enum_field(Decision)
    is_conclusive: bool
    winner: str | None = Field(default=None, max_length=40)
    metric: Metric = enum_field(Metric)
    method: str = Field(max_length=200)
    unit: Unit = enum_field(Unit)
    estimates: dict[str, float] = Field(default_factory=dict,
                                        sa_column=Column(JSON, nullable=False))
    n_per_arm: dict[str, int] = Field(default_factory=dict,
                                      sa_column=Column(JSON, nullable=False))
    planned_n_per_arm: int
    effect: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    rel_effect: float | None = None
    rel_ci_low: float | None = None
    rel_ci_high: float | None = None
    p_value: float | None = None
    always_valid_p: float | None = None
    equivalence_p_value: float | None = None
    boundary: float | None = None
    alpha_spent: float | None = None
    srm_p_value: float | None = None
    guardrails: list[dict[str, Any]] = Field(default_factory=list,
                                             sa_column=Column(JSON, nullable=False))
    summary: str = Field(max_length=4000)
    author_key_id: int | None = None
    created_at: datetime = utc_field()
