"""The evaluator over HTTP: a trigger that runs evaluate-due now, and a health check."""

import threading
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from services.abtest.evaluate import evaluate_due
from services.abtest.settings import AbtestSettings
from shared.client import ExperimentsClient


def create_app(settings: AbtestSettings | None = None,
               client_factory: Callable[[], ExperimentsClient] | None = None) -> FastAPI:
    settings = settings or AbtestSettings()
    make_client = client_factory or settings.client
    running = threading.Lock()
    app = FastAPI(title="priorities-abtest", version="1.0.0",
                  description="Runs the A/B evaluator on demand.")

    @app.get("/healthz", summary="Is the process alive?", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/evaluations", summary="Evaluate the due experiments now", tags=["evaluations"],
              responses={409: {"description": "A run is already in progress"},
                         502: {"description": "Some experiments failed; they stay due"}})
    def run_evaluations() -> JSONResponse:
        """Runs evaluate-due to completion and returns its summary: 200 when every due
        experiment was evaluated, 502 when some failed, 409 if a run is in progress."""
        if not running.acquire(blocking=False):
            return JSONResponse({"detail": "an evaluation run is already in progress"},
                                status_code=409)
        try:
            client = make_client()
            try:
                body: dict[str, Any] = evaluate_due(client, workers=settings.workers,
                                                        page_size=settings.page_size).as_dict()
            finally:
                if client_factory is None:
                    client.http.close()
        finally:
            running.release()
        return JSONResponse(body, status_code=200 if body["ok"] else 502)

    return app
