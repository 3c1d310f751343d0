"""Planning tests run on a frozen clock: plans start at "now", so a test must not depend on
the day it runs (the suite failed from January 2027 when it read the real clock)."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from services.api import clock

# The Friday before the Monday most tests plan (2027-01-04): every week they ask for is ahead.
NOW = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.fixture
def frozen(request: pytest.FixtureRequest) -> Iterator[clock.FrozenClock]:
    """The clock of this test: the app's (when the test has a client) and the service's."""
    at = getattr(request, "param", NOW)
    frozen = clock.FrozenClock(at)
    if "client" in request.fixturenames:
        client: TestClient = request.getfixturevalue("client")
        client.app.state.clock = frozen  # type: ignore[attr-defined]
    with clock.using(frozen):
        yield frozen


@pytest.fixture(autouse=True)
def _freeze(frozen: clock.FrozenClock) -> clock.FrozenClock:
    return frozen
