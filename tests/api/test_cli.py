"""The `priorities` command from zero: commands that touch the database migrate it first,
and a database that is missing or unreachable is one line naming the fix, not a traceback."""

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import BACKENDS, PG_ADMIN_URL, _pg_admin_execute
from tests.e2e.procs import CLI, ROOT


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DATABASE_URL": url})


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    name = f"sp_fresh_{uuid.uuid4().hex[:10]}"
    _pg_admin_execute(f'CREATE DATABASE "{name}"')
    request.addfinalizer(lambda: _pg_admin_execute(f'DROP DATABASE "{name}" WITH (FORCE)'))
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def test_create_key_on_a_fresh_database_migrates_first(empty_db_url: str) -> None:
    created = run(empty_db_url, "create-key", "--role", "manager", "--name", "first")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("sp_") and "Traceback" not in created.stderr


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_BACKENDS excludes PostgreSQL")
def test_a_missing_postgresql_database_names_createdb() -> None:
    url = make_url(PG_ADMIN_URL).set(database="sp_never_created").render_as_string(
        hide_password=False)
    result = run(url, "create-key", "--role", "manager", "--name", "first")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "createdb" in lines[0] and "sp_never_created" in lines[0]


def test_an_unwritable_sqlite_path_is_one_line(tmp_path: Path) -> None:
    result = run(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}", "migrate")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
