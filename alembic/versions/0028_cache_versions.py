"""cache versions

Revision ID: 0028
Revises: 0025
Create Date: 2026-12-04 23:00:00.000000

What only the import or a manager changes (opening hours, closures, limits) is kept in memory by
each process (models/cache.py); a version per area, bumped in the transaction of every write to its
tables, tells every process to read it again. No row: version 0 (the first bump inserts it).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0028"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cache_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_versions")),
    )


def downgrade() -> None:
    op.drop_table("cache_versions")
