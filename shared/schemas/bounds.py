"""Input bounds every request field shares: integers the database columns can hold, timestamps
and days in one sane range, and strict JSON types (no bool as a number, no number as a date).

Body fields use the strict types; path and query parameters arrive as text, so they use the
`*Param` types, which parse text but keep the same ranges. NUL characters and nesting depth
are refused before parsing, for every request, by `services.api.limits`."""

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import AfterValidator, AllowInfNan, AwareDatetime, BeforeValidator, StrictFloat

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# Far enough either way for a social-media team's history and plans, and far from the ends of
# Python's and the databases' calendars, so adding a month or a week never overflows.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2999, 12, 31)
EARLIEST = datetime.combine(EARLIEST_DAY, time(0), tzinfo=UTC)
LATEST = datetime.combine(LATEST_DAY, time(23, 59, 59, 999999), tzinfo=UTC)
RANGE_TEXT = f"between {EARLIEST_DAY} and {LATEST_DAY} (UTC)"
YEAR_PATTERN = r"(19[7-9]\d|2\d{3})"  # 1970 to 2999, as in RANGE_TEXT


_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*", re.DOTALL)


def _day_text(value: Any) -> Any:
    # JSON has no date type: a day is an RFC 3339 `full-date` string, never a number, nor a
    # string of digits (pydantic reads 0 and "0" as 1970-01-01).
    if isinstance(value, date) or (isinstance(value, str) and _DATE_TEXT.fullmatch(value)):
        return value
    raise ValueError("must be an RFC 3339 date, e.g. 2026-12-01")


def _timestamp_text(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str)
                                       and _TIMESTAMP_TEXT.fullmatch(value)):
        return value
    raise ValueError("must be an RFC 3339 timestamp with an offset, e.g. 2026-12-01T15:00:00Z")


def _number(value: Any) -> Any:
    # JSON has one number type: 5.0 is the integer 5 (JSON Schema agrees), but true is not 1
    # and "5" is text.
    if isinstance(value, bool | str | bytes):
        raise ValueError("must be a JSON integer")
    return value


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be {RANGE_TEXT}")
    return value


def _day_in_range(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"must be {RANGE_TEXT}")
    return value


# Body types (JSON): strict, but an integral float is an integer as JSON Schema says. The
# bounds stay after the validator: before it, a field's own `Field(le=...)` would no longer be
# enforced. Pydantic then writes these bounds as raw `ge`/`le` keys in the JSON Schema, which
# services.api.openapi_doc turns into `minimum`/`maximum`.
Id = Annotated[int, BeforeValidator(_number), Interval(ge=1, le=INT32_MAX)]
Int32 = Annotated[int, BeforeValidator(_number), Interval(ge=-INT32_MAX - 1, le=INT32_MAX)]
Int64 = Annotated[int, BeforeValidator(_number), Interval(ge=-INT64_MAX - 1, le=INT64_MAX)]
Real = Annotated[StrictFloat, AllowInfNan(False)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp_text), AfterValidator(_in_range)]
Day = Annotated[date, BeforeValidator(_day_text), AfterValidator(_day_in_range)]

# Path and query types (text): parsed, same ranges.
IdParam = Annotated[int, Interval(ge=1, le=INT32_MAX)]
Int32Param = Annotated[int, Interval(ge=-INT32_MAX - 1, le=INT32_MAX)]
Int64Param = Annotated[int, Interval(ge=-INT64_MAX - 1, le=INT64_MAX)]
TimestampParam = Annotated[AwareDatetime, BeforeValidator(_timestamp_text),
                           AfterValidator(_in_range)]
DayParam = Annotated[date, BeforeValidator(_day_text), AfterValidator(_day_in_range)]
