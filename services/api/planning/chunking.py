"""Splitting a major project into dated chunks: over the weeks it needs, in the time the
owner's plan leaves free after their other work. Pure over a `planner.Plan`; the owner accepts
(or edits) the proposal and creates the chunks with one `POST .../chunks`."""

from dataclasses import dataclass
from datetime import date, timedelta

from services.api.planning import planner

# A chunk smaller than this is not worth its own line in the queue; it joins the next week.
MIN_CHUNK_MINUTES = 60


@dataclass
class ChunkDraft:
    title: str
    minutes: int
    target_on: date  # the owner's local day by which it is done


def split(title: str, minutes: int, plan: planner.Plan, *, deadline_day: date | None
          ) -> tuple[list[ChunkDraft], int]:
    """Chunks week by week (Monday to Sunday, the owner's days) of what the plan leaves free,
    each due the last day of its week it needs; (chunks, minutes that found no room before the
    deadline or the plan's end). The last chunk carries any rounding so they add up."""
    weeks: dict[date, list[planner.Day]] = {}
    for day in plan.days:
        if deadline_day is not None and day.day > deadline_day:
            break
        monday = day.day - timedelta(days=day.day.weekday())
        weeks.setdefault(monday, []).append(day)
    chunks: list[ChunkDraft] = []
    left = minutes
    for days in weeks.values():
        if left == 0:
            break
        take, last = 0, None
        for day in days:
            if day.cap <= 0 or take == left:
                continue
            use = min(day.cap, left - take)
            take += use
            last = day.day
        if last is None or (take < MIN_CHUNK_MINUTES and take < left):
            continue
        chunks.append(ChunkDraft(f"{title}, part {len(chunks) + 1}", take, last))
        left -= take
    return chunks, left
