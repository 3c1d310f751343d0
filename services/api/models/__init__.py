"""Every table, one module per feature; importing this package registers them all."""

from sqlmodel import SQLModel

from services.api.models.auth import ApiKey, IdempotencyRecord, Role
from services.api.models.calendar import CalendarEntry, CalendarFeed, EntryStatus, FeedScope
from services.api.models.events import DeliveryStatus, Event, Webhook, WebhookDelivery
from services.api.models.experiments import Experiment, ExperimentArm, Observation, Verdict
from services.api.models.intake import (
    Blocker,
    Decision,
    Goal,
    Request,
    RequestStatus,
    RequestTransition,
    RequestUpdate,
)
from services.api.models.planning import (
    Disruption,
    PlanningSettings,
    Quadrant,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
    WorkSchedule,
)
from services.api.models.posts import (
    METRICS,
    ContentType,
    FollowerCount,
    GoalMetric,
    MetricSnapshot,
    NetworkGoal,
    Post,
    PostNote,
    PostTag,
)
from services.api.models.reports import AppSecret, Report, ReportAnnotation, ShareLink
from services.api.models.team import (
    Member,
    MemberRole,
    Network,
    NetworkOwnership,
    Pillar,
    PillarNetwork,
    Purpose,
)

metadata = SQLModel.metadata

__all__ = [
    "METRICS",
    "ApiKey",
    "AppSecret",
    "Blocker",
    "CalendarEntry",
    "CalendarFeed",
    "ContentType",
    "Decision",
    "DeliveryStatus",
    "Disruption",
    "EntryStatus",
    "Event",
    "Experiment",
    "ExperimentArm",
    "FeedScope",
    "FollowerCount",
    "Goal",
    "GoalMetric",
    "IdempotencyRecord",
    "Member",
    "MemberRole",
    "MetricSnapshot",
    "Network",
    "NetworkGoal",
    "NetworkOwnership",
    "Observation",
    "Pillar",
    "PillarNetwork",
    "PlanningSettings",
    "Post",
    "PostNote",
    "PostTag",
    "Purpose",
    "Quadrant",
    "Report",
    "ReportAnnotation",
    "Request",
    "RequestStatus",
    "RequestTransition",
    "RequestUpdate",
    "Role",
    "ShareLink",
    "Verdict",
    "Webhook",
    "WebhookDelivery",
    "WorkItem",
    "WorkItemKind",
    "WorkItemStatus",
    "WorkSchedule",
    "metadata",
]
