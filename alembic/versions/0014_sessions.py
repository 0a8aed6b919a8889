"""sessions: trainings, workshops, mediation sessions and events with sign-up

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:20:09.868069

A session has seats and a minimum number of participants; members sign up, or wait on its
waitlist; a manager planning one in the chat keeps a draft (one row per manager).
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lab_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "training",
                "workshop",
                "mediation",
                "event",
                name="session_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("start_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("machine_id", sa.Integer(), nullable=True),
        sa.Column(
            "machine_kind",
            sa.Enum(
                "3d_printer",
                "laser_cutter",
                "cnc",
                "pc",
                "electronics_bench",
                "other",
                name="session_machine_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("cancelled_automatically", sa.Boolean(), nullable=False),
        sa.Column("minimum_checked_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_lab_sessions_end_after_start")),
        sa.CheckConstraint(
            "machine_id IS NULL OR machine_kind IS NULL", name=op.f("ck_lab_sessions_machine_or_kind")
        ),
        sa.CheckConstraint(
            "minimum >= 0 AND minimum <= seats", name=op.f("ck_lab_sessions_minimum_within_seats")
        ),
        sa.CheckConstraint("seats >= 1", name=op.f("ck_lab_sessions_seats_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["members.id"],
            name=op.f("fk_lab_sessions_created_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["machine_id"],
            ["machines.id"],
            name=op.f("fk_lab_sessions_machine_id_machines"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_sessions")),
    )
    with op.batch_alter_table("lab_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_lab_sessions_start", ["start_at"], unique=False)

    op.create_table(
        "session_drafts",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "training",
                "workshop",
                "mediation",
                "event",
                name="session_draft_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("machine_id", sa.Integer(), nullable=True),
        sa.Column(
            "machine_kind",
            sa.Enum(
                "3d_printer",
                "laser_cutter",
                "cnc",
                "pc",
                "electronics_bench",
                "other",
                name="session_draft_machine_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("start_minute", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("minimum", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["machine_id"],
            ["machines.id"],
            name=op.f("fk_session_drafts_machine_id_machines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_session_drafts_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_session_drafts")),
    )
    op.create_table(
        "session_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "signed_up",
                "waitlisted",
                "cancelled",
                name="signup_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("queued_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("promoted_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("attendance_marked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attendance_marked_by_id"],
            ["members.id"],
            name=op.f("fk_session_signups_attendance_marked_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_session_signups_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["lab_sessions.id"],
            name=op.f("fk_session_signups_session_id_lab_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_signups")),
        sa.UniqueConstraint("session_id", "member_id", name=op.f("uq_session_signups_session_member")),
    )
    with op.batch_alter_table("session_signups", schema=None) as batch_op:
        batch_op.create_index("ix_session_signups_member", ["member_id"], unique=False)
        batch_op.create_index(
            "ix_session_signups_session_status", ["session_id", "status", "queued_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("session_signups", schema=None) as batch_op:
        batch_op.drop_index("ix_session_signups_session_status")
        batch_op.drop_index("ix_session_signups_member")

    op.drop_table("session_signups")
    op.drop_table("session_drafts")
    with op.batch_alter_table("lab_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_lab_sessions_start")

    op.drop_table("lab_sessions")
