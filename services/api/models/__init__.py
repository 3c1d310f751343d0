"""Every table, one module per feature; importing this package registers them all."""

from sqlmodel import SQLModel

from services.api.models.auth import ApiKey, IdempotencyRecord, Role
from services.api.models.events import Event
from services.api.models.planning import (
    Disruption,
    PlanningSettings,
    Quadrant,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
    WorkSchedule,
)
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
    "ApiKey",
    "Disruption",
    "Event",
    "IdempotencyRecord",
    "Member",
    "MemberRole",
    "Network",
    "NetworkOwnership",
    "Pillar",
    "PillarNetwork",
    "PlanningSettings",
    "Purpose",
    "Quadrant",
    "Role",
    "WorkItem",
    "WorkItemKind",
    "WorkItemStatus",
    "WorkSchedule",
    "metadata",
]
