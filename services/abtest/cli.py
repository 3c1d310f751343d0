"""The `priorities-abtest` command: `evaluate-due` for a scheduler, `serve` for a trigger."""

import logging
import sys
from typing import Annotated

import typer
import uvicorn

from services.abtest.evaluate import evaluate_due
from services.abtest.settings import AbtestSettings

app = typer.Typer(help="The A/B evaluator: significance tests, verdicts written back through "
                       "the API (ABTEST_API_URL, ABTEST_API_KEY).", no_args_is_help=True)


@app.command("evaluate-due")
def evaluate_due_command(
    workers: Annotated[int | None, typer.Option(help="Pages evaluated at once.")] = None,
) -> None:
    """Evaluate every running experiment whose data changed since its last verdict.

    Exits 0 when all were evaluated; 1 with a summary on stderr when some failed (they stay
    due and the next run picks them up).
    """
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = AbtestSettings()
    if not settings.api_key:
        typer.echo("ABTEST_API_KEY is not set (a service key with experiments:read and "
                   "verdicts:write)", err=True)
        raise typer.Exit(2)
    client = settings.client()
    try:
        summary = evaluate_due(client, workers=workers or settings.workers,
                               page_size=settings.page_size)
    finally:
        client.http.close()
    typer.echo(summary.text(), err=True)
    if not summary.ok:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
) -> None:
    """Serve POST /evaluations (run evaluate-due now) and GET /healthz."""
    uvicorn.run("services.abtest.app:create_app", factory=True, host=host, port=port,
                access_log=False)


def main() -> None:
    app()
