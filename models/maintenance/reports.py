"""A member reports a fault: a draft (machine, description, photos), then a report that opens a
ticket or joins the machine's open one; an unusable report takes the machine out of service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.base import clear_pending, delete_by_key, put_pending
from models.bookings import Booking
from models.errors import NotFound
from models.machines import Machine, MachineStatus, get_any_machine
from models.maintenance.errors import EmptyText, NoDraft, TooManyPhotos
from models.maintenance.log import _event
from models.maintenance.notices import TicketAlert
from models.maintenance.service import _take_out_of_service
from models.maintenance.tables import (
    ACTIVE_STATUSES,
    DOCUMENT_PREFIX,
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    SEVERITY_ORDER,
    EventKind,
    Report,
    ReportDraft,
    Severity,
    Ticket,
    TicketOrigin,
    TicketStatus,
)
from models.maintenance.texts import _clean
from models.members import Member
from models.outbox import notify_managers


async def start_report(session: AsyncSession, member: Member, machine_id: int, now: datetime) -> ReportDraft:
    """Begin a report on a machine (any machine not retired); a previous unsent draft is replaced."""
    machine = await get_any_machine(session, machine_id)
    if machine.status is MachineStatus.RETIRED:
        raise NotFound(f"machine {machine_id}")
    await clear_pending(session, member.id, keep=ReportDraft)
    draft = await put_pending(
        session,
        ReportDraft,
        member.id,
        machine_id=machine.id,
        description=None,
        photo_ids=[],
        album=None,
        updated_at=now,
    )
    draft.machine = machine
    return draft


async def current_draft(session: AsyncSession, member: Member, *, lock: bool = False) -> ReportDraft | None:
    """The member's draft; `lock` waits for (and then sees) a concurrent update of it (PostgreSQL)."""
    query = (
        select(ReportDraft)
        .options(selectinload(ReportDraft.machine))
        .where(ReportDraft.member_id == member.id)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def describe(session: AsyncSession, member: Member, text_: str, now: datetime) -> ReportDraft:
    """Set (or replace) the description of the member's draft."""
    draft = await current_draft(session, member, lock=True)
    if draft is None:
        raise NoDraft("no draft")
    draft.description = _clean(text_, MAX_DESCRIPTION)
    draft.updated_at = now
    return draft


@dataclass(frozen=True)
class PhotoAdded:
    draft: ReportDraft
    kept: bool  # False: the report already held MAX_PHOTOS
    same_album: bool  # another photo of the same album was already answered


async def add_photo(
    session: AsyncSession,
    member: Member,
    file_id: str,
    caption: str | None,
    now: datetime,
    *,
    album: str | None = None,
    document: bool = False,
) -> PhotoAdded:
    """Attach a picture to the draft; a caption becomes the description if there is none yet.

    Pictures sent as files are kept as "document:<file id>" so they are sent back the same way.
    The photos of one album arrive as separate messages: the result says whether this one belongs
    to an album already answered, so the member gets one answer per album.
    """
    draft = await current_draft(session, member, lock=True)
    if draft is None:
        raise NoDraft("no draft")
    same_album = album is not None and draft.album == album
    draft.album = album[:64] if album else None
    if caption and caption.strip() and not draft.description:
        draft.description = _clean(caption, MAX_DESCRIPTION)
    draft.updated_at = now
    if len(draft.photo_ids) >= MAX_PHOTOS:
        if not same_album:
            raise TooManyPhotos(str(MAX_PHOTOS))
        return PhotoAdded(draft, kept=False, same_album=True)
    reference = f"{DOCUMENT_PREFIX}{file_id[:200]}" if document else file_id[:200]
    draft.photo_ids = [*draft.photo_ids, reference]
    return PhotoAdded(draft, kept=True, same_album=same_album)


async def cancel_report(session: AsyncSession, member: Member) -> bool:
    """Drop the member's draft; return whether there was one."""
    return await delete_by_key(session, ReportDraft, member.id)


@dataclass(frozen=True)
class Submitted:
    ticket: Ticket
    attached: bool  # joined an open ticket of the machine rather than opening one
    affected: int  # members' upcoming bookings now affected and warned (the report took the machine down)
    # The reporter's own upcoming bookings on the machine, affected too: no warning about her own
    # report (her screen says it), she is told with the ticket's outcome.
    own_bookings: tuple[Booking, ...] = ()


async def submit_report(
    session: AsyncSession, member: Member, severity: Severity, manager_ids: Iterable[int], now: datetime
) -> Submitted:
    """Turn the member's draft into a report on a ticket, with its effects and alerts."""
    draft = await current_draft(session, member, lock=True)  # a double tap waits, then finds no draft
    if draft is None:
        raise NoDraft("no draft")
    if not draft.description:
        raise EmptyText("no description")
    # Locked: a booking being confirmed at this instant waits, then sees the machine's new status.
    machine = await get_any_machine(session, draft.machine_id, lock=True)
    if machine.status is MachineStatus.RETIRED:
        raise NotFound(f"machine {machine.id}")
    ticket = await _open_report_ticket(session, machine)
    attached = ticket is not None
    if ticket is None:
        ticket = Ticket(
            machine_id=machine.id,
            origin=TicketOrigin.REPORT,
            severity=severity,
            status=TicketStatus.OPEN,
            title=draft.description.splitlines()[0][:200],
            created_at=now,
            updated_at=now,
            took_machine_down=False,
        )
        try:
            async with session.begin_nested():
                session.add(ticket)
        except IntegrityError:
            # Someone else's report of this machine opened a ticket an instant ago: join it.
            ticket = await _open_report_ticket(session, machine)
            if ticket is None:  # pragma: no cover - the unique index says it exists
                raise
            attached = True
    if attached and SEVERITY_ORDER.index(severity) < SEVERITY_ORDER.index(ticket.severity):
        ticket.severity = severity
    ticket.updated_at = now
    report = Report(
        ticket_id=ticket.id,
        reporter_id=member.id,
        severity=severity,
        description=draft.description,
        photo_ids=list(draft.photo_ids),
        created_at=now,
    )
    session.add(report)
    _event(session, ticket, EventKind.REPORT_ADDED if attached else EventKind.OPENED, member, now)
    affected: int = 0
    own: list[Booking] = []
    if severity is Severity.UNUSABLE and machine.status is MachineStatus.AVAILABLE:
        affected, own = await _take_out_of_service(session, ticket, machine, member, now)
    await session.delete(draft)
    await session.flush()
    alert = TicketAlert(
        ticket_id=ticket.id,
        status=ticket.status,
        machine=machine.name,
        severity=severity,
        description=report.description,
        reporter=member.display_name,
        photo_ids=list(report.photo_ids),
        attached=attached,
        affected=affected,
    )
    await notify_managers(session, manager_ids, alert, now)
    ticket.machine = machine
    return Submitted(ticket, attached, affected, tuple(own))


async def _open_report_ticket(session: AsyncSession, machine: Machine) -> Ticket | None:
    return await session.scalar(
        select(Ticket).where(
            Ticket.machine_id == machine.id,
            Ticket.origin == TicketOrigin.REPORT,
            Ticket.status.in_(ACTIVE_STATUSES),
        )
    )
