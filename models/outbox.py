"""The outbox: messages to send, written in the same transaction as the change they tell about.

A domain function that must tell someone (a manager about a fault, a member about an affected
booking) adds a row here; a job sends the rows and records each one as sent. A crash between the
database write and the Telegram send loses nothing: the row is still pending at the next start.
Rows hold facts (names, times, ids), never rendered text: the text is written in the recipient's
language when it is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.members import Member, manager_telegram_ids

# A message that keeps failing for a passing reason (network down, Telegram 5xx) is retried with
# growing pauses, and given up only when it is this old: a long outage loses nothing.
MAX_AGE = timedelta(hours=24)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(minutes=30)


class OutboxMessage(Base):
    """One message waiting to be sent, or the record that it was (or could not be)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "failed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    # Not before this time (a pause after a failed attempt); None: as soon as possible.
    next_attempt_at: Mapped[datetime | None]
    # The Telegram message it became, once sent: a message whose question no longer stands (a
    # join request withdrawn) is edited in place.
    message_id: Mapped[int | None] = mapped_column(BigInteger)


def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    member_id: int | None = None,
) -> OutboxMessage:
    """Add a message to send once the transaction commits."""
    message = OutboxMessage(
        chat_id=chat_id, member_id=member_id, kind=kind, payload=payload, created_at=now, attempts=0
    )
    session.add(message)
    session.info["outbox"] = True  # tells the handler to wake the sender after the commit
    return message


def notify_member(
    session: AsyncSession, member: Member, kind: str, payload: dict[str, Any], now: datetime
) -> None:
    """Queue a message for one member (written in their language when sent); nothing for a member
    whose data was erased (nobody is there any more)."""
    if member.erased_at is not None:
        return
    enqueue(session, chat_id=member.telegram_id, member_id=member.id, kind=kind, payload=payload, now=now)


async def notify_managers(
    session: AsyncSession,
    configured_ids: Iterable[int],
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    *,
    skip: Member | None = None,
) -> int:
    """Queue a message for every fab manager (but `skip`, who already sees it on screen); return how many."""
    chat_ids = await manager_telegram_ids(session, configured_ids)
    if skip is not None:
        chat_ids = [c for c in chat_ids if c != skip.telegram_id]
    known = {
        m.telegram_id: m.id
        for m in await session.scalars(select(Member).where(Member.telegram_id.in_(chat_ids)))
    }
    for chat_id in chat_ids:
        enqueue(session, chat_id=chat_id, member_id=known.get(chat_id), kind=kind, payload=payload, now=now)
    return len(chat_ids)


async def pending(session: AsyncSession, now: datetime, limit: int = 100) -> list[OutboxMessage]:
    """Messages to send now: not sent, not given up, not pausing after a failure; oldest first."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(rows)


async def mark_sent(
    session: AsyncSession, message_id: int, now: datetime, telegram_message_id: int | None = None
) -> None:
    message = await session.get(OutboxMessage, message_id)
    if message is not None and message.sent_at is None:
        message.sent_at, message.message_id = now, telegram_message_id


async def recall(
    session: AsyncSession, kind: str, since: datetime, match: Callable[[dict[str, Any]], bool], now: datetime
) -> list[OutboxMessage]:
    """Messages of `kind` queued since `since` whose payload matches, now that what they ask no
    longer stands: those not sent yet never will be; those sent (with their Telegram message) are
    returned, for the caller to edit them."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == kind, OutboxMessage.created_at >= since)
        .order_by(OutboxMessage.id)
    )
    sent = []
    for row in rows:
        if not match(row.payload):
            continue
        if row.sent_at is None and row.failed_at is None:
            row.failed_at, row.last_error = now, "recalled: no longer relevant"
        elif row.sent_at is not None and row.message_id is not None:
            sent.append(row)
    return sent


async def mark_failed(
    session: AsyncSession, message_id: int, now: datetime, error: str, *, final: bool
) -> None:
    """Record a failed attempt: a final one (blocked bot, chat gone) is never retried; a passing one
    is retried after a pause that doubles each time, until the message is MAX_AGE old."""
    message = await session.get(OutboxMessage, message_id)
    if message is None or message.sent_at is not None:
        return
    message.attempts += 1
    message.last_error = error[:300]
    if final or now - message.created_at >= MAX_AGE:
        message.failed_at = now
        return
    pause = min(FIRST_RETRY * 2 ** (message.attempts - 1), LONGEST_PAUSE)
    message.next_attempt_at = now + pause
