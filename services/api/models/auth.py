"""API keys: stored as a SHA-256 hash of a high-entropy random secret, never in clear."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.api.models.base import enum_field, utc_field


class Role(StrEnum):
    stakeholder = "stakeholder"
    strategist = "strategist"
    manager = "manager"
    service = "service"


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: Role = enum_field(Role)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    prefix: str = Field(max_length=16)
    secret_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = utc_field()
    revoked_at: datetime | None = utc_field(nullable=True)
    last_used_at: datetime | None = utc_field(nullable=True)


class IdempotencyRecord(SQLModel, table=True):
    """A claimed `Idempotency-Key`, scoped to the caller's key; holds the first response."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=64)
    key: str = Field(max_length=255)
    method: str = Field(max_length=10)
    path: str = Field(max_length=2000)
    body_hash: str = Field(max_length=64)
    status_code: int | None = None
    response_headers: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    response_body: str | None = None
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field(index=True)
