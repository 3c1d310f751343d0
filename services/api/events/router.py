"""HTTP for the event feed."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.api.auth import EventReaderKey
from services.api.db import SessionDep
from services.api.errors import problems
from services.api.events import service
from services.api.pagination import Limit

router = APIRouter(prefix="/v1/events", tags=["events"])


class EventPublic(BaseModel):
    id: int
    type: str = Field(examples=["request.triaged"])
    subject_type: str = Field(examples=["request"])
    subject_id: str = Field(examples=["42"])
    data: dict[str, Any]
    occurred_at: datetime


class EventFeed(BaseModel):
    items: list[EventPublic]
    next: str = Field(description="Pass as `after` to read on; unchanged when you are caught up.")


@router.get("", responses=problems(401, 403, 422), summary="Read the event feed")
async def read_events(
    session: SessionDep,
    _: EventReaderKey,
    after: Annotated[int, Query(ge=0, description="Events with a larger id than this.")] = 0,
    limit: Limit = 100,
    type: Annotated[list[str] | None, Query(description="Only these event types.")] = None,
) -> EventFeed:
    """Every change, in commit order. Poll with `after` set to the previous `next`."""
    events = await service.feed(session, after=after, limit=limit, types=type)
    return EventFeed(
        items=[EventPublic.model_validate(e, from_attributes=True) for e in events],
        next=str(events[-1].id if events else after),
    )
