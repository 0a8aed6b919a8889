"""outbox claims, expiry and subject; leases

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:40:00.000000

Several fabdesk processes may share one database: a process claims the outbox rows it sends
(claimed_by, claimed_until: a lease another process may take over once it has run out) and records
which process sent each (sent_by). Reminders now go through the outbox too: a row may expire
(expires_at: a reminder is not worth sending once its booking has started) and names what it is
about (subject, e.g. "booking:12"), so cancelling the booking withdraws it. A lease names the one
process that does a thing (polls Telegram) until when; the others stand by.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("until", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("since", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("claimed_until", models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sent_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("subject", sa.String(length=60), nullable=True))
        batch.create_index("ix_outbox_subject", ["subject"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_subject")
        for column in ("subject", "expires_at", "sent_by", "claimed_until", "claimed_by"):
            batch.drop_column(column)
    op.drop_table("leases")
