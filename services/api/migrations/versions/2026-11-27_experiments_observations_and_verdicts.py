"""experiments observations and verdicts

Revision ID: c79c07301f81
Revises: b75e200c5fcf
Create Date: 2026-11-27 00:07:08.976437
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import services.api.db

revision: str = 'c79c07301f81'
down_revision: str | Sequence[str] | None = 'b75e200c5fcf'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('experiment',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('hypothesis', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('draft', 'running', 'concluded', 'stopped', name='experimentstate', native_enum=False, length=20), nullable=False),
    sa.Column('primary_metric', sa.Enum('engagement_rate', 'click_rate', 'video_views', 'watch_time', name='metric', native_enum=False, length=20), nullable=False),
    sa.Column('guardrail_metrics', sa.JSON(), nullable=False),
    sa.Column('unit', sa.Enum('post', 'impression', name='unit', native_enum=False, length=20), nullable=False),
    sa.Column('design', sa.Enum('sequential', 'always_valid', 'fixed', name='design', native_enum=False, length=20), nullable=False),
    sa.Column('alpha', sa.Float(), nullable=False),
    sa.Column('power', sa.Float(), nullable=False),
    sa.Column('baseline_rate', sa.Float(), nullable=True),
    sa.Column('mde', sa.Float(), nullable=False),
    sa.Column('planned_n_per_arm', sa.Integer(), nullable=False),
    sa.Column('data_version', sa.Integer(), nullable=False),
    sa.Column('evaluated_version', sa.Integer(), nullable=False),
    sa.Column('looks', sa.JSON(), nullable=False),
    sa.Column('last_always_valid_p', sa.Float(), nullable=True),
    sa.Column('latest_verdict_id', sa.Integer(), nullable=True),
    sa.Column('created_by_key_id', sa.Integer(), nullable=True),
    sa.Column('started_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('concluded_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('experiment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experiment_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_experiment_state_id', ['state', 'id'], unique=False)

    op.create_table('experiment_arm',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sa.Enum('team', 'stakeholder', name='armrole', native_enum=False, length=20), nullable=False),
    sa.Column('share', sa.Float(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiment.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('experiment_id', 'key')
    )
    op.create_table('verdict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=False),
    sa.Column('data_version', sa.Integer(), nullable=False),
    sa.Column('look', sa.Integer(), nullable=False),
    sa.Column('info_fraction', sa.Float(), nullable=False),
    sa.Column('decision', sa.Enum('keep_collecting', 'team_better', 'stakeholder_better', 'no_difference', 'invalid_srm', name='decision', native_enum=False, length=20), nullable=False),
    sa.Column('is_conclusive', sa.Boolean(), nullable=False),
    sa.Column('winner', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('metric', sa.Enum('engagement_rate', 'click_rate', 'video_views', 'watch_time', name='metric', native_enum=False, length=20), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('unit', sa.Enum('post', 'impression', name='unit', native_enum=False, length=20), nullable=False),
    sa.Column('estimates', sa.JSON(), nullable=False),
    sa.Column('n_per_arm', sa.JSON(), nullable=False),
    sa.Column('planned_n_per_arm', sa.Integer(), nullable=False),
    sa.Column('effect', sa.Float(), nullable=True),
    sa.Column('ci_low', sa.Float(), nullable=True),
    sa.Column('ci_high', sa.Float(), nullable=True),
    sa.Column('rel_effect', sa.Float(), nullable=True),
    sa.Column('rel_ci_low', sa.Float(), nullable=True),
    sa.Column('rel_ci_high', sa.Float(), nullable=True),
    sa.Column('p_value', sa.Float(), nullable=True),
    sa.Column('always_valid_p', sa.Float(), nullable=True),
    sa.Column('boundary', sa.Float(), nullable=True),
    sa.Column('alpha_spent', sa.Float(), nullable=True),
    sa.Column('srm_p_value', sa.Float(), nullable=True),
    sa.Column('guardrails', sa.JSON(), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('author_key_id', sa.Integer(), nullable=True),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiment.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('experiment_id', 'data_version')
    )
    op.create_table('observation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=False),
    sa.Column('arm_id', sa.Integer(), nullable=False),
    sa.Column('post_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('impressions', sa.BigInteger(), nullable=False),
    sa.Column('engagements', sa.BigInteger(), nullable=False),
    sa.Column('clicks', sa.BigInteger(), nullable=False),
    sa.Column('video_views', sa.Float(), nullable=True),
    sa.Column('video_views_log', sa.Float(), nullable=True),
    sa.Column('watch_seconds', sa.Float(), nullable=True),
    sa.Column('watch_seconds_log', sa.Float(), nullable=True),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['arm_id'], ['experiment_arm.id'], ),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiment.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('experiment_id', 'arm_id', 'post_key')
    )


def downgrade() -> None:
    op.drop_table('observation')
    op.drop_table('verdict')
    op.drop_table('experiment_arm')
    with op.batch_alter_table('experiment', schema=None) as batch_op:
        batch_op.drop_index('ix_experiment_state_id')
        batch_op.drop_index(batch_op.f('ix_experiment_request_id'))

    op.drop_table('experiment')
