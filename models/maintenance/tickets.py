"""The managers' queue: a ticket, its actions (take, resolve, escalate, reject) and the notes they
ask for; every change an event, the reporters told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.base import clear_pending, delete_by_key, get_pending, put_pending
from models.bookings import Booking
from models.errors import DomainError, NotAllowed, NotFound
from models.maintenance.errors import NoDraft, TicketNotActive
from models.maintenance.log import _event
from models.maintenance.notices import BookingTimes, TicketUpdate
from models.maintenance.service import _bring_back_if_clear
from models.maintenance.tables import (
    ACTION_EVENTS,
    ACTIVE_STATUSES,
    MAX_NOTE,
    NOTE_ACTIONS,
    SEVERITY_ORDER,
    TRANSITIONS,
    Action,
    MaintenancePlan,
    NoteRequest,
    Report,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from models.maintenance.texts import _clean
from models.members import Member, require_manager
from models.outbox import notify_member


async def get_ticket(
    session: AsyncSession, ticket_id: int, *, full: bool = False, lock: bool = False
) -> Ticket:
    """The ticket with its machine (and, when `full`, its reports, events and people).

    `lock` makes a concurrent action on the same ticket wait for this transaction, then see its
    outcome (two managers pressing Take it at once: one takes it).
    """
    options: list[Any] = [selectinload(Ticket.machine), selectinload(Ticket.assignee)]
    if full:
        options += [
            selectinload(Ticket.reports).selectinload(Report.reporter),
            selectinload(Ticket.events).selectinload(TicketEvent.actor),
        ]
    query = select(Ticket).options(*options).where(Ticket.id == ticket_id)
    if lock:
        query = query.with_for_update(of=Ticket, key_share=True).execution_options(populate_existing=True)
    ticket = await session.scalar(query)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id}")
    return ticket


def _urgency() -> Any:
    return case({s.value: rank for rank, s in enumerate(SEVERITY_ORDER)}, value=Ticket.severity)


async def queue(session: AsyncSession, *, offset: int = 0, limit: int = 8) -> tuple[list[Ticket], int]:
    """Active tickets, most urgent first (severity, then the oldest), and how many in all."""
    active = Ticket.status.in_(ACTIVE_STATUSES)
    total = await session.scalar(select(func.count()).select_from(Ticket).where(active)) or 0
    rows = await session.scalars(
        select(Ticket)
        .options(selectinload(Ticket.machine), selectinload(Ticket.assignee))
        .where(active)
        .order_by(_urgency(), Ticket.created_at, Ticket.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


async def act(
    session: AsyncSession,
    manager: Member,
    ticket_id: int,
    action: Action,
    now: datetime,
    note: str | None = None,
    tz: ZoneInfo | None = None,
) -> Ticket:
    """Apply a manager's action to a ticket; every change is an event and the reporters are told.
    (`tz`, the lab's time zone, says which waitlist days are not over yet.)"""
    require_manager(manager)
    ticket = await get_ticket(session, ticket_id, lock=True)
    allowed_from, to_status = TRANSITIONS[action]
    if ticket.status not in allowed_from:
        raise TicketNotActive(ticket.status)
    if action in NOTE_ACTIONS:
        note = _clean(note or "", MAX_NOTE)
    from_status = ticket.status
    ticket.status = to_status
    ticket.updated_at = now
    if action is Action.TAKE:
        ticket.assignee = manager
    if to_status in (TicketStatus.RESOLVED, TicketStatus.REJECTED):
        ticket.closed_at = now
    _event(
        session,
        ticket,
        ACTION_EVENTS[action],
        manager,
        now,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
    reporters = list(
        await session.scalars(
            select(Member)
            .join(Report, Report.reporter_id == Member.id)
            .where(Report.ticket_id == ticket.id)
            .distinct()
        )
    )
    back: list[Booking] | None = None
    if not ticket.active:
        if ticket.took_machine_down:
            back = await _bring_back_if_clear(session, ticket, manager, now, tz, {r.id for r in reporters})
        if ticket.plan_id is not None:
            plan = await session.get(MaintenancePlan, ticket.plan_id)
            if plan is not None:
                # Done, or judged not needed now (rejected): the plan's clock restarts either way.
                plan.clock_started_at = now
    _tell_reporters(session, ticket, reporters, action, manager, note, now, back)
    await session.flush()
    return ticket


def _tell_reporters(
    session: AsyncSession,
    ticket: Ticket,
    reporters: list[Member],
    action: Action,
    manager: Member,
    note: str | None,
    now: datetime,
    back: list[Booking] | None,
) -> None:
    """One message to each reporter: what was done, and when the machine is back in service, that
    too and that their own affected bookings stand."""
    for reporter in reporters:
        update = TicketUpdate(
            ticket_id=ticket.id,
            machine=ticket.machine.name,
            action=action,
            by=manager.first_name,
            note=note,
            machine_back=back is not None,
            bookings=[
                BookingTimes(start=b.start_at, end=b.end_at) for b in back or [] if b.member_id == reporter.id
            ],
        )
        notify_member(session, reporter, update, now)


async def ask_note(
    session: AsyncSession, manager: Member, ticket_id: int, action: Action, now: datetime
) -> Ticket:
    """Remember that the manager's next message is the note for this action on this ticket."""
    require_manager(manager)
    if action not in NOTE_ACTIONS:
        raise ValueError(f"{action} takes no note")
    ticket = await get_ticket(session, ticket_id)
    if ticket.status not in TRANSITIONS[action][0]:
        raise TicketNotActive(ticket.status)
    await clear_pending(session, manager.id, keep=NoteRequest)
    await put_pending(session, NoteRequest, manager.id, ticket_id=ticket.id, action=action, created_at=now)
    return ticket


async def pending_note(session: AsyncSession, member: Member, *, lock: bool = False) -> NoteRequest | None:
    return await get_pending(session, NoteRequest, member.id, lock=lock)


@dataclass(frozen=True)
class NoteGiven:
    ticket: Ticket
    action: Action
    refused: DomainError | None = None  # the action no longer applies: the question is dropped


async def give_note(
    session: AsyncSession, manager: Member, note: str, now: datetime, tz: ZoneInfo | None = None
) -> NoteGiven:
    """Apply the action the manager was asked a note for, with this note.

    If the action no longer applies (the ticket was closed meanwhile, the manager is one no more),
    the question is dropped and the refusal returned, so their next messages are theirs again.
    An empty note keeps the question open.
    """
    request = await pending_note(session, manager, lock=True)
    if request is None:
        raise NoDraft("no note asked")
    ticket_id, action = request.ticket_id, request.action
    ticket = await get_ticket(session, ticket_id, lock=True)
    refusal: DomainError | None = None
    if not manager.is_manager:
        refusal = NotAllowed("managers only")
    elif ticket.status not in TRANSITIONS[action][0]:
        refusal = TicketNotActive(ticket.status)
    if refusal is not None:
        await delete_by_key(session, NoteRequest, manager.id)
        return NoteGiven(ticket, action, refusal)
    ticket = await act(session, manager, ticket_id, action, now, note=note, tz=tz)
    await delete_by_key(session, NoteRequest, manager.id)
    return NoteGiven(ticket, action)


async def drop_note_request(session: AsyncSession, member: Member) -> bool:
    return await delete_by_key(session, NoteRequest, member.id)
