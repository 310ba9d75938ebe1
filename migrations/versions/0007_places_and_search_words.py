"""places on areas, the partnership's search words

Revision ID: 0007_places_and_search_words
Revises: 0006_opaque_ids
Create Date: 2026-12-08 04:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007_places_and_search_words'
down_revision = '0006_opaque_ids'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.add_column(sa.Column('places', sa.JSON(), nullable=False, server_default='[]'))
    op.create_table('search_word',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('words', sa.JSON(), nullable=False),
    sa.Column('means', sa.JSON(), nullable=False),
    sa.Column('changed_in_site_at', sa.DateTime(), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_word'))
    )


def downgrade():
    op.drop_table('search_word')
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_column('places')
