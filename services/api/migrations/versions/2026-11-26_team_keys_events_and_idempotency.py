"""team keys events and idempotency

Revision ID: 0981ad82be13
Revises: (none)
Create Date: 2026-11-26 23:50:47.997429
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import services.api.db

revision: str = '0981ad82be13'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('subject_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('actor_key_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_type'), ['type'], unique=False)

    op.create_table('idempotency_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('principal', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('body_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_headers', sa.JSON(), nullable=True),
    sa.Column('response_body', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('principal', 'key')
    )
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_record_expires_at'), ['expires_at'], unique=False)

    op.create_table('member',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('time_zone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('role', sa.Enum('stakeholder', 'strategist', 'manager', name='memberrole', native_enum=False, length=20), nullable=False),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('weekly_capacity_hours', sa.Float(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('network',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('purpose', sa.Enum('engagement', 'awareness', name='purpose', native_enum=False, length=20), nullable=False),
    sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('pillar',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('audiences', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('quarter', 'name')
    )
    with op.batch_alter_table('pillar', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pillar_quarter'), ['quarter'], unique=False)

    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sa.Enum('stakeholder', 'strategist', 'manager', 'service', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('secret_hash')
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_member_id'), ['member_id'], unique=False)

    op.create_table('network_ownership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('network_ownership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_ownership_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_network_ownership_network_starts', ['network_id', 'starts_on'], unique=False)

    op.create_table('pillar_network',
    sa.Column('pillar_id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], ),
    sa.ForeignKeyConstraint(['pillar_id'], ['pillar.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pillar_id', 'network_id')
    )
    with op.batch_alter_table('pillar_network', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pillar_network_network_id'), ['network_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pillar_network', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pillar_network_network_id'))

    op.drop_table('pillar_network')
    with op.batch_alter_table('network_ownership', schema=None) as batch_op:
        batch_op.drop_index('ix_network_ownership_network_starts')
        batch_op.drop_index(batch_op.f('ix_network_ownership_member_id'))

    op.drop_table('network_ownership')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_member_id'))

    op.drop_table('api_key')
    with op.batch_alter_table('pillar', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pillar_quarter'))

    op.drop_table('pillar')
    op.drop_table('network')
    op.drop_table('member')
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_record_expires_at'))

    op.drop_table('idempotency_record')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_type'))

    op.drop_table('event')
