"""check-in and no-shows

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 18:00:00.000000

A booking remembers when its member checked in and when it was released as a no-show; a machine
says within how many minutes after a booking's start it must be checked in (0: never asked).
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_in_at", models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("no_show_at", models.base.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("machines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkin_minutes", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_machines_checkin_minutes_range"), "checkin_minutes >= 0 AND checkin_minutes <= 1440"
        )


def downgrade() -> None:
    with op.batch_alter_table("machines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_machines_checkin_minutes_range"), type_="check")
        batch_op.drop_column("checkin_minutes")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("no_show_at")
        batch_op.drop_column("checked_in_at")
