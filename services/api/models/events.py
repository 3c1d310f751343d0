"""The outbox: every change is written here in the same transaction as the change itself."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer
from sqlmodel import Field, SQLModel

from services.api.models.base import utc_field


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
