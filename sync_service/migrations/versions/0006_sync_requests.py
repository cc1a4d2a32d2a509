"""sync requests («Обновить сейчас» asks the clock) and each run's progress

Revision ID: 0006_sync_requests
Revises: 0005_sign_in_limits
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_sync_requests"
down_revision = "0005_sign_in_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["sync_runs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sync_requests_status", "sync_requests", ["status"], unique=False)
    op.add_column("sync_runs", sa.Column("schools_done", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("schools_done")
    op.drop_index("ix_sync_requests_status", table_name="sync_requests")
    op.drop_table("sync_requests")
