"""outbox message id

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:30:00.000000

The outbox remembers which Telegram message each row became, so a message whose question no
longer stands (a join request its member withdrew) can be edited where the owners read it.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("message_id")
