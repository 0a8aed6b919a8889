"""Members' personal data: what is kept, a full export, erasure on request, and retention.

Erasure anonymises rather than deletes where the lab must keep its records: bookings stay (hours
per machine), tickets and their history stay (the maintenance log), stock movements stay (the
stock must add up). Everything that says who the person was goes: names, username, Telegram id,
the text and photos of their reports, their drafts and questions, their authorizations, their
project memberships, their waitlist places and calendar link, the messages to or about them still
in the outbox (and the content of the messages already sent, to anyone).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, delete, func, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models import audit, feeds, instructors, session_guests, sessions, waitlist
from models.base import PENDING_TABLES, Base, clear_pending
from models.bookings import Booking, BookingStatus
from models.downtime import Downtime
from models.machines import Authorization, Machine, TrainingRequest, expiry_among, machines_covered
from models.maintenance import Report, ReportDraft, Ticket, TicketEvent
from models.members import Member, Role
from models.outbox import OutboxMessage
from models.projects import (
    MAX_NAME,
    ChatJoinRequest,
    Meeting,
    Project,
    ProjectDraft,
    ProjectMember,
    ProjectStatus,
    close_project,
    get_project,
)
from models.projects import (
    Role as ProjectRole,
)
from models.scrub import Traces, fold_term
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


PHOTOS_NOTE = (
    "photo_ids are Telegram's references to the photos you sent: /mydata sends the photos back to you "
    "in the chat, right after this file; the lab's team can fetch them too (Bot API getFile)."
)


# What messages to the member say about someone else (who asked to join her project, who reported a
# fault to her as a manager, in their words): theirs, not hers, so not in her export.
OTHER_PEOPLE = frozenset({"member", "reporter", "name", "user_id", "description"})


def _value(value: Any) -> Any:
    """A column's value as plain JSON data."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def _plain(row: Base) -> dict[str, Any]:
    """Every column of the row but the member's own id (for the questions in progress)."""
    return {
        column.key: _value(getattr(row, column.key))
        for column in inspect(type(row)).columns
        if column.key != "member_id"
    }


async def export_member_data(session: AsyncSession, member: Member) -> dict[str, Any]:
    """Everything fabdesk stores about the member, as plain data (for a JSON file).

    tests/test_privacy_export.py checks that every row pointing to the member is in it."""
    bookings = await session.scalars(
        select(Booking)
        .options(selectinload(Booking.machine))
        .where(Booking.member_id == member.id)
        .order_by(Booking.start_at)
    )
    booked_for_others = await session.scalars(
        select(Booking)
        .options(selectinload(Booking.machine))
        .where(Booking.booked_by_id == member.id, Booking.member_id != member.id)
        .order_by(Booking.start_at)
    )
    reports = await session.scalars(
        select(Report).where(Report.reporter_id == member.id).order_by(Report.created_at)
    )
    tickets = {t.id: t for t in await session.scalars(select(Ticket).options(selectinload(Ticket.machine)))}
    authorizations = list(
        await session.scalars(
            select(Authorization)
            .where(Authorization.member_id == member.id)
            .order_by(Authorization.granted_at, Authorization.id)
        )
    )
    covered = await machines_covered(session, authorizations)
    granted = await session.scalars(
        select(Authorization)
        .where(Authorization.granted_by_id == member.id)
        .order_by(Authorization.granted_at)
    )
    withdrew = await session.scalars(
        select(Authorization)
        .where(Authorization.revoked_by_id == member.id)
        .order_by(Authorization.revoked_at)
    )
    machines = {m.id: m.name for m in await session.scalars(select(Machine))}
    requests = await session.scalars(select(TrainingRequest).where(TrainingRequest.member_id == member.id))
    answered = await session.scalars(
        select(TrainingRequest)
        .where(TrainingRequest.answered_by_id == member.id)
        .order_by(TrainingRequest.requested_at)
    )
    memberships = await session.scalars(
        select(ProjectMember)
        .options(selectinload(ProjectMember.project))
        .where(ProjectMember.member_id == member.id)
    )
    decisions = await session.scalars(
        select(ProjectMember)
        .options(selectinload(ProjectMember.project))
        .where(ProjectMember.decided_by_id == member.id)
        .order_by(ProjectMember.decided_at)
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
    join_requests = await session.scalars(
        select(ChatJoinRequest)
        .where(ChatJoinRequest.telegram_user_id == member.telegram_id)
        .order_by(ChatJoinRequest.created_at)
    )
    requests_decided = await session.scalars(
        select(ChatJoinRequest)
        .where(ChatJoinRequest.decided_by_id == member.id)
        .order_by(ChatJoinRequest.decided_at)
    )
    projects_by_id = {p.id: p.name for p in await session.scalars(select(Project))}
    created = await session.scalars(
        select(Project).where(Project.created_by_id == member.id).order_by(Project.created_at)
    )
    meetings = await session.scalars(
        select(Meeting).where(Meeting.created_by_id == member.id).order_by(Meeting.starts_at)
    )
    assigned = await session.scalars(
        select(Ticket).options(selectinload(Ticket.machine)).where(Ticket.assignee_id == member.id)
    )
    downtimes = await session.scalars(
        select(Downtime).where(Downtime.created_by_id == member.id).order_by(Downtime.start_at)
    )
    messages = await session.scalars(
        select(OutboxMessage)
        .where(or_(OutboxMessage.member_id == member.id, OutboxMessage.chat_id == member.telegram_id))
        .order_by(OutboxMessage.id)
    )
    # Messages to others acting on her (letting her into a project's group): their payload names her id.
    actions = [
        m
        for m in await session.scalars(
            select(OutboxMessage)
            .where(cast(OutboxMessage.payload, String).like(f"%{member.telegram_id}%"))
            .order_by(OutboxMessage.id)
        )
        if m.payload.get("user_id") == member.telegram_id
    ]
    made = await audit.changes_by(session, member.id)
    about_member = await audit.changes_about_member(session, member.id)
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
            "promoted_to_manager_at": _iso(member.promoted_at),
            "shown_as_helper_since": _iso(member.shown_as_helper_since),
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
                "asked_what_you_used_at": _iso(b.usage_asked_at),
                "affected_by_ticket": b.affected_ticket_id,
                "affected_by_downtime": b.affected_downtime_id,
                "booked_by_a_manager": b.booked_by_id is not None and b.booked_by_id != member.id,
                "for_a_guest_or_workshop": b.guest_label,
            }
            for b in bookings
        ],
        "bookings_you_made_for_others": [
            {
                "machine": b.machine.name,
                "start": _iso(b.start_at),
                "end": _iso(b.end_at),
                "booked_at": _iso(b.created_at),
            }
            for b in booked_for_others
        ],
        "reports": [
            {
                "ticket": r.ticket_id,
                "machine": tickets[r.ticket_id].machine.name if r.ticket_id in tickets else None,
                "severity": r.severity.value,
                "description": r.description,
                "photo_ids": list(r.photo_ids),
                "at": _iso(r.created_at),
            }
            for r in reports
        ],
        "about_photos": PHOTOS_NOTE,
        "authorizations": [
            {
                "machine": machines.get(a.machine_id) if a.machine_id else None,
                "kind": a.machine_kind,
                "at": _iso(a.granted_at),
                "expires_at": _iso(expiry_among(a, covered)),
                "last_used_at": _iso(a.last_used_at),
                "revoked_at": _iso(a.revoked_at),
                "revoke_reason": a.revoke_reason,
            }
            for a in authorizations
        ],
        "authorizations_you_granted": [
            {
                "machine": machines.get(a.machine_id) if a.machine_id else None,
                "kind": a.machine_kind,
                "at": _iso(a.granted_at),
            }
            for a in granted
        ],
        "authorizations_you_withdrew": [
            {
                "machine": machines.get(a.machine_id) if a.machine_id else None,
                "machine_id": a.machine_id,
                "kind": a.machine_kind,
                "at": _iso(a.revoked_at),
            }
            for a in withdrew
        ],
        "training_requests": [
            {
                "machine": machines.get(t.machine_id),
                "at": _iso(t.requested_at),
                "granted_at": _iso(t.granted_at),
                "declined_at": _iso(t.declined_at),
                "decline_reason": t.decline_reason,
                "proposed_session_id": t.proposed_session_id,
            }
            for t in requests
        ],
        # Another member's request she answered: only her answer (a decline's reason is hers).
        "training_requests_you_answered": [
            {
                "machine": machines.get(t.machine_id),
                "declined_at": _iso(t.declined_at),
                "decline_reason": t.decline_reason if t.declined_at else None,
                "proposed_session_id": t.proposed_session_id,
            }
            for t in answered
        ],
        "projects": [
            {
                "project": m.project.name,
                "role": m.role.value,
                "status": m.status.value,
                "requested_at": _iso(m.requested_at),
                "decided_at": _iso(m.decided_at),
                "joined_at": _iso(m.joined_at),
                "asked_to_join_the_group_at": _iso(m.chat_request_at),
            }
            for m in memberships
        ],
        "project_requests_you_decided": [
            {"project": m.project.name, "decision": m.status.value, "at": _iso(m.decided_at)}
            for m in decisions
        ],
        "projects_created": [
            {
                "project": p.name,
                "description": p.description,
                "tags": p.tag_list,
                "folder_link": p.storage_url,
                "visibility": p.visibility.value,
                "status": p.status.value,
                "group": p.chat_title or None,
                "at": _iso(p.created_at),
                "group_lost_at": _iso(p.chat_lost_at),
                "archived_at": _iso(p.archived_at),
            }
            for p in created
        ],
        "meetings_created": [
            {
                "project": projects_by_id.get(m.project_id),
                "title": m.title,
                "starts": _iso(m.starts_at),
                "remote": m.remote,
                "link": m.link,
                "at": _iso(m.created_at),
                "reminded_at": _iso(m.reminded_at),
                "cancelled_at": _iso(m.cancelled_at),
            }
            for m in meetings
        ],
        "group_join_requests": [
            {
                "project": projects_by_id.get(r.project_id),
                "name_in_telegram": r.name,
                "decision": r.decision.value,
                "at": _iso(r.created_at),
                "decided_at": _iso(r.decided_at),
            }
            for r in join_requests
        ],
        "group_join_requests_you_decided": [
            {
                "project": projects_by_id.get(r.project_id),
                "decision": r.decision.value,
                "at": _iso(r.decided_at),
            }
            for r in requests_decided
        ],
        "tickets_assigned": [
            {
                "ticket": t.id,
                "machine": t.machine.name,
                "title": t.title,
                "origin": t.origin.value,
                "severity": t.severity.value,
                "status": t.status.value,
                "at": _iso(t.created_at),
                "updated_at": _iso(t.updated_at),
                "closed_at": _iso(t.closed_at),
            }
            for t in assigned
        ],
        "downtimes_planned": [
            {
                "machine": machines.get(d.machine_id),
                "start": _iso(d.start_at),
                "end": _iso(d.end_at),
                "reason": d.reason,
                "at": _iso(d.created_at),
                "cancelled_at": _iso(d.cancelled_at),
            }
            for d in downtimes
        ],
        "in_progress": await _pending(session, member, machines),
        "stock_movements": [
            {
                "consumable": consumables[s.consumable_id].name if s.consumable_id in consumables else None,
                "note": s.note,
                "change": str(s.delta),
                "unit": consumables[s.consumable_id].unit if s.consumable_id in consumables else None,
                "reason": s.reason.value,
                "booking": s.booking_id,
                "at": _iso(s.at),
            }
            for s in movements
        ],
        "ticket_actions": [
            {
                "ticket": e.ticket_id,
                "what": e.kind.value,
                "from": _value(e.from_status),
                "to": _value(e.to_status),
                "note": e.note,
                "at": _iso(e.at),
            }
            for e in events
        ],
        "update_checks": [
            {
                "item": items.get(c.item_id),
                "what": c.action.value,
                "version_before": c.version_before,
                "version": c.version_after,
                "at": _iso(c.at),
            }
            for c in checks
        ],
        **await sessions.export_of(session, member),
        **await instructors.export_of(session, member),
        **await session_guests.export_of(session, member),
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
        # Messages the bot sent (or is to send) you, managers' notes included (what they say about
        # other people left out), and its actions on you in projects' groups.
        "messages_to_you": [
            {
                "kind": m.kind,
                "content": {k: v for k, v in m.payload.items() if k not in OTHER_PEOPLE},
                "queued_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
                "failed_at": _iso(m.failed_at),
            }
            for m in messages
        ],
        "group_actions_on_you": [
            {
                "kind": m.kind,
                "content": {k: v for k, v in m.payload.items() if k not in OTHER_PEOPLE},
                "queued_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in actions
        ],
        # What she changed as a fab manager from the Mini App, and what managers changed about her
        # (when and what, not who: that is theirs).
        "changes_you_made_as_manager": [_change_made(c) for c in made],
        "changes_about_you": [{"what": c.what.value, "at": _iso(c.at)} for c in about_member],
        # The link itself is a secret: the export says it exists, not what it is.
        "calendar_link": None
        if feed is None
        else {"created_at": _iso(feed.created_at), "last_used_at": _iso(feed.last_used_at)},
    }


def _change_made(change: audit.ManagerChange) -> dict[str, Any]:
    """A change she made as a manager: what and when; about a member, not whom (that is theirs)."""
    if change.what not in audit.MEMBER_TARGETS:
        target: object = change.target_id
        details = change.details
    else:
        target = "a member"
        details = {k: v for k, v in change.details.items() if k != "authorization"}  # their row's id
    return {"what": change.what.value, "at": _iso(change.at), "target": target, "details": details}


async def _pending(session: AsyncSession, member: Member, machines: dict[int, str]) -> dict[str, Any]:
    """What the member was in the middle of: a report or a project being written, a question asked."""
    report = await session.get(ReportDraft, member.id)
    project = await session.get(ProjectDraft, member.id)
    questions = {}
    for mapper in Base.registry.mappers:
        model = mapper.class_
        name = model.__tablename__
        mine = name in PENDING_TABLES and model not in (ReportDraft, ProjectDraft)
        if mine and (row := await session.get(model, member.id)) is not None:
            questions[name] = _plain(row)
    return {
        "report_draft": None
        if report is None
        else {
            "machine": machines.get(report.machine_id),
            "description": report.description,
            "photo_ids": list(report.photo_ids),
            "updated_at": _iso(report.updated_at),
        },
        "project_draft": None
        if project is None
        else {
            "name": project.name,
            "description": project.description,
            "visibility": _value(project.visibility),
            "tags": project.tags,
            "link": project.storage_url,
            "step": project.stage,
            "updated_at": _iso(project.updated_at),
        },
        "questions_waiting_for_an_answer": questions,
    }


@dataclass
class Erased:
    """What erasure did: kept anonymised for the lab's records, and removed."""

    bookings_kept: int = 0
    bookings_cancelled: int = 0
    reports_kept: int = 0
    movements_kept: int = 0
    removed: list[str] = field(default_factory=list)


# Free text people write, where a member may be named: on erasure, her names and username go from
# every row, and phone numbers and e-mail addresses too from the rows written about her (her
# tickets and their notes, her projects and their meetings, messages about them). Every text column
# is either here or in NOT_ABOUT_MEMBERS (tests/test_review_privacy.py checks, so a new column
# cannot be forgotten).
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "bookings": ("guest_label",),
    "on_behalf_asks": ("label",),
    "authorizations": ("revoke_reason",),
    "closures": ("reason",),
    "downtimes": ("reason",),
    "machines": ("location", "description"),
    "maintenance_plans": ("task",),
    "lab_sessions": ("title", "description", "place", "cancel_reason"),
    "meetings": ("title", "link"),
    "outbox": ("payload", "last_error"),
    "project_drafts": ("name", "description", "tags", "storage_url"),
    "projects": ("name", "description", "tags", "storage_url", "chat_title"),
    "report_drafts": ("description",),
    "reports": ("description",),
    "session_drafts": ("title", "description"),
    "stock_movements": ("note",),
    "ticket_events": ("note",),
    "tickets": ("title",),
    "training_requests": ("decline_reason",),
}
# Text columns that are not free text about people, and why.
NOT_ABOUT_MEMBERS: dict[str, tuple[str, ...]] = {
    # Ids, numbers, flags and machines' names; the free texts changed are named, not copied.
    "manager_changes": ("details",),
    "members": ("first_name", "last_name", "username", "language", "telegram_language", "erased_reason"),
    # The requester's own Telegram name: hers are deleted, another person's is theirs.
    "chat_join_requests": ("name",),
    "calendar_feeds": ("token",),  # a random secret; hers is revoked
    # Names of things and firms, and codes.
    "consumables": ("name", "unit", "supplier", "reorder_url"),
    "machines": ("name",),
    "update_items": ("name", "current_version"),
    "update_checks": ("version_before", "version_after"),
    # Which fabdesk process claimed or sent a message (host:pid:tag), and what it is about ("booking:12").
    "outbox": ("kind", "claimed_by", "sent_by", "subject"),
    "leases": ("name", "holder"),  # the process polling Telegram
    "cache_versions": ("name",),  # which cached area ("opening_hours"): models/cache.py
    "project_drafts": ("stage",),
    "session_drafts": ("stage", "reserved"),  # the typed answer awaited; the machines reserved (ids)
    # A public session's guests are not members: their name and contact are erased by the retention
    # job once the session is long over (models/session_guests.py); a guest being typed lasts an hour.
    "session_guests": ("name", "contact", "age_bracket", "situation"),
    "guest_inputs": ("stage", "name"),
    "project_inputs": ("purpose",),
    # Telegram's ids of photos and albums: hers are dropped with her reports and drafts.
    "reports": ("photo_ids",),
    "report_drafts": ("photo_ids", "album"),
}
URL_COLUMNS = {"storage_url", "link"}  # a link with a name blotted out leads nowhere: it goes


async def erase_member(
    session: AsyncSession,
    member: Member,
    reason: ErasureReason,
    now: datetime,
    tz: ZoneInfo | None = None,
    *,
    texts_later: list[tuple[Traces, _About]] | None = None,
) -> Erased:
    """Erase the member's personal data, keeping what the lab's records need, anonymised.

    With the lab's time zone `tz`, the slots their cancelled bookings free are offered to the
    members waiting for those days. With `texts_later`, the free texts are left for the caller to
    scrub (`scrub_free_text`), once for many members."""
    done = Erased()
    telegram_id = member.telegram_id
    # What identifies the member, wherever someone wrote it, whatever the case and accents.
    identity = Traces([member.display_name, member.first_name, member.last_name], [member.username])
    # Their own words (and photos), wherever they were copied into a message.
    words: set[str] = set()
    about = _About(
        tickets=set(await session.scalars(select(Report.ticket_id).where(Report.reporter_id == member.id))),
        projects=set(await session.scalars(select(Project.id).where(Project.created_by_id == member.id))),
        meetings=set(await session.scalars(select(Meeting.id).where(Meeting.created_by_id == member.id))),
    )
    # Upcoming bookings are cancelled (the slot is freed); past ones stay for the statistics.
    freed = list(
        await session.scalars(
            select(Booking)
            .options(selectinload(Booking.machine))
            .where(
                Booking.member_id == member.id,
                Booking.status == BookingStatus.CONFIRMED,
                Booking.start_at > now,
            )
        )
    )
    for booking in freed:
        booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
        done.bookings_cancelled += 1
    # Nobody is left to ask what they used (a booking under way as they leave).
    for booking in await session.scalars(
        select(Booking).where(Booking.member_id == member.id, Booking.usage_asked_at.is_(None))
    ):
        booking.usage_asked_at = now
    done.bookings_kept = len(
        list(await session.scalars(select(Booking.id).where(Booking.member_id == member.id)))
    )
    for report in await session.scalars(select(Report).where(Report.reporter_id == member.id)):
        title = report.description.splitlines()[0][:200] if report.description else ""
        words.update({report.description, title})
        words.update(report.photo_ids)
        ticket = await session.get(Ticket, report.ticket_id)
        if ticket is not None and ticket.title == title:
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
    await sessions.forget_member(session, member, now)
    await instructors.forget_member(session, member)
    await feeds.revoke_feed(session, member)
    await _leave_projects(session, member, now)
    await session.execute(delete(ChatJoinRequest).where(ChatJoinRequest.telegram_user_id == telegram_id))
    if tz is not None:
        for booking in freed:
            if booking.machine.bookable:
                await waitlist.slot_freed(session, booking.machine, booking.start_at, booking.end_at, now, tz)
    if texts_later is None:
        await scrub_free_text(session, [(identity, about)])
    else:
        texts_later.append((identity, about))
    await _scrub_outbox(session, member, telegram_id, identity, Traces(words), words, about)
    done.removed = [
        "profile",
        "reports' text and photos",
        "authorizations",
        "project memberships",
        "waitlist",
        "sessions' sign-ups",
        "instructor roles",
        "calendar link",
        "pending messages",
        "name, username and contacts in texts about them",
    ]
    # The member row stays (bookings and history point to it) but no longer says who it was.
    member.first_name, member.last_name, member.username = ERASED_NAME, None, None
    member.language, member.telegram_language, member.blocked_at = None, None, None
    member.telegram_id = -member.id  # free: the same person writing again starts as a new member
    member.role, member.promoted_at = Role.MEMBER, None
    member.shown_as_helper_since = None
    member.erased_at, member.erased_reason = now, reason.value
    await session.flush()
    return done


@dataclass(frozen=True)
class _About:
    """The rows written about the member being erased: her tickets, her projects, her meetings."""

    tickets: set[int]
    projects: set[int]
    meetings: set[int]

    def tied(self, table: str, row: Mapping[Any, Any]) -> bool:
        """Whether this row (its columns by name) was written about her."""
        if table == "tickets":
            return row["id"] in self.tickets
        if table == "ticket_events":
            return row["ticket_id"] in self.tickets
        if table == "projects":
            return row["id"] in self.projects
        if table == "meetings":
            return row["id"] in self.meetings or row["project_id"] in self.projects
        return False

    def message(self, payload: dict[str, Any]) -> bool:
        return payload.get("ticket_id") in self.tickets or payload.get("project_id") in self.projects


async def _leave_projects(session: AsyncSession, member: Member, now: datetime) -> None:
    """Drop the member's project memberships; a project left without owners is archived (the
    requests waiting are declined, their people told).

    The projects and meetings they created stay (other members work in them); their texts lose the
    member's name with every other text (`scrub_free_text`)."""
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
                await close_project(session, await get_project(session, project.id), None, now)
    await session.execute(
        update(Project).where(Project.created_by_id == member.id).values(created_by_id=None)
    )
    await session.execute(
        update(Meeting).where(Meeting.created_by_id == member.id).values(created_by_id=None)
    )


async def scrub_free_text(session: AsyncSession, people: list[tuple[Traces, _About]]) -> None:
    """Blot these members out of every free-text column (FREE_TEXT) but the outbox's.

    The rows are read once, as plain tuples, for all of them (the retention job erases members by
    the dozen, over years of notes); only the rows that change are loaded as objects."""
    # One search tells whether a text names any of them, one look whether a row is about any of them.
    patterns = [identity.pattern.pattern for identity, _about in people if identity.pattern is not None]
    anyone = re.compile("|".join(patterns)) if patterns else None
    everyone = _About(
        tickets={t for _identity, about in people for t in about.tickets},
        projects={p for _identity, about in people for p in about.projects},
        meetings={m for _identity, about in people for m in about.meetings},
    )
    for mapper in Base.registry.mappers:
        model = mapper.class_
        table = model.__tablename__
        columns = FREE_TEXT.get(table)
        if not columns or model is OutboxMessage:
            continue
        (key,) = mapper.primary_key
        changed: dict[Any, dict[str, Any]] = {}
        for values in (await session.execute(select(model.__table__))).mappings().all():
            changes: dict[str, Any] = {}
            about_anyone = everyone.tied(table, values)
            for column in columns:
                value = scrubbed = values[column]
                if not value:
                    continue
                folded = fold_term(value)
                if not about_anyone and (anyone is None or anyone.search(folded) is None):
                    continue  # the common case: nobody of theirs in it
                for identity, about in people:
                    # Her phone or e-mail goes from what was written about her, and from any text
                    # naming her (« vu avec Évelyne, tel 07 … » on someone else's ticket).
                    contacts = about.tied(table, values) or identity.found_in(value, folded=folded)
                    if not contacts:
                        continue
                    if column == "tags":
                        tags = scrubbed.split(",")
                        scrubbed = ",".join(t for t in tags if t == identity.scrub(t, contacts=contacts))
                    else:
                        scrubbed = identity.scrub(scrubbed, contacts=contacts)
                    folded = fold_term(scrubbed)
                if scrubbed != value:
                    changes[column] = None if column in URL_COLUMNS else scrubbed
            if changes:
                changed[values[key.name]] = changes
        ids = list(changed)
        for first in range(0, len(ids), 500):
            for row in list(await session.scalars(select(model).where(key.in_(ids[first : first + 500])))):
                for column, scrubbed in changed[getattr(row, key.name)].items():
                    if isinstance(row, Project) and column == "name":
                        scrubbed = await _free_name(session, row, scrubbed)
                    setattr(row, column, scrubbed)
    await session.flush()


async def _free_name(session: AsyncSession, project: Project, name: str) -> str:
    """The project's new name, told apart by its number if another project has it already."""
    taken = await session.scalar(
        select(Project.id).where(func.lower(Project.name) == name.lower(), Project.id != project.id)
    )
    suffix = "" if taken is None else f" #{project.id}"
    return name[: MAX_NAME - len(suffix)] + suffix


def _scrub(value: Any, identity: Traces, words: Traces, exact: set[str], contacts: bool) -> Any:
    """The value without the member's traces: names and usernames, their own words, their photos
    (and, `contacts` being set, any phone number or e-mail address)."""
    if isinstance(value, str):
        if value in exact:
            return ERASED_NAME
        return words.scrub(identity.scrub(value, contacts=contacts))
    if isinstance(value, list):
        return [
            _scrub(item, identity, words, exact, contacts)
            for item in value
            if not (isinstance(item, str) and item in exact)
        ]
    if isinstance(value, dict):
        return {key: _scrub(item, identity, words, exact, contacts) for key, item in value.items()}
    return value


async def _scrub_outbox(
    session: AsyncSession,
    member: Member,
    telegram_id: int,
    identity: Traces,
    words: Traces,
    exact: set[str],
    about: _About,
) -> None:
    """Messages to the member go, and so do actions on them (letting them into a group); messages
    about them, to send or sent to others (managers, owners), lose their traces — and keep the rest,
    which is the other person's (their /mydata holds the messages sent to them)."""
    await session.execute(
        delete(OutboxMessage).where(
            or_(OutboxMessage.member_id == member.id, OutboxMessage.chat_id == telegram_id)
        )
    )
    for message in await session.scalars(select(OutboxMessage)):
        if message.last_error and (error := identity.scrub(message.last_error)) != message.last_error:
            message.last_error = error
        if message.payload.get("user_id") == telegram_id:
            await session.delete(message)
            continue
        scrubbed = _scrub(message.payload, identity, words, exact, about.message(message.payload))
        if scrubbed != message.payload:
            message.payload = scrubbed


# Members erased per transaction by the retention job: a first run over years of members must
# not hold the database (and the bot) for long.
RETENTION_BATCH = 25


async def anonymise_inactive(
    session: AsyncSession,
    months: int,
    now: datetime,
    tz: ZoneInfo | None = None,
    limit: int = RETENTION_BATCH,
) -> int:
    """Erase up to `limit` members inactive for `months` (managers excepted); return how many."""
    if months <= 0:
        return 0
    cutoff = now - timedelta(days=round(months * 30.44))
    stale = list(
        await session.scalars(
            select(Member)
            .where(
                Member.last_seen_at < cutoff,
                Member.erased_at.is_(None),
                Member.role != Role.MANAGER,
            )
            .order_by(Member.last_seen_at, Member.id)
            .limit(limit)
        )
    )
    texts: list[tuple[Traces, _About]] = []
    for member in stale:
        await erase_member(session, member, ErasureReason.RETENTION, now, tz, texts_later=texts)
    await scrub_free_text(session, texts)
    return len(stale)


async def erased_since(session: AsyncSession, since: datetime, reason: ErasureReason) -> int:
    rows = await session.scalars(
        select(Member.id).where(Member.erased_at >= since, Member.erased_reason == reason.value)
    )
    return len(list(rows))
