"""a sign-up remembers the authorization its attendance granted

Revision ID: 0029
Revises: 0027
Create Date: 2026-12-04 23:15:00.000000

Undoing a mis-tapped « present » at a training withdraws the authorization that tap granted (and
only that one): session_signups.granted_authorization_id says which.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0029"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("session_signups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("granted_authorization_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_session_signups_granted_authorization_id_authorizations"),
            "authorizations",
            ["granted_authorization_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("session_signups", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_session_signups_granted_authorization_id_authorizations"), type_="foreignkey"
        )
        batch_op.drop_column("granted_authorization_id")
