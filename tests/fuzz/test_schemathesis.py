"""Schemathesis over every operation of the app in-process, on SQLite and PostgreSQL: every
check (server errors, status codes and headers the document declares, response schemas,
negative data rejected), positive and negative data, a fixed seed, and a bounded number of
examples per operation. FUZZ_EXAMPLES changes the bound; `-m slow` runs the long version."""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.python.asgi import shutdown_lifespans

from services.api.main import create_app
from services.api.settings import Settings
from tests.conftest import BACKENDS, truncate
from tests.factories import Api

# The default run: explicit examples and random (positive and negative) data, a few per
# operation. FUZZ_FULL=1 (the `slow` test below sets it up) adds the coverage phase, which
# walks every boundary and every undeclared method: several hundred requests per operation.
FULL = os.environ.get("FUZZ_FULL") == "1"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100" if FULL else "8"))
CALLS: dict[str, int] = {}  # requests sent per operation (both backends), for the report


def seed(api: Api) -> None:
    """A little of everything, so that low ids resolve and lists have items."""
    owner = api.make_member(role="strategist")
    network = api.make_network(owner_id=owner["id"])
    api.make_pillar()
    request = api.make_request(owner_id=owner["id"])
    when = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    api.ok(api.client.post("/v1/calendar/entries", headers=api.manager, json={
        "title": "Launch", "network": network["slug"], "publish_at": when}), 201)
    api.ok(api.client.post("/v1/work-items", headers=api.manager, json={
        "title": "Video", "owner_id": owner["id"], "effort_hours": 6, "impact": 4}), 201)
    api.make_experiment(request_id=request["id"])
    api.ok(api.client.post("/v1/webhooks", headers=api.manager,
                           json={"url": "http://127.0.0.1:9/hook"}), 201)


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[Any, dict[str, str]]]:
    """One seeded app per backend for the whole module: the fuzzer's cases only add rows."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        db_url = f"sqlite:///{path}"
    else:
        db_url = request.getfixturevalue("pg_database")
        truncate(db_url)
    app = create_app(Settings(database_url=db_url, max_body_bytes=64 * 1024,
                              log_level="ERROR", webhook_worker=False))
    with TestClient(app) as client:
        api = Api(client, db_url)
        seed(api)
    yield app, api.manager
    shutdown_lifespans()  # schemathesis keeps each app's lifespan (and its pools) running


# The document is the app's own; each test sends the cases to an app on its database.
_document_app = create_app(Settings(database_url="sqlite://", log_level="WARNING"))
schema = schemathesis.openapi.from_dict(_document_app.openapi())
schema.app = _document_app  # in-process (ASGI) transport; each call names its app
schema.config.phases.update(
    phases=["examples", "coverage", "fuzzing"] if FULL else ["examples", "fuzzing"])
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                max_examples=EXAMPLES, deterministic=True, allow_x00=True)
# Schema-valid is not rule-valid: an id that names no member (422), a cursor the API never
# issued (400), a random If-Match (412) or none (428), a batch over the body limit (413) are
# right answers to valid-looking data.
schema.config.checks.positive_data_acceptance.expected_statuses = (
    ["2xx", "400", "401", "403", "404", "409", "412", "413", "422", "428"])
# A write without its required If-Match is a 428 (precondition required), as documented.
schema.config.checks.missing_required_header.expected_statuses = (
    ["400", "401", "403", "406", "415", "422", "428"])
# A negative body can be over the size limit: 413 rejects it as well as a 422 would.
schema.config.checks.negative_data_rejection.expected_statuses = (
    ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428"])


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_holds_its_contract(case: Any, fuzz_app: tuple[Any, dict[str, str]]
                                            ) -> None:
    CALLS[case.operation.label] = CALLS.get(case.operation.label, 0) + 1
    case.call_and_validate(app=fuzz_app[0], headers=fuzz_app[1])


@pytest.mark.slow
def test_the_full_fuzz_run_finds_nothing() -> None:
    """The long run: every phase (coverage included) and 100 examples per operation, in a
    child pytest so the schema above is configured for it. Takes tens of minutes."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(Path(__file__)), "-q", "-p", "no:randomly",
         "-p", "no:cacheprovider"], env={**os.environ, "FUZZ_FULL": "1"},
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-5000:]
