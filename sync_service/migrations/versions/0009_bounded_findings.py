"""bounded findings: a submission's rows with a blocking finding, and what a finding that
sums up others stands for

Past 20 findings of one kind in a tab, one ``more-findings`` stands for the rest
(sync_service/forms/found.py): ``findings.folded`` says how many, ``folded_code`` of which
code, so that the pages count and group them as before; ``submissions.blocked_rows`` keeps
every row with a blocking finding, which the order leaves out.

Revision ID: 0009_bounded_findings
Revises: 0008_findings_groups
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_bounded_findings"
down_revision = "0008_findings_groups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for the submissions stored before: their findings are all there, row by row.
    op.add_column("submissions", sa.Column("blocked_rows", sa.JSON(), nullable=True))
    op.add_column("findings", sa.Column("folded", sa.Integer(), nullable=True))
    op.add_column("findings", sa.Column("folded_code", sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("folded_code")
        batch.drop_column("folded")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("blocked_rows")
