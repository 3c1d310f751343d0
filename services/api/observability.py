"""Request ids, JSON logs and Prometheus metrics, applied by one ASGI middleware."""

import logging
import os
import random
import re
import time
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.context import request_id_var
from services.api.errors import internal_error_response
from shared.logs import configure

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def configure_logging(level: str) -> None:
    configure(level, context=lambda: {"request_id": request_id_var.get()})


def multiprocess_dir() -> str | None:
    """Where worker processes keep their counters (prometheus-client's multiprocess mode),
    so that a scrape of any worker adds up all of them; None in a single in-test process."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """One registry per app, so several apps in one test process do not collide. Under
    `serve` every worker writes its values to PROMETHEUS_MULTIPROC_DIR and `exposition`
    sums them; process gauges carry each worker's pid."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "Time to answer the request",
            ["method", "route"], registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.evaluations = Counter(
            "experiment_evaluations_total",
            "Verdicts the evaluator sent, by outcome (written, replayed: that data version "
            "already had one, rejected: 404/409/422)", ["outcome"], registry=self.registry,
        )
        self.process = {
            name: Gauge(name, help_text, registry=self.registry, multiprocess_mode="all")
            for name, help_text in PROCESS_GAUGES.items()
        }
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one request. The labelled children are kept: finding them through
        `labels()` (validation, a lock) on every request cost more than the counting."""
        children = self._children.get((method, route, status))
        if children is None:
            children = self._children[(method, route, status)] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route))
        children[0].inc()
        children[1].observe(seconds)

    def sample_process(self) -> None:
        """Copy this process's memory, CPU and file descriptors into its gauges."""
        for family in _PROCESS.collect():
            for sample in family.samples:
                gauge = self.process.get(sample.name)
                if gauge is not None:
                    gauge.set(sample.value)

    def exposition(self, extra: list[Metric]) -> bytes:
        """The text a scrape gets: every worker's values when they share a directory, and
        `extra` families computed for this scrape (from the database)."""
        self.sample_process()
        path = multiprocess_dir()
        if path is None:
            registry = self.registry
        else:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
        if extra:
            scrape = CollectorRegistry()
            scrape.register(_Fixed(extra))
            text += generate_latest(scrape)
        return text

    def forget_process(self) -> None:
        """A stopping worker's process gauges leave the sum (its counters stay counted)."""
        if multiprocess_dir() is not None:
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


PROCESS_GAUGES = {
    "process_resident_memory_bytes": "Resident memory of the worker process",
    "process_virtual_memory_bytes": "Virtual memory of the worker process",
    "process_cpu_seconds_total": "CPU seconds the worker process has used",
    "process_open_fds": "Open file descriptors of the worker process",
    "process_start_time_seconds": "Start of the worker process, seconds since the epoch",
}
# Reads /proc/self; registered nowhere, sampled into the gauges above.
_PROCESS = ProcessCollector(registry=None)


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


access_log = logging.getLogger("services.api.access")


class RequestContextMiddleware:
    """Sets `X-Request-ID` (taken from the caller when it is sane), logs one JSON line per
    request and records metrics labelled by route template, not raw path."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        # A trace id, not a secret: 128 bits from the PRNG, without a system call per request.
        rid = incoming if _SAFE_ID.match(incoming) else f"{random.getrandbits(128):032x}"
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # The error boundary: log the traceback, answer a bare problem (no traceback,
            # no SQL) that still carries the request id.
            access_log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not started:
                await internal_error_response()(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.metrics.observe(scope["method"], template, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %s", scope["method"], scope["path"], status,
                    extra={"fields": {"method": scope["method"], "path": scope["path"],
                                      "status": status, "ms": round(elapsed * 1000, 2)}},
                )
            request_id_var.reset(token)
