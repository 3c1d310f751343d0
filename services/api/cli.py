"""The `priorities` command: serve, migrate, create-key, seed-demo, and developer helpers."""

import asyncio
import glob
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from alembic import command
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from services.api import db
from services.api.models import Role
from services.api.settings import Settings

app = typer.Typer(help="social-priorities API: run it and administer it.", no_args_is_help=True)


def terminal_progress() -> Callable[[str], None] | None:
    """Progress lines on stderr when a person watches it; scripts and logs get none."""
    if not sys.stderr.isatty():
        return None
    return lambda step: typer.echo(f"... {step}", err=True)


def connect_error(url: str, exc: OperationalError) -> str:
    """One line an operator can act on, instead of a driver's traceback."""
    where = make_url(url)
    reason = " ".join(line.strip() for line in str(exc.orig or exc).strip().splitlines())
    if where.get_backend_name() == "postgresql":
        name, host = where.database or "postgres", where.host or "localhost"
        if "does not exist" in reason and f'"{name}"' in reason:
            user = f" -U {where.username}" if where.username else ""
            return (f"PostgreSQL database {name!r} does not exist on {host}: create it with "
                    f"`createdb -h {host} -p {where.port or 5432}{user} {name}`")
        return f"cannot connect to PostgreSQL at {host}:{where.port or 5432}: {reason}"
    return (f"cannot open the SQLite database {where.database!r} ({reason}); does its "
            "directory exist and may this user write there?")


def migrate_or_exit(url: str, revision: str = "heads") -> None:
    """Bring the schema up to date (every command that touches the database does this
    first), or exit 1 with one line saying what is wrong."""
    try:
        db.migrate(url, revision)
    except OperationalError as exc:
        typer.echo(f"error: {connect_error(url, exc)}", err=True)
        raise typer.Exit(1) from None


def prepare_metrics_dir(port: int) -> str:
    """A directory where the workers keep their counters (prometheus-client's multiprocess
    mode), so that a scrape of any worker adds up all of them: PROMETHEUS_MULTIPROC_DIR, or
    one per port under the temporary directory (the same each time, so runs do not pile up).
    An old run's files would add to the new counts, so they go. Runs before prometheus_client
    is imported here: it picks its storage when first imported."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.path.join(
        tempfile.gettempdir(), f"priorities-metrics-{os.getuid()}-{port}")
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
        migrate_or_exit(settings.database_url)
    prepare_metrics_dir(port)
    if "PUBLIC_BASE_URL" not in os.environ:
        # Links the API hands out (feeds, share links) point where it listens.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        os.environ["PUBLIC_BASE_URL"] = f"http://{shown}:{port}"
    uvicorn.run("services.api.main:create_app", factory=True, host=host, port=port,
                workers=workers, access_log=False, log_config=None)


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "heads") -> None:
    """Bring the database schema up to date."""
    migrate_or_exit(Settings().database_url, revision)
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

    url = Settings().database_url
    migrate_or_exit(url)  # a fresh database gets its tables first
    try:
        secret = asyncio.run(bootstrap.create_key(url, role=role, name=name,
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
    migrate_or_exit(settings.database_url)
    summary = asyncio.run(bootstrap.seed_demo(settings.database_url, progress=terminal_progress()))
    typer.echo(summary, err=True)


@app.command("make-migration")
def make_migration(
    message: Annotated[str, typer.Argument(help="What the migration does.")],
) -> None:
    """Developers: autogenerate a migration from the models against DATABASE_URL."""
    settings = Settings()
    migrate_or_exit(settings.database_url)
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
