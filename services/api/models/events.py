"""The outbox: every change is written here in the same transaction as the change itself;
webhooks and their deliveries carry it to other tools."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.api.models.base import Versioned, enum_field, utc_field


class Event(SQLModel, table=True):
    # BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER primary key.
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    type: str = Field(max_length=100, index=True)
    subject_type: str = Field(max_length=50)
    subject_id: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    actor_key_id: int | None = None
    occurred_at: datetime = utc_field()


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivering = "delivering"
    succeeded = "succeeded"
    failed = "failed"


class Webhook(Versioned, table=True):
    """A receiver of events. `secret` signs deliveries, so it is kept (not hashed);
    `cursor` is the last event id fanned out to it."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=500)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret: str = Field(max_length=100)
    is_active: bool = Field(default=True)
    cursor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    created_by_key_id: int | None = Field(default=None, foreign_key="api_key.id")


class WebhookDelivery(SQLModel, table=True):
    """One event to one webhook, retried with back-off until it succeeds or fails for good."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at", "id"),
        Index("ix_webhook_delivery_webhook_id", "webhook_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhook.id", ondelete="CASCADE")
    event_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                           ForeignKey("event.id"), nullable=False))
    status: DeliveryStatus = enum_field(DeliveryStatus, default=DeliveryStatus.pending)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = utc_field()
    claimed_until: datetime | None = utc_field(nullable=True)
    last_attempt_at: datetime | None = utc_field(nullable=True)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    delivered_at: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field()
