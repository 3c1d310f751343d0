"""calendar feeds belong to members

Revision ID: 0c033b27ef12
Revises: 0da6bcdeee70
Create Date: 2026-11-27 01:33:51.363979
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0c033b27ef12'
down_revision: str | Sequence[str] | None = '0da6bcdeee70'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holder_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_calendar_feed_holder_id', ['holder_id', 'id'], unique=False)
        batch_op.create_foreign_key('fk_calendar_feed_holder_id', 'member', ['holder_id'],
                                    ['id'])
    # Existing feeds belong to the member of the key that created them.
    op.execute("UPDATE calendar_feed SET holder_id = (SELECT api_key.member_id FROM api_key "
               "WHERE api_key.id = calendar_feed.created_by_key_id)")


def downgrade() -> None:
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_constraint('fk_calendar_feed_holder_id', type_='foreignkey')
        batch_op.drop_index('ix_calendar_feed_holder_id')
        batch_op.drop_column('holder_id')
