"""the rows of a submission with a blocking finding, kept beside its bounded findings

Revision ID: 0009_blocked_rows
Revises: 0008_findings_groups
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_blocked_rows"
down_revision = "0008_findings_groups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for the submissions stored before: their findings are all there, row by row.
    op.add_column("submissions", sa.Column("blocked_rows", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("blocked_rows")
