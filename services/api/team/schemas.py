"""Wire models for members, networks, ownership, pillars and routing."""

import re
import zoneinfo
from datetime import date, datetime
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from services.api.models import MemberRole, Purpose
from shared.schemas.bounds import YEAR_PATTERN, Day, Id
from shared.schemas.patch import NotNull, Patch

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
QUARTER_PATTERN = rf"^{YEAR_PATTERN}-Q[1-4]$"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Quarter = Annotated[
    str, StringConstraints(pattern=QUARTER_PATTERN), Field(examples=["2026-Q4"])
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_zone(value: str) -> str:
    if value not in _zones():
        raise ValueError(f"'{value}' is not an IANA time zone (e.g. Europe/Paris)")
    return value


def _check_email(value: str) -> str:
    if not EMAIL_PATTERN.match(value):
        raise ValueError("not an email address")
    return value.lower()


TimeZone = Annotated[str, AfterValidator(_check_zone), Field(examples=["America/Chicago"])]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320), AfterValidator(_check_email),
    Field(examples=["jonathan@example.com"]),
]
Capacity = Annotated[float, Field(gt=0, le=168, description="Hours a week this person can work.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberCreate(Strict):
    name: Name = Field(examples=["Jonathan Zuluaga"])
    email: Email
    time_zone: TimeZone
    role: MemberRole
    department: str | None = Field(default=None, max_length=200, examples=["Social"])
    weekly_capacity_hours: Capacity = 40.0


class MemberUpdate(Patch):
    name: NotNull[Name] = None
    email: NotNull[Email] = None
    time_zone: NotNull[TimeZone] = None
    role: NotNull[MemberRole] = None
    department: str | None = Field(default=None, max_length=200)
    weekly_capacity_hours: NotNull[Capacity] = None
    is_active: NotNull[StrictBool] = None


class MemberSummary(BaseModel):
    id: int
    name: str
    email: str
    role: MemberRole


class MemberPublic(MemberSummary):
    time_zone: str
    department: str | None
    weekly_capacity_hours: float
    is_active: bool
    created_at: datetime
    updated_at: datetime


class NetworkCreate(Strict):
    slug: Slug = Field(examples=["tiktok"])
    name: Name = Field(examples=["TikTok"])
    purpose: Purpose
    audience: str = Field(default="", max_length=2000, examples=["Gen Z and young millennials"])
    owner_id: Id | None = Field(default=None, description="Member who owns it from today.")


class NetworkUpdate(Patch):
    name: NotNull[Name] = None
    purpose: NotNull[Purpose] = None
    audience: NotNull[str] = Field(default=None, max_length=2000)


class NetworkPublic(BaseModel):
    slug: str
    name: str
    purpose: Purpose
    audience: str
    owner: MemberSummary | None = Field(description="The current owner; null if none.")
    created_at: datetime
    updated_at: datetime


class OwnershipCreate(Strict):
    member_id: Id
    starts_on: Day | None = Field(default=None, description="Defaults to today (UTC).")
    note: str | None = Field(default=None, max_length=500)


class OwnershipPublic(BaseModel):
    network: str
    owner: MemberSummary
    starts_on: date
    ends_on: date | None = Field(description="Exclusive; null while current.")
    note: str | None


class Route(BaseModel):
    network: str
    purpose: Purpose
    owner: MemberSummary | None


class Routing(BaseModel):
    on: date
    routes: list[Route]


class PillarCreate(Strict):
    quarter: Quarter
    name: Name = Field(examples=["Grow awareness with short video"])
    description: str = Field(default="", max_length=4000)
    networks: list[Slug] = Field(default_factory=list, max_length=50, examples=[["tiktok"]])
    audiences: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50, examples=[["marketers at mid-size companies"]]
    )


class PillarUpdate(Patch):
    name: NotNull[Name] = None
    description: NotNull[str] = Field(default=None, max_length=4000)
    networks: NotNull[list[Slug]] = Field(default=None, max_length=50)
    audiences: NotNull[list[Annotated[str, StringConstraints(min_length=1, max_length=200)]]] = (
        Field(default=None, max_length=50)
    )


class PillarPublic(BaseModel):
    id: int
    quarter: str
    name: str
    description: str
    networks: list[str]
    audiences: list[str]
    created_at: datetime
    updated_at: datetime
