"""work items matrix schedules disruptions

Revision ID: b75e200c5fcf
Revises: 10a2c1d36a50
Create Date: 2026-11-27 00:11:24.438546
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import services.api.db

revision: str = 'b75e200c5fcf'
down_revision: str | Sequence[str] | None = '10a2c1d36a50'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('planning_settings',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('high_impact_min', sa.Integer(), nullable=False),
    sa.Column('medium_impact_min', sa.Integer(), nullable=False),
    sa.Column('low_effort_max_hours', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('disruption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('started_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('disruption', schema=None) as batch_op:
        batch_op.create_index('ix_disruption_member_started', ['member_id', 'started_at'], unique=False)

    op.create_table('work_item',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('initiative', 'request', name='workitemkind', native_enum=False, length=20), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', 'deferred', 'declined', name='workitemstatus', native_enum=False, length=20), nullable=False),
    sa.Column('impact', sa.Integer(), nullable=False),
    sa.Column('impact_is_derived', sa.Boolean(), nullable=False),
    sa.Column('pillar_fit', sa.Boolean(), nullable=False),
    sa.Column('goal', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('effort_hours', sa.Float(), nullable=False),
    sa.Column('deadline', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_fixed', sa.Boolean(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('chunk_no', sa.Integer(), nullable=True),
    sa.Column('target_on', sa.Date(), nullable=True),
    sa.Column('chunk_count', sa.Integer(), nullable=False),
    sa.Column('matrix_effort_hours', sa.Float(), nullable=False),
    sa.Column('quadrant', sa.Enum('quick_win', 'major_project', 'fill_in', 'thankless', name='quadrant', native_enum=False, length=20), nullable=False),
    sa.Column('queue_rank', sa.Integer(), nullable=False),
    sa.Column('sort_due', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['parent_id'], ['work_item.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_item_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_work_item_queue_owner', ['owner_id', 'status', 'queue_rank', 'sort_due', 'id'], unique=False)
        batch_op.create_index('ix_work_item_queue_team', ['status', 'queue_rank', 'sort_due', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_item_request_id'), ['request_id'], unique=False)

    op.create_table('work_schedule',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('time_zone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('buffer_share', sa.Float(), nullable=False),
    sa.Column('blocks', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id')
    )


def downgrade() -> None:
    op.drop_table('work_schedule')
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_item_request_id'))
        batch_op.drop_index('ix_work_item_queue_team')
        batch_op.drop_index('ix_work_item_queue_owner')
        batch_op.drop_index(batch_op.f('ix_work_item_parent_id'))

    op.drop_table('work_item')
    with op.batch_alter_table('disruption', schema=None) as batch_op:
        batch_op.drop_index('ix_disruption_member_started')

    op.drop_table('disruption')
    op.drop_table('planning_settings')
