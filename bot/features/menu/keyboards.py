"""The menu's keyboards: the main menu and the language choice."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.core.i18n import Texts
from bot.features.authorizations import routes as authorizations
from bot.features.booking import routes as booking
from bot.features.keyboards import button, menu_button
from bot.features.machines_today import routes as machines_today
from bot.features.maintenance import routes as maintenance
from bot.features.menu import routes
from bot.features.my_bookings import routes as my_bookings
from bot.features.projects import routes as projects
from bot.features.sessions import routes as sessions
from bot.features.stock import routes as stock
from bot.features.updates import routes as updates
from models.members import Member


def main_menu(texts: Texts, member: Member, app_url: str | None = None) -> InlineKeyboardMarkup:
    """The main menu; with the Mini App on (`app_url`), its week's planning beside booking."""
    _ = texts.gettext
    first = [button("📅 " + _("Book a machine"), booking.MachineList())]
    if app_url is not None:
        first.append(InlineKeyboardButton("📅 " + _("Planning"), web_app=WebAppInfo(app_url)))
    keyboard = [
        first,
        [
            button("🗂 " + _("My bookings"), my_bookings.BookingList()),
            button("⚠️ " + _("Report a problem"), maintenance.ReportProblem()),
        ],
        [
            button("🧩 " + _("Projects"), projects.ProjectList(0)),
            button("🕒 " + _("Opening hours"), routes.OpeningHours()),
        ],
        [button("🗓 " + _("Sessions and workshops"), sessions.SessionList(0))],
    ]
    if member.is_manager:
        keyboard.append([button("🧾 " + _("Maintenance queue"), maintenance.QueuePage(0))])
        keyboard.append(
            [
                button("📦 " + _("Stock"), stock.ConsumableList(0)),
                button("🔄 " + _("Updates"), updates.ItemList(0)),
            ]
        )
        keyboard.append(
            [
                button("🛠 " + _("Machines today"), machines_today.MachinesToday()),
                button("🎓 " + _("Authorize"), authorizations.MachineList(0)),
            ]
        )
    keyboard.append(
        [button("❓ " + _("Help"), routes.Help()), button("🌐 " + _("Language"), routes.LanguageList())]
    )
    return InlineKeyboardMarkup(keyboard)


def languages(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button("🇫🇷 Français", routes.FrenchChosen()), button("🇬🇧 English", routes.EnglishChosen())],
            [button("🔄 " + texts.gettext("Follow my Telegram language"), routes.TelegramLanguageChosen())],
            [menu_button(texts)],
        ]
    )
