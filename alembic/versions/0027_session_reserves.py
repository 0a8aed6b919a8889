"""sessions reserve machines

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 22:55:00.000000

A session may reserve machines for its time: a planned downtime row that names the session
(downtimes.session_id, cancelled with it); the manager's draft remembers the machines chosen.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("downtimes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_downtimes_session_id_lab_sessions"),
            "lab_sessions",
            ["session_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index("ix_downtimes_session", ["session_id"], unique=False)
    with op.batch_alter_table("session_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reserved", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("session_drafts", schema=None) as batch_op:
        batch_op.drop_column("reserved")
    with op.batch_alter_table("downtimes", schema=None) as batch_op:
        batch_op.drop_index("ix_downtimes_session")
        batch_op.drop_constraint(op.f("fk_downtimes_session_id_lab_sessions"), type_="foreignkey")
        batch_op.drop_column("session_id")
