"""The API client the evaluator uses: due experiments, aggregates, verdicts; bounded retries.

Built on an `httpx2.Client` passed in: production gives one with the base URL, the service key
and timeouts (`make_http_client`); tests give `fastapi.testclient.TestClient(app)` or a client
bound to a real server's URL.
"""

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2

from shared.schemas.experiments import (
    Aggregates,
    ExperimentPublic,
    VerdictBatch,
    VerdictBatchItem,
    VerdictBatchResult,
    VerdictCreate,
    VerdictPublic,
)

log = logging.getLogger("shared.client")

RETRY_STATUSES = {500, 502, 503, 504}


class ApiError(Exception):
    """The API answered with a problem that retrying will not fix (4xx)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class ApiUnavailable(Exception):
    """The API stayed unreachable (connection errors, timeouts, 5xx) through every retry."""


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all; waits base * 2^i seconds (capped) between them."""

    attempts: int = 5
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 8.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2**attempt))


def make_http_client(base_url: str, api_key: str, *, connect_timeout: float = 5.0,
                     read_timeout: float = 30.0) -> httpx2.Client:
    return httpx2.Client(
        base_url=base_url.rstrip("/"),
        headers={"Authorization": f"Bearer {api_key}", "User-Agent": "priorities-abtest"},
        timeout=httpx2.Timeout(read_timeout, connect=connect_timeout),
    )


class ExperimentsClient:
    """What the evaluator may do over HTTP: read experiments and aggregates, write verdicts."""

    def __init__(self, http: httpx2.Client, *, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.http = http
        self.retry = retry or RetryPolicy()
        self.sleep = sleep

    def _request(self, method: str, path: str, **kw: Any) -> httpx2.Response:
        last = ""
        for attempt in range(self.retry.attempts):
            if attempt:
                self.sleep(self.retry.delay(attempt - 1))
            try:
                response = self.http.request(method, path, **kw)
            except httpx2.TransportError as exc:  # refused, reset, timed out
                last = f"{exc.__class__.__name__}: {exc}"
            else:
                if response.status_code not in RETRY_STATUSES:
                    if response.status_code >= 400:
                        raise ApiError(response.status_code, _detail(response))
                    return response
                last = f"HTTP {response.status_code}"
            log.warning("%s %s failed (%s), attempt %d of %d", method, path, last, attempt + 1,
                        self.retry.attempts)
        raise ApiUnavailable(f"{method} {path}: {last} after {self.retry.attempts} attempts")

    def due_experiments(self, *, page_size: int = 200,
                        with_aggregates: bool = True) -> Iterator[list[ExperimentPublic]]:
        """Pages of running experiments whose data changed since their last verdict, each with
        its per-arm aggregates (one request per page)."""
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"due": "true", "limit": page_size}
            if with_aggregates:
                params["include"] = "aggregates"
            if cursor:
                params["cursor"] = cursor
            body = self._request("GET", "/v1/experiments", params=params).json()
            yield [ExperimentPublic.model_validate(e) for e in body["items"]]
            cursor = body.get("next")
            if not cursor:
                return

    def experiment(self, experiment_id: int) -> ExperimentPublic:
        return ExperimentPublic.model_validate(
            self._request("GET", f"/v1/experiments/{experiment_id}").json())

    def aggregates(self, experiment_id: int) -> Aggregates:
        return Aggregates.model_validate(
            self._request("GET", f"/v1/experiments/{experiment_id}/aggregates").json())

    def post_verdict(self, experiment_id: int,
                     verdict: VerdictCreate) -> tuple[VerdictPublic, bool]:
        """(stored verdict, created). Safe to retry: the API keeps one per data version."""
        response = self._request("POST", f"/v1/experiments/{experiment_id}/verdicts",
                                 json=verdict.model_dump(mode="json"))
        return VerdictPublic.model_validate(response.json()), response.status_code == 201


    def post_verdicts(self, items: list[VerdictBatchItem]) -> VerdictBatchResult:
        """Up to 200 verdicts in one request; each item reports its own status."""
        body = VerdictBatch(verdicts=items).model_dump(mode="json")
        return VerdictBatchResult.model_validate(
            self._request("POST", "/v1/experiments/verdicts", json=body).json())


def _detail(response: httpx2.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text[:500]
