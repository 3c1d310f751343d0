"""Every table, one module per feature; importing this package registers them all."""

from sqlmodel import SQLModel

from services.api.models.auth import ApiKey, IdempotencyRecord, Role
from services.api.models.events import Event
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
    "ContentType",
    "Event",
    "FollowerCount",
    "GoalMetric",
    "IdempotencyRecord",
    "Member",
    "MemberRole",
    "MetricSnapshot",
    "Network",
    "NetworkGoal",
    "NetworkOwnership",
    "Pillar",
    "PillarNetwork",
    "Post",
    "PostNote",
    "PostTag",
    "Purpose",
    "Report",
    "ReportAnnotation",
    "Role",
    "ShareLink",
    "metadata",
]
