"""published_pages: the status page as the clock publishes it after each run (web/publish.py)

Each page of the unfiltered matrix, encoded: the HTML before and after the part drawn on
every view (the time, the sync's health), each also deflated, so that a view sends it as
it is stored. What the pages hold for (the data marker, the day) is in ``meta``
(``status_pages``).

Revision ID: 0013_published_pages
Revises: 0012_reviews
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_published_pages"
down_revision = "0012_reviews"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_pages",
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("head", sa.LargeBinary(), nullable=False),
        sa.Column("head_deflated", sa.LargeBinary(), nullable=False),
        sa.Column("tail", sa.LargeBinary(), nullable=False),
        sa.Column("tail_deflated", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("published_pages")
