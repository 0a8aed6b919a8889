"""Maintenance's keyboards: the report's steps and the manager's queue. A ticket's actions stay in
bot/features/keyboards.py (`ticket_actions`): the managers' alerts carry them too."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.keyboards import button, machine_title, menu_button, nav_row, pager, severity_label
from bot.features.maintenance import routes
from bot.features.menu.routes import MainMenu
from models.machines import Machine
from models.maintenance import SEVERITY_ORDER


def severities(texts: Texts) -> InlineKeyboardMarkup:
    """The three severities (the report is sent when one is pressed), and Cancel."""
    keyboard = [[button(severity_label(texts, s), routes.SeverityChosen(s))] for s in SEVERITY_ORDER]
    keyboard.append([button("✖️ " + texts.gettext("Cancel"), routes.ReportDropped())])
    return InlineKeyboardMarkup(keyboard)


def cancel_report(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button("✖️ " + texts.gettext("Cancel"), routes.ReportDropped())]])


def report_machines(texts: Texts, machines_: Sequence[Machine]) -> InlineKeyboardMarkup:
    keyboard = [[button(machine_title(m), routes.ReportMachineChosen(m.id))] for m in machines_]
    keyboard.append(nav_row(texts, MainMenu()))
    return InlineKeyboardMarkup(keyboard)


def queue(
    texts: Texts, entries: Sequence[tuple[int, str]], page: int, has_next: bool
) -> InlineKeyboardMarkup:
    keyboard = [[button(label, routes.TicketChosen(ticket_id))] for ticket_id, label in entries]
    if row := pager(texts, page, has_next, routes.QueuePage):
        keyboard.append(row)
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)


def back_to_queue(texts: Texts) -> InlineKeyboardMarkup:
    """After a ticket's note: back to the queue's first page."""
    return InlineKeyboardMarkup([[button("🧾 " + texts.gettext("Maintenance queue"), routes.QueuePage(0))]])


def back_to_machine(texts: Texts, machine_id: int) -> InlineKeyboardMarkup:
    """After a downtime is planned or called off: back to the machine's screen."""
    return InlineKeyboardMarkup([[button("⬅️ " + texts.gettext("Back"), routes.MachineShown(machine_id))]])
