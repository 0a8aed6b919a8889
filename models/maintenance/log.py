"""Every change of a ticket is an event, kept forever with who and when: the one place they are written."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.maintenance.tables import EventKind, Ticket, TicketEvent, TicketStatus
from models.members import Member


def _event(
    session: AsyncSession,
    ticket: Ticket,
    kind: EventKind,
    actor: Member | None,
    now: datetime,
    *,
    from_status: TicketStatus | None = None,
    to_status: TicketStatus | None = None,
    note: str | None = None,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor_id=actor.id if actor else None,
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            note=note,
        )
    )
