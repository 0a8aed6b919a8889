"""bookings made on behalf

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 19:40:00.000000

A fab manager may book for a member or for a guest / a workshop: the booking remembers who made it
(`booked_by_id`) and, for a guest, the label it is shown with (`guest_label`); a manager's question « for whom? » waits in `on_behalf_asks`. On SQLite, adding the
foreign key recreates the table, which drops its triggers: the overlap triggers are read before and
created again after, as they were.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite_triggers() -> list[tuple[str, str]]:
    """The bookings table's triggers (name, SQL) on SQLite; none elsewhere."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return []
    rows = bind.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'bookings'")
    )
    return [(row.name, row.sql) for row in rows]


def _restore(triggers: list[tuple[str, str]]) -> None:
    for name, sql in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(sql)


def upgrade() -> None:
    op.create_table(
        "on_behalf_asks",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("machine_id", sa.Integer(), nullable=False),
        sa.Column("start_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_on_behalf_asks_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["machine_id"],
            ["machines.id"],
            name=op.f("fk_on_behalf_asks_machine_id_machines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_on_behalf_asks")),
    )
    triggers = _sqlite_triggers()
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("booked_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("guest_label", sa.String(length=100), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_bookings_booked_by_id_members"),
            "members",
            ["booked_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _restore(triggers)


def downgrade() -> None:
    triggers = _sqlite_triggers()
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_bookings_booked_by_id_members"), type_="foreignkey")
        batch_op.drop_column("guest_label")
        batch_op.drop_column("booked_by_id")
    _restore(triggers)
    op.drop_table("on_behalf_asks")
