"""authorization revocations and member search

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:40:00.000000

A manager withdraws an authorization: the row stays, with when and by whom (authorizing again adds
a new row). A manager looking for a member types the name next: one pending row per manager.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_authorizations_revoked_by_id_members"),
            "members",
            ["revoked_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "member_searches",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_searches_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_searches")),
    )


def downgrade() -> None:
    op.drop_table("member_searches")
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_authorizations_revoked_by_id_members"), type_="foreignkey")
        batch_op.drop_column("revoked_by_id")
        batch_op.drop_column("revoked_at")
