"""The week planner, pure: weekly blocks in a member's time zone become UTC windows (zoneinfo,
so DST weeks come out right), and queue items are placed greedily, in queue order, into
non-buffer time before their deadlines. No I/O; the service feeds it rows."""

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Members who declared no blocks work Monday to Friday, 09:00 to 17:00, in their time zone.
DEFAULT_BLOCKS = [{"day": d, "start": "09:00", "end": "17:00", "kind": "regular"}
                  for d in DAYS[:5]]


@dataclass(frozen=True)
class Item:
    id: int
    title: str
    minutes: int
    due: datetime | None  # the moment it must be finished by (deadline or chunk target)
    rank: int
    sort_due: datetime
    quadrant: str
    is_fixed: bool = False
    kind: str = "initiative"
    request_id: int | None = None
    version: int = 1
    not_before: datetime | None = None  # chunks wait for the week leading to their target
    is_chunk: bool = False


@dataclass
class Piece:
    item_id: int
    title: str
    start: datetime
    end: datetime


@dataclass
class Day:
    day: date
    windows: list[tuple[datetime, datetime]]  # non-buffer block time, UTC, in order
    block_minutes: int
    buffer_minutes: int  # explicit buffer blocks plus the share held back from other blocks
    disrupted_minutes: int = 0
    cap: int = 0  # minutes the planner may still fill today
    pieces: list[Piece] = field(default_factory=list)

    @property
    def buffer_used(self) -> int:
        return min(self.disrupted_minutes, self.buffer_minutes)


@dataclass
class Plan:
    start: datetime
    end: datetime
    days: list[Day]
    placed: dict[int, list[Piece]]
    unplaced: dict[int, str]  # item id -> why
    late: set[int]  # unplaced items whose due date falls inside the plan (or before it)

    @property
    def feasible(self) -> bool:
        return not self.late

    def first_start(self, item_id: int) -> datetime | None:
        pieces = self.placed.get(item_id)
        return pieces[0].start if pieces else None

    def finish(self, item_id: int) -> datetime | None:
        pieces = self.placed.get(item_id)
        return pieces[-1].end if pieces else None


def minutes(hours: float) -> int:
    return max(1, math.ceil(round(hours * 60, 6)))


def _hm(value: str) -> time:
    return time(23, 59, 59, 999999) if value == "24:00" else time.fromisoformat(value)


def local_windows(blocks: list[dict[str, str]], zone: ZoneInfo, day: date
                  ) -> list[tuple[datetime, datetime, str]]:
    """The day's blocks as UTC intervals. A block that crosses a DST change is as long as the
    clock says it really is (an hour shorter in spring, longer in autumn)."""
    out = []
    for b in blocks:
        if b["day"] != DAYS[day.weekday()]:
            continue
        start = datetime.combine(day, _hm(b["start"]), zone).astimezone(UTC)
        end_local = (datetime.combine(day + timedelta(days=1), time(0), zone)
                     if b["end"] == "24:00" else datetime.combine(day, _hm(b["end"]), zone))
        end = end_local.astimezone(UTC)
        if end > start:
            out.append((start, end, b["kind"]))
    return sorted(out)


def build_days(blocks: list[dict[str, str]], zone: ZoneInfo, first: date, count: int, *,
               buffer_share: float, now: datetime,
               disruptions: list[tuple[datetime, float]]) -> list[Day]:
    """Per local day: plannable windows after `now`, the buffer, and what disruptions took.
    A disruption is a blocked interval: no work is placed inside its hours. It uses the
    day's buffer first (the time held back for it); what it cannot absorb comes off the
    time the day may be planned."""
    blocked = [(s, s + timedelta(minutes=minutes(h))) for s, h in disruptions]
    disrupted: dict[date, int] = {}
    for started_at, hours in disruptions:
        local_day = started_at.astimezone(zone).date()
        disrupted[local_day] = disrupted.get(local_day, 0) + minutes(hours)
    days = []
    for i in range(count):
        d = first + timedelta(days=i)
        raw = local_windows(blocks, zone, d)
        total = sum(_span(s, e) for s, e, _ in raw)
        explicit = sum(_span(s, e) for s, e, k in raw if k == "buffer")
        buffer = max(explicit, round(total * buffer_share))
        windows = []
        for s, e, k in raw:
            if k == "buffer" or e <= now:
                continue
            windows += _cut(max(s, now), e, blocked)
        free = sum(_span(s, e) for s, e in windows)
        held_back = buffer - explicit
        overflow = max(0, disrupted.get(d, 0) - buffer)
        day = Day(d, windows, total, buffer, disrupted.get(d, 0))
        day.cap = max(0, min(free, total - explicit - held_back - overflow))
        days.append(day)
    return days


def _cut(start: datetime, end: datetime, blocked: list[tuple[datetime, datetime]]
         ) -> list[tuple[datetime, datetime]]:
    """The window [start, end) without the blocked intervals, as windows in order."""
    pieces = [(start, end)]
    for bs, be in blocked:
        left = []
        for ps, pe in pieces:
            if be <= ps or bs >= pe:
                left.append((ps, pe))
                continue
            if ps < bs:
                left.append((ps, bs))
            if be < pe:
                left.append((be, pe))
        pieces = left
    return [(s, e) for s, e in pieces if _span(s, e) > 0]


def _span(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def place(items: list[Item], days: list[Day], *, start: datetime, end: datetime) -> Plan:
    """Place `items` (already in queue order) one after another, each as early as the free
    time allows and only if it finishes by its due time; nothing is ever half-placed."""
    plan = Plan(start, end, days, {}, {}, set())
    cursors = [0 for _ in days]  # minutes already used in each day's windows
    remaining = sum(d.cap for d in days)
    first_day = 0
    for item in items:
        if item.due is not None and item.due <= start:
            plan.unplaced[item.id] = f"overdue since {item.due.isoformat()}"
            plan.late.add(item.id)
            continue
        while first_day < len(days) and days[first_day].cap == 0:
            first_day += 1
        # The sum check first: once the plan is full, the rest of a long queue costs nothing.
        pieces = _fit(item, days, cursors, first_day) if item.minutes <= remaining else None
        if pieces is None:
            _refuse(plan, item, end)
            continue
        for day_index, piece, used in pieces:
            days[day_index].pieces.append(piece)
            days[day_index].cap -= used
            cursors[day_index] += used
        remaining -= item.minutes
        plan.placed[item.id] = [p for _, p, _ in pieces]
    return plan


def _refuse(plan: Plan, item: Item, end: datetime) -> None:
    if item.due is not None and item.due <= end:
        plan.unplaced[item.id] = "does not fit in the free time before its due date"
        plan.late.add(item.id)
    else:
        plan.unplaced[item.id] = "not enough free time left in the plan"


def _fit(item: Item, days: list[Day], cursors: list[int], first_day: int
         ) -> list[tuple[int, Piece, int]] | None:
    need = item.minutes
    out: list[tuple[int, Piece, int]] = []
    for index in range(first_day, len(days)):
        day = days[index]
        if day.cap == 0 or (item.not_before is not None and day.windows
                            and day.windows[0][0] < item.not_before):
            continue
        budget = day.cap
        skip = cursors[index]
        for ws, we in day.windows:
            length = _span(ws, we)
            if skip >= length:
                skip -= length
                continue
            begin = ws + timedelta(minutes=skip)
            skip = 0
            take = min(length - _span(ws, begin), budget, need)
            if take <= 0:
                break
            finish = begin + timedelta(minutes=take)
            if item.due is not None and finish > item.due:
                return None
            out.append((index, Piece(item.id, item.title, begin, finish), take))
            need -= take
            budget -= take
            if need == 0:
                return out
        if item.due is not None and out and out[-1][1].end > item.due:
            return None
    return None
