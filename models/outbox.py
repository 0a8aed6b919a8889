"""The outbox: messages to send, written in the same transaction as the change they tell about.

A domain function that must tell someone (a manager about a fault, a member about an affected
booking) adds a row here; a job sends the rows and records each one as sent. A crash between the
database write and the Telegram send loses nothing: the row is still pending at the next start.
Rows hold facts (names, times, ids), never rendered text: the text is written in the recipient's
language when it is sent. Each kind of message is a `Notice` (models/notices.py) declared by the
area that queues it: the row keeps its kind and `payload()`, the sender rebuilds it.

Any number of fabdesk processes may send from one database: each claims the rows it is about to
send (`claim`), for a lease; a row is claimed by one process at a time, so it is sent once. A process
that dies mid-send leaves its claim to run out, and another takes the row then: at least once,
never lost (a message can only be sent twice if its sender died between Telegram's answer and the
record of it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, update_ids
from models.db import hold_job_lock
from models.members import Member, manager_telegram_ids
from models.notices import Notice, UnreadablePayload, rebuild

# A message that keeps failing for a passing reason (network down, Telegram 5xx) is retried with
# growing pauses, and given up only when it is this old: a long outage loses nothing.
MAX_AGE = timedelta(hours=24)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(minutes=30)
# How long a claim holds. The sender renews it every third of it while a batch is in flight, however
# long one send takes (a 429 pause, a slow network); the rows of a sender that died are taken over
# once it has run out (at once when the sender was a process of this machine, see release_dead_claims).
LEASE = timedelta(seconds=60)
# A chat another process is sending to, or sent to this long ago or less, is left to it: one chat's
# messages go from one process at a time, so the messaging service's pace per chat (one a second in
# a private chat, one every 3 s in a group: bot/core/lanes.py) holds across processes too.
HANDOVER = timedelta(seconds=3)


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
    # The process sending it now, until when (see claim); and the process that sent it.
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
    sent_by: Mapped[str | None] = mapped_column(String(80))
    # Not worth sending after this time (a reminder once its booking has started).
    expires_at: Mapped[datetime | None]
    # What the message is about ("booking:12"), so that it can be withdrawn when that goes away.
    subject: Mapped[str | None] = mapped_column(String(60), index=True)


def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    notice: Notice,
    now: datetime,
    member_id: int | None = None,
    expires_at: datetime | None = None,
    subject: str | None = None,
) -> OutboxMessage:
    """Add a message to send once the transaction commits."""
    message = OutboxMessage(
        chat_id=chat_id,
        member_id=member_id,
        kind=notice.kind,
        payload=notice.payload(),
        created_at=now,
        attempts=0,
        expires_at=expires_at,
        subject=subject,
    )
    session.add(message)
    session.info["outbox"] = True  # tells the handler to wake the sender after the commit
    return message


def notify_member(
    session: AsyncSession,
    member: Member,
    notice: Notice,
    now: datetime,
    *,
    expires_at: datetime | None = None,
    subject: str | None = None,
) -> None:
    """Queue a message for one member (written in their language when sent); nothing for a member
    whose data was erased (nobody is there any more)."""
    if member.erased_at is not None:
        return
    enqueue(
        session,
        chat_id=member.telegram_id,
        member_id=member.id,
        notice=notice,
        now=now,
        expires_at=expires_at,
        subject=subject,
    )


async def withdraw(session: AsyncSession, subject: str, kind: str | None = None) -> int:
    """Drop the messages about `subject` not sent yet (a reminder of a booking just cancelled);
    return how many. A message being sent right now by another process may still arrive."""
    query = delete(OutboxMessage).where(
        OutboxMessage.subject == subject, OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)
    )
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    result = await session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


async def notify_managers(
    session: AsyncSession,
    configured_ids: Iterable[int],
    notice: Notice,
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
        enqueue(session, chat_id=chat_id, member_id=known.get(chat_id), notice=notice, now=now)
    return len(chat_ids)


def _due(now: datetime) -> Any:
    return and_(
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
    )


def _free(now: datetime) -> Any:
    return or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now)


async def pending(session: AsyncSession, now: datetime, limit: int = 100) -> list[OutboxMessage]:
    """Messages to send now: not sent, not given up, not pausing after a failure, not claimed by a
    live sender; oldest first."""
    rows = await session.scalars(
        select(OutboxMessage).where(_due(now), _free(now)).order_by(OutboxMessage.id).limit(limit)
    )
    return list(rows)


async def claim(
    session: AsyncSession, worker: str, now: datetime, limit: int = 20, lease: timedelta | None = None
) -> list[OutboxMessage]:
    """Claim up to `limit` messages to send now for `worker`, oldest first, until now + lease.

    The caller commits at once, then sends. On PostgreSQL the rows are picked with FOR UPDATE SKIP
    LOCKED, so two processes claiming at the same moment take different rows without waiting on each
    other; on SQLite every transaction holds the write lock from its BEGIN (models/db.py), so two
    claims run one after the other and the second sees the first's. Messages past their expiry are
    given up here rather than sent late.

    A chat is claimed by one process at a time: rows of a chat another process holds a claim in, or
    sent to within HANDOVER, are left to it (so two processes never send to one chat together). The
    claims are taken one after the other (an advisory lock on PostgreSQL), so two claimers cannot both
    find a chat free.
    """
    await hold_job_lock(session, "outbox claim")
    await session.execute(
        update(OutboxMessage)
        .where(_due(now), _free(now), OutboxMessage.expires_at <= now)
        .values(failed_at=now, last_error="expired before it could be sent")
    )
    elsewhere = (
        select(OutboxMessage.chat_id)
        .where(
            or_(
                and_(
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.failed_at.is_(None),
                    OutboxMessage.claimed_until > now,
                    OutboxMessage.claimed_by != worker,
                ),
                and_(OutboxMessage.sent_at > now - HANDOVER, OutboxMessage.sent_by != worker),
            )
        )
        .distinct()
    )
    picked = (
        select(OutboxMessage.id)
        .where(_due(now), _free(now), OutboxMessage.chat_id.not_in(elsewhere))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = await update_ids(
        session,
        OutboxMessage,
        [OutboxMessage.id.in_(picked.scalar_subquery()), _free(now)],
        {"claimed_by": worker, "claimed_until": now + (lease or LEASE)},
    )
    if not ids:
        return []
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def renew(session: AsyncSession, message_ids: list[int], worker: str, until: datetime) -> set[int]:
    """Extend `worker`'s claim on these messages; return those still its own (a claim that ran out
    may have been taken over by another process, which sends them instead)."""
    if not message_ids:
        return set()
    mine = [
        OutboxMessage.id.in_(message_ids),
        OutboxMessage.claimed_by == worker,
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
    ]
    return set(await update_ids(session, OutboxMessage, mine, {"claimed_until": until}))


async def release_dead_claims(
    session: AsyncSession, worker: str, now: datetime, alive: Callable[[str], bool]
) -> int:
    """Give back at once the claims of the processes of this host that `alive` says have died (the
    bot restarted after a crash), rather than letting their lease run out; return how many rows."""
    host = worker.split(":", 1)[0]
    holders = await session.scalars(
        select(OutboxMessage.claimed_by)
        .distinct()
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.claimed_until > now,
            OutboxMessage.claimed_by.startswith(f"{host}:", autoescape=True),
            OutboxMessage.claimed_by != worker,
        )
    )
    dead = [holder for holder in holders if holder is not None and not alive(holder)]
    if not dead:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.claimed_by.in_(dead), OutboxMessage.sent_at.is_(None))
        .values(claimed_by=None, claimed_until=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release(session: AsyncSession, message_id: int, worker: str) -> None:
    """Give back a claimed message unsent (Telegram asked to slow down): another run may take it."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker)
        .values(claimed_by=None, claimed_until=None)
    )


async def mark_sent(
    session: AsyncSession,
    message_id: int,
    now: datetime,
    telegram_message_id: int | None = None,
    worker: str | None = None,
) -> None:
    """Record that the message was sent (as that Telegram message, by that process)."""
    message = await session.get(OutboxMessage, message_id)
    if message is not None and message.sent_at is None:
        message.sent_at, message.message_id = now, telegram_message_id
        message.sent_by = worker
        message.claimed_until = None


_N = TypeVar("_N", bound=Notice)


def _rebuilt(row: OutboxMessage, notice: type[_N]) -> _N | None:
    """The row's notice, or None if it does not fit (the sender gives such a row up anyway)."""
    try:
        rebuilt = rebuild(row.kind, row.payload)
    except UnreadablePayload:
        return None
    return rebuilt if isinstance(rebuilt, notice) else None


async def recall(
    session: AsyncSession, notice: type[_N], since: datetime, match: Callable[[_N], bool], now: datetime
) -> list[OutboxMessage]:
    """Messages of that kind queued since `since` that match, now that what they ask no longer
    stands: those not sent yet never will be; those sent (with their Telegram message) are
    returned, for the caller to edit them."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == notice.kind, OutboxMessage.created_at >= since)
        .order_by(OutboxMessage.id)
    )
    sent = []
    for row in rows:
        asked = _rebuilt(row, notice)
        if asked is None or not match(asked):
            continue
        if row.sent_at is None and row.failed_at is None:
            row.failed_at, row.last_error = now, "recalled: no longer relevant"
        elif row.sent_at is not None and row.message_id is not None:
            sent.append(row)
    return sent


async def mark_failed(
    session: AsyncSession,
    message_id: int,
    now: datetime,
    error: str,
    *,
    final: bool,
    worker: str | None = None,
) -> None:
    """Record a failed attempt: a final one (blocked bot, chat gone) is never retried; a passing one
    is retried after a pause that doubles each time, until the message is MAX_AGE old."""
    message = await session.get(OutboxMessage, message_id)
    if message is None or message.sent_at is not None:
        return
    if worker is not None and message.claimed_by not in (None, worker):
        return  # another process took it over meanwhile: its outcome counts, not ours
    message.attempts += 1
    message.last_error = error[:300]
    message.claimed_until = None
    if final or now - message.created_at >= MAX_AGE:
        message.failed_at = now
        return
    pause = min(FIRST_RETRY * 2 ** (message.attempts - 1), LONGEST_PAUSE)
    message.next_attempt_at = now + pause
