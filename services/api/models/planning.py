"""Planning: work items on the priority matrix, the matrix thresholds, weekly time blocks and
logged disruptions. Requests (intake) link here by `request_id`."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from services.api.models.base import Versioned, enum_field, utc_field


class WorkItemKind(StrEnum):
    initiative = "initiative"
    request = "request"


class WorkItemStatus(StrEnum):
    open = "open"
    done = "done"
    deferred = "deferred"
    declined = "declined"


class Quadrant(StrEnum):
    quick_win = "quick_win"
    major_project = "major_project"
    fill_in = "fill_in"
    thankless = "thankless"


class WorkItem(Versioned, table=True):
    """One piece of work with its place on the matrix. `quadrant`, `queue_rank` and `sort_due`
    are derived on every write (and by one UPDATE when thresholds change) so that the priority
    queue is an index range scan: (owner_id, status, queue_rank, sort_due, id)."""

    __tablename__ = "work_item"
    __table_args__ = (
        Index("ix_work_item_queue_owner", "owner_id", "status", "queue_rank", "sort_due", "id"),
        Index("ix_work_item_queue_team", "status", "queue_rank", "sort_due", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: WorkItemKind = enum_field(WorkItemKind)
    request_id: int | None = Field(default=None, index=True, foreign_key="request.id",
                                   ondelete="SET NULL")
    owner_id: int = Field(foreign_key="member.id")
    title: str = Field(max_length=300)
    status: WorkItemStatus = enum_field(WorkItemStatus)
    impact: int
    impact_is_derived: bool = Field(default=True)
    pillar_fit: bool = Field(default=False)
    goal: str | None = Field(default=None, max_length=500)
    effort_hours: float
    # Triage accepted the work without an estimate: `effort_hours` is the default, for the
    # owner to confirm (any change to effort_hours clears it).
    effort_is_assumed: bool = Field(default=False)
    deadline: datetime | None = utc_field(nullable=True)
    is_fixed: bool = Field(default=False)
    parent_id: int | None = Field(default=None, foreign_key="work_item.id", index=True)
    chunk_no: int | None = None
    target_on: date | None = None
    # Not planned before this moment: a deferral keeps the item out of the plan it was taken
    # off, so that plan stays as feasible as the proposal said.
    not_before_at: datetime | None = utc_field(nullable=True)
    chunk_count: int = Field(default=0)
    # The effort the matrix judges: the item's own, or for a chunk its parent's.
    matrix_effort_hours: float
    quadrant: Quadrant = enum_field(Quadrant)
    queue_rank: int
    sort_due: datetime = utc_field()


class PlanningSettings(Versioned, table=True):
    """The manager's matrix thresholds; one row per team (this service has one team: id 1)."""

    __tablename__ = "planning_settings"

    id: int | None = Field(default=None, primary_key=True)
    high_impact_min: int = Field(default=4)
    medium_impact_min: int = Field(default=3)
    low_effort_max_hours: float = Field(default=4.0)


class WorkSchedule(Versioned, table=True):
    """A member's weekly blocks in their own time zone, and the share kept as buffer."""

    __tablename__ = "work_schedule"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    time_zone: str = Field(max_length=64)
    buffer_share: float = Field(default=0.2)
    blocks: list[dict[str, Any]] = Field(default_factory=list,
                                         sa_column=Column(JSON, nullable=False))


class Disruption(SQLModel, table=True):
    """Unplanned work (a post went viral) that eats buffer first, then planned time."""

    __table_args__ = (Index("ix_disruption_member_started", "member_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    started_at: datetime = utc_field()
    hours: float
    note: str = Field(default="", max_length=500)
    created_at: datetime = utc_field()
