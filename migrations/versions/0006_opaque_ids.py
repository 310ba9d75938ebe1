"""opaque ids: a uuid for each referral, user, listing change, feedback and notification,
used in staff URLs instead of the sequential integer id (which stays the primary key)

Revision ID: 0006_opaque_ids
Revises: 0005_feeds
Create Date: 2026-12-08 04:45:00

"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0006_opaque_ids"
down_revision = "0005_feeds"
branch_labels = None
depends_on = None

TABLES = ("referral", "user_account", "listing_change", "feedback", "notification")


def upgrade():
    connection = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("uuid", sa.String(length=36), nullable=True))
        # Existing rows (and links to them already sent by email, which keep working by
        # integer id and redirect) get a random uuid each.
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column("uuid", sa.String))
        for (row_id,) in connection.execute(sa.select(rows.c.id)).all():
            connection.execute(rows.update().where(rows.c.id == row_id)
                               .values(uuid=str(uuid.uuid4())))
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("uuid", existing_type=sa.String(length=36), nullable=False)
            batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_uuid"), ["uuid"])


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"uq_{table}_uuid"), type_="unique")
            batch_op.drop_column("uuid")
