"""Every table, one module per feature; importing this package registers them all."""

from sqlmodel import SQLModel

from services.api.models.auth import ApiKey, IdempotencyRecord, Role
from services.api.models.calendar import CalendarEntry, CalendarFeed, EntryStatus, FeedScope
from services.api.models.events import DeliveryStatus, Event, Webhook, WebhookDelivery
from services.api.models.intake import (
    Blocker,
    Decision,
    Goal,
    Request,
    RequestStatus,
    RequestTransition,
    RequestUpdate,
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
    "Blocker",
    "CalendarEntry",
    "CalendarFeed",
    "Decision",
    "DeliveryStatus",
    "EntryStatus",
    "Event",
    "FeedScope",
    "Goal",
    "IdempotencyRecord",
    "Member",
    "MemberRole",
    "Network",
    "NetworkOwnership",
    "Pillar",
    "PillarNetwork",
    "Purpose",
    "Request",
    "RequestStatus",
    "RequestTransition",
    "RequestUpdate",
    "Role",
    "Webhook",
    "WebhookDelivery",
    "metadata",
]
