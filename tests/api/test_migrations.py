"""The schema comes only from migrations: upgrade, compare with the models, downgrade."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from services.api.db import alembic_config, downgrade, make_sync_engine, migrate, script_heads
from services.api.models import metadata
from tests.factories import Api


def test_migrations_match_models_and_downgrade_to_base(db_url: str) -> None:
    # db_url is already at head (the fixture migrated it); go to base and back up again.
    downgrade(db_url, "base")
    engine = make_sync_engine(db_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(db_url, "heads")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert set(context.get_current_heads()) == script_heads()
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; run `priorities make-migration`: {diff}"


def test_migration_files_are_dated_and_named() -> None:
    from alembic.script import ScriptDirectory

    for rev in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions():
        name = rev.path.rsplit("/", 1)[-1]
        assert name[:4].isdigit() and name[4] == "-" and "_" in name, name


def test_existing_calendar_feeds_get_their_creators_member(api: Api) -> None:
    member = api.make_member(role="stakeholder")
    feed = api.ok(api.client.post("/v1/calendar/feeds", headers=api.key_for(member),
                                  json={"name": "phone", "scope": "team"}), 201)
    downgrade(api.db_url, "0da6bcdeee70")  # before feeds had a holder
    try:
        engine = make_sync_engine(api.db_url)
        assert "holder_id" not in {c["name"] for c in inspect(engine).get_columns(
            "calendar_feed")}
    finally:
        migrate(api.db_url, "heads")
    with engine.connect() as conn:
        holder = conn.execute(text("SELECT holder_id FROM calendar_feed WHERE id = :i"),
                              {"i": feed["id"]}).scalar_one()
    engine.dispose()
    assert holder == member["id"]
