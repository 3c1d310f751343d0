"""Wire models for work items, matrix thresholds, the queue, schedules, plans and plates."""

from datetime import date, datetime
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints, model_validator

from services.api.models import Quadrant, WorkItemKind, WorkItemStatus
from services.api.team.schemas import Strict, TimeZone
from shared.schemas.bounds import Day, Id, Int32, Real, Timestamp
from shared.schemas.patch import NotNull, Patch

MAX_EFFORT_HOURS = 1000
IMPACT_RULE = (
    "Impact 1 (least) to 5 (most). When not given it is derived: 2, plus 2 when the work fits "
    "a strategy pillar, plus 1 when it states a goal, minus 1 when it is asked late (due less "
    "than 48 hours after it was asked, or already past), kept within 1 to 5. An owner's value "
    "overrides it; sending null returns to the derived value."
)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Impact = Annotated[Int32, Field(ge=1, le=5, description=IMPACT_RULE, examples=[4])]
Effort = Annotated[Real, Field(gt=0, le=MAX_EFFORT_HOURS, examples=[3.0],
                                description="Honest effort in hours (over 0, at most 1,000).")]
Goal = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class WorkItemCreate(Strict):
    title: Title = Field(examples=["TikTok launch video series"])
    owner_id: Id
    effort_hours: Effort
    impact: Impact | None = None
    pillar_fit: StrictBool = Field(default=False,
                                   description="Serves one of the quarter's pillars.")
    goal: Goal | None = Field(default=None, examples=["Grow awareness with Gen Z"])
    deadline: Timestamp | None = Field(default=None, examples=["2026-12-04T17:00:00Z"])
    is_fixed: StrictBool = Field(default=False, description="Manager only: never proposed for "
                                                      "deferral, hand-over or decline.")
    request_id: Id | None = Field(default=None, description=(
        "The accepted request this work serves; its stakeholder is told when it moves."))


class WorkItemUpdate(Patch):
    title: NotNull[Title] = None
    owner_id: NotNull[Id] = None
    effort_hours: NotNull[Effort] = None
    impact: Impact | None = Field(default=None, description="null: derive it again.")
    pillar_fit: NotNull[StrictBool] = None
    goal: Goal | None = None
    deadline: Timestamp | None = None
    target_on: Day | None = Field(default=None, description="Chunks only: the target date.")
    status: NotNull[WorkItemStatus] = None
    is_fixed: NotNull[StrictBool] = Field(default=None, description="Manager only.")


class ChunkCreate(Strict):
    title: Title = Field(examples=["Launch video 1 of 5"])
    effort_hours: Effort
    target_on: Day = Field(examples=["2026-12-11"],
                            description="Day (in the owner's time zone) to finish it by.")


class ChunksCreate(Strict):
    chunks: list[ChunkCreate] = Field(min_length=1, max_length=50)


class ChunkProposal(BaseModel):
    project_id: int
    chunks: list[ChunkCreate] = Field(description="Send `{\"chunks\": ...}` (as is or "
                                      "edited) to POST /v1/work-items/{id}/chunks to create "
                                      "them in one call.")
    hours_without_room: float = Field(description="Effort that found no free time before the "
                                      "project's deadline (or in the next eight weeks).")
    note: str


class WorkItemPublic(BaseModel):
    id: int
    kind: WorkItemKind
    request_id: int | None
    owner_id: int
    title: str
    status: WorkItemStatus
    impact: int = Field(description=IMPACT_RULE)
    impact_is_derived: bool
    pillar_fit: bool
    goal: str | None
    effort_hours: float
    effort_is_assumed: bool = Field(
        default=False, description="True when triage accepted the work without an estimate: "
        "effort_hours is the default (2 h), planned as such until the owner confirms or "
        "changes it (any change to effort_hours clears this).")
    deadline: datetime | None
    is_fixed: bool
    parent_id: int | None
    chunk_no: int | None
    target_on: date | None
    not_before_at: datetime | None = Field(
        default=None, description="Not planned before this moment (set when the work is "
        "deferred off a plan).")
    quadrant: Quadrant
    queue_rank: int = Field(description="1 quick win (high impact), 2 quick win (medium "
                                        "impact), 3 major project work, 4 fill-in, 5 thankless "
                                        "(push back), 9 a project split into chunks (its "
                                        "chunks are queued instead).")
    created_at: datetime
    updated_at: datetime


class ChunkSummary(BaseModel):
    id: int
    chunk_no: int | None
    title: str
    effort_hours: float
    target_on: date | None
    status: WorkItemStatus


class WorkItemDetail(WorkItemPublic):
    chunks: list[ChunkSummary] = Field(default_factory=list)
    progress: float | None = Field(
        default=None, description="Share of chunk effort done (0 to 1); null without chunks.")
    warnings: list[str] = Field(default_factory=list)


class SettingsPublic(BaseModel):
    high_impact_min: int = Field(description="Impact from which low-effort work is a top "
                                             "quick win.", examples=[4])
    medium_impact_min: int = Field(description="Impact from which work is on the high-impact "
                                               "side of the matrix.", examples=[3])
    low_effort_max_hours: float = Field(description="Effort up to which work is low effort.",
                                        examples=[4.0])
    updated_at: datetime | None


class SettingsUpdate(Patch):
    high_impact_min: NotNull[Int32] = Field(default=None, ge=1, le=5)
    medium_impact_min: NotNull[Int32] = Field(default=None, ge=1, le=5)
    low_effort_max_hours: NotNull[Real] = Field(default=None, gt=0, le=MAX_EFFORT_HOURS)


class ChunkOf(BaseModel):
    parent_id: int
    k: int
    n: int


class QueueEntry(BaseModel):
    item: WorkItemPublic
    reason: str = Field(examples=["quick win: impact 5, 2h effort; due 2026-12-01"])
    push_back: bool = Field(description="A thankless task: argue it away rather than do it.")
    chunk_of: ChunkOf | None = None


HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
HHMM_END = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Block(Strict):
    day: Weekday
    start: Annotated[str, StringConstraints(pattern=HHMM)] = Field(examples=["09:00"])
    end: Annotated[str, StringConstraints(pattern=HHMM_END)] = Field(examples=["12:00"])
    kind: Literal["focus", "regular", "buffer"]


class ScheduleIn(Strict):
    time_zone: TimeZone | None = Field(default=None,
                                       description="Defaults to the member's time zone.")
    buffer_share: Real = Field(default=0.2, ge=0, le=0.9, description=(
        "Share of each day's block time kept free for disruptions; explicit buffer blocks "
        "count towards it."))
    blocks: list[Block] = Field(max_length=100, examples=[[
        {"day": "mon", "start": "09:00", "end": "12:00", "kind": "focus"},
        {"day": "mon", "start": "13:00", "end": "16:00", "kind": "regular"},
        {"day": "mon", "start": "16:00", "end": "17:00", "kind": "buffer"}]])

    @model_validator(mode="after")
    def _no_overlap(self) -> "ScheduleIn":
        by_day: dict[str, list[tuple[str, str]]] = {}
        for b in self.blocks:
            if b.start >= b.end:
                raise ValueError(f"the {b.day} block {b.start}-{b.end} does not end after it "
                                 "starts within the day")
            by_day.setdefault(b.day, []).append((b.start, b.end))
        for day, spans in by_day.items():
            spans.sort()
            for (s1, e1), (s2, e2) in pairwise(spans):
                if s2 < e1:
                    raise ValueError(f"{day} blocks {s1}-{e1} and {s2}-{e2} overlap")
        return self


class SchedulePublic(BaseModel):
    member_id: int
    time_zone: str
    buffer_share: float
    blocks: list[Block]
    is_default: bool = Field(description="True when the member declared no blocks and the "
                                         "default Monday-Friday 09:00-17:00 applies.")


class DisruptionCreate(Strict):
    started_at: Timestamp = Field(examples=["2026-12-01T15:00:00Z"])
    hours: Real = Field(gt=0, le=24, examples=[2.0])
    note: str = Field(default="", max_length=500, examples=["Our reel went viral"])


class Slot(BaseModel):
    item_id: int
    title: str
    start: datetime
    end: datetime
    hours: float


class DayPlan(BaseModel):
    date: date
    block_hours: float
    buffer_hours: float
    disrupted_hours: float
    buffer_remaining_hours: float
    planned_hours: float
    slots: list[Slot]


class Unplaced(BaseModel):
    item_id: int
    title: str
    due: datetime | None
    reason: str


class Moved(BaseModel):
    item_id: int
    title: str
    from_start: datetime | None = Field(description="Where it sat without disruptions.")
    to_start: datetime | None = Field(description="Where it sits now; null: out of the plan.")


class PlanPublic(BaseModel):
    member_id: int
    time_zone: str
    start: datetime
    end: datetime
    feasible: bool = Field(description="Every item due within the plan fits before its due "
                                       "time.")
    days: list[DayPlan]
    unplaced: list[Unplaced]
    moved: list[Moved] = Field(description="Items the logged disruptions pushed.")


class DisruptionPublic(BaseModel):
    id: int
    member_id: int
    started_at: datetime
    hours: float
    note: str
    moved: list[Moved] = Field(description="What this week's disruptions moved in the plan.")


class Checkpoint(BaseModel):
    due: datetime
    demand_hours: float = Field(description="Open work due by then.")
    capacity_hours: float = Field(description="Plannable time from now until then.")
    overloaded: bool


class CapacityPublic(BaseModel):
    member_id: int
    start: datetime
    end: datetime
    demand_hours: float
    capacity_hours: float
    overloaded: bool
    checkpoints: list[Checkpoint]


class PlateAction(BaseModel):
    item_id: int
    title: str
    request_id: int | None
    action: Literal["defer", "hand_over", "decline"]
    hours: float
    reason: str
    new_deadline: datetime | None = Field(
        default=None, description="Defer: the new deadline, never earlier than the old one, "
        "and one the member's plan meets.")
    not_before: datetime | None = Field(
        default=None, description="Defer: the item is not planned before this (the end of "
        "the plan it was taken off), so that plan stays feasible.")
    hand_to_member_id: int | None = None


class PlateProposal(BaseModel):
    member_id: int
    start: datetime
    end: datetime
    token: str = Field(description="Send it back to apply exactly this proposal.")
    feasible_before: bool
    feasible_after: bool
    hours_freed: float
    actions: list[PlateAction]
    cannot_fit: list[Unplaced] = Field(
        description="Fixed items that do not fit even without any movable work, and why: no "
        "action can make room for them; they stay as they are.")
    note: str


class PlateApply(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    start: Day | None = None
    days: Int32 = Field(default=7, ge=1)


class PlateApplied(BaseModel):
    applied: list[PlateAction]
    plan_feasible: bool
    cannot_fit: list[Unplaced] = Field(description="As in the proposal.")


class EarliestSlot(BaseModel):
    member_id: int
    effort_hours: float
    start: datetime = Field(description="Not before this time.")
    finish: datetime


class MatrixPoint(BaseModel):
    item_id: int
    title: str
    owner_id: int
    impact: int
    effort_hours: float
    quadrant: Quadrant


class MatrixPublic(BaseModel):
    high_impact_min: int
    medium_impact_min: int
    low_effort_max_hours: float
    counts: dict[str, int]
    points: list[MatrixPoint]

