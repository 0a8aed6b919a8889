"""trainings that expire, and withdrawing one with a reason

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:30:00.000000

A machine says how many months a training on it is valid, and after how many months without a
booking it lapses (NULL: never). An authorization remembers its latest use, the expiry each warning
(30 and 7 days before) was sent for, and why it was withdrawn; a manager's typed reason waits in
revoke_reason_inputs.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("machines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("training_valid_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("training_lapse_months", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_machines_training_valid_months_range"),
            "training_valid_months IS NULL OR (training_valid_months >= 1 AND training_valid_months <= 120)",
        )
        batch_op.create_check_constraint(
            op.f("ck_machines_training_lapse_months_range"),
            "training_lapse_months IS NULL OR (training_lapse_months >= 1 AND training_lapse_months <= 120)",
        )
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoke_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("warned_30_for", models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("warned_7_for", models.base.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "revoke_reason_inputs",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("authorization_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_revoke_reason_inputs_authorization_id_authorizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_revoke_reason_inputs_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_revoke_reason_inputs")),
    )


def downgrade() -> None:
    op.drop_table("revoke_reason_inputs")
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_column("warned_7_for")
        batch_op.drop_column("warned_30_for")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("revoke_reason")
    with op.batch_alter_table("machines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_machines_training_lapse_months_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_machines_training_valid_months_range"), type_="check")
        batch_op.drop_column("training_lapse_months")
        batch_op.drop_column("training_valid_months")
