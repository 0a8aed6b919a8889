"""The privacy keyboards: the notice's actions and the erasure's confirmation."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.keyboards import button, menu_button
from bot.features.menu import routes as menu
from bot.features.privacy import routes


def notice(texts: Texts, shown_as_helper: bool) -> InlineKeyboardMarkup:
    """My data, Erase my data, whether I am shown as a helper, and the main menu."""
    _ = texts.gettext
    if shown_as_helper:
        helper = button("🙈 " + _("Stop showing me as a helper"), routes.HelperHidden())
    else:
        helper = button("🙋 " + _("Show me as a helper"), routes.HelperShown())
    return InlineKeyboardMarkup(
        [
            [
                button("📦 " + _("My data"), routes.ExportAsked()),
                button("🧹 " + _("Erase my data"), routes.ErasureAsked()),
            ],
            [helper],
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
