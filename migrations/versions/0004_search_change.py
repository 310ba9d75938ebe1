"""search change log

Revision ID: 0004_search_change
Revises: 0003
Create Date: 2026-12-08 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004_search_change"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('service_id', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_change')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('search_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_change_changed_at'), ['changed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('search_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_change_changed_at'))

    op.drop_table('search_change')
