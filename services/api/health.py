"""Liveness, readiness and Prometheus metrics: unauthenticated, for orchestrators."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from services.api.db import current_heads, script_heads
from services.api.errors import problem_response

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Is the process alive?")
async def healthz() -> dict[str, str]:
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


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)
