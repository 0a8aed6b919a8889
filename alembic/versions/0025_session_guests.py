"""session guests: public sessions take guests by name and contact, counted anonymously

Revision ID: 0025
Revises: 0029
Create Date: 2026-12-04 22:50:00

A session may be public (lab_sessions.public, and the draft's choice); its guests (session_guests)
take seats like members, or are walk-ins counted at attendance; their name and contact are erased
after the retention period, the row kept for the counts. A manager typing a guest keeps a row
(guest_inputs, one per manager).
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base
from alembic import op

revision: str = "0025"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lab_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("session_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public", sa.Boolean(), nullable=True))
    op.create_table(
        "session_guests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=True),
        sa.Column("contact", sa.String(length=120), nullable=True),
        sa.Column("age_bracket", sa.String(length=12), nullable=True),
        sa.Column("situation", sa.String(length=12), nullable=True),
        sa.Column("walk_in", sa.Boolean(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("erased_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["members.id"], name=op.f("fk_session_guests_added_by_id_members"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["lab_sessions.id"],
            name=op.f("fk_session_guests_session_id_lab_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_guests")),
    )
    with op.batch_alter_table("session_guests", schema=None) as batch_op:
        batch_op.create_index("ix_session_guests_session", ["session_id"], unique=False)
    op.create_table(
        "guest_inputs",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_guest_inputs_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["lab_sessions.id"],
            name=op.f("fk_guest_inputs_session_id_lab_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_guest_inputs")),
    )


def downgrade() -> None:
    op.drop_table("guest_inputs")
    with op.batch_alter_table("session_guests", schema=None) as batch_op:
        batch_op.drop_index("ix_session_guests_session")
    op.drop_table("session_guests")
    with op.batch_alter_table("session_drafts", schema=None) as batch_op:
        batch_op.drop_column("public")
    with op.batch_alter_table("lab_sessions", schema=None) as batch_op:
        batch_op.drop_column("public")
