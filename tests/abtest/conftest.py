"""The evaluator's client bound in-process to the API app, with an evaluator service key."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.api.main import create_app
from services.api.settings import Settings
from shared.client import ExperimentsClient, RetryPolicy
from tests.factories import Api


@pytest.fixture
def evaluator(api: Api, settings: Settings) -> Iterator[ExperimentsClient]:
    headers = api.service_key("experiments:read", "verdicts:write")
    with TestClient(create_app(settings), headers=headers) as http:
        yield ExperimentsClient(http, retry=RetryPolicy(attempts=2, backoff_seconds=0))
