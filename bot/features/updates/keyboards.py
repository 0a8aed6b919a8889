"""The update register's keyboards: pure functions from what the screen shows to the buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.keyboards import button, clip_label, menu_button, pager
from bot.features.updates import routes
from models.updates import UpdateItem


def item_label(version: str, name: str, icon: str = "") -> str:
    """A button: the version first (what changes), then the name, short enough for a phone."""
    return clip_label(version, name, icon=icon)


def _due_label(item: UpdateItem, now: datetime) -> str:
    icon = "➖" if item.not_applicable else "🔔" if item.is_due(now) else "✅"
    return item_label(item.current_version, item.name, icon)


def items(
    texts: Texts, shown: Sequence[UpdateItem], now: datetime, page: int, has_next: bool
) -> InlineKeyboardMarkup:
    """One button per item of the page (due, checked or not applicable), Previous / Next, the main menu."""
    keyboard = [[button(_due_label(i, now), routes.ItemChosen(i.id))] for i in shown]
    if row := pager(texts, page, has_next, routes.ItemList):
        keyboard.append(row)
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)


def actions(texts: Texts, item_id: int) -> InlineKeyboardMarkup:
    """Done (asks the version) / Same version / Snooze a week / Not applicable."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [
                button("✅ " + _("Updated"), routes.ItemUpdated(item_id)),
                button("👌 " + _("Up to date"), routes.ItemUpToDate(item_id)),
            ],
            [
                button("💤 " + _("Snooze a week"), routes.ItemSnoozed(item_id)),
                button("➖ " + _("Not applicable"), routes.ItemNotApplicable(item_id)),
            ],
            [button("⬅️ " + _("Back"), routes.ItemList(0))],
        ]
    )
