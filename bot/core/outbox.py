"""The outbox sender: the one delivery path of every message to someone other than the person
tapping (reminders, alerts, a group's actions), with its retries, back-off, 403 and 429 handling.

Each notice reads as its feature's messages.py says (registered in bot/core/messages.py, all
imported here through bot/features/messages.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

# Every feature's renderers, registered on import: a message can be sent only once all are known.
import bot.features.messages  # noqa: F401
from bot.core import lanes
from bot.core.context import Context, FabDesk, fit_message, get_desk, worker_alive
from bot.core.i18n import Texts
from bot.core.messages import ACTIONS, CAPTION_LIMIT, RENDERERS, Outgoing
from models import members as members_domain
from models import outbox
from models import projects as projects_domain
from models.maintenance import DOCUMENT_PREFIX
from models.members import Member
from models.notices import Notice, UnreadablePayload, rebuild

log = logging.getLogger(__name__)

Payload = dict[str, Any]


def render(texts: Texts, notice: Notice) -> Outgoing:
    """The message a notice becomes in the recipient's language (not for the ACTIONS kinds)."""
    return RENDERERS[type(notice)](texts, notice)


async def send(bot: Bot, chat_id: int, outgoing: Outgoing) -> int:
    """Send the message; return its Telegram message id."""
    target: int | str = outgoing.chat or chat_id
    caption = fit_message(outgoing.text, CAPTION_LIMIT)
    if outgoing.photo and outgoing.photo.startswith(DOCUMENT_PREFIX):
        document = outgoing.photo.removeprefix(DOCUMENT_PREFIX)
        sent = await bot.send_document(target, document, caption=caption, reply_markup=outgoing.markup)
    elif outgoing.photo:
        sent = await bot.send_photo(target, outgoing.photo, caption=caption, reply_markup=outgoing.markup)
    else:
        sent = await bot.send_message(target, fit_message(outgoing.text), reply_markup=outgoing.markup)
    return sent.message_id


@dataclass(frozen=True)
class Outcome:
    """What became of one send: delivered, or an error that is final or worth retrying later."""

    error: str | None = None
    final: bool = False
    blocked: bool = False  # the person blocked the bot (403)
    slow_down: bool = False  # Telegram answered 429
    migrated_to: int | None = None  # the group became a supergroup with this id: redirect, retry
    message_id: int | None = None  # the Telegram message sent


class _Held:
    """The rows of a batch this process holds: the claim is renewed every third of the lease while
    the batch is sent, however long one send takes (a 429 pause inside the rate limiter, a slow
    network), so no other process takes a row this one is sending."""

    def __init__(self, desk: FabDesk, ids: list[int]) -> None:
        self.desk = desk
        self.unsent = list(ids)
        self.ours = set(ids)

    async def keep(self) -> None:
        desk = self.desk
        while self.unsent:
            await asyncio.sleep(outbox.LEASE.total_seconds() / 3)
            try:
                async with desk.sessions.begin() as session:
                    self.ours = await outbox.renew(
                        session, list(self.unsent), desk.worker, desk.clock() + outbox.LEASE
                    )
            except Exception as exc:  # the database is briefly away: the claim holds a while yet
                log.warning("could not renew the outbox claim: %s", exc)

    def done(self, message_id: int) -> None:
        if message_id in self.unsent:
            self.unsent.remove(message_id)


@lanes.in_bulk_lane
async def deliver_outbox(
    desk: FabDesk, bot: Bot, batch: int = 20, delivered_kinds: Counter[str] | None = None
) -> int:
    """Send the pending outbox messages, recording each; return how many were delivered.

    Each batch is claimed in the database first (models/outbox.py: claim), so any number of
    processes may send from one database and each message goes once; within a process, one run at a
    time (a lock). A message that failed for a passing reason is retried at a later run, not in a
    tight loop. `delivered_kinds`, if given, counts what was delivered by kind.
    """
    delivered = 0
    worker = desk.worker
    async with desk.outbox_lock:
        async with desk.sessions.begin() as session:
            await outbox.release_dead_claims(session, worker, desk.clock(), worker_alive)
        while True:
            async with desk.sessions.begin() as session:
                messages = await outbox.claim(session, worker, desk.clock(), batch)
                people = {m.member_id for m in messages if m.member_id is not None}
                members = {m.id: m for m in [await session.get(Member, i) for i in people] if m is not None}
                work = []
                for m in messages:
                    member = members.get(m.member_id) if m.member_id is not None else None
                    blocked = member is not None and member.blocked_at is not None
                    work.append(
                        (m.id, m.chat_id, m.kind, dict(m.payload), desk.texts(member), blocked, m.expires_at)
                    )
            held = _Held(desk, [w[0] for w in work])
            keeper = asyncio.create_task(held.keep(), name="outbox claim")
            try:
                outcome_of_batch = await _send_batch(desk, bot, work, held, delivered_kinds)
            finally:
                keeper.cancel()
            delivered += outcome_of_batch.delivered
            if outcome_of_batch.slow_down:
                return delivered  # Telegram asks to slow down: the rest waits for the next run
            if len(work) < batch or outcome_of_batch.retry_later:
                return delivered


@dataclass
class _Batch:
    delivered: int = 0
    retry_later: bool = False
    slow_down: bool = False


async def _send_batch(
    desk: FabDesk,
    bot: Bot,
    work: list[tuple[int, int, str, Payload, Texts, bool, datetime | None]],
    held: _Held,
    delivered_kinds: Counter[str] | None,
) -> _Batch:
    """Send a claimed batch in order, recording each outcome in its own transaction."""
    worker = desk.worker
    result = _Batch()
    for position, (message_id, chat_id, kind, payload, texts, blocked, expires_at) in enumerate(work):
        if message_id not in held.ours:
            continue  # our claim ran out and another process took it over: it sends it
        if expires_at is not None and desk.clock() >= expires_at:
            outcome = Outcome("expired before it could be sent", final=True)
        elif blocked:
            outcome = Outcome("skipped: the person blocked the bot", final=True)
        else:
            outcome = await _send_one(bot, chat_id, kind, payload, texts)
        async with desk.sessions.begin() as session:
            if outcome.error is None:
                await outbox.mark_sent(session, message_id, desk.clock(), outcome.message_id, worker=worker)
                result.delivered += 1
                if delivered_kinds is not None:
                    delivered_kinds[kind] += 1
            elif outcome.migrated_to is not None:  # follow the group to its new id, try again
                await projects_domain.chat_migrated(session, chat_id, outcome.migrated_to)
                await outbox.release(session, message_id, worker)
            elif not outcome.slow_down:  # a 429 is not the message's fault: no attempt counted
                await outbox.mark_failed(
                    session, message_id, desk.clock(), outcome.error, final=outcome.final, worker=worker
                )
            if outcome.blocked:
                await members_domain.mark_blocked(session, chat_id, desk.clock())
            if outcome.slow_down:  # the rest of the batch is given back, for the next run
                for rest_id, *_rest in work[position:]:
                    await outbox.release(session, rest_id, worker)
        held.done(message_id)
        if outcome.slow_down:
            result.slow_down = True
            return result
        result.retry_later |= outcome.error is not None and not outcome.final
    return result


async def _send_one(bot: Bot, chat_id: int, kind: str, payload: Payload, texts: Texts) -> Outcome:
    """Send one message (or do one action in a group) and say how it went.

    The row's payload is rebuilt into its notice first: a row that does not fit (a required field
    missing, a value of the wrong type, a kind this version does not know) is given up with the
    reason, which names fields, never their values."""
    try:
        notice = rebuild(kind, payload)
        if (act := ACTIONS.get(type(notice))) is not None:
            outgoing = await act(bot, texts, notice)
        elif (render_ := RENDERERS.get(type(notice))) is not None:
            outgoing = render_(texts, notice)
        else:
            return Outcome(f"unknown kind {kind}", final=True)
        sent = await send(bot, chat_id, outgoing) if outgoing is not None else None
    except UnreadablePayload as exc:
        log.warning("outbox message %s unreadable, given up: %s", kind, exc)
        return Outcome(f"unreadable: {exc}", final=True)
    except RetryAfter as exc:
        return Outcome(str(exc), slow_down=True)  # "Flood control exceeded. Retry in N seconds"
    except ChatMigrated as exc:
        return Outcome(f"chat migrated to {exc.new_chat_id}", migrated_to=exc.new_chat_id)
    except Forbidden as exc:
        log.info("outbox message to %s not deliverable: %s", chat_id, exc.message)
        return Outcome(exc.message, final=True, blocked="blocked" in exc.message.lower())
    except BadRequest as exc:
        # The chat does not exist (a manager who never opened the bot), or the message is wrong:
        # retrying would not help.
        log.info("outbox message to %s refused: %s", chat_id, exc.message)
        return Outcome(exc.message, final=True)
    except TelegramError as exc:
        log.warning("outbox message to %s failed, will retry: %s", chat_id, exc)
        return Outcome(str(exc))
    except Exception as exc:  # one message that cannot be written must not hold up the others
        log.exception("outbox message %s to %s cannot be rendered", kind, chat_id)
        return Outcome(f"cannot render: {exc!r}", final=True)
    return Outcome(message_id=sent)


async def send_outbox(context: Context) -> None:
    """Job: send what the outbox holds (also run right after an update that queued messages)."""
    await deliver_outbox(get_desk(context), context.bot)


def wake_sender(context: Context) -> None:
    """Send the outbox now, without making the person who pressed wait for it."""
    context.application.create_task(send_outbox(context), name="outbox")
