"""instructors

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-04 22:50:00.000000

Managers promote members as instructors for given machines or kinds (`instructor_roles`); a session
records who runs it (`lab_sessions.instructor_id`), its planner for the sessions planned before.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base

from alembic import op

revision: str = "0026"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("3d_printer", "laser_cutter", "cnc", "pc", "electronics_bench", "other")


def upgrade() -> None:
    op.create_table(
        "instructor_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("machine_id", sa.Integer(), nullable=True),
        sa.Column(
            "machine_kind",
            sa.Enum(*KINDS, name="instructor_kind", native_enum=False, create_constraint=True, length=24),
            nullable=True,
        ),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(machine_id IS NULL) <> (machine_kind IS NULL)", name=op.f("ck_instructor_roles_machine_or_kind")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["members.id"],
            name=op.f("fk_instructor_roles_granted_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["machine_id"],
            ["machines.id"],
            name=op.f("fk_instructor_roles_machine_id_machines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_instructor_roles_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instructor_roles")),
        sa.UniqueConstraint("member_id", "machine_id", name=op.f("uq_instructor_roles_member_machine")),
        sa.UniqueConstraint("member_id", "machine_kind", name=op.f("uq_instructor_roles_member_kind")),
    )
    with op.batch_alter_table("instructor_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instructor_roles_member_id"), ["member_id"], unique=False)
    with op.batch_alter_table("lab_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("instructor_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_lab_sessions_instructor_id_members"),
            "members",
            ["instructor_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute("UPDATE lab_sessions SET instructor_id = created_by_id")


def downgrade() -> None:
    with op.batch_alter_table("lab_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_lab_sessions_instructor_id_members"), type_="foreignkey")
        batch_op.drop_column("instructor_id")
    with op.batch_alter_table("instructor_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instructor_roles_member_id"))
    op.drop_table("instructor_roles")
