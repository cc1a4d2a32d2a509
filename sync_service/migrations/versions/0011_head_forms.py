"""head forms: the forms the head defines in her workbook («Формы»), and the tabs Svod made
of them in each school's workbook

``head_forms`` keeps each form's last good definition (the mapping a form file holds) and
what Svod remembers of its keys (``memory``: titles, tabs, every column's labels, retired
ones included); ``form_tabs`` what each school's tab of such a form looks like, so that a
changed form rebuilds only the tabs made before the change.

Revision ID: 0011_head_forms
Revises: 0010_year_turns
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_head_forms"
down_revision = "0010_year_turns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "head_forms",
        sa.Column("key", sa.String(length=100), primary_key=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("tab", sa.String(length=100), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=True),
        sa.Column("memory", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "form_tabs",
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("collection_id", sa.Integer(), sa.ForeignKey("collections.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("layout", sa.String(length=64), nullable=False),
        sa.Column("structure", sa.String(length=64), nullable=False),
        sa.Column("aside", sa.String(length=100), nullable=True),
        sa.Column("aside_columns", sa.JSON(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("form_tabs")
    op.drop_table("head_forms")
