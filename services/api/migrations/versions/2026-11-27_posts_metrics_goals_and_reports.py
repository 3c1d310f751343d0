"""posts metrics goals and reports

Revision ID: 10a2c1d36a50
Revises: 542e67c8d486
Create Date: 2026-11-27 00:18:00.522142
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import services.api.db

revision: str = '10a2c1d36a50'
down_revision: str | Sequence[str] | None = '542e67c8d486'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_secret',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('report',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('networks', sa.JSON(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('created_by_key_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('follower_count',
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('followers', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], ),
    sa.PrimaryKeyConstraint('network_id', 'day')
    )
    op.create_table('network_goal',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('metric', sa.Enum('engagement_rate', 'impressions', 'engagements', 'video_views', 'posts', 'follower_growth', name='goalmetric', native_enum=False, length=20), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('network_id', 'quarter', 'metric')
    )
    with op.batch_alter_table('network_goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_goal_quarter'), ['quarter'], unique=False)

    op.create_table('post',
    sa.Column('impressions', sa.BigInteger(), nullable=False),
    sa.Column('reach', sa.BigInteger(), nullable=False),
    sa.Column('engagements', sa.BigInteger(), nullable=False),
    sa.Column('likes', sa.BigInteger(), nullable=False),
    sa.Column('comments', sa.BigInteger(), nullable=False),
    sa.Column('shares', sa.BigInteger(), nullable=False),
    sa.Column('saves', sa.BigInteger(), nullable=False),
    sa.Column('clicks', sa.BigInteger(), nullable=False),
    sa.Column('video_views', sa.BigInteger(), nullable=False),
    sa.Column('watch_time_seconds', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('published_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('content_type', sa.Enum('video', 'image', 'text', 'story', 'short', 'link', name='contenttype', native_enum=False, length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('campaign_tags', sa.JSON(), nullable=False),
    sa.Column('calendar_entry_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('metrics_as_of', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('engagement_rate', sa.Float(), nullable=False),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('network_id', 'external_id')
    )
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_calendar_entry_id'), ['calendar_entry_id'], unique=False)
        batch_op.create_index('ix_post_network_as_of', ['network_id', 'metrics_as_of'], unique=False)
        batch_op.create_index('ix_post_network_published', ['network_id', 'published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_post_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_post_published_at', ['published_at'], unique=False)
        batch_op.create_index('ix_post_rank_engagement_rate', ['engagement_rate', 'id'], unique=False)
        batch_op.create_index('ix_post_rank_engagements', ['engagements', 'id'], unique=False)
        batch_op.create_index('ix_post_rank_impressions', ['impressions', 'id'], unique=False)
        batch_op.create_index('ix_post_rank_video_views', ['video_views', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_post_request_id'), ['request_id'], unique=False)

    op.create_table('report_annotation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('section_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('author_key_id', sa.Integer(), nullable=True),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_annotation', schema=None) as batch_op:
        batch_op.create_index('ix_report_annotation_report', ['report_id', 'id'], unique=False)

    op.create_table('share_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('expires_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_key_id', sa.Integer(), nullable=True),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_opened_at', services.api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('share_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_link_report_id'), ['report_id'], unique=False)

    op.create_table('metric_snapshot',
    sa.Column('impressions', sa.BigInteger(), nullable=False),
    sa.Column('reach', sa.BigInteger(), nullable=False),
    sa.Column('engagements', sa.BigInteger(), nullable=False),
    sa.Column('likes', sa.BigInteger(), nullable=False),
    sa.Column('comments', sa.BigInteger(), nullable=False),
    sa.Column('shares', sa.BigInteger(), nullable=False),
    sa.Column('saves', sa.BigInteger(), nullable=False),
    sa.Column('clicks', sa.BigInteger(), nullable=False),
    sa.Column('video_views', sa.BigInteger(), nullable=False),
    sa.Column('watch_time_seconds', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('captured_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decreased', sa.JSON(), nullable=False),
    sa.Column('is_flagged', sa.Boolean(), nullable=False),
    sa.Column('received_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id', 'captured_at')
    )
    op.create_table('post_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('author_key_id', sa.Integer(), nullable=True),
    sa.Column('author_member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', services.api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('post_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_note_post_id'), ['post_id'], unique=False)

    op.create_table('post_tag',
    sa.Column('tag', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tag', 'post_id')
    )
    with op.batch_alter_table('post_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_tag_post_id'), ['post_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('post_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_tag_post_id'))

    op.drop_table('post_tag')
    with op.batch_alter_table('post_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_note_post_id'))

    op.drop_table('post_note')
    op.drop_table('metric_snapshot')
    with op.batch_alter_table('share_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_link_report_id'))

    op.drop_table('share_link')
    with op.batch_alter_table('report_annotation', schema=None) as batch_op:
        batch_op.drop_index('ix_report_annotation_report')

    op.drop_table('report_annotation')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_request_id'))
        batch_op.drop_index('ix_post_rank_video_views')
        batch_op.drop_index('ix_post_rank_impressions')
        batch_op.drop_index('ix_post_rank_engagements')
        batch_op.drop_index('ix_post_rank_engagement_rate')
        batch_op.drop_index('ix_post_published_at')
        batch_op.drop_index(batch_op.f('ix_post_owner_id'))
        batch_op.drop_index('ix_post_network_published')
        batch_op.drop_index('ix_post_network_as_of')
        batch_op.drop_index(batch_op.f('ix_post_calendar_entry_id'))

    op.drop_table('post')
    with op.batch_alter_table('network_goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_goal_quarter'))

    op.drop_table('network_goal')
    op.drop_table('follower_count')
    op.drop_table('report')
    op.drop_table('app_secret')
