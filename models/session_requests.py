"""Training requests meet sessions: a manager answers a member's request for a training by proposing
one of the upcoming training sessions of that machine (or its kind), by declining it with a reason,
or by authorizing the member at once (models/machines.authorize).

A request is answered under its row's lock: two managers pressing at once take turns, and the second
finds it answered. Proposing the same session again changes nothing (and tells nobody twice); a
declined or granted request takes no more answer, but a manager may still authorize the member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import outbox
from models.base import Base, clear_pending, delete_by_key, get_pending, put_pending
from models.errors import DomainError, NotFound
from models.machines import Machine, TrainingRequest, get_any_machine
from models.members import Member, get_member, require_manager
from models.notices import Notice
from models.sessions import LabSession, SessionKind, get_session

REASON_MAX = 200
REASON_LIFETIME = timedelta(hours=2)


# The common reasons, by number: append, never reorder (buttons and queued messages carry the number).
NO_SESSION_SOON, STAFF_ONLY, COME_BY_FIRST = 0, 1, 2
COMMON_REASONS = (NO_SESSION_SOON, STAFF_ONLY, COME_BY_FIRST)


class RequestAnswered(DomainError):
    """The request was already declined, or the member authorized: nothing more to answer."""


class NotATrainingOfIt(DomainError):
    """The session proposed is not an upcoming training of the request's machine or kind."""


class BadDeclineReason(DomainError):
    """A typed reason of 1 to REASON_MAX characters."""


class DeclineReasonInput(Base):
    """A manager typing the reason they decline a training request with (one row per manager)."""

    __tablename__ = "decline_reasons"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("training_requests.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]


class TrainingSessionProposed(Notice, kind="training_session_proposed"):
    """A manager answers a member's training request with a session (they sign up in one tap)."""

    session_id: int
    title: str
    start: datetime
    end: datetime
    machine: str


class TrainingDeclined(Notice, kind="training_declined"):
    """A manager declines a member's training request: a common reason (`code`) or a typed one."""

    machine: str
    reason: str = ""
    code: int = -1


@dataclass(frozen=True)
class Answered:
    request: TrainingRequest
    member: Member
    machine: Machine
    newly: bool  # False: the same answer was given already (a second press)


async def _open_request(session: AsyncSession, manager: Member, request_id: int) -> Answered:
    """The request, locked (managers only); RequestAnswered once declined or granted."""
    require_manager(manager)
    request = await session.scalar(
        select(TrainingRequest)
        .where(TrainingRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if request is None:
        raise NotFound(f"training request {request_id}")
    member = await get_member(session, request.member_id)
    if member.erased_at is not None:
        raise NotFound(f"training request {request_id}")
    machine = await get_any_machine(session, request.machine_id)
    if request.granted_at is not None or request.declined_at is not None:
        raise RequestAnswered(str(request_id))
    return Answered(request, member, machine, True)


async def request_of(session: AsyncSession, manager: Member, request_id: int) -> Answered:
    """An open request, to answer it (managers only)."""
    return await _open_request(session, manager, request_id)


def _covers(lab_session: LabSession, machine: Machine) -> bool:
    return lab_session.kind is SessionKind.TRAINING and (
        lab_session.machine_id == machine.id or lab_session.machine_kind is machine.kind
    )


async def propose(
    session: AsyncSession, manager: Member, request_id: int, session_id: int, now: datetime
) -> tuple[Answered, LabSession]:
    """Propose an upcoming training session of the request's machine or kind; the member is told,
    with a one-tap sign-up. The same session proposed again tells nobody twice (`newly` False)."""
    seen = await _open_request(session, manager, request_id)
    lab_session = await get_session(session, session_id)
    if lab_session.cancelled or lab_session.start_at <= now or not _covers(lab_session, seen.machine):
        raise NotATrainingOfIt(str(session_id))
    request = seen.request
    if request.proposed_session_id == lab_session.id:
        return Answered(request, seen.member, seen.machine, False), lab_session
    request.proposed_session_id, request.answered_by_id = lab_session.id, manager.id
    notice = TrainingSessionProposed(
        session_id=lab_session.id,
        title=lab_session.title,
        start=lab_session.start_at,
        end=lab_session.end_at,
        machine=seen.machine.name,
    )
    outbox.notify_member(session, seen.member, notice, now, expires_at=lab_session.start_at)
    await session.flush()
    return seen, lab_session


def clean_reason(text: str) -> str:
    text = " ".join(text.split())
    if not text or len(text) > REASON_MAX or "\x00" in text:
        raise BadDeclineReason(text[:40])
    return text


async def decline(
    session: AsyncSession,
    manager: Member,
    request_id: int,
    now: datetime,
    *,
    reason: str = "",
    code: int = -1,
) -> Answered:
    """Decline the request with a typed reason or a common one (`code`); the member is told why.
    Declining twice is RequestAnswered; the member may ask again later."""
    if code not in COMMON_REASONS:
        reason = clean_reason(reason)
    seen = await _open_request(session, manager, request_id)
    request = seen.request
    request.declined_at, request.answered_by_id = now, manager.id
    request.decline_reason = reason or f"#{code}"
    await delete_by_key(session, DeclineReasonInput, manager.id)
    outbox.notify_member(
        session, seen.member, TrainingDeclined(machine=seen.machine.name, reason=reason, code=code), now
    )
    await session.flush()
    return seen


async def ask_reason(session: AsyncSession, manager: Member, request_id: int, now: datetime) -> Answered:
    """Await the manager's typed reason for declining the (open) request: their next message is it."""
    seen = await _open_request(session, manager, request_id)
    await clear_pending(session, manager.id, keep=DeclineReasonInput)
    await put_pending(session, DeclineReasonInput, manager.id, request_id=request_id, created_at=now)
    return seen


async def pending_reason(session: AsyncSession, member: Member, now: datetime) -> DeclineReasonInput | None:
    """The request whose decline reason the manager is typing, if any (dropped once stale)."""
    waiting = await get_pending(session, DeclineReasonInput, member.id)
    if waiting is None:
        return None
    if not member.is_manager or waiting.created_at < now - REASON_LIFETIME:
        await delete_by_key(session, DeclineReasonInput, member.id)
        return None
    return waiting
