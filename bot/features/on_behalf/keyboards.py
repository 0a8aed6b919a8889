"""Booking on behalf's keyboards: the number of weeks, and who the slot is for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.booking import routes as booking
from bot.features.keyboards import button, clip_label, nav_row, rows
from bot.features.on_behalf import routes
from models.members import Member

SERIES_WEEKS = (2, 4, 6, 8, 10, 12, 16, 26, 52)


def manager_rows(
    texts: Texts, machine_id: int, start: datetime, minutes: int
) -> list[list[InlineKeyboardButton]]:
    """On a slot's confirmation, for a manager: book it for someone else, or every week."""
    _ = texts.gettext
    return [
        [button("👥 " + _("For someone else…"), routes.ForWhomAsked(machine_id, start, minutes, 1))],
        [button("🔁 " + _("Every week…"), routes.WeeksAsked(machine_id, start, minutes))],
    ]


def weeks(texts: Texts, machine_id: int, start: datetime, minutes: int) -> InlineKeyboardMarkup:
    _ = texts.gettext
    choices = [
        button(_("{count} weeks").format(count=n), routes.ForWhomAsked(machine_id, start, minutes, n))
        for n in SERIES_WEEKS
    ]
    keyboard = rows(choices, 3)
    keyboard.append(nav_row(texts, booking.LengthChosen(machine_id, start, minutes)))
    return InlineKeyboardMarkup(keyboard)


def ask(texts: Texts, machine_id: int, start: datetime, minutes: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([nav_row(texts, booking.LengthChosen(machine_id, start, minutes))])


def for_whom(texts: Texts, people: Sequence[Member], label: str) -> InlineKeyboardMarkup:
    """The members matching the words typed, then the words themselves as a guest's label."""
    _ = texts.gettext
    keyboard = [[button(clip_label(p.display_name, icon="👤"), routes.ForMember(p.id))] for p in people]
    guest = _("« {label} » (guest or workshop)").format(label=label)
    keyboard.append([button("🏷 " + guest, routes.ForGuest())])
    keyboard.append(nav_row(texts, None))
    return InlineKeyboardMarkup(keyboard)
