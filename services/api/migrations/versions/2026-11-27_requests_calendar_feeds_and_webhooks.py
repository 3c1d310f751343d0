"""requests, triage, calendar, feeds and webhooks

Revision ID: 542e67c8d486
Revises: 0981ad82be13
Create Date: 2026-11-27 00:01:37.215500
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import services.api.db

revision: str = '542e67c8d486'
down_revision: str | Sequence[str] | None = '0981ad82be13'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('scope', sa.Enum('team', 'owner', 'network', name='feedscope', native_enum=False, length=20), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('network_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_by_key_id', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_key_id'], ['api_key.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feed_created_by_key_id'), ['created_by_key_id'], unique=False)

    op.create_table('request',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('goal', sa.Enum('awareness', 'engagement', 'traffic', 'conversion', 'leads', 'community', name='goal', native_enum=False, length=20), nullable=False),
    sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('networks', sa.JSON(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('pillar_ids', sa.JSON(), nullable=False),
    sa.Column('desired_publish_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deadline_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('assets', sa.JSON(), nullable=False),
    sa.Column('context', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=True),
    sa.Column('requester_key_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('submitted', 'triaged', 'planned', 'in_progress', 'blocked', 'published', 'done', 'declined', 'withdrawn', name='requeststatus', native_enum=False, length=20), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('status_before_block', sa.Enum('submitted', 'triaged', 'planned', 'in_progress', 'blocked', 'published', 'done', 'declined', 'withdrawn', name='requeststatus', native_enum=False, length=20), nullable=True),
    sa.Column('needs_strategy_review', sa.Boolean(), nullable=False),
    sa.Column('review_reasons', sa.JSON(), nullable=False),
    sa.Column('decision', sa.Enum('accept', 'compromise', 'redirect', 'decline', name='decision', native_enum=False, length=20), nullable=True),
    sa.Column('rationale', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.Column('alternative', sa.JSON(), nullable=True),
    sa.Column('would_help', sa.JSON(), nullable=False),
    sa.Column('would_help_note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('effort_hours', sa.Float(), nullable=True),
    sa.Column('earliest_start_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('triaged_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('triaged_by_key_id', sa.Integer(), nullable=True),
    sa.Column('next_update_due_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['requester_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['requester_key_id'], ['api_key.id'], ),
    sa.ForeignKeyConstraint(['triaged_by_key_id'], ['api_key.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.create_index('ix_request_network_id', ['network_id', 'id'], unique=False)
        batch_op.create_index('ix_request_open_update_due', ['is_open', 'next_update_due_at', 'id'], unique=False)
        batch_op.create_index('ix_request_owner_open_id', ['owner_id', 'is_open', 'id'], unique=False)
        batch_op.create_index('ix_request_owner_status_id', ['owner_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_request_requester_id', ['requester_id', 'id'], unique=False)

    op.create_table('webhook',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('cursor', sa.BigInteger(), nullable=False),
    sa.Column('created_by_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_key_id'], ['api_key.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('blocker',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('what', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('waiting_on', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('since_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('resolved_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['request.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('blocker', schema=None) as batch_op:
        batch_op.create_index('ix_blocker_open_id', ['is_open', 'id'], unique=False)
        batch_op.create_index('ix_blocker_request_id', ['request_id', 'id'], unique=False)

    op.create_table('calendar_entry',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('publish_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('planned', 'produced', 'published', name='entrystatus', native_enum=False, length=20), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('ownership_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('campaign', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['request.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('calendar_entry', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_entry_campaign_publish', ['campaign', 'publish_at', 'id'], unique=False)
        batch_op.create_index('ix_calendar_entry_network_publish', ['network_id', 'publish_at', 'id'], unique=False)
        batch_op.create_index('ix_calendar_entry_owner_publish', ['owner_id', 'publish_at', 'id'], unique=False)
        batch_op.create_index('ix_calendar_entry_publish_id', ['publish_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_entry_request_id'), ['request_id'], unique=False)

    op.create_table('request_transition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('submitted', 'triaged', 'planned', 'in_progress', 'blocked', 'published', 'done', 'declined', 'withdrawn', name='requeststatus', native_enum=False, length=20), nullable=True),
    sa.Column('to_status', sa.Enum('submitted', 'triaged', 'planned', 'in_progress', 'blocked', 'published', 'done', 'declined', 'withdrawn', name='requeststatus', native_enum=False, length=20), nullable=False),
    sa.Column('actor_key_id', sa.Integer(), nullable=True),
    sa.Column('actor_member_id', sa.Integer(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_key_id'], ['api_key.id'], ),
    sa.ForeignKeyConstraint(['actor_member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['request.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('request_transition', schema=None) as batch_op:
        batch_op.create_index('ix_request_transition_request_id', ['request_id', 'id'], unique=False)

    op.create_table('request_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('done_count', sa.Integer(), nullable=True),
    sa.Column('total_count', sa.Integer(), nullable=True),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('author_key_id', sa.Integer(), nullable=True),
    sa.Column('author_member_id', sa.Integer(), nullable=True),
    sa.Column('next_update_due_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_key_id'], ['api_key.id'], ),
    sa.ForeignKeyConstraint(['author_member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['request.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('request_update', schema=None) as batch_op:
        batch_op.create_index('ix_request_update_request_id', ['request_id', 'id'], unique=False)

    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.Enum('pending', 'delivering', 'succeeded', 'failed', name='deliverystatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('delivered_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhook.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('webhook_id', 'event_id')
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_delivery_due', ['status', 'next_attempt_at', 'id'], unique=False)
        batch_op.create_index('ix_webhook_delivery_webhook_id', ['webhook_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_webhook_id')
        batch_op.drop_index('ix_webhook_delivery_due')

    op.drop_table('webhook_delivery')
    with op.batch_alter_table('request_update', schema=None) as batch_op:
        batch_op.drop_index('ix_request_update_request_id')

    op.drop_table('request_update')
    with op.batch_alter_table('request_transition', schema=None) as batch_op:
        batch_op.drop_index('ix_request_transition_request_id')

    op.drop_table('request_transition')
    with op.batch_alter_table('calendar_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_entry_request_id'))
        batch_op.drop_index('ix_calendar_entry_publish_id')
        batch_op.drop_index('ix_calendar_entry_owner_publish')
        batch_op.drop_index('ix_calendar_entry_network_publish')
        batch_op.drop_index('ix_calendar_entry_campaign_publish')

    op.drop_table('calendar_entry')
    with op.batch_alter_table('blocker', schema=None) as batch_op:
        batch_op.drop_index('ix_blocker_request_id')
        batch_op.drop_index('ix_blocker_open_id')

    op.drop_table('blocker')
    op.drop_table('webhook')
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_index('ix_request_requester_id')
        batch_op.drop_index('ix_request_owner_status_id')
        batch_op.drop_index('ix_request_owner_open_id')
        batch_op.drop_index('ix_request_open_update_due')
        batch_op.drop_index('ix_request_network_id')

    op.drop_table('request')
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_created_by_key_id'))

    op.drop_table('calendar_feed')
