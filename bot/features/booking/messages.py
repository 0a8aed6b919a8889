"""The booking's messages to a member: the reminder before a booking, the waitlist's news (a slot
freed up, a day worth another look), and the lab closed on the day of a booking."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.core.i18n import N_, Texts
from bot.core.messages import Outgoing, renders
from bot.features import keyboards
from bot.features.booking import keyboards as booking_keyboards
from bot.features.booking import routes
from bot.features.checkin import keyboards as checkin_keyboards
from models.bookings import BookingConfirmed, Reminder, ReminderNote
from models.schedule import ClosureWarning
from models.waitlist import WaitlistBack, WaitlistFreed, WaitlistOpened

# A reminder of a booking the lab can no longer honour as planned warns instead of just reminding.
REMINDER_WARNINGS = {
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


def confirmed_text(
    texts: Texts, title: str, start: datetime, end: datetime, reminder_minutes: int | None
) -> str:
    """The booking's confirmation: the chat's answer to Confirm, and its message for a booking made
    in the Mini App. `title` is the machine's (keyboards.machine_title)."""
    text = "✅ " + texts.gettext("Your booking is confirmed.")
    text += "\n\n" + f"{title}\n🗓 {texts.when(start, end)}"
    if reminder_minutes:
        text += "\n\n" + texts.ngettext(
            "I will remind you {minutes} minute before.",
            "I will remind you {minutes} minutes before.",
            reminder_minutes,
        ).format(minutes=reminder_minutes)
    return text


@renders(BookingConfirmed)
def _booking_confirmed(texts: Texts, p: BookingConfirmed) -> Outgoing:
    title = f"{keyboards.KIND_ICONS[p.machine_kind]} {p.machine}"
    return Outgoing(
        confirmed_text(texts, title, p.start, p.end, p.reminder_minutes), booking_keyboards.booked(texts)
    )


@renders(Reminder)
def _reminder(texts: Texts, p: Reminder) -> Outgoing:
    _ = texts.gettext
    when = texts.when(p.start, p.end)
    if p.note:
        text = "⚠️ " + _(REMINDER_WARNINGS[p.note]).format(machine=p.machine, when=when)
    elif p.minutes_left is not None:
        text = "⏰ " + _("Reminder: your booking of {machine} starts in {lead} ({when}).").format(
            machine=p.machine, lead=texts.duration(p.minutes_left), when=when
        )
    else:  # a row queued by an older version says nothing of how soon
        text = "⏰ " + _("Reminder: you booked {machine} on {when}.").format(machine=p.machine, when=when)
    if p.guest:
        text += "\n" + _("Booked for « {guest} ».").format(guest=p.guest)
    if p.checkin_minutes:
        text += "\n\n" + texts.ngettext(
            "Check in with “I'm here” at most {minutes} minute after the start, or the booking is released.",
            "Check in with “I'm here” at most {minutes} minutes after the start, or the booking is released.",
            p.checkin_minutes,
        ).format(minutes=p.checkin_minutes)
    return Outgoing(text, checkin_keyboards.reminder(texts, p.booking_id))


@renders(WaitlistFreed)
def _waitlist_freed(texts: Texts, p: WaitlistFreed) -> Outgoing:
    _ = texts.gettext
    start, end = p.start, p.end
    text = "🔔 " + _("A slot freed up on {machine}: {when}. The first to tap gets it!").format(
        machine=p.machine, when=texts.when(start, end)
    )
    day = start.astimezone(texts.tz).date()
    markup = InlineKeyboardMarkup(
        [
            [keyboards.button("✅ " + _("Book it"), routes.Confirmed(p.machine_id, start, p.minutes))],
            [keyboards.button("🕑 " + _("Other times that day"), routes.DayChosen(p.machine_id, day))],
        ]
    )
    return Outgoing(text, markup)


@renders(WaitlistBack)
def _waitlist_back(texts: Texts, p: WaitlistBack) -> Outgoing:
    text = texts.gettext("{machine} is back in service: have a look at {day}.")
    return _waitlist_look(texts, p, text)


@renders(WaitlistOpened)
def _waitlist_opened(texts: Texts, p: WaitlistOpened) -> Outgoing:
    text = texts.gettext("A planned maintenance of {machine} is called off: have a look at {day}.")
    return _waitlist_look(texts, p, text)


def _waitlist_look(texts: Texts, p: WaitlistBack | WaitlistOpened, text: str) -> Outgoing:
    """A member waiting for a day: there may be free times now, with a button to see them."""
    day = p.day
    button = keyboards.button(
        "📅 " + texts.gettext("See the free times"), routes.DayChosen(p.machine_id, day)
    )
    text = "✅ " + text.format(machine=p.machine, day=texts.day(day))
    return Outgoing(text, InlineKeyboardMarkup([[button]]))


@renders(ClosureWarning)
def _closure_warning(texts: Texts, p: ClosureWarning) -> Outgoing:
    _ = texts.gettext
    lines = ["🚪 " + _("The lab will be closed on {day}.").format(day=texts.day(p.day))]
    if p.reason:
        lines.append(_("Reason: {reason}").format(reason=p.reason))
    lines += [
        "",
        _("Your booking: {machine}, {when}.").format(machine=p.machine, when=texts.span(p.start, p.end)),
        # What add_closure does: the booking is kept, the member decides.
        _("It is not cancelled, but the lab will be closed: cancel it, or book another day."),
    ]
    return Outgoing("\n".join(lines), keyboards.booking_in_downtime(texts, p.booking_id, p.machine_id))
