"""Alembic environment: runs migrations on a synchronous engine, one process at a time."""

from alembic import context
from sqlalchemy import text

from services.api.db import make_sync_engine
from services.api.models import metadata

config = context.config

# Several API processes may start at once against one PostgreSQL; this lock makes them
# take turns instead of racing on the same DDL.
MIGRATION_LOCK = 727_001


def run_migrations_online() -> None:
    engine = make_sync_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=True,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                connection.commit()
    engine.dispose()


run_migrations_online()
