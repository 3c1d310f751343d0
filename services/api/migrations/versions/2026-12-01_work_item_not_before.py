"""work item not before and assumed effort: a deferred item waits for the end of the plan it
was taken off; work accepted without an estimate says its effort is assumed

Revision ID: 5e1a7c3d9b02
Revises: 5e9a1c2d7b40
Create Date: 2026-12-01 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.api.db

revision: str = '5e1a7c3d9b02'
down_revision: str | Sequence[str] | None = '5e9a1c2d7b40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('not_before_at', services.api.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('effort_is_assumed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_column('effort_is_assumed')
        batch_op.drop_column('not_before_at')
