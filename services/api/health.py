"""Liveness, readiness and Prometheus metrics: unauthenticated, for orchestrators."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import func, select, text
from sqlmodel import col

from services.api.db import current_heads, script_heads
from services.api.errors import problem_response
from services.api.models import Request as IntakeRequest
from services.api.models import Verdict, WebhookDelivery

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Is the process alive?")
async def healthz() -> dict[str, str]:
    """Answers while the process runs, without touching the database: for liveness probes."""
    return {"status": "ok"}


@router.get("/readyz", summary="Can this process serve traffic?",
            responses={503: {"description": "Database unreachable or migrations not current"}})
async def readyz(request: Request) -> Response:
    """Ready when the database answers and its schema is at the code's migration heads."""
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            applied = await conn.run_sync(current_heads)
    except Exception:  # any driver error means "not ready"; the detail goes to the log only
        return problem_response(503, "not-ready", "Not ready", "The database is unreachable.",
                                request)
    expected = script_heads()
    if applied != expected:
        return problem_response(
            503, "not-ready", "Not ready",
            f"Migrations are not current (database at {sorted(applied) or 'nothing'}, code at "
            f"{sorted(expected)}); run `priorities migrate`.", request)
    return JSONResponse({"status": "ready", "migrations": sorted(applied)})


# Business figures read from the database at each scrape: the same in every worker, and
# right after a restart. (name, help, label, column)
COUNTED = (
    ("webhook_deliveries", "Webhook deliveries by status (pending, succeeded, failed)",
     "status", col(WebhookDelivery.status)),
    ("experiment_verdicts", "Verdicts written, by decision", "decision", col(Verdict.decision)),
    ("intake_requests", "Stakeholder requests by status", "status", col(IntakeRequest.status)),
)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(request: Request) -> Response:
    """HTTP requests and latency summed over every worker, each worker's process figures
    (label `pid`), verdicts the evaluator sent, and business counts from the database."""
    families: list[Metric] = []
    async with request.app.state.read_engine.connect() as conn:
        for name, help_text, label, column in COUNTED:
            family = GaugeMetricFamily(name, help_text, labels=[label])
            rows = await conn.execute(select(column, func.count()).group_by(column))
            for value, count in rows:
                family.add_metric([str(getattr(value, "value", value))], count)
            families.append(family)
    return Response(request.app.state.metrics.exposition(families),
                    media_type=CONTENT_TYPE_LATEST)
