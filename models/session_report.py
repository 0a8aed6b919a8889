"""The funders' activity report: the sessions held over a period, by type, without a name.

For each type of session (training, workshop, mediation, event): how many were held (not cancelled,
started in the period and by now), their hours, the participants (members with a seat, their erased
ones counted anonymously, guests added before, walk-ins) and how many came. Guests are counted by
age bracket and situation when the lab asks them (FABDESK_SESSION_GUEST_PROFILE). The French
« conseillers numériques » report asks for exactly these figures.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.session_guests import AgeBracket, Situation
from models.sessions import LabSession, SessionGuest, SessionKind, SignUp, SignUpStatus


@dataclass
class KindFigures:
    """One type of session's figures over the period."""

    sessions: int = 0
    hours: float = 0.0
    members: int = 0  # members who had a seat (erased ones included, counted without their names)
    guests: int = 0  # guests added before the session
    walk_ins: int = 0  # guests counted at the session
    members_attended: int = 0
    guests_attended: int = 0

    @property
    def participants(self) -> int:
        return self.members + self.guests + self.walk_ins

    @property
    def attended(self) -> int:
        return self.members_attended + self.guests_attended

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.participants if self.participants else None

    def add(self, other: KindFigures) -> None:
        for name in (
            "sessions",
            "hours",
            "members",
            "guests",
            "walk_ins",
            "members_attended",
            "guests_attended",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class ActivityReport:
    start: datetime
    end: datetime
    by_kind: dict[SessionKind, KindFigures] = field(default_factory=dict)
    cancelled: int = 0  # sessions planned in the period and cancelled
    ages: Counter[AgeBracket] = field(default_factory=Counter)  # guests, by age bracket (when asked)
    situations: Counter[Situation] = field(default_factory=Counter)

    @property
    def total(self) -> KindFigures:
        total = KindFigures()
        for figures in self.by_kind.values():
            total.add(figures)
        return total


async def activity_report(
    session: AsyncSession, start: datetime, end: datetime, now: datetime
) -> ActivityReport:
    """The sessions held between `start` and `end` (started before `now`), by type; see the module."""
    held_until = min(end, now)
    in_period = (LabSession.start_at >= start, LabSession.start_at < held_until)
    held = list(
        await session.scalars(
            select(LabSession)
            .where(*in_period, LabSession.cancelled_at.is_(None))
            .order_by(LabSession.start_at)
        )
    )
    report = ActivityReport(start, end)
    report.cancelled = (
        await session.scalar(
            select(func.count())
            .select_from(LabSession)
            .where(*in_period, LabSession.cancelled_at.is_not(None))
        )
        or 0
    )
    kind_of = {s.id: s.kind for s in held}
    for lab_session in held:
        figures = report.by_kind.setdefault(lab_session.kind, KindFigures())
        figures.sessions += 1
        figures.hours += (lab_session.end_at - lab_session.start_at).total_seconds() / 3600
        erased = lab_session.erased_attended + lab_session.erased_absent + lab_session.erased_unmarked
        figures.members += erased
        figures.members_attended += lab_session.erased_attended
    if not held:
        return report
    seats = await session.execute(
        select(SignUp.session_id, SignUp.attended, func.count())
        .where(SignUp.session_id.in_(kind_of), SignUp.status == SignUpStatus.SIGNED_UP)
        .group_by(SignUp.session_id, SignUp.attended)
    )
    for session_id, attended, count in seats:
        figures = report.by_kind[kind_of[session_id]]
        figures.members += count
        if attended:
            figures.members_attended += count
    guests = await session.execute(
        select(
            SessionGuest.session_id,
            SessionGuest.walk_in,
            SessionGuest.attended,
            SessionGuest.age_bracket,
            SessionGuest.situation,
            func.count(),
        )
        .where(SessionGuest.session_id.in_(kind_of))
        .group_by(
            SessionGuest.session_id,
            SessionGuest.walk_in,
            SessionGuest.attended,
            SessionGuest.age_bracket,
            SessionGuest.situation,
        )
    )
    for session_id, walk_in, attended, age, situation, count in guests:
        figures = report.by_kind[kind_of[session_id]]
        if walk_in:
            figures.walk_ins += count
        else:
            figures.guests += count
        if attended:
            figures.guests_attended += count
        if age is not None:
            report.ages[AgeBracket(age)] += count
        if situation is not None:
            report.situations[Situation(situation)] += count
    return report


CSV_COLUMNS = (
    "type",
    "sessions",
    "hours",
    "participants",
    "members",
    "guests",
    "walk_ins",
    "attended",
    "members_attended",
    "guests_attended",
    "attendance_rate",
)


def report_csv(report: ActivityReport) -> bytes:
    """The report as CSV for a funder's spreadsheet: a row per type of session and the total, then the
    guests by age bracket and by situation; stable English keys, no name."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["period_start", report.start.isoformat(), "period_end", report.end.isoformat()])
    writer.writerow(CSV_COLUMNS)
    rows = [(kind.value, report.by_kind[kind]) for kind in SessionKind if kind in report.by_kind]
    for name, figures in [*rows, ("total", report.total)]:
        rate = figures.attendance_rate
        writer.writerow(
            [
                name,
                figures.sessions,
                f"{figures.hours:.2f}",
                figures.participants,
                figures.members,
                figures.guests,
                figures.walk_ins,
                figures.attended,
                figures.members_attended,
                figures.guests_attended,
                f"{rate:.3f}" if rate is not None else "",
            ]
        )
    writer.writerow(["cancelled_sessions", report.cancelled])
    writer.writerow([])
    writer.writerow(["age_bracket", "guests"])
    writer.writerows([bracket.value, report.ages[bracket]] for bracket in AgeBracket)
    writer.writerow([])
    writer.writerow(["situation", "guests"])
    writer.writerows([situation.value, report.situations[situation]] for situation in Situation)
    return out.getvalue().encode("utf-8-sig")  # the BOM tells spreadsheets it is UTF-8
