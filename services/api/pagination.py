"""Keyset (cursor) pagination done in SQL: a stable order, a capped limit, an opaque cursor,
and `Link: rel="next"`. Nothing here reads more than `limit + 1` rows."""

import base64
import enum
import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request, Response
from sqlalchemy import BigInteger, and_, or_
from sqlalchemy.sql import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.errors import AppError
from shared.schemas.bounds import INT32_MAX, INT64_MAX
from shared.schemas.common import Page

MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")]
CursorParam = Annotated[
    str | None, Query(description="The `next` cursor from the previous page.", max_length=2000)
]



class BadCursor(AppError):
    status, slug, title = 400, "bad-cursor", "Bad cursor"


T = TypeVar("T")
Row = TypeVar("Row")


def where_given(stmt: Any, *filters: tuple[Any, Any]) -> Any:
    """`stmt` narrowed by `column == value` for each `(column, value)` whose value the caller
    gave, i.e. is not None: a list's optional equality filters."""
    for column, value in filters:
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, date | datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, columns: Sequence[Any]) -> list[Any]:
    """The values `encode_cursor` wrote, each checked to be exactly what it writes for its column:
    anything else (a forged or damaged cursor) is a 400, never a value handed to the database."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(columns):
            raise ValueError("wrong shape")
        return [_typed(value, column) for value, column in zip(raw, columns, strict=True)]
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise BadCursor("The cursor is not one this API issued; start from page one.") from exc


def _typed(value: Any, column: Any) -> Any:
    kind = column.type.python_type
    if kind is datetime:
        parsed = datetime.fromisoformat(_string(value))
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        return parsed.astimezone(UTC)  # OverflowError past year 9999
    if kind is date:
        return date.fromisoformat(_string(value))
    if kind is bool:
        if not isinstance(value, bool):
            raise TypeError("not a boolean")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("not an integer")
        top = INT64_MAX if isinstance(column.type, BigInteger) else INT32_MAX
        if not -top - 1 <= value <= top:
            raise ValueError("integer out of the column's range")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise TypeError("not a number")
        return float(value)
    if issubclass(kind, enum.Enum):
        return kind(_string(value))
    return _string(value)


def _string(value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value or len(value) > 1000:
        raise TypeError("not a string")
    return value


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
        stmt = stmt.where(after(columns, decode_cursor(cursor, columns), descending))
    stmt = stmt.order_by(*[c.desc() if d else c.asc() for c, d in order]).limit(limit + 1)
    rows = list((await session.exec(stmt)).all())
    next_cursor = encode_cursor(key(rows[limit - 1])) if len(rows) > limit else None
    if next_cursor:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
    return Page[T](items=[convert(r) for r in rows[:limit]], next=next_cursor)
