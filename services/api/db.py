"""Engines, sessions and the Alembic entry points. The only module that knows database URLs."""

import json
import re
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Protocol, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from sqlalchemy import Connection, DateTime, event
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeDecorator
from sqlmodel import create_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        # Cursor decoding (pagination.decode_cursor) reads it to turn strings back into datetimes.
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sync_url(url: str) -> str:
    """The URL for synchronous use (migrations, CLI), with psycopg 3 as the PostgreSQL driver."""
    u = make_url(url)
    if u.get_backend_name() == "postgresql":
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if u.get_backend_name() == "sqlite":
        return u.set(drivername="sqlite").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database: {u.get_backend_name()} (use sqlite or postgresql)")


def async_url(url: str) -> str:
    u = make_url(sync_url(url))
    if u.get_backend_name() == "sqlite":
        u = u.set(drivername="sqlite+aiosqlite")
    return u.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_async_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_async_engine(async_url(url))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it is a round trip on every checkout, as dear as the query itself. After a
    # database restart the first failing query marks the whole pool stale and it reconnects.
    return create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=0, pool_recycle=1800
    )


def make_sync_engine(url: str) -> Engine:
    engine = create_engine(sync_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


SAFE_METHODS = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Open a session for one request and close it; services commit their own use cases.

    Reads (GET, HEAD) run on autocommit connections: each statement is its own snapshot, and
    PostgreSQL is spared the BEGIN and ROLLBACK round trips that cost more than the query.
    A GET must therefore not make several writes that belong together."""
    state = request.app.state
    engine = state.read_engine if request.method in SAFE_METHODS else state.engine
    async with AsyncSession(engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


Row = Mapping[str, Any]


class Direct(Protocol):
    """Prebuilt statements run outside any ORM session, each on its own autocommit connection.

    For the few statements on every request's path (the key lookup, network reads, routing):
    through an AsyncSession a one-row read costs about 430 us of CPU (session, pool checkout,
    greenlet hops, ORM loading); the same SQL on an asyncpg pool connection about 50 us (on a
    psycopg pool, 90 us). Statements are still SQLAlchemy Core built from the models; only
    how they run differs. Rows are dicts by column label holding plain values (enums as their
    string values, timestamps aware in UTC, JSON decoded)."""

    async def one(self, stmt: Executable, params: Mapping[str, Any]) -> Row | None: ...

    async def all(self, stmt: Executable, params: Mapping[str, Any]) -> list[Row]: ...

    async def run(self, stmt: Executable, params: Mapping[str, Any]) -> None: ...

    async def close(self) -> None: ...


_EXPANDING_IN = re.compile(r"IN \(__\[POSTCOMPILE_(\w+)\]\)")


_PYFORMAT = re.compile(r"%\((\w+)\)s")


class AsyncpgDirect:
    """PostgreSQL: the statement compiled once to SQL, run on an asyncpg pool connection."""

    def __init__(self, engine: AsyncEngine, size: int) -> None:
        self._dialect = engine.dialect
        url = engine.url.set(drivername="postgresql")
        # libpq's connect_timeout is asyncpg's `timeout`; asyncpg would send an unknown URL
        # option to the server as a setting, which PostgreSQL refuses.
        query = dict(url.query)
        self._timeout = float(str(query.pop("connect_timeout", 60)))
        self._dsn = url.set(query=query).render_as_string(hide_password=False)
        self._size = size
        self._sql: dict[Executable, tuple[str, tuple[str, ...], dict[str, Any]]] = {}
        self._pool: Any = None

    async def open(self) -> None:
        # asyncpg comes with the `postgres` extra, so it is imported only when it serves.
        import asyncpg

        # min_size 0: connections open on first use, so the API starts (and /readyz answers
        # 503) while PostgreSQL is down, as with SQLAlchemy's pool.
        self._pool = await asyncpg.create_pool(
            self._dsn, min_size=0, max_size=self._size, timeout=self._timeout,
            init=_json_as_python, reset=_nothing_to_reset)

    def _compiled(self, stmt: Executable) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        """SQL with $n placeholders, the parameter name for each n, and the values the
        statement carries itself (literals such as `.like("%x%")`)."""
        found = self._sql.get(stmt)
        if found is None:
            compiled = cast(ClauseElement, stmt).compile(dialect=self._dialect)
            # An expanding IN (a list parameter) is left for SQLAlchemy to fill in per call;
            # on PostgreSQL one array parameter does the same job.
            sql = _EXPANDING_IN.sub(r"= ANY(%(\1)s)", str(compiled))
            names: list[str] = []

            def number(match: re.Match[str]) -> str:
                if match.group(1) not in names:
                    names.append(match.group(1))
                return f"${names.index(match.group(1)) + 1}"

            # pyformat escapes a literal % as %%; asyncpg's SQL takes it as is.
            sql = _PYFORMAT.sub(number, sql).replace("%%", "%")
            binds = cast(SQLCompiler, compiled).binds
            carried = {name: value for name, value in compiled.params.items()
                       if not binds[name].required}
            found = self._sql[stmt] = (sql, tuple(names), carried)
        return found

    def _args(self, stmt: Executable, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL and its arguments in order; a parameter the caller must give and did not
        is a KeyError, as it is an error through SQLAlchemy."""
        sql, names, carried = self._compiled(stmt)
        return sql, [params[n] if n in params or n not in carried else carried[n]
                     for n in names]

    async def one(self, stmt: Executable, params: Mapping[str, Any]) -> Row | None:
        sql, args = self._args(stmt, params)
        async with self._pool.acquire() as conn:
            record = await conn.fetchrow(sql, *args)
        return None if record is None else dict(record)

    async def all(self, stmt: Executable, params: Mapping[str, Any]) -> list[Row]:
        sql, args = self._args(stmt, params)
        async with self._pool.acquire() as conn:
            records = await conn.fetch(sql, *args)
        return [dict(r) for r in records]

    async def run(self, stmt: Executable, params: Mapping[str, Any]) -> None:
        sql, args = self._args(stmt, params)
        async with self._pool.acquire() as conn:
            await conn.execute(sql, *args)

    async def close(self) -> None:
        await self._pool.close()


async def _json_as_python(conn: Any) -> None:
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads,
                              schema="pg_catalog")


async def _nothing_to_reset(conn: Any) -> None:
    """Statements here are single autocommit reads and writes: they leave no session state
    (settings, listeners, cursors, locks) for the default reset round trip to clear."""


class EngineDirect:
    """SQLite (development and tests): the same statements through SQLAlchemy Core."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def one(self, stmt: Executable, params: Mapping[str, Any]) -> Row | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt, dict(params))).mappings().first()
        return None if row is None else _plain(row)

    async def all(self, stmt: Executable, params: Mapping[str, Any]) -> list[Row]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt, dict(params))).mappings().all()
        return [_plain(row) for row in rows]

    async def run(self, stmt: Executable, params: Mapping[str, Any]) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(stmt, dict(params))

    async def close(self) -> None:
        pass


def _plain(row: Mapping[Any, Any]) -> Row:
    # Enum columns come back as enum members through Core, as plain strings from the driver.
    return {k: v.value if isinstance(v, Enum) else v for k, v in row.items()}


async def open_direct(engine: AsyncEngine, *, pool_size: int) -> Direct:
    if engine.dialect.name == "postgresql":
        direct = AsyncpgDirect(engine, pool_size)
        await direct.open()
        return direct
    return EngineDirect(engine)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    return cfg


def migrate(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


@cache
def script_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())
