"""Check-in's keyboards: the reminder's answers (I'm here, I can't come)."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.booking import routes as booking_routes
from bot.features.checkin import routes
from bot.features.keyboards import button, menu_button
from bot.features.maintenance import routes as maintenance
from bot.features.my_bookings import routes as my_bookings
from models.bookings import Booking
from models.machines import Machine


def reminder(texts: Texts, booking_id: int) -> InlineKeyboardMarkup:
    """I'm here (check in) and I can't come (My bookings' cancel, with its confirmation)."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [
                button("📍 " + _("I'm here"), routes.CheckIn(booking_id)),
                button("🙅 " + _("I can't come"), my_bookings.CancelAsked(booking_id)),
            ],
            [button("🗂 " + _("My bookings"), my_bookings.BookingList()), menu_button(texts)],
        ]
    )


def at_start(texts: Texts, booking_id: int) -> InlineKeyboardMarkup:
    """The slot starts: I'm here (too late to cancel: it is released if nobody comes)."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("📍 " + _("I'm here"), routes.CheckIn(booking_id))],
            [button("🗂 " + _("My bookings"), my_bookings.BookingList()), menu_button(texts)],
        ]
    )


def machine_page(
    texts: Texts,
    machine: Machine,
    booking: Booking | None,
    next_start: datetime | None,
    *,
    ask_training: bool = False,
) -> InlineKeyboardMarkup:
    """A machine's page: I'm here (a booking of mine now), book the next free slot (into the
    booking's flow, at its length step) or another time, report a problem with this machine."""
    _ = texts.gettext
    keyboard = []
    if booking is not None:
        keyboard.append([button("📍 " + _("I'm here"), routes.CheckIn(booking.id))])
    if next_start is not None:
        label = "📅 " + _("Book {moment}").format(moment=texts.moment(next_start))
        keyboard.append([button(label, booking_routes.StartChosen(machine.id, next_start))])
        keyboard.append([button("🗓 " + _("Other times"), booking_routes.MachineChosen(machine.id))])
    if ask_training:  # a member not trained on it
        keyboard.append([button("🎓 " + _("Ask for a training"), booking_routes.AskTraining(machine.id))])
    keyboard.append([button("⚠️ " + _("Report a problem"), maintenance.ReportMachineChosen(machine.id))])
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)
