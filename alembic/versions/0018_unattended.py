"""unattended runs, and members shown as helpers

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-04 19:30:00.000000

A machine may run unattended: a booking of it may start in the opening hours and continue past
closing time, up to `unattended_max_minutes` (0: it may not). A booking remembers when its member
was told, at its start, to check in. A member may agree (and when is kept) to be named as someone
who can help on the machines they are trained on.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base

from alembic import op

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("machines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unattended_max_minutes", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_machines_unattended_max_minutes_range"),
            "unattended_max_minutes >= 0 AND unattended_max_minutes <= 1440",
        )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checkin_asked_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shown_as_helper_since", models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("shown_as_helper_since")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("checkin_asked_at")
    with op.batch_alter_table("machines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_machines_unattended_max_minutes_range"), type_="check")
        batch_op.drop_column("unattended_max_minutes")
