"""Booking reminders: sent once, N minutes before each booking, whatever restarts happen.

What is due is derived from the database (bookings starting within the reminder lead, not yet
`reminded_at`), and each reminder is recorded in its own transaction right after Telegram
accepted it. A restart resends nothing already recorded and catches up on anything that fell
due while the bot was down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot import keyboards
from bot.context import Context, FabDesk, get_desk
from bot.i18n import N_
from models import bookings, members
from models.bookings import ReminderNote

log = logging.getLogger(__name__)

WARNINGS = {
    ReminderNote.MACHINE_UNAVAILABLE: N_(
        "About your booking of {machine} on {when}: this machine is out of service for now. "
        "Please check with the fab managers before coming."
    ),
    ReminderNote.LAB_CLOSED: N_(
        "About your booking of {machine} on {when}: the lab is closed at that time now. "
        "Please check with the fab managers before coming."
    ),
    ReminderNote.IN_MAINTENANCE: N_(
        "About your booking of {machine} on {when}: maintenance is planned on this machine at that time. "
        "Please check with the fab managers before coming."
    ),
}


# Reminders read and rendered at a time: at Telegram's pace a batch takes under two seconds, so a
# booking cancelled meanwhile is rarely reminded from a text written before.
BATCH = 50


@dataclass(frozen=True)
class Reminder:
    booking_id: int
    start_at: datetime
    chat_id: int
    text: str
    markup: InlineKeyboardMarkup


async def due_reminders(desk: FabDesk, after: tuple[datetime, int] | None = None) -> list[Reminder]:
    """Render the next BATCH of reminders due now (after the booking `after`), in their members' languages."""
    now = desk.clock()
    async with desk.sessions.begin() as session:
        reminders = []
        for due in await bookings.due_reminders(session, desk.rules, now, limit=BATCH, after=after):
            booking, texts = due.booking, desk.texts(due.booking.member)
            template = "⏰ " + texts.gettext("Reminder: you booked {machine} on {when}.")
            if due.note is not None:
                template = "⚠️ " + texts.gettext(WARNINGS[due.note])
            text = template.format(
                machine=booking.machine.name, when=texts.when(booking.start_at, booking.end_at)
            )
            reminders.append(
                Reminder(
                    booking.id, booking.start_at, booking.member.telegram_id, text, keyboards.booked(texts)
                )
            )
    return reminders


async def record(desk: FabDesk, booking_id: int) -> None:
    async with desk.sessions.begin() as session:
        await bookings.mark_reminded(session, booking_id, desk.clock())


async def send_due_reminders(context: Context) -> int:
    """Job: send every due reminder once; return how many were delivered.

    Batch after batch in one run: a thousand reminders due at once (a class starting) all go at
    Telegram's pace, without waiting for the next run between batches.
    """
    desk = get_desk(context)
    sent = 0
    # Page by page, in order of start: one that failed for a passing reason is retried at the next
    # run, not in this one.
    after: tuple[datetime, int] | None = None
    while batch := await due_reminders(desk, after):
        after = (batch[-1].start_at, batch[-1].booking_id)
        for reminder in batch:
            try:
                await context.bot.send_message(reminder.chat_id, reminder.text, reply_markup=reminder.markup)
            except RetryAfter:
                # Telegram asks us to slow down: leave the rest for the next run (nothing is lost).
                log.warning("rate limited while sending reminders; the rest waits for the next run")
                return sent
            except (Forbidden, BadRequest) as exc:
                # Blocked the bot, or the chat is gone: retrying would never succeed.
                log.info("reminder for booking %s not deliverable: %s", reminder.booking_id, exc.message)
                if isinstance(exc, Forbidden):
                    async with desk.sessions.begin() as session:
                        await members.mark_blocked(session, reminder.chat_id, desk.clock())
            except TelegramError as exc:
                log.warning("reminder for booking %s failed, will retry: %s", reminder.booking_id, exc)
                continue
            else:
                sent += 1
            await record(desk, reminder.booking_id)
    return sent
