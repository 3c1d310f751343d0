"""Every table, one module per feature; importing this package registers them all."""

from sqlmodel import SQLModel

from services.api.models.auth import ApiKey, IdempotencyRecord, Role
from services.api.models.events import Event
from services.api.models.experiments import Experiment, ExperimentArm, Observation, Verdict
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
    "Event",
    "Experiment",
    "ExperimentArm",
    "IdempotencyRecord",
    "Member",
    "MemberRole",
    "Network",
    "NetworkOwnership",
    "Observation",
    "Pillar",
    "PillarNetwork",
    "Purpose",
    "Role",
    "Verdict",
    "metadata",
]
