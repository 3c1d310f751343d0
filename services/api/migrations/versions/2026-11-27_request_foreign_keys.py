"""foreign keys from experiments, work items and posts to requests

Revision ID: 0da6bcdeee70
Revises: c79c07301f81
Create Date: 2026-11-27 01:05:53.910783
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0da6bcdeee70'
down_revision: str | Sequence[str] | None = 'c79c07301f81'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


LINKS = [  # (name, table, column, referred table)
    ("fk_experiment_request_id", "experiment", "request_id", "request"),
    ("fk_work_item_request_id", "work_item", "request_id", "request"),
    ("fk_post_request_id", "post", "request_id", "request"),
    ("fk_post_calendar_entry_id", "post", "calendar_entry_id", "calendar_entry"),
]


def upgrade() -> None:
    for name, table, column, referred in LINKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(name, referred, [column], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    for name, table, _, _ in reversed(LINKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="foreignkey")
