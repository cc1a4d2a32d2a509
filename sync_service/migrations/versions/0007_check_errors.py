"""a «Проверка» that could not be written is the school's error

Revision ID: 0007_check_errors
Revises: 0006_sync_requests
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_check_errors"
down_revision = "0006_sync_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("workbook_states", sa.Column("check_error", sa.Text(), nullable=True))
    op.add_column("workbook_states", sa.Column("check_error_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workbook_states") as batch:
        batch.drop_column("check_error_at")
        batch.drop_column("check_error")
