"""Saved custom reports, annotations on their sections, share links, and the share secret."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from services.api.models.base import Versioned, utc_field


class Report(Versioned, table=True):
    """A saved definition: a period, optional network filter, and an ordered list of sections
    (`[{"key", "kind", "title", "params"}]`); rendering recomputes it from current data."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    period_from: date
    period_to: date
    networks: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sections: list[dict[str, Any]] = Field(default_factory=list,
                                           sa_column=Column(JSON, nullable=False))
    created_by_key_id: int | None = None


class ReportAnnotation(SQLModel, table=True):
    __tablename__ = "report_annotation"
    __table_args__ = (Index("ix_report_annotation_report", "report_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", ondelete="CASCADE")
    section_key: str = Field(max_length=40)
    body: str = Field(max_length=4000)
    author_key_id: int | None = None
    created_at: datetime = utc_field()


class ShareLink(SQLModel, table=True):
    """A read-only link to one report. Only its id is signed into the token; revoking or
    expiry is checked here on every use."""

    __tablename__ = "share_link"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    label: str = Field(default="", max_length=200)
    expires_at: datetime = utc_field()
    revoked_at: datetime | None = utc_field(nullable=True)
    created_by_key_id: int | None = None
    created_at: datetime = utc_field()
    last_opened_at: datetime | None = utc_field(nullable=True)


class AppSecret(SQLModel, table=True):
    """Random server secrets created on first use, shared by every API process."""

    __tablename__ = "app_secret"

    name: str = Field(max_length=50, primary_key=True)
    value: str = Field(max_length=200)
    created_at: datetime = utc_field()
