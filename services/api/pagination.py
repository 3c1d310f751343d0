"""Keyset (cursor) pagination done in SQL: a stable order, a capped limit, an opaque cursor,
and `Link: rel="next"`. Nothing here reads more than `limit + 1` rows."""

import base64
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request, Response
from sqlalchemy import and_, or_
from sqlalchemy.sql import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.errors import Unprocessable
from shared.schemas.common import Page

MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")]
CursorParam = Annotated[
    str | None, Query(description="The `next` cursor from the previous page.", max_length=2000)
]

T = TypeVar("T")
Row = TypeVar("Row")


def where_given(stmt: Any, *filters: tuple[Any, Any]) -> Any:
    """`stmt` narrowed by `column == value` for each `(column, value)` whose value the caller
    gave, i.e. is not None: a list's optional equality filters."""
    for column, value in filters:
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def _encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, date | datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, columns: Sequence[ColumnElement[Any]]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(columns):
            raise ValueError("wrong shape")
        values = []
        for value, column in zip(raw, columns, strict=True):
            kind = column.type.python_type
            if kind is datetime:
                value = datetime.fromisoformat(value)
            elif kind is date:
                value = date.fromisoformat(value)
            values.append(value)
        return values
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise Unprocessable("The cursor is not one this API issued; start from page one.") from exc


def after(columns: Sequence[ColumnElement[Any]], values: Sequence[Any],
          descending: Sequence[bool]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order of `columns`. The leading column also gets a
    plain range predicate, which lets the database use an index range scan."""
    clauses = []
    for i, (column, value, desc) in enumerate(zip(columns, values, descending, strict=True)):
        equal = [c == v for c, v in zip(columns[:i], values[:i], strict=True)]
        clauses.append(and_(*equal, column < value if desc else column > value))
    first, lead = columns[0], values[0]
    return and_(first <= lead if descending[0] else first >= lead, or_(*clauses))


async def paginate(
    session: AsyncSession,
    stmt: Any,
    *,
    order: Sequence[tuple[Any, bool]],
    key: Callable[[Any], Sequence[Any]],
    convert: Callable[[Any], T],
    limit: int,
    cursor: str | None,
    request: Request,
    response: Response,
) -> Page[T]:
    """One page of `stmt` in `order` ((column, descending) pairs, ending in a unique column).
    `key(row)` gives the row's values for those columns."""
    columns = [c for c, _ in order]
    descending = [d for _, d in order]
    if cursor:
        stmt = stmt.where(after(columns, _decode(cursor, columns), descending))
    stmt = stmt.order_by(*[c.desc() if d else c.asc() for c, d in order]).limit(limit + 1)
    rows = list((await session.exec(stmt)).all())
    next_cursor = _encode(key(rows[limit - 1])) if len(rows) > limit else None
    if next_cursor:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
    return Page[T](items=[convert(r) for r in rows[:limit]], next=next_cursor)
