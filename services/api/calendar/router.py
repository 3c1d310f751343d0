"""HTTP for the content calendar: entries, iCalendar feeds, bulk import and export, and
the monthly plan."""

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlmodel import col

from services.api.auth import PersonKey, StaffKey
from services.api.calendar import service
from services.api.calendar.schemas import (
    MONTH_PATTERN,
    EntryCreate,
    EntryPublic,
    EntryUpdate,
    FeedCreate,
    FeedCreated,
    FeedPublic,
    ImportResult,
    MonthlyPlan,
    PlanLine,
)
from services.api.concurrency import IfMatch, etag
from services.api.db import SessionDep
from services.api.errors import Unprocessable, problems
from services.api.models import CalendarEntry, CalendarFeed, EntryStatus
from services.api.pagination import CursorParam, Limit, paginate
from shared.schemas import Page
from shared.schemas.bounds import IdParam, TimestampParam

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])

From = Annotated[TimestampParam | None, Query(alias="from", description="publish_at ≥ this.")]
To = Annotated[TimestampParam | None, Query(alias="to", description="publish_at < this.")]
Month = Annotated[str, Query(pattern=MONTH_PATTERN, examples=["2026-12"])]


def _entry(e: CalendarEntry, slug: str, warnings: list[str] | None = None) -> EntryPublic:
    return EntryPublic(id=e.id or 0, title=e.title, network=slug, owner_id=e.owner_id,
                       publish_at=e.publish_at, status=e.status, request_id=e.request_id,
                       ownership_note=e.ownership_note, campaign=e.campaign, tags=e.tags,
                       warnings=warnings or [], created_at=e.created_at,
                       updated_at=e.updated_at)


def _feed(f: CalendarFeed) -> FeedPublic:
    return FeedPublic.model_validate(f, from_attributes=True)


@router.post("/entries", status_code=201, summary="Plan a calendar entry",
             responses=problems(401, 403, 409, 422))
async def create_entry(body: EntryCreate, session: SessionDep, me: StaffKey, request: Request,
                       response: Response) -> EntryPublic:
    """Put content on the shared calendar. The owner defaults to the network's owner on the
    publish date; a strategist writes only their own entries. Another entry on the same
    network within the double-booking window (120 min by default) adds a `warnings` line but
    does not block. Linking a triaged request moves it to planned."""
    entry, slug, warnings = await service.create_entry(
        session, body, principal=me,
        window_minutes=request.app.state.settings.double_booking_minutes)
    response.headers["ETag"] = etag(entry)
    response.headers["Location"] = f"/v1/calendar/entries/{entry.id}"
    return _entry(entry, slug, warnings)


@router.get("/entries", summary="List calendar entries", responses=problems(401, 403, 422))
async def list_entries(
    session: SessionDep, _: PersonKey, request: Request, response: Response,
    start: From = None, end: To = None, network: str | None = None,
    owner_id: IdParam | None = None, campaign: str | None = None,
    status: EntryStatus | None = None, limit: Limit = 50, cursor: CursorParam = None,
) -> Page[EntryPublic]:
    """The team calendar in publish order, filtered by range, network, owner, campaign or
    status. Everyone with a people key sees the whole team calendar."""
    stmt = await service.list_query(session, network=network, owner_id=owner_id,
                                    campaign=campaign, status=status, start=start, end=end)
    return await paginate(session, stmt, order=[(col(CalendarEntry.publish_at), False),
                                                (col(CalendarEntry.id), False)],
                          key=lambda r: [r.publish_at, r.id],
                          convert=lambda r: EntryPublic.model_validate(r._mapping),
                          limit=limit, cursor=cursor,
                          request=request, response=response)


@router.get("/entries/{entry_id:int}", summary="Read a calendar entry",
            responses=problems(401, 403, 404))
async def read_entry(entry_id: IdParam, session: SessionDep, _: PersonKey,
                     response: Response) -> EntryPublic:
    """Any person's key. The entry with its network, status and `ETag` for `PATCH` and `DELETE`."""
    entry, slug = await service.get_entry(session, entry_id)
    response.headers["ETag"] = etag(entry)
    return _entry(entry, slug)


@router.patch("/entries/{entry_id:int}", summary="Change a calendar entry",
              responses=problems(401, 403, 404, 412, 422, 428))
async def update_entry(entry_id: IdParam, body: EntryUpdate, session: SessionDep, me: StaffKey,
                       if_match: IfMatch, request: Request, response: Response) -> EntryPublic:
    """Change the fields you send (e.g. `status: produced`); send the ETag as If-Match. Each
    change bumps the iCalendar SEQUENCE and LAST-MODIFIED."""
    entry, slug, warnings = await service.update_entry(
        session, entry_id, body, if_match=if_match, principal=me,
        window_minutes=request.app.state.settings.double_booking_minutes)
    response.headers["ETag"] = etag(entry)
    return _entry(entry, slug, warnings)


@router.delete("/entries/{entry_id:int}", status_code=204, summary="Remove a calendar entry",
               responses=problems(401, 403, 404, 412, 428))
async def delete_entry(entry_id: IdParam, session: SessionDep, me: StaffKey,
                       if_match: IfMatch) -> None:
    """Strategist or manager: a strategist removes only their own entries. Send the `ETag`
    you read as `If-Match`."""
    await service.delete_entry(session, entry_id, if_match=if_match, principal=me)


IMPORT_CSV_EXAMPLE = ("title,network,owner_id,publish_at,status,campaign,tags\n"
                      "TikTok launch video 1,tiktok,3,2026-12-03T15:00:00Z,planned,"
                      "TikTok launch,video;launch\n")
IMPORT_JSON_EXAMPLE = {"entries": [{"title": "TikTok launch video 1", "network": "tiktok",
                                    "publish_at": "2026-12-03T15:00:00Z",
                                    "campaign": "TikTok launch"}]}


@router.post(
    "/import", status_code=201, summary="Import planned entries (CSV or JSON)",
    responses=problems(400, 401, 403, 409, 413, 422),
    openapi_extra={"requestBody": {"required": True, "content": {
        "text/csv": {"schema": {"type": "string"}, "example": IMPORT_CSV_EXAMPLE},
        "application/json": {"schema": {"type": "object", "properties": {"entries": {
            "type": "array", "items": {"$ref": "#/components/schemas/EntryCreate"}}}},
            "example": IMPORT_JSON_EXAMPLE}}}})
async def import_entries(
    session: SessionDep, me: StaffKey, request: Request,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, examples=["2026-12"],
                                       description="Every entry must publish in it.")] = None,
) -> ImportResult:
    """A month of planned entries as CSV (header: title, network, owner_id, publish_at,
    status, campaign, tags separated by `;`, ownership_note, request_id) or JSON
    (`{"entries": [...]}` with the fields of an entry). The file is validated as a whole: one
    bad row rejects it, the 422 names every bad row, and nothing is written. At most
    5,000 entries per import (413 `too-many-rows` beyond)."""
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable("The file is not UTF-8 text.") from exc
    if kind == "text/csv":
        rows: list[Any] = service.parse_csv(text)
        where = "row"
    elif kind == "application/json":
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Unprocessable(f"The JSON does not parse: {exc.msg} at line {exc.lineno}.") \
                from exc
        if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
            raise Unprocessable('Send {"entries": [...]}.')
        rows, where = body["entries"], "entries"
    else:
        raise Unprocessable("Send Content-Type text/csv or application/json.")
    ids, warnings = await service.import_entries(
        session, rows, month=month, principal=me, where=where,
        window_minutes=request.app.state.settings.double_booking_minutes)
    return ImportResult(created=len(ids), ids=ids, warnings=warnings)


@router.get(
    "/export", summary="Export the calendar (CSV or JSON)", responses={
        **problems(401, 403, 422),
        200: {"description": "The entries in publish order.", "content": {
            "text/csv": {"schema": {"type": "string"}, "example": "id," + IMPORT_CSV_EXAMPLE},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}},
                                 "example": IMPORT_JSON_EXAMPLE["entries"]}}}},
    response_class=StreamingResponse)
async def export_entries(
    session: SessionDep, _: PersonKey,
    start: Annotated[TimestampParam, Query(alias="from", examples=["2026-12-01T00:00:00Z"])],
    end: Annotated[TimestampParam, Query(alias="to", examples=["2027-01-01T00:00:00Z"])],
    format: Literal["csv", "json"] = "csv", network: str | None = None,
    owner_id: IdParam | None = None,
) -> StreamingResponse:
    """Entries publishing in [from, to) (at most 400 days), optionally one network or owner,
    streamed as CSV (the import's columns plus `id`) or a JSON array."""
    rows = await service.export_rows(session, start=start, end=end, network=network,
                                     owner_id=owner_id)
    if format == "json":
        return StreamingResponse(_json(rows), media_type="application/json")
    return StreamingResponse(_csv(rows), media_type="text/csv", headers={
        "Content-Disposition": 'attachment; filename="calendar.csv"'})


async def _csv(rows: AsyncIterator[dict[str, Any]]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["id", *service.CSV_COLUMNS])
    writer.writeheader()
    async for row in rows:
        writer.writerow({**row, "tags": ";".join(row["tags"]),
                         "request_id": row["request_id"] or ""})
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


async def _json(rows: AsyncIterator[dict[str, Any]]) -> AsyncIterator[str]:
    yield "["
    first = True
    async for row in rows:
        yield ("" if first else ",") + json.dumps(row)
        first = False
    yield "]"


@router.get("/monthly-plan", summary="Planned against produced for a month",
            responses=problems(401, 403, 422))
async def read_monthly_plan(session: SessionDep, _: PersonKey, month: Month) -> MonthlyPlan:
    """Per owner, network and campaign: entries planned in the month and how many are
    produced (produced or published), e.g. "5 of 8 TikTok launch produced"."""
    plan = await service.monthly_plan(session, month)

    def line(row: tuple[str, int, int, int]) -> PlanLine:
        key, planned, produced, published = row
        return PlanLine(key=key, planned=planned, produced=produced, published=published,
                        summary=f"{produced} of {planned} {key} produced".replace(
                            " all produced", " produced"))

    return MonthlyPlan(month=month, total=line(plan["total"]),
                       by_owner=[line(r) for r in plan["by_owner"]],
                       by_network=[line(r) for r in plan["by_network"]],
                       by_campaign=[line(r) for r in plan["by_campaign"]])


@router.post("/feeds", status_code=201, summary="Create an iCalendar feed",
             responses=problems(401, 403, 409, 422))
async def create_feed(body: FeedCreate, session: SessionDep, me: PersonKey,
                      request: Request) -> FeedCreated:
    """A subscribable iCalendar feed for the team, one owner or one network. The answer's
    `url` holds a secret token, shown once; revoke the feed to cut access."""
    feed, token = await service.create_feed(session, body, principal=me)
    base = request.app.state.settings.public_base_url.rstrip("/")
    return FeedCreated(**_feed(feed).model_dump(),
                       url=f"{base}/v1/calendar/feeds/{token}.ics")


@router.get("/feeds", summary="List your iCalendar feeds", responses=problems(401, 403, 422))
async def list_feeds(session: SessionDep, me: PersonKey, request: Request,
                     response: Response, limit: Limit = 50,
                     cursor: CursorParam = None) -> Page[FeedPublic]:
    """Feeds created with your key (the manager sees all), without their tokens."""
    return await paginate(session, service.feeds_query(me), order=[(col(CalendarFeed.id), False)],
                          key=lambda f: [f.id], convert=_feed, limit=limit, cursor=cursor,
                          request=request, response=response)


@router.post("/feeds/{feed_id:int}/revoke", summary="Revoke an iCalendar feed",
             responses=problems(401, 403, 404))
async def revoke_feed(feed_id: IdParam, session: SessionDep, me: PersonKey) -> FeedPublic:
    """The feed's URL answers 404 from now on. Revoking twice is harmless."""
    return _feed(await service.revoke_feed(session, feed_id, principal=me))


@router.get(
    "/feeds/{token}.ics", summary="Subscribe to an iCalendar feed",
    responses={**problems(404), 200: {"description": "RFC 5545 calendar", "content": {
        "text/calendar": {"schema": {"type": "string"},
                          "example": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n...END:VCALENDAR\r\n"}}}},
    response_class=Response, openapi_extra={"security": []})
async def read_feed(token: str, session: SessionDep, request: Request) -> Response:
    """For calendar apps, which cannot send an Authorization header: the secret token in the
    URL is the credential. A revoked or unknown token is a 404."""
    feed = await service.feed_by_token(session, token)
    body = await service.ical_feed(
        session, feed, base_url=request.app.state.settings.public_base_url.rstrip("/"))
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})


