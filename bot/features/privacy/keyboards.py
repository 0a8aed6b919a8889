"""The privacy keyboards: the notice's actions and the erasure's confirmation."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.keyboards import button, menu_button
from bot.features.menu import routes as menu
from bot.features.privacy import routes


def notice(texts: Texts) -> InlineKeyboardMarkup:
    """My data, Erase my data, and the main menu."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [
                button("📦 " + _("My data"), routes.ExportAsked()),
                button("🧹 " + _("Erase my data"), routes.ErasureAsked()),
            ],
            [menu_button(texts)],
        ]
    )


def confirm_erasure(texts: Texts) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("🧹 " + _("Yes, erase my data"), routes.ErasureConfirmed())],
            [button("⬅️ " + _("No, keep my data"), menu.MainMenu())],
        ]
    )
