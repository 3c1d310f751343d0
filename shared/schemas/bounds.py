"""Input bounds every request field shares: integers the database columns can hold, timestamps
and days in one sane range, and strict JSON types (no bool as a number, no number as a date).

Body fields use the strict types; path and query parameters arrive as text, so they use the
`*Param` types, which parse text but keep the same ranges. NUL characters and nesting depth
are refused before parsing, for every request, by `services.api.limits`."""

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import AfterValidator, AllowInfNan, AwareDatetime, BeforeValidator, StrictFloat
from pydantic import StrictInt as _StrictInt

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


def _text(value: Any) -> Any:
    # JSON has no date type: a date or timestamp is an RFC 3339 string, never a number
    # (pydantic would read 0 as 1970-01-01).
    if isinstance(value, str | date):
        return value
    raise ValueError("must be an RFC 3339 string")


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be {RANGE_TEXT}")
    return value


def _day_in_range(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"must be {RANGE_TEXT}")
    return value


# Body types (JSON): strict.
Id = Annotated[_StrictInt, Interval(ge=1, le=INT32_MAX)]
Int32 = Annotated[_StrictInt, Interval(ge=-INT32_MAX - 1, le=INT32_MAX)]
Int64 = Annotated[_StrictInt, Interval(ge=-INT64_MAX - 1, le=INT64_MAX)]
Real = Annotated[StrictFloat, AllowInfNan(False)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_text), AfterValidator(_in_range)]
Day = Annotated[date, BeforeValidator(_text), AfterValidator(_day_in_range)]

# Path and query types (text): parsed, same ranges.
IdParam = Annotated[int, Interval(ge=1, le=INT32_MAX)]
Int32Param = Annotated[int, Interval(ge=-INT32_MAX - 1, le=INT32_MAX)]
Int64Param = Annotated[int, Interval(ge=-INT64_MAX - 1, le=INT64_MAX)]
TimestampParam = Annotated[AwareDatetime, AfterValidator(_in_range)]
DayParam = Annotated[date, AfterValidator(_day_in_range)]
