"""kind limits in the record of changes

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 20:10:00.000000

Managers set a machine kind's limits (the inventory file's top-level `quotas:`) from the Mini App
too: the record of changes gains the kind "kind_limits" (the CHECK on manager_changes.what).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The kinds the record took before (0011, 0012), and the one it gains.
KINDS = tuple(
    "machine downtime hours closure_added closure_removed authorized revoked promoted demoted"
    " restocked counted minimum updated".split()
)
NEW_KINDS = ("kind_limits",)


def _change_kinds(held: Sequence[str], wanted: Sequence[str]) -> None:
    """Let manager_changes.what take the `wanted` kinds (a CHECK: SQLite rebuilds the table)."""

    def kinds(values: Sequence[str]) -> sa.Enum:
        return sa.Enum(
            *values, name="manager_change_kind", native_enum=False, create_constraint=True, length=24
        )

    with op.batch_alter_table("manager_changes", schema=None) as batch_op:
        batch_op.alter_column("what", existing_type=kinds(held), type_=kinds(wanted), existing_nullable=False)


def upgrade() -> None:
    _change_kinds(KINDS, KINDS + NEW_KINDS)


def downgrade() -> None:
    # The kinds' limits themselves stay (they are in the quotas table); only their record goes.
    op.execute(sa.text("DELETE FROM manager_changes WHERE what = 'kind_limits'"))
    _change_kinds(KINDS + NEW_KINDS, KINDS)
