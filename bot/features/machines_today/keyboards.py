"""The keyboard of today's overview of the machines."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.keyboards import button, menu_button
from bot.features.machines_today import routes


def pages_and_menu(texts: Texts, page: int, has_next: bool) -> InlineKeyboardMarkup:
    """Previous / Next (when there are other pages) and the way back to the main menu."""
    row: list[InlineKeyboardButton] = []
    if page > 0:
        row.append(button("◀️ " + texts.gettext("Previous"), routes.MachinesTodayPage(page - 1)))
    if has_next:
        row.append(button(texts.gettext("Next") + " ▶️", routes.MachinesTodayPage(page + 1)))
    keyboard = [row] if row else []
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)
