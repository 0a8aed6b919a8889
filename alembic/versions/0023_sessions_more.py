"""sessions, more: training requests answered with a session or a reason, erased participants
counted, weekly repeats

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 20:15:00

A training request may be declined (with its reason) or answered with a training session; a manager
typing a decline reason keeps a row (one per manager). A session counts the participants whose data
was erased (attended, absent, unmarked) so its attendance figures survive their erasure, and points
to the session it repeats weekly.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("training_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declined_at", models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decline_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("proposed_session_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answered_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_training_requests_proposed_session_id_lab_sessions"),
            "lab_sessions",
            ["proposed_session_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            op.f("fk_training_requests_answered_by_id_members"),
            "members",
            ["answered_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("lab_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_attended", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("erased_absent", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("erased_unmarked", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("repeats_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_lab_sessions_repeats_id_lab_sessions"),
            "lab_sessions",
            ["repeats_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "decline_reasons",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_decline_reasons_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["training_requests.id"],
            name=op.f("fk_decline_reasons_request_id_training_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_decline_reasons")),
    )


def downgrade() -> None:
    op.drop_table("decline_reasons")
    with op.batch_alter_table("lab_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_lab_sessions_repeats_id_lab_sessions"), type_="foreignkey")
        batch_op.drop_column("repeats_id")
        batch_op.drop_column("erased_unmarked")
        batch_op.drop_column("erased_absent")
        batch_op.drop_column("erased_attended")
    with op.batch_alter_table("training_requests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_training_requests_answered_by_id_members"), type_="foreignkey")
        batch_op.drop_constraint(
            op.f("fk_training_requests_proposed_session_id_lab_sessions"), type_="foreignkey"
        )
        batch_op.drop_column("answered_by_id")
        batch_op.drop_column("proposed_session_id")
        batch_op.drop_column("decline_reason")
        batch_op.drop_column("declined_at")
