"""HTTP for the event feed and webhooks."""

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints
from sqlmodel import col, select

from services.api.auth import EventReaderKey, ManagerKey
from services.api.concurrency import IfMatch, etag
from services.api.db import SessionDep
from services.api.errors import problems
from services.api.events import service, webhooks
from services.api.models import DeliveryStatus, Webhook, WebhookDelivery
from services.api.pagination import CursorParam, Limit, paginate
from shared.schemas import Page
from shared.schemas.bounds import IdParam, Int64Param
from shared.schemas.patch import NotNull, Patch

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
    after: Annotated[Int64Param, Query(ge=0, description="Events with a larger id than this.")] = 0,
    limit: Limit = 100,
    type: Annotated[list[str] | None, Query(description="Only these event types.")] = None,
) -> EventFeed:
    """Every change, in commit order. Poll with `after` set to the previous `next`."""
    events = await service.feed(session, after=after, limit=limit, types=type)
    return EventFeed(
        items=[EventPublic.model_validate(e, from_attributes=True) for e in events],
        next=str(events[-1].id if events else after),
    )


# Webhooks

webhooks_router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("a webhook URL is http:// or https:// with a host")
    return value


HttpUrl = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000),
                    AfterValidator(_http_url),
                    Field(examples=["https://hooks.example.com/social-priorities"])]
EventTypes = Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=100)]],
                       Field(max_length=50, examples=[["request.triaged"]],
                             description="Only these event types; empty for all.")]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    description: str = Field(default="", max_length=500, examples=["Slack bot"])
    event_types: EventTypes = Field(default_factory=list)


class WebhookUpdate(Patch):
    url: NotNull[HttpUrl] = None
    description: NotNull[str] = Field(default=None, max_length=500)
    event_types: NotNull[EventTypes] = None
    is_active: NotNull[StrictBool] = None


class WebhookPublic(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="Verify `webhook-signature` with it (Standard Webhooks). "
                                    "Shown only once.", examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZ"])


class DeliveryPublic(BaseModel):
    id: int
    webhook_id: IdParam
    event_id: IdParam
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None = Field(examples=["HTTP 500"])
    delivered_at: datetime | None
    created_at: datetime


def _hook(h: Webhook) -> WebhookPublic:
    return WebhookPublic.model_validate(h, from_attributes=True)


def _delivery(d: WebhookDelivery) -> DeliveryPublic:
    return DeliveryPublic.model_validate(d, from_attributes=True)


@webhooks_router.post("", status_code=201, summary="Register a webhook",
                      responses=problems(401, 403, 409, 422))
async def create_webhook(body: WebhookCreate, session: SessionDep, me: ManagerKey,
                         response: Response) -> WebhookCreated:
    """Events recorded from now on are POSTed to `url` as JSON, signed the Standard Webhooks
    way: headers `webhook-id`, `webhook-timestamp` and `webhook-signature`
    (`v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}`, keyed with the base64 part of the
    secret after `whsec_`). A non-2xx answer or a timeout is retried with exponential
    back-off; after the last attempt the delivery is `failed` and can be replayed."""
    hook = await webhooks.create_webhook(session, url=body.url, description=body.description,
                                         event_types=body.event_types, principal=me)
    response.headers["ETag"] = etag(hook)
    response.headers["Location"] = f"/v1/webhooks/{hook.id}"
    return WebhookCreated(**_hook(hook).model_dump(), secret=hook.secret)


@webhooks_router.get("", summary="List webhooks", responses=problems(401, 403, 422))
async def list_webhooks(session: SessionDep, _: ManagerKey, request: Request,
                        response: Response, limit: Limit = 50,
                        cursor: CursorParam = None) -> Page[WebhookPublic]:
    """Manager only. Registered webhooks (their secrets are shown only when created)."""
    return await paginate(session, select(Webhook), order=[(col(Webhook.id), False)],
                          key=lambda h: [h.id], convert=_hook, limit=limit, cursor=cursor,
                          request=request, response=response)


@webhooks_router.get("/{webhook_id:int}", summary="Read a webhook",
                     responses=problems(401, 403, 404))
async def read_webhook(webhook_id: IdParam, session: SessionDep, _: ManagerKey,
                       response: Response) -> WebhookPublic:
    """Manager only. The webhook, with an `ETag` for `PATCH` and `DELETE`."""
    hook = await webhooks.get_webhook(session, webhook_id)
    response.headers["ETag"] = etag(hook)
    return _hook(hook)


@webhooks_router.patch("/{webhook_id:int}", summary="Change a webhook",
                       responses=problems(401, 403, 404, 412, 422, 428))
async def update_webhook(webhook_id: IdParam, body: WebhookUpdate, session: SessionDep,
                         me: ManagerKey, if_match: IfMatch, response: Response) -> WebhookPublic:
    """Change the URL, the event types, or pause it (`is_active: false`)."""
    hook = await webhooks.update_webhook(session, webhook_id, body.model_dump(exclude_unset=True),
                                         if_match=if_match, principal=me)
    response.headers["ETag"] = etag(hook)
    return _hook(hook)


@webhooks_router.delete("/{webhook_id:int}", status_code=204, summary="Delete a webhook",
                        responses=problems(401, 403, 404, 412, 428))
async def delete_webhook(webhook_id: IdParam, session: SessionDep, me: ManagerKey,
                         if_match: IfMatch) -> None:
    """Manager only. Send the `ETag` you read as `If-Match`; its deliveries, pending or done,
    go with it."""
    await webhooks.delete_webhook(session, webhook_id, if_match=if_match, principal=me)


@webhooks_router.get("/{webhook_id:int}/deliveries", summary="Deliveries of a webhook",
                     responses=problems(401, 403, 404, 422))
async def list_deliveries(webhook_id: IdParam, session: SessionDep, _: ManagerKey,
                          request: Request, response: Response,
                          status: DeliveryStatus | None = None, limit: Limit = 50,
                          cursor: CursorParam = None) -> Page[DeliveryPublic]:
    """Newest first; `status=failed` shows what needs a replay."""
    await webhooks.get_webhook(session, webhook_id)
    return await paginate(session, webhooks.deliveries_query(webhook_id, status),
                          order=[(col(WebhookDelivery.id), True)], key=lambda d: [d.id],
                          convert=_delivery, limit=limit, cursor=cursor, request=request,
                          response=response)


@webhooks_router.post("/{webhook_id:int}/deliveries/{delivery_id:int}/replay",
                      summary="Replay a delivery", responses=problems(401, 403, 404, 409))
async def replay_delivery(webhook_id: IdParam, delivery_id: IdParam, session: SessionDep,
                          me: ManagerKey) -> DeliveryPublic:
    """Send the event again (same `webhook-id`, so receivers can de-duplicate), with a fresh
    set of attempts."""
    return _delivery(await webhooks.replay(session, webhook_id, delivery_id, principal=me))
