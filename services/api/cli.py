"""The `priorities` command: serve, migrate, create-key, seed-demo, and developer helpers."""

import asyncio
import glob
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from alembic import command

from services.api import db
from services.api.models import Role
from services.api.settings import Settings

app = typer.Typer(help="social-priorities API: run it and administer it.", no_args_is_help=True)


def prepare_metrics_dir() -> str:
    """A fresh directory where the workers keep their counters (prometheus-client's
    multiprocess mode), so that a scrape of any worker adds up all of them. An old run's
    files would add to the new counts, so they go. Runs before prometheus_client is imported
    here: it picks its storage when first imported."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(
        prefix="priorities-metrics-")
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate",
                                                help="Apply migrations before serving.")] = True,
) -> None:
    """Serve the API (DATABASE_URL selects the database), migrating it first."""
    settings = Settings()
    if migrate_first:
        db.migrate(settings.database_url)
    prepare_metrics_dir()
    uvicorn.run("services.api.main:create_app", factory=True, host=host, port=port,
                workers=workers, access_log=False, log_config=None)


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "heads") -> None:
    """Bring the database schema up to date."""
    db.migrate(Settings().database_url, revision)
    typer.echo(f"database at {revision}", err=True)


@app.command("create-key")
def create_key(
    role: Annotated[Role, typer.Option(help="stakeholder, strategist, manager or service.")],
    name: Annotated[str, typer.Option(help="Who or what holds the key.")],
    member_email: Annotated[str | None, typer.Option(help="Member the key belongs to.")] = None,
    scope: Annotated[list[str] | None, typer.Option(help="Service key scope (repeat).")] = None,
) -> None:
    """Create an API key and print only the key on stdout (it is shown once)."""
    from services.api import bootstrap

    try:
        secret = asyncio.run(bootstrap.create_key(Settings().database_url, role=role, name=name,
                                                  member_email=member_email,
                                                  scopes=scope or []))
    except bootstrap.CliError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(secret)


@app.command("seed-demo")
def seed_demo() -> None:
    """Load the demo team from the article (idempotent: running it again changes nothing)."""
    from services.api import bootstrap

    settings = Settings()
    db.migrate(settings.database_url)
    summary = asyncio.run(bootstrap.seed_demo(settings.database_url))
    typer.echo(summary, err=True)


@app.command("make-migration")
def make_migration(
    message: Annotated[str, typer.Argument(help="What the migration does.")],
) -> None:
    """Developers: autogenerate a migration from the models against DATABASE_URL."""
    settings = Settings()
    db.migrate(settings.database_url)
    command.revision(db.alembic_config(settings.database_url), message=message, autogenerate=True)


@app.command("export-openapi")
def export_openapi(
    path: Annotated[Path, typer.Argument(help="Where to write it.")] = Path("openapi.yaml"),
) -> None:
    """Developers: write the OpenAPI document the app serves to openapi.yaml."""
    from services.api.main import create_app
    from services.api.openapi_doc import render

    path.write_text(render(create_app()))
    typer.echo(f"wrote {path}", err=True)


def main() -> None:
    app()
