"""Check-in's keyboards: the reminder's answers (I'm here, I can't come)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.checkin import routes
from bot.features.keyboards import button, menu_button
from bot.features.my_bookings import routes as my_bookings


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
