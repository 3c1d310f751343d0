"""Column helpers every table shares: aware UTC timestamps and an optimistic-lock version."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from services.api.db import UTCDateTime, utcnow


def utc_field(*, nullable: bool = False, index: bool = False, **kw: Any) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index, **kw)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index, **kw)


class Versioned(SQLModel):
    """`version` feeds the ETag; SQLAlchemy adds `WHERE version = :old` to every UPDATE,
    so two writers that both passed the If-Match check cannot both win."""

    version: int = Field(default=1, nullable=False)
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()

    @declared_attr  # type: ignore[arg-type]
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def enum_field(enum: type[StrEnum], **kw: Any) -> Any:
    """A string column holding the enum's values: new values need no database type change."""
    return Field(sa_type=Enum(enum, native_enum=False, length=20,
                              values_callable=lambda e: [m.value for m in e]), **kw)
