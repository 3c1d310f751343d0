"""The `priorities-abtest` command: `evaluate-due` for a scheduler, `serve` for a trigger."""

import sys
from collections.abc import Callable
from typing import Annotated

import typer
import uvicorn

from services.abtest.evaluate import Outcome, evaluate_due
from services.abtest.settings import AbtestSettings
from shared.logs import configure as configure_logs

app = typer.Typer(help="The A/B evaluator: significance tests, verdicts written back through "
                       "the API (ABTEST_API_URL, ABTEST_API_KEY).", no_args_is_help=True)


def terminal_progress() -> Callable[[Outcome], None] | None:
    """A running count on stderr when a person watches (a terminal); none under cron."""
    if not sys.stderr.isatty():
        return None
    done = 0

    def count(outcome: Outcome) -> None:
        nonlocal done
        done += 1
        if done % 10 == 0:
            typer.echo(f"... {done} experiment(s) evaluated", err=True)

    return count


@app.command("evaluate-due")
def evaluate_due_command(
    workers: Annotated[int | None, typer.Option(help="Pages evaluated at once.")] = None,
) -> None:
    """Evaluate every running experiment whose data changed since its last verdict.

    Exits 0 when all were evaluated; 1 with a summary on stderr when some failed (they stay
    due and the next run picks them up).
    """
    configure_logs("WARNING")
    settings = AbtestSettings()
    if not settings.api_key:
        typer.echo("ABTEST_API_KEY is not set (a service key with experiments:read and "
                   "verdicts:write)", err=True)
        raise typer.Exit(2)
    client = settings.client()
    try:
        summary = evaluate_due(client, workers=workers or settings.workers,
                               page_size=settings.page_size, on_outcome=terminal_progress())
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
    configure_logs("INFO")
    uvicorn.run("services.abtest.app:create_app", factory=True, host=host, port=port,
                access_log=False, log_config=None)


def main() -> None:
    app()
