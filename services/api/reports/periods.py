"""Report periods: inclusive day ranges in UTC, the previous period of equal length, quarters,
and the documented maximum range."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.api.db import utcnow
from services.api.errors import Unprocessable

MAX_RANGE_DAYS = 366


def day_start(day: date, plus_days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus_days), time(0), tzinfo=UTC)


def quarter_bounds(quarter: str) -> tuple[date, date]:
    year, q = int(quarter[:4]), int(quarter[-1])
    start = date(year, 3 * (q - 1) + 1, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Period:
    """Days `start`..`end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_at(self) -> datetime:
        return day_start(self.start)

    @property
    def end_at(self) -> datetime:
        """Exclusive upper bound."""
        return day_start(self.end, 1)

    def previous(self) -> "Period":
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def elapsed_fraction(self, today: date) -> float:
        return min(1.0, max(0.0, ((today - self.start).days + 1) / self.days))


def compared(period: Period, today: date) -> tuple[Period, Period]:
    """The span to measure and the one to compare it with. A period still running is measured
    to date against the same number of days from the start of the previous period, so a
    half-finished quarter is not compared with a whole one."""
    previous = period.previous()
    if period.start <= today < period.end:
        span = (today - period.start).days
        return Period(period.start, today), Period(previous.start,
                                                   previous.start + timedelta(days=span))
    return period, previous


def resolve(quarter: str | None, start: date | None, end: date | None) -> Period:
    """A quarter, or from/to, or by default the current quarter. 422 past MAX_RANGE_DAYS."""
    if quarter and (start or end):
        raise Unprocessable("Give either `quarter` or `from`/`to`, not both.")
    if quarter:
        return Period(*quarter_bounds(quarter))
    if start is None and end is None:
        return Period(*quarter_bounds(quarter_of(utcnow().date())))
    if start is None or end is None:
        raise Unprocessable("Give both `from` and `to` (inclusive days).")
    return check(Period(start, end))


def check(period: Period) -> Period:
    if period.end < period.start:
        raise Unprocessable(f"`to` ({period.end}) is before `from` ({period.start}).")
    if period.days > MAX_RANGE_DAYS:
        raise Unprocessable(f"The range covers {period.days} days; the maximum is "
                            f"{MAX_RANGE_DAYS}.")
    return period
