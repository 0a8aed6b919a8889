"""manager changes by target, and the consumables' and update register's changes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 14:00:00.000000

An index on manager_changes (what, target_id): the changes about one member (privacy, erasure) are
found without reading the whole record. The record's kinds gain the changes the Mini App's
Consumables and Updates tabs make: restocked, counted, minimum, updated (a CHECK on the column).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
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
NEW_KINDS = ("restocked", "counted", "minimum", "updated")


def _kinds(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name="manager_change_kind", native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    with op.batch_alter_table("manager_changes", schema=None) as batch_op:
        batch_op.alter_column(
            "what", existing_type=_kinds(KINDS), type_=_kinds(KINDS + NEW_KINDS), existing_nullable=False
        )
        batch_op.create_index("ix_manager_changes_what_target", ["what", "target_id"], unique=False)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM manager_changes WHERE what IN ('restocked', 'counted', 'minimum', 'updated')"))
    with op.batch_alter_table("manager_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_manager_changes_what_target")
        batch_op.alter_column(
            "what", existing_type=_kinds(KINDS + NEW_KINDS), type_=_kinds(KINDS), existing_nullable=False
        )
