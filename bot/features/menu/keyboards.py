"""The menu's keyboards: the main menu and the language choice."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.features.booking import routes as booking
from bot.features.menu import routes
from bot.features.my_bookings import routes as my_bookings
from bot.i18n import Texts
from bot.keyboards import button
from models.members import Member


def main_menu(texts: Texts, member: Member) -> InlineKeyboardMarkup:
    _ = texts.gettext
    keyboard = [
        [button("📅 " + _("Book a machine"), booking.MachineList())],
        [
            button("🗂 " + _("My bookings"), my_bookings.BookingList()),
            button("⚠️ " + _("Report a problem"), "rp"),
        ],
        [button("🧩 " + _("Projects"), "pj", 0), button("🕒 " + _("Opening hours"), routes.OpeningHours())],
    ]
    if member.is_manager:
        keyboard.append([button("🧾 " + _("Maintenance queue"), "q", 0)])
        keyboard.append([button("📦 " + _("Stock"), "st", 0), button("🔄 " + _("Updates"), "up", 0)])
        keyboard.append([button("🛠 " + _("Machines today"), "mg"), button("🎓 " + _("Authorize"), "au", 0)])
    keyboard.append(
        [button("❓ " + _("Help"), routes.Help()), button("🌐 " + _("Language"), routes.LanguageList())]
    )
    return InlineKeyboardMarkup(keyboard)


def languages(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button("🇫🇷 Français", routes.FrenchChosen()), button("🇬🇧 English", routes.EnglishChosen())],
            [button("🔄 " + texts.gettext("Follow my Telegram language"), routes.TelegramLanguageChosen())],
            [button("🏠 " + texts.gettext("Main menu"), routes.MainMenu())],
        ]
    )
