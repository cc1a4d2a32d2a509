"""the sign-in limit, shared by every web worker (web/limiter.py)

Revision ID: 0005_sign_in_limits
Revises: 0004_columnar_rows
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_sign_in_limits"
down_revision = "0004_columnar_rows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("sign_in_limits",
                    sa.Column("client", sa.String(length=64), nullable=False),
                    sa.Column("attempts", sa.Integer(), nullable=False),
                    sa.Column("window_start", sa.DateTime(), nullable=False),
                    sa.Column("blocked_until", sa.DateTime(), nullable=True),
                    sa.PrimaryKeyConstraint("client"))


def downgrade() -> None:
    op.drop_table("sign_in_limits")
