"""db.Direct, the statements run outside the ORM: the same rows on both backends."""

import asyncio
from datetime import UTC
from typing import Any

from sqlalchemy import bindparam, literal_column, update
from sqlmodel import col, select

from services.api.db import Direct, Row, make_async_engine, open_direct, utcnow
from services.api.models import ApiKey
from tests.factories import make_key

KEYS = select(  # type: ignore[call-overload]
    ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.scopes, ApiKey.created_at, ApiKey.revoked_at,
    literal_column("'100%'").label("literal"),
).where(col(ApiKey.name).like("eval%"), col(ApiKey.role).in_(bindparam("roles", expanding=True)))
REVOKE = update(ApiKey).where(col(ApiKey.id) == bindparam("key_id")).values(
    revoked_at=bindparam("at"))


def _run(db_url: str, work: Any) -> Any:
    async def main() -> Any:
        engine = make_async_engine(db_url)
        direct = await open_direct(engine, pool_size=2)
        try:
            return await work(direct)
        finally:
            await direct.close()
            await engine.dispose()

    return asyncio.run(main())


def test_rows_are_plain_values_alike_on_both_backends(db_url: str) -> None:
    make_key(db_url, "service", scopes=["experiments:read"], name="evaluator")
    make_key(db_url, "manager", name="evaluation lead")  # matches the LIKE, not the role
    make_key(db_url, "service", name="collector")

    async def work(direct: Direct) -> tuple[list[Row], Row | None]:
        rows = await direct.all(KEYS, {"roles": ["service", "strategist"]})
        none = await direct.one(KEYS, {"roles": ["stakeholder"]})
        return rows, none

    rows, none = _run(db_url, work)
    assert none is None
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == "evaluator" and row["role"] == "service"
    assert type(row["role"]) is str
    assert row["scopes"] == ["experiments:read"]
    assert row["created_at"].utcoffset() == UTC.utcoffset(None)
    assert row["revoked_at"] is None
    assert row["literal"] == "100%"


def test_run_writes_at_once(db_url: str) -> None:
    make_key(db_url, "service", name="evaluator")

    async def work(direct: Direct) -> Row | None:
        key = await direct.one(KEYS, {"roles": ["service"]})
        assert key is not None
        await direct.run(REVOKE, {"key_id": key["id"], "at": utcnow()})
        return await direct.one(KEYS, {"roles": ["service"]})

    after = _run(db_url, work)
    assert after is not None and after["revoked_at"] is not None
    assert after["revoked_at"].utcoffset() == UTC.utcoffset(None)
