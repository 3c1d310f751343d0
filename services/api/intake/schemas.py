"""Wire models for requests: the intake form, triage, moves, progress updates and blockers."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from services.api.models import Decision, Goal, RequestStatus
from services.api.team.schemas import MemberSummary, Slug, Strict
from shared.schemas.bounds import Id, Int32, Real, Timestamp
from shared.schemas.experiments import PROPORTION_METRICS, ExperimentState, Metric
from shared.schemas.experiments import Decision as VerdictDecision

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class AssetKind(StrEnum):
    video = "video"
    images = "images"
    copy = "copy"
    audio = "audio"
    other = "other"


class Asset(Strict):
    kind: AssetKind
    link: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)] = Field(
        examples=["https://drive.example.com/webinar-teaser.mp4"])


class RequestCreate(Strict):
    title: Annotated[Text, StringConstraints(max_length=200)] = Field(
        examples=["Promote the March webinar"])
    description: Annotated[Text, StringConstraints(max_length=5000)] = Field(
        examples=["A live webinar on social listening for marketing leaders."])
    goal: Goal
    audience: Annotated[Text, StringConstraints(max_length=500)] = Field(
        examples=["Marketing leaders at B2B companies"])
    networks: list[Slug] = Field(min_length=1, max_length=8, examples=[["instagram"]],
                                 description="Networks wanted; the first one routes the request.")
    pillar_ids: list[Id] = Field(default_factory=list, max_length=10,
                                  description="Strategy pillars the request claims to serve.")
    desired_publish_at: Timestamp | None = Field(default=None,
                                                     examples=["2026-12-10T15:00:00Z"])
    deadline_at: Timestamp | None = Field(default=None, examples=["2026-12-12T17:00:00Z"])
    assets: list[Asset] = Field(default_factory=list, max_length=50)
    context: Annotated[str, StringConstraints(max_length=5000)] = Field(
        default="", examples=["Registrations are behind target."])
    department: Annotated[Text, StringConstraints(max_length=200)] = Field(
        examples=["Product Marketing"])

    @model_validator(mode="after")
    def _dates(self) -> "RequestCreate":
        if self.desired_publish_at is None and self.deadline_at is None:
            raise ValueError("give desired_publish_at or deadline_at (or both)")
        if len(set(self.networks)) != len(self.networks):
            raise ValueError("networks are listed twice")
        return self


class Alternative(StrEnum):
    network = "network"
    reduced_scope = "reduced_scope"
    ab_test = "ab_test"


class WouldHelp(StrEnum):
    more_time = "more_time"
    more_information = "more_information"
    more_assets = "more_assets"


class AlternativeProposal(Strict):
    kind: Alternative
    network: Slug | None = Field(default=None, examples=["linkedin"],
                                 description="For `network`: where it fits better.")
    description: Annotated[str, StringConstraints(max_length=2000)] = Field(
        default="", examples=["A LinkedIn carousel and a post on the event page."])
    metric: Metric | None = Field(
        default=None, examples=["engagement_rate"],
        description="For `ab_test`: the metric compared (default engagement_rate).")
    baseline_rate: Real | None = Field(
        default=None, gt=0, lt=1, examples=[0.03],
        description="For `ab_test`: the team arm's expected rate (default 0.03).")
    mde: Real | None = Field(
        default=None, gt=0, examples=[0.01],
        description="For `ab_test`: the smallest effect worth detecting (default 0.01).")

    @model_validator(mode="after")
    def _network(self) -> "AlternativeProposal":
        if self.kind == Alternative.network and self.network is None:
            raise ValueError("a `network` alternative names the network")
        if self.kind != Alternative.ab_test and any(
                v is not None for v in (self.metric, self.baseline_rate, self.mde)):
            raise ValueError("metric, baseline_rate and mde are settings of an `ab_test`")
        if self.metric is not None and self.metric not in PROPORTION_METRICS:
            raise ValueError("an `ab_test` alternative compares engagement_rate or click_rate")
        return self


class TriageCreate(Strict):
    decision: Decision
    rationale: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = (
        Field(default=None, examples=["Instagram reaches creators; your audience is on LinkedIn."],
              description="Written for the stakeholder; required unless the decision is accept.")
    )
    alternative: AlternativeProposal | None = None
    would_help: list[WouldHelp] = Field(default_factory=list, max_length=3,
                                        description="What would have made it work.")
    would_help_note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    effort_hours: Real | None = Field(
        default=None, gt=0, le=1000, examples=[3.0],
        description="The estimate; accepted work is planned with it (2 hours without one).")
    earliest_start_at: Timestamp | None = Field(
        default=None, description="Given by the triager; otherwise computed from the owner's "
                                  "plan: their time blocks, after the work already planned.")
    next_update_due_at: Timestamp | None = Field(
        default=None, description="Default: a few days from now.")

    @model_validator(mode="after")
    def _rules(self) -> "TriageCreate":
        if self.decision != Decision.accept and not self.rationale:
            raise ValueError(f"a {self.decision.value} needs a rationale for the stakeholder")
        if self.decision == Decision.redirect and (
                self.alternative is None or self.alternative.kind != Alternative.network):
            raise ValueError("a redirect names the network in alternative "
                             "({\"kind\": \"network\", \"network\": ...})")
        return self


class TransitionCreate(Strict):
    to: RequestStatus = Field(examples=["in_progress"])
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class TransitionPublic(BaseModel):
    id: int
    from_status: RequestStatus | None
    to_status: RequestStatus
    actor_member_id: int | None
    actor_key_id: int | None
    note: str | None
    at: datetime


class UpdateCreate(Strict):
    note: Annotated[Text, StringConstraints(max_length=4000)] = Field(
        examples=["Three of the five videos are edited."])
    done_count: Int32 | None = Field(default=None, ge=0, examples=[3])
    total_count: Int32 | None = Field(default=None, ge=1, examples=[5])
    unit: Annotated[str, StringConstraints(max_length=50)] | None = Field(
        default=None, examples=["videos"])
    next_update_due_at: Timestamp | None = None

    @model_validator(mode="after")
    def _counts(self) -> "UpdateCreate":
        if (self.done_count is None) != (self.total_count is None):
            raise ValueError("give done_count and total_count together")
        if self.done_count is not None and self.total_count is not None and (
                self.done_count > self.total_count):
            raise ValueError("done_count exceeds total_count")
        return self


class UpdatePublic(BaseModel):
    id: int
    request_id: int
    note: str
    done_count: int | None
    total_count: int | None
    unit: str | None
    progress: str | None = Field(examples=["3 of 5 videos"])
    author_member_id: int | None
    next_update_due_at: datetime
    created_at: datetime


class BlockerCreate(Strict):
    what: Annotated[Text, StringConstraints(max_length=500)] = Field(
        examples=["Waiting for the creative asset"])
    waiting_on: Annotated[Text, StringConstraints(max_length=200)] = Field(
        examples=["Design team"])
    since_at: Timestamp | None = None


class BlockerResolve(Strict):
    resolution: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        default=None, examples=["Asset delivered"])


class BlockerPublic(BaseModel):
    id: int
    request_id: int
    what: str
    waiting_on: str
    since_at: datetime
    resolved_at: datetime | None
    resolution: str | None


class BlockedItem(BaseModel):
    blocker: BlockerPublic
    request_id: int
    request_title: str
    owner: MemberSummary | None


class TriagePublic(BaseModel):
    decision: Decision
    rationale: str | None
    alternative: AlternativeProposal | None
    would_help: list[WouldHelp]
    would_help_note: str | None
    effort_hours: float | None
    earliest_start_at: datetime | None
    triaged_at: datetime


class RequestVerdict(BaseModel):
    """The latest verdict of an experiment run for this request, in plain words."""

    decision: VerdictDecision
    winner: str | None
    summary: str = Field(description="The verdict as a plain paragraph.")
    metric: Metric
    effect: float | None = Field(description="Stakeholder arm minus team arm.")
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    method: str
    is_conclusive: bool
    decided_at: datetime


class RequestExperiment(BaseModel):
    id: int
    name: str
    state: ExperimentState
    verdict: RequestVerdict | None


class RequestPublic(BaseModel):
    id: int
    title: str
    description: str
    goal: Goal
    audience: str
    networks: list[str]
    pillar_ids: list[int]
    desired_publish_at: datetime | None
    deadline_at: datetime | None
    assets: list[Asset]
    context: str
    department: str
    requester_id: int | None
    owner: MemberSummary | None
    status: RequestStatus
    allowed_moves: list[RequestStatus] = Field(
        description="Statuses this request may move to next.")
    needs_strategy_review: bool
    review_reasons: list[str] = Field(
        examples=[["audience 'marketing leaders' shares no word with Instagram's audience"]])
    triage: TriagePublic | None
    next_update_due_at: datetime | None
    open_blockers: list[BlockerPublic]
    latest_update: UpdatePublic | None
    experiments: list[RequestExperiment] = Field(
        description="A/B tests run for this request (a compromise), with their latest verdict.")
    created_at: datetime
    updated_at: datetime


class RequestSummary(BaseModel):
    """A request in a list; read the request for its triage, blockers and updates."""

    id: int
    title: str
    goal: Goal
    networks: list[str]
    owner_id: int | None
    requester_id: int | None
    status: RequestStatus
    needs_strategy_review: bool
    desired_publish_at: datetime | None
    deadline_at: datetime | None
    next_update_due_at: datetime | None
    created_at: datetime
