"""bounded SQLite overlap triggers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 17:55:00.000000

On SQLite, the triggers refusing overlapping confirmed bookings looked at every earlier booking of
the machine (the index on machine and start was bounded on one side only): each new booking cost
more as the history grew (2 ms a booking at 2,000 bookings a machine). A booking lasts a day at
most (it lies in one opening interval), so only bookings starting in the day before can overlap: the
search is now bounded on both sides. The triggers also refuse a confirmed booking longer than a
day, the assumption the bound rests on. PostgreSQL's exclusion constraint is unchanged.
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SQLITE_OVERLAP_TRIGGERS = {"insert": "", "update": " AND b.id <> NEW.id"}


def create_triggers(bounded: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for event, condition in SQLITE_OVERLAP_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS bookings_no_overlap_{event}")
        if not bounded:  # as created by 0001
            op.execute(
                f"CREATE TRIGGER bookings_no_overlap_{event} BEFORE {event.upper()} ON bookings "
                f"WHEN NEW.status = 'confirmed' AND EXISTS (SELECT 1 FROM bookings b "
                f"WHERE b.machine_id = NEW.machine_id AND b.status = 'confirmed' "
                f"AND b.start_at < NEW.end_at AND b.end_at > NEW.start_at{condition}) "
                "BEGIN SELECT RAISE(ABORT, 'booking_overlap'); END"
            )
            continue
        # Times are stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): datetime() gives the same form
        # without the fraction, which sorts before any stored time of that second (inclusive bound).
        # The tolerance on the length absorbs julianday's floating point.
        op.execute(
            f"CREATE TRIGGER bookings_no_overlap_{event} BEFORE {event.upper()} ON bookings "
            "WHEN NEW.status = 'confirmed' AND ("
            "julianday(NEW.end_at) - julianday(NEW.start_at) > 1.00001 "
            "OR EXISTS (SELECT 1 FROM bookings b "
            "WHERE b.machine_id = NEW.machine_id AND b.status = 'confirmed' "
            "AND b.start_at >= datetime(NEW.start_at, '-1 day') "
            f"AND b.start_at < NEW.end_at AND b.end_at > NEW.start_at{condition})) "
            "BEGIN SELECT CASE "
            "WHEN julianday(NEW.end_at) - julianday(NEW.start_at) > 1.00001 "
            "THEN RAISE(ABORT, 'booking_too_long') "
            "ELSE RAISE(ABORT, 'booking_overlap') END; END"
        )


def upgrade() -> None:
    create_triggers(bounded=True)


def downgrade() -> None:
    create_triggers(bounded=False)
