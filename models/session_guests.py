"""Guests of public sessions: people who are not members, added by a manager by name and contact.

A public session (LabSession.public) takes guests: a manager types their name, then their phone
number or e-mail address; a guest takes a seat like a member (models/sessions.seats_taken), under the
session's row lock, so a guest and members signing up at once never take more than the seats. When
the lab asks (FABDESK_SESSION_GUEST_PROFILE), the guest's age bracket and situation are recorded,
each optional, for the funders' report (models/session_report.py). Once a session has started, a
walk-in is counted (a name is not needed) and marked as come.

A guest's name and contact are personal data: the retention job erases them once the session ended
longer ago than the lab keeps data (`erase_past_guests`); the row stays, anonymous, for the counts.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, String, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, clear_pending, delete_by_key, fresh_pending, put_pending
from models.errors import DomainError, NotFound
from models.free_text import has_hidden_characters
from models.members import Member, require_manager
from models.sessions import (
    GUEST_CONTACT_MAX,
    GUEST_NAME_MAX,
    LabSession,
    SessionCancelled,
    SessionGuest,
    SessionNotStarted,
    SessionStarted,
    get_session,
    refresh_announcement,
    seat_freed,
    seats_taken,
)


class AgeBracket(enum.StrEnum):
    UNDER_18 = "under18"
    FROM_18_TO_25 = "18-25"
    FROM_26_TO_64 = "26-64"
    OVER_65 = "65plus"


class Situation(enum.StrEnum):
    EMPLOYED = "employed"
    JOB_SEEKER = "jobseeker"
    STUDENT = "student"
    RETIRED = "retired"
    OTHER = "other"


# --- refusals ---------------------------------------------------------------------------------


class NotPublic(DomainError):
    """Only a public session takes guests."""


class SessionFull(DomainError):
    """Every seat is taken: no guest can be added."""


class BadGuestName(DomainError):
    """A guest's name: 1 to GUEST_NAME_MAX characters, letters in it, no hidden character."""


class BadGuestContact(DomainError):
    """A phone number (8 to 15 digits) or an e-mail address, GUEST_CONTACT_MAX characters at most."""


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[\d .\-()]+$")


def clean_name(text: str) -> str:
    """The guest's name with its blanks folded, or BadGuestName (empty, too long, no letter, hidden
    characters)."""
    text = " ".join(text.split())
    if (
        not text
        or len(text) > GUEST_NAME_MAX
        or has_hidden_characters(text)
        or not any(c.isalpha() for c in text)
    ):
        raise BadGuestName(text[:40])
    return text


def clean_contact(text: str) -> str:
    """A phone number or an e-mail address as typed (trimmed), or BadGuestContact."""
    text = text.strip()
    if not text or len(text) > GUEST_CONTACT_MAX or has_hidden_characters(text):
        raise BadGuestContact(text[:40])
    if _EMAIL.match(text):
        return text
    digits = sum(c.isdigit() for c in text)
    if _PHONE.match(text) and 8 <= digits <= 15:
        return " ".join(text.split())
    raise BadGuestContact(text[:40])


# --- adding guests ----------------------------------------------------------------------------


async def _open_public(session: AsyncSession, session_id: int, now: datetime) -> LabSession:
    lab_session = await get_session(session, session_id, lock=True)
    if not lab_session.public:
        raise NotPublic(str(session_id))
    if lab_session.cancelled:
        raise SessionCancelled(str(session_id))
    return lab_session


async def add_guest(
    session: AsyncSession, manager: Member, session_id: int, name: str, contact: str, now: datetime
) -> SessionGuest:
    """Give a guest a seat in a public session not started (managers only), or refuse: not public,
    cancelled, started, full, a bad name or contact. The session's row is taken first, as a member's
    sign-up takes it, so the seats are never exceeded."""
    require_manager(manager)
    name, contact = clean_name(name), clean_contact(contact)
    lab_session = await _open_public(session, session_id, now)
    if lab_session.start_at <= now:
        raise SessionStarted(str(session_id))
    if await seats_taken(session, session_id) >= lab_session.seats:
        raise SessionFull(str(session_id))
    guest = await _new_guest(session, manager, session_id, now, name=name, contact=contact, walk_in=False)
    if await seats_taken(session, session_id) >= lab_session.seats:
        await refresh_announcement(session, lab_session, now)  # the last seat: « Complet »
    return guest


async def _new_guest(
    session: AsyncSession, manager: Member, session_id: int, now: datetime, **values: object
) -> SessionGuest:
    guest = SessionGuest(session_id=session_id, added_by_id=manager.id, added_at=now, **values)
    session.add(guest)
    await session.flush()
    return guest


async def add_walk_in(
    session: AsyncSession, manager: Member, session_id: int, now: datetime, name: str = ""
) -> SessionGuest:
    """Count a guest who came without signing up (managers only, once the session has started), as
    come; any session takes one (a passer-by at a workshop), the seats do not matter any more."""
    require_manager(manager)
    lab_session = await get_session(session, session_id, lock=True)
    if lab_session.cancelled:
        raise SessionCancelled(str(session_id))
    if lab_session.start_at > now:
        raise SessionNotStarted(str(session_id))
    named = clean_name(name) if name.strip() else None
    return await _new_guest(session, manager, session_id, now, name=named, walk_in=True, attended=True)


async def get_guest(session: AsyncSession, guest_id: int) -> SessionGuest:
    guest = await session.get(SessionGuest, guest_id)
    if guest is None:
        raise NotFound(f"guest {guest_id}")
    return guest


async def set_profile(
    session: AsyncSession,
    manager: Member,
    guest_id: int,
    *,
    age_bracket: AgeBracket | None = None,
    situation: Situation | None = None,
) -> SessionGuest:
    """Record a guest's age bracket or situation (managers only); what is not given stays."""
    require_manager(manager)
    guest = await get_guest(session, guest_id)
    if age_bracket is not None:
        guest.age_bracket = age_bracket.value
    if situation is not None:
        guest.situation = situation.value
    await session.flush()
    return guest


async def mark_guest(
    session: AsyncSession, manager: Member, guest_id: int, attended: bool, now: datetime
) -> SessionGuest:
    """Record whether a guest came (managers only, once the session has started)."""
    require_manager(manager)
    guest = await get_guest(session, guest_id)
    lab_session = await get_session(session, guest.session_id)
    if lab_session.cancelled:
        raise SessionCancelled(str(lab_session.id))
    if lab_session.start_at > now:
        raise SessionNotStarted(str(lab_session.id))
    guest.attended = attended
    await session.flush()
    return guest


async def remove_guest(session: AsyncSession, manager: Member, guest_id: int, now: datetime) -> SessionGuest:
    """Take a guest off a session not started (they cancelled, or asked to be forgotten: the row goes
    with their name and contact); their seat goes to the first on the waitlist, who is told."""
    require_manager(manager)
    guest = await get_guest(session, guest_id)
    lab_session = await get_session(session, guest.session_id, lock=True)
    if lab_session.cancelled:
        raise SessionCancelled(str(lab_session.id))
    if lab_session.start_at <= now:
        raise SessionStarted(str(lab_session.id))
    await session.delete(guest)
    await session.flush()
    await seat_freed(session, lab_session, now)
    return guest


async def guests_of(session: AsyncSession, session_id: int) -> list[SessionGuest]:
    """The session's guests, in the order they were added."""
    return list(
        await session.scalars(
            select(SessionGuest)
            .where(SessionGuest.session_id == session_id)
            .order_by(SessionGuest.added_at, SessionGuest.id)
        )
    )


@dataclass(frozen=True)
class GuestFigures:
    seated: int  # added before the start
    walk_ins: int
    attended: int


async def guest_figures(session: AsyncSession, session_id: int) -> GuestFigures:
    rows = await session.execute(
        select(SessionGuest.walk_in, SessionGuest.attended, func.count())
        .where(SessionGuest.session_id == session_id)
        .group_by(SessionGuest.walk_in, SessionGuest.attended)
    )
    seated = walk_ins = attended = 0
    for walk_in, came, count in rows:
        if walk_in:
            walk_ins += count
        else:
            seated += count
        if came:
            attended += count
    return GuestFigures(seated, walk_ins, attended)


# --- retention --------------------------------------------------------------------------------


async def erase_past_guests(session: AsyncSession, months: int, now: datetime) -> int:
    """Erase the names and contacts of the guests of sessions that ended more than `months` ago
    (cancelled ones too); their rows stay, anonymous, for the counts. Return how many were erased."""
    if months <= 0:
        return 0
    cutoff = now - timedelta(days=round(months * 30.44))
    ended = select(LabSession.id).where(LabSession.end_at < cutoff)
    done = await session.execute(
        update(SessionGuest)
        .where(SessionGuest.session_id.in_(ended), SessionGuest.erased_at.is_(None))
        .values(name=None, contact=None, erased_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0)


# --- adding a guest in the chat: the name, then the contact -----------------------------------

GUEST_INPUT_LIFETIME = timedelta(hours=1)


class GuestStage(enum.StrEnum):
    NAME = "name"
    CONTACT = "contact"


class GuestInput(Base):
    """A manager typing a guest's name, then contact, for a session (one row per manager)."""

    __tablename__ = "guest_inputs"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lab_sessions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    stage: Mapped[str] = mapped_column(String(10))
    name: Mapped[str | None] = mapped_column(String(GUEST_NAME_MAX))


async def ask_guest(session: AsyncSession, manager: Member, session_id: int, now: datetime) -> LabSession:
    """Begin adding a guest to the session (its name is the next message); refused at once if the
    session takes none now."""
    require_manager(manager)
    lab_session = await _open_public(session, session_id, now)
    if lab_session.start_at <= now:
        raise SessionStarted(str(session_id))
    if await seats_taken(session, session_id) >= lab_session.seats:
        raise SessionFull(str(session_id))
    await clear_pending(session, manager.id, keep=GuestInput)
    await put_pending(
        session,
        GuestInput,
        manager.id,
        session_id=session_id,
        created_at=now,
        stage=GuestStage.NAME,
        name=None,
    )
    return lab_session


async def pending_guest(session: AsyncSession, member: Member, now: datetime) -> GuestInput | None:
    """The guest the manager is typing, if any (dropped when left too long)."""
    return await fresh_pending(
        session, GuestInput, member.id, allowed=member.is_manager, asked_since=now - GUEST_INPUT_LIFETIME
    )


async def took_guest_text(
    session: AsyncSession, manager: Member, text: str, now: datetime
) -> SessionGuest | None:
    """The typed name (kept, the contact is asked next), or the contact: the guest is added and the
    question dropped. A text refused leaves the question as it stands."""
    row = await pending_guest(session, manager, now)
    if row is None:
        raise NotFound("no guest being added")
    if row.stage == GuestStage.NAME:
        row.name, row.stage = clean_name(text), GuestStage.CONTACT
        await session.flush()
        return None
    guest = await add_guest(session, manager, row.session_id, row.name or "", text, now)
    await delete_by_key(session, GuestInput, manager.id)
    return guest


async def drop_guest_input(session: AsyncSession, member: Member) -> None:
    """Forget the guest the manager was typing (they went back to the session)."""
    await delete_by_key(session, GuestInput, member.id)


async def export_of(session: AsyncSession, member: Member) -> dict[str, Any]:
    """For the member's data export (/mydata): the guests they added or counted, as that they did and
    when (the guests' names and contacts are the guests' data, not theirs)."""
    added = await session.scalars(
        select(SessionGuest).where(SessionGuest.added_by_id == member.id).order_by(SessionGuest.id)
    )
    return {
        "guests_you_added": [
            {"session_id": g.session_id, "walk_in": g.walk_in, "added_at": g.added_at.isoformat()}
            for g in added
        ]
    }
