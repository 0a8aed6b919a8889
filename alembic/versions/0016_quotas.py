"""quotas and notice

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:20:48.692427

Quotas and notice: per machine, or per machine kind for the machines without their own value, the
hours a member may book a day and a week, the bookings they may hold, the notice before a start,
and the cancellation deadline after which cancelling counts as a no-show (all optional).
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.base
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('quotas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=True),
    sa.Column('machine_kind', sa.Enum('3d_printer', 'laser_cutter', 'cnc', 'pc', 'electronics_bench', 'other', name='quota_kind', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('max_minutes_per_day', sa.Integer(), nullable=True),
    sa.Column('max_minutes_per_week', sa.Integer(), nullable=True),
    sa.Column('max_upcoming', sa.Integer(), nullable=True),
    sa.Column('notice_minutes', sa.Integer(), nullable=True),
    sa.Column('cancel_deadline_minutes', sa.Integer(), nullable=True),
    sa.CheckConstraint('(machine_id IS NULL) <> (machine_kind IS NULL)', name=op.f('ck_quotas_machine_or_kind')),
    sa.CheckConstraint('cancel_deadline_minutes IS NULL OR (cancel_deadline_minutes > 0 AND cancel_deadline_minutes <= 40320)', name=op.f('ck_quotas_cancel_deadline_minutes_range')),
    sa.CheckConstraint('max_minutes_per_day IS NULL OR (max_minutes_per_day > 0 AND max_minutes_per_day <= 40320)', name=op.f('ck_quotas_max_minutes_per_day_range')),
    sa.CheckConstraint('max_minutes_per_week IS NULL OR (max_minutes_per_week > 0 AND max_minutes_per_week <= 40320)', name=op.f('ck_quotas_max_minutes_per_week_range')),
    sa.CheckConstraint('max_upcoming IS NULL OR (max_upcoming > 0 AND max_upcoming <= 100)', name=op.f('ck_quotas_max_upcoming_range')),
    sa.CheckConstraint('notice_minutes IS NULL OR (notice_minutes > 0 AND notice_minutes <= 40320)', name=op.f('ck_quotas_notice_minutes_range')),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_quotas_machine_id_machines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotas')),
    sa.UniqueConstraint('machine_id', name=op.f('uq_quotas_machine_id')),
    sa.UniqueConstraint('machine_kind', name=op.f('uq_quotas_machine_kind'))
    )


def downgrade() -> None:
    op.drop_table('quotas')
