"""manager changes and promotions

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 07:00:00.000000

The managers' tabs of the Mini App: every change recorded with who and when (manager_changes), and
members promoted to manager from the app, who stay managers whatever the settings say until demoted.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base
from alembic import op


revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "machine",
    "downtime",
    "hours",
    "closure_added",
    "closure_removed",
    "authorized",
    "revoked",
    "promoted",
    "demoted",
)


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promoted_at", models.base.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "manager_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "what",
            sa.Enum(*KINDS, name="manager_change_kind", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["members.id"], name=op.f("fk_manager_changes_manager_id_members"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_changes")),
    )
    with op.batch_alter_table("manager_changes", schema=None) as batch_op:
        batch_op.create_index("ix_manager_changes_at", ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_manager_changes_manager_id"), ["manager_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("manager_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manager_changes_manager_id"))
        batch_op.drop_index("ix_manager_changes_at")
    op.drop_table("manager_changes")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("promoted_at")
