"""Members' personal data: what is kept, a full export, erasure on request, and retention.

Erasure anonymises rather than deletes where the lab must keep its records: bookings stay (hours
per machine), tickets and their history stay (the maintenance log), stock movements stay (the
stock must add up). Everything that says who the person was goes: names, username, Telegram id,
the text and photos of their reports, their drafts and questions, their authorizations, their
project memberships, and the messages to or about them still in the outbox.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models import feeds
from models.base import clear_pending
from models.bookings import Booking, BookingStatus
from models.machines import Authorization, Machine, TrainingRequest
from models.maintenance import Report, Ticket, TicketEvent
from models.members import Member, Role
from models.outbox import OutboxMessage
from models.projects import (
    MAX_NAME,
    ChatJoinRequest,
    Meeting,
    Project,
    ProjectMember,
    ProjectStatus,
)
from models.projects import (
    Role as ProjectRole,
)
from models.stock import Consumable, StockMovement
from models.updates import UpdateCheck, UpdateItem
from models.waitlist import WaitlistEntry

ERASED_NAME = "—"  # what an anonymised member is called wherever a name used to be
ERASED_TEXT = "[erased]"


class ErasureReason(enum.StrEnum):
    REQUEST = "request"  # the member asked (/forgetme)
    RETENTION = "retention"  # inactive longer than the lab keeps data


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_member_data(session: AsyncSession, member: Member) -> dict[str, Any]:
    """Everything fabdesk stores about the member, as plain data (for a JSON file)."""
    bookings = await session.scalars(
        select(Booking)
        .options(selectinload(Booking.machine))
        .where(Booking.member_id == member.id)
        .order_by(Booking.start_at)
    )
    reports = await session.scalars(
        select(Report).where(Report.reporter_id == member.id).order_by(Report.created_at)
    )
    tickets = {t.id: t for t in await session.scalars(select(Ticket).options(selectinload(Ticket.machine)))}
    authorizations = await session.scalars(select(Authorization).where(Authorization.member_id == member.id))
    machines = {m.id: m.name for m in await session.scalars(select(Machine))}
    requests = await session.scalars(select(TrainingRequest).where(TrainingRequest.member_id == member.id))
    memberships = await session.scalars(
        select(ProjectMember)
        .options(selectinload(ProjectMember.project))
        .where(ProjectMember.member_id == member.id)
    )
    movements = await session.scalars(
        select(StockMovement).where(StockMovement.member_id == member.id).order_by(StockMovement.at)
    )
    consumables = {c.id: c for c in await session.scalars(select(Consumable))}
    events = await session.scalars(
        select(TicketEvent).where(TicketEvent.actor_id == member.id).order_by(TicketEvent.at)
    )
    checks = await session.scalars(
        select(UpdateCheck).where(UpdateCheck.member_id == member.id).order_by(UpdateCheck.at)
    )
    items = {i.id: i.name for i in await session.scalars(select(UpdateItem))}
    waiting = await session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.member_id == member.id).order_by(WaitlistEntry.created_at)
    )
    feed = await feeds.feed_of(session, member)
    return {
        "profile": {
            "telegram_id": member.telegram_id,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "username": member.username,
            "language_chosen": member.language,
            "telegram_language": member.telegram_language,
            "role": member.role.value,
            "first_seen": _iso(member.created_at),
            "last_seen": _iso(member.last_seen_at),
            "blocked_the_bot_at": _iso(member.blocked_at),
        },
        "bookings": [
            {
                "machine": b.machine.name,
                "start": _iso(b.start_at),
                "end": _iso(b.end_at),
                "status": b.status.value,
                "booked_at": _iso(b.created_at),
                "cancelled_at": _iso(b.cancelled_at),
                "reminded_at": _iso(b.reminded_at),
            }
            for b in bookings
        ],
        "reports": [
            {
                "ticket": r.ticket_id,
                "machine": tickets[r.ticket_id].machine.name if r.ticket_id in tickets else None,
                "severity": r.severity.value,
                "description": r.description,
                "photos": len(r.photo_ids),
                "at": _iso(r.created_at),
            }
            for r in reports
        ],
        "authorizations": [
            {
                "machine": machines.get(a.machine_id) if a.machine_id else None,
                "kind": a.machine_kind,
                "at": _iso(a.granted_at),
            }
            for a in authorizations
        ],
        "training_requests": [
            {
                "machine": machines.get(t.machine_id),
                "at": _iso(t.requested_at),
                "granted_at": _iso(t.granted_at),
            }
            for t in requests
        ],
        "projects": [
            {
                "project": m.project.name,
                "role": m.role.value,
                "status": m.status.value,
                "requested_at": _iso(m.requested_at),
                "joined_at": _iso(m.joined_at),
            }
            for m in memberships
        ],
        "stock_movements": [
            {
                "consumable": consumables[s.consumable_id].name if s.consumable_id in consumables else None,
                "change": str(s.delta),
                "unit": consumables[s.consumable_id].unit if s.consumable_id in consumables else None,
                "reason": s.reason.value,
                "at": _iso(s.at),
            }
            for s in movements
        ],
        "ticket_actions": [
            {"ticket": e.ticket_id, "what": e.kind.value, "note": e.note, "at": _iso(e.at)} for e in events
        ],
        "update_checks": [
            {
                "item": items.get(c.item_id),
                "what": c.action.value,
                "version": c.version_after,
                "at": _iso(c.at),
            }
            for c in checks
        ],
        "waitlist": [
            {
                "machine": machines.get(w.machine_id),
                "day": w.day.isoformat(),
                "since": _iso(w.created_at),
                "offered_at": _iso(w.notified_at),
                "done_at": _iso(w.done_at),
            }
            for w in waiting
        ],
        # The link itself is a secret: the export says it exists, not what it is.
        "calendar_link": None
        if feed is None
        else {"created_at": _iso(feed.created_at), "last_used_at": _iso(feed.last_used_at)},
    }


@dataclass
class Erased:
    """What erasure did: kept anonymised for the lab's records, and removed."""

    bookings_kept: int = 0
    bookings_cancelled: int = 0
    reports_kept: int = 0
    movements_kept: int = 0
    removed: list[str] = field(default_factory=list)


async def erase_member(session: AsyncSession, member: Member, reason: ErasureReason, now: datetime) -> Erased:
    """Erase the member's personal data, keeping what the lab's records need, anonymised."""
    done = Erased()
    telegram_id = member.telegram_id
    # What identifies the member, or is their own words, wherever it was copied.
    traces = {member.display_name, _who(member), member.first_name}
    if member.username:
        traces.add(f"@{member.username}")
    # Upcoming bookings are cancelled (the slot is freed); past ones stay for the statistics.
    for booking in await session.scalars(
        select(Booking).where(
            Booking.member_id == member.id, Booking.status == BookingStatus.CONFIRMED, Booking.start_at > now
        )
    ):
        booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
        done.bookings_cancelled += 1
    done.bookings_kept = len(
        list(await session.scalars(select(Booking.id).where(Booking.member_id == member.id)))
    )
    for report in await session.scalars(select(Report).where(Report.reporter_id == member.id)):
        traces.add(report.description)
        traces.update(report.photo_ids)
        ticket = await session.get(Ticket, report.ticket_id)
        if ticket is not None and ticket.title == report.description.splitlines()[0][:200]:
            ticket.title = ERASED_TEXT  # the ticket was named after their words
        report.description, report.photo_ids = ERASED_TEXT, []
        done.reports_kept += 1
    for movement in await session.scalars(select(StockMovement).where(StockMovement.member_id == member.id)):
        movement.note = ""
        done.movements_kept += 1
    await clear_pending(session, member.id)
    await session.execute(delete(Authorization).where(Authorization.member_id == member.id))
    await session.execute(delete(TrainingRequest).where(TrainingRequest.member_id == member.id))
    await session.execute(delete(WaitlistEntry).where(WaitlistEntry.member_id == member.id))
    await feeds.revoke_feed(session, member)
    await _leave_projects(session, member, now, traces)
    await session.execute(delete(ChatJoinRequest).where(ChatJoinRequest.telegram_user_id == telegram_id))
    await _scrub_outbox(session, member, telegram_id, traces)
    done.removed = [
        "profile",
        "reports' text and photos",
        "authorizations",
        "project memberships",
        "waitlist",
        "calendar link",
        "pending messages",
    ]
    # The member row stays (bookings and history point to it) but no longer says who it was.
    member.first_name, member.last_name, member.username = ERASED_NAME, None, None
    member.language, member.telegram_language, member.blocked_at = None, None, None
    member.telegram_id = -member.id  # free: the same person writing again starts as a new member
    member.role = Role.MEMBER
    member.erased_at, member.erased_reason = now, reason.value
    await session.flush()
    return done


def _who(member: Member) -> str:
    return member.display_name + (f" (@{member.username})" if member.username else "")


async def _leave_projects(session: AsyncSession, member: Member, now: datetime, traces: set[str]) -> None:
    """Drop the member's project memberships; a project left without owners is archived.

    The projects they created stay (other members work in them) but lose their name where the
    title or description carried it ("Alice's club")."""
    memberships = list(
        await session.scalars(
            select(ProjectMember)
            .options(selectinload(ProjectMember.project))
            .where(ProjectMember.member_id == member.id)
        )
    )
    for membership in memberships:
        project = membership.project
        await session.delete(membership)
        await session.flush()
        if membership.role is ProjectRole.OWNER and project.status is ProjectStatus.ACTIVE:
            others = await session.scalar(
                select(ProjectMember.id).where(
                    ProjectMember.project_id == project.id, ProjectMember.role == ProjectRole.OWNER
                )
            )
            if others is None:
                project.status, project.archived_at = ProjectStatus.ARCHIVED, now
    for project in await session.scalars(select(Project).where(Project.created_by_id == member.id)):
        project.created_by_id = None
        project.description = _scrub(project.description, traces)
        name = _scrub(project.name, traces)
        if name != project.name:
            taken = await session.scalar(
                select(Project.id).where(func.lower(Project.name) == name.lower(), Project.id != project.id)
            )
            suffix = "" if taken is None else f" #{project.id}"
            project.name = name[: MAX_NAME - len(suffix)] + suffix
    for meeting in await session.scalars(select(Meeting).where(Meeting.created_by_id == member.id)):
        meeting.created_by_id = None


def _scrub(value: Any, traces: set[str]) -> Any:
    """The value without the member's traces: their words or names replaced, their photos dropped."""
    if isinstance(value, str):
        if value in traces:
            return ERASED_NAME
        for trace in sorted(traces, key=len, reverse=True):
            if len(trace) > 2 and trace in value:
                value = value.replace(trace, ERASED_NAME)
        return value
    if isinstance(value, list):
        return [_scrub(item, traces) for item in value if not (isinstance(item, str) and item in traces)]
    if isinstance(value, dict):
        return {key: _scrub(item, traces) for key, item in value.items()}
    return value


async def _scrub_outbox(session: AsyncSession, member: Member, telegram_id: int, traces: set[str]) -> None:
    """Messages to the member go; messages about them (to managers, owners) lose their traces."""
    await session.execute(
        delete(OutboxMessage).where(
            or_(OutboxMessage.member_id == member.id, OutboxMessage.chat_id == telegram_id)
        )
    )
    for message in await session.scalars(select(OutboxMessage)):
        scrubbed = _scrub(message.payload, traces)
        if scrubbed != message.payload:
            message.payload = scrubbed


async def anonymise_inactive(session: AsyncSession, months: int, now: datetime) -> int:
    """Erase members inactive for `months` (managers excepted); return how many."""
    if months <= 0:
        return 0
    cutoff = now - timedelta(days=round(months * 30.44))
    stale = list(
        await session.scalars(
            select(Member).where(
                Member.last_seen_at < cutoff,
                Member.erased_at.is_(None),
                Member.role != Role.MANAGER,
            )
        )
    )
    for member in stale:
        await erase_member(session, member, ErasureReason.RETENTION, now)
    return len(stale)


async def erased_since(session: AsyncSession, since: datetime, reason: ErasureReason) -> int:
    rows = await session.scalars(
        select(Member.id).where(Member.erased_at >= since, Member.erased_reason == reason.value)
    )
    return len(list(rows))
