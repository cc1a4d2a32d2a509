"""reviews: the head's review of each submission («Принять», «Вернуть на доработку»)

``reviews`` keeps every action (who, when, the comment, the version and fingerprint of the
data it was given on); ``submissions`` the review as it stands, which the sync moves on
when the school changes what was accepted or returned.

Revision ID: 0012_reviews
Revises: 0011_head_forms
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_reviews"
down_revision = "0011_head_forms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("about", sa.String(length=300), nullable=True),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_reviews_submission", "reviews", ["submission_id", "id"])
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("review", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("review_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("review_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("review_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("review_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        for column in ("review_at", "review_comment", "review_version", "review_hash", "review"):
            batch.drop_column(column)
    op.drop_index("ix_reviews_submission", table_name="reviews")
    op.drop_table("reviews")
