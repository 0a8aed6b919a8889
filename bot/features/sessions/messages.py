"""The sessions' messages to members: a seat given from the waitlist (decline it in one tap), a
session cancelled (by a manager, or for lack of participants), the reminder before a session."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.core.i18n import Texts
from bot.core.messages import Outgoing, acts, renders
from bot.features import keyboards as shared
from bot.features.maintenance.messages import booking_in_window
from bot.features.my_bookings import routes as my_bookings
from bot.features.sessions import keyboards
from models.maintenance.notices import SessionReservationFreed, SessionReserves
from models.sessions import (
    AnnouncementChanged,
    SeatGiven,
    SessionAnnounced,
    SessionCalledOff,
    SessionCancelledForLack,
    SessionReminder,
)

log = logging.getLogger(__name__)
# A deep link's payload naming a session: "s" and its id (t.me/<bot>?start=s12).
SESSION_PAYLOAD = "s"


@renders(SeatGiven)
def _seat_given(texts: Texts, p: SeatGiven) -> Outgoing:
    _ = texts.gettext
    text = "🎟 " + _("A seat freed up: you are now signed up to « {title} » ({when}).").format(
        title=p.title, when=texts.when(p.start, p.end)
    )
    text += "\n\n" + _("Can't come after all? Decline the seat: it goes to the next person waiting.")
    return Outgoing(text, keyboards.seat_given(texts, p.session_id))


@renders(SessionReserves)
def _session_reserves(texts: Texts, p: SessionReserves) -> Outgoing:
    """As a planned downtime warns (bot/features/maintenance/messages.py), naming the session."""
    _ = texts.gettext
    head = "🔒 " + _("{machine} is reserved for the session « {title} »: {window}.").format(
        machine=p.machine, title=p.title, window=texts.span(p.window_start, p.window_end)
    )
    kept = _(
        "It is not cancelled, but the machine cannot be used during the session: cancel it, "
        "or book another time. If the session is cancelled, I will tell you."
    )
    return booking_in_window(texts, [head], p, kept)


@renders(SessionReservationFreed)
def _session_reservation_freed(texts: Texts, p: SessionReservationFreed) -> Outgoing:
    text = "✅ " + texts.gettext(
        "The session « {title} » is cancelled: {machine} is no longer reserved. "
        "Your booking on {when} stands."
    ).format(title=p.title, machine=p.machine, when=texts.span(p.start, p.end))
    return Outgoing(text, shared.single(texts, "🗂", "My bookings", my_bookings.BookingList()))


@renders(SessionCalledOff)
def _session_called_off(texts: Texts, p: SessionCalledOff) -> Outgoing:
    _ = texts.gettext
    text = "🚫 " + _("« {title} » ({when}) is cancelled.").format(
        title=p.title, when=texts.when(p.start, p.end)
    )
    if p.automatic:
        text += " " + texts.ngettext(
            "It needed at least {count} participant.",
            "It needed at least {count} participants.",
            p.minimum,
        ).format(count=p.minimum)
    elif p.reason:
        text += " " + _("Reason: {reason}").format(reason=p.reason)
    text += "\n\n" + _("Sorry for the change. Other sessions may interest you.")
    return Outgoing(text, keyboards.to_sessions(texts))


@renders(SessionCancelledForLack)
def _session_cancelled_for_lack(texts: Texts, p: SessionCancelledForLack) -> Outgoing:
    _ = texts.gettext
    text = "🚫 " + _("The session « {title} » ({when}) was cancelled automatically:").format(
        title=p.title, when=texts.when(p.start, p.end)
    )
    text += " " + texts.ngettext(
        "{count} sign-up for a minimum of {minimum}.",
        "{count} sign-ups for a minimum of {minimum}.",
        p.signed_up,
    ).format(count=p.signed_up, minimum=p.minimum)
    text += " " + _("Participants have been told.")
    return Outgoing(text, keyboards.to_sessions(texts))


@renders(SessionReminder)
def _session_reminder(texts: Texts, p: SessionReminder) -> Outgoing:
    _ = texts.gettext
    text = "⏰ " + _("Reminder: « {title} » starts in {duration} ({when}).").format(
        title=p.title, duration=texts.duration(p.minutes_left), when=texts.when(p.start, p.end)
    )
    if p.place:
        text += "\n📍 " + p.place
    return Outgoing(text, keyboards.to_session(texts, p.session_id))


def session_link(username: str, session_id: int) -> str:
    """The deep link that opens a session's page in the chat with the bot (to sign up)."""
    return f"https://t.me/{username.removeprefix('@')}?start={SESSION_PAYLOAD}{session_id}"


def announcement(texts: Texts, username: str | None, p: SessionAnnounced) -> Outgoing:
    """The post in the lab's announcement chat: what, when, where, the seats left, a sign-up link."""
    _ = texts.gettext
    if p.cancelled:
        text = "🚫 " + _("Cancelled: « {title} » ({when}).").format(
            title=p.title, when=texts.when(p.start, p.end)
        )
        return Outgoing(text, chat=p.chat)
    lines = ["📣 " + _("New session: « {title} »").format(title=p.title), "🕒 " + texts.when(p.start, p.end)]
    if p.place:
        lines.append("📍 " + p.place)
    if p.seats_left:
        seats = texts.ngettext("{count} seat left", "{count} seats left", p.seats_left)
        lines.append("💺 " + seats.format(count=p.seats_left))
    else:
        lines.append("💺 " + _("Full — waitlist"))
    markup = None
    if username:
        label = "✅ " + _("Sign up to it") if p.seats_left else "⏳ " + _("Join its waitlist")
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, url=session_link(username, p.session_id))]]
        )
    return Outgoing("\n".join(lines), markup, chat=p.chat)


@acts(SessionAnnounced)
async def _session_announced(bot: Bot, texts: Texts, p: SessionAnnounced) -> Outgoing:
    """Post the session (the outbox records the post's message id, to edit it later)."""
    return announcement(texts, bot.username, p)


@acts(AnnouncementChanged)
async def _announcement_changed(bot: Bot, texts: Texts, p: AnnouncementChanged) -> Outgoing | None:
    """Edit the post to how the session stands (full, seats again, cancelled); nothing new is posted."""
    shown = announcement(texts, bot.username, p)
    try:
        await bot.edit_message_text(
            shown.text, chat_id=p.chat, message_id=p.message_id, reply_markup=shown.markup
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            log.info("could not edit a session's announcement: %s", exc.message)  # deleted by an admin
    return None
