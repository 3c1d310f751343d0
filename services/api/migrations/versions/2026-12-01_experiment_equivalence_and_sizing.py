"""experiments: equivalence margin and sizing basis; verdicts: equivalence (TOST) p-value

Revision ID: 5e9a1c2d7b40
Revises: 0c033b27ef12
Create Date: 2026-12-01 05:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5e9a1c2d7b40'
down_revision: str | Sequence[str] | None = '0c033b27ef12'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('experiment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('equivalence_margin', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('sizing_basis', sa.String(length=500), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('verdict', schema=None) as batch_op:
        batch_op.add_column(sa.Column('equivalence_p_value', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('verdict', schema=None) as batch_op:
        batch_op.drop_column('equivalence_p_value')
    with op.batch_alter_table('experiment', schema=None) as batch_op:
        batch_op.drop_column('sizing_basis')
        batch_op.drop_column('equivalence_margin')
