"""the turn of the academic year: its request and journal of steps

Revision ID: 0010_year_turns
Revises: 0009_bounded_findings
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_year_turns"
down_revision = "0009_bounded_findings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "year_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_year", sa.String(length=9), nullable=False),
        sa.Column("to_year", sa.String(length=9), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("preview", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("to_year"),
    )
    op.create_table(
        "year_turn_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["turn_id"], ["year_turns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("turn_id", "target"),
    )


def downgrade() -> None:
    op.drop_table("year_turn_steps")
    op.drop_table("year_turns")
