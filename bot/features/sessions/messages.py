"""The sessions' messages to members: a seat given from the waitlist (decline it in one tap), a
session cancelled (by a manager, or for lack of participants), the reminder before a session."""

from __future__ import annotations

from bot.core.i18n import Texts
from bot.core.messages import Outgoing, renders
from bot.features.sessions import keyboards
from models.sessions import SeatGiven, SessionCalledOff, SessionReminder


@renders(SeatGiven)
def _seat_given(texts: Texts, p: SeatGiven) -> Outgoing:
    _ = texts.gettext
    text = "🎟 " + _("A seat freed up: you are now signed up to « {title} » ({when}).").format(
        title=p.title, when=texts.when(p.start, p.end)
    )
    text += "\n\n" + _("Can't come after all? Decline the seat: it goes to the next person waiting.")
    return Outgoing(text, keyboards.seat_given(texts, p.session_id))


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


@renders(SessionReminder)
def _session_reminder(texts: Texts, p: SessionReminder) -> Outgoing:
    _ = texts.gettext
    text = "⏰ " + _("Reminder: « {title} » starts in {duration} ({when}).").format(
        title=p.title, duration=texts.duration(p.minutes_left), when=texts.when(p.start, p.end)
    )
    if p.place:
        text += "\n📍 " + p.place
    return Outgoing(text, keyboards.to_session(texts, p.session_id))
