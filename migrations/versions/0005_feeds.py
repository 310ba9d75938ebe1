"""Open Referral UK feeds taken in, and the provenance of their listings

Revision ID: 0005_feeds
Revises: 0004_search_change
Create Date: 2026-12-08 04:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005_feeds'
down_revision = '0004_search_change'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('publish_at_once', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('pulled_at', sa.DateTime(), nullable=True),
    sa.Column('full_list_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('feed_listing',
    sa.Column('service_id', sa.String(length=100), nullable=False),
    sa.Column('feed_id', sa.Integer(), nullable=False),
    sa.Column('remote_id', sa.String(length=100), nullable=False),
    sa.Column('remote_status', sa.String(length=30), nullable=False),
    sa.Column('remote_modified', sa.String(length=40), nullable=True),
    sa.Column('approval', sa.String(length=20), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('pulled_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['feed_id'], ['feed.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id'),
    sa.UniqueConstraint('feed_id', 'remote_id')
    )
    with op.batch_alter_table('feed_listing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_listing_feed_id'), ['feed_id'], unique=False)


def downgrade():
    with op.batch_alter_table('feed_listing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_listing_feed_id'))
    op.drop_table('feed_listing')
    op.drop_table('feed')
