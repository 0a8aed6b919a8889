"""Maintenance's keyboards: the report's steps and the manager's queue. A ticket's actions stay in
bot/features/keyboards.py (`ticket_actions`): the managers' alerts carry them too."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.booking import routes as booking
from bot.features.keyboards import (
    KIND_NAMES,
    SEVERITY_ICONS,
    SEVERITY_NAMES,
    button,
    machine_title,
    menu_button,
    nav_row,
    pager,
)
from bot.features.maintenance import routes
from bot.features.menu.routes import MainMenu
from bot.features.my_bookings import routes as my_bookings
from models.machines import Machine, MachineKind
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


def severity_label(texts: Texts, severity: str) -> str:
    return f"{SEVERITY_ICONS[severity]} {texts.gettext(SEVERITY_NAMES[severity])}"


def rebook(texts: Texts, kind: MachineKind, booking_id: int) -> InlineKeyboardMarkup:
    """For a member whose booking is affected: book another machine of the kind, or see the booking."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [
                button(
                    "📅 " + _("Book another one: {kind}").format(kind=_(KIND_NAMES[kind])),
                    booking.KindList(kind),
                )
            ],
            [button("🗂 " + _("My bookings"), my_bookings.BookingList())],
        ]
    )


def ticket_actions(texts: Texts, ticket_id: int, status: str, photos: int = 0) -> InlineKeyboardMarkup:
    """What a manager can do to a ticket in its state (the domain checks again on every press)."""
    _ = texts.gettext
    keyboard: list[list[InlineKeyboardButton]] = []
    if status in ("open", "escalated"):
        keyboard.append([button("🙋 " + _("Take it"), routes.TicketTaken(ticket_id))])
    if status in ("open", "in_progress", "escalated"):
        keyboard.append([button("✅ " + _("Resolve"), routes.ResolveAsked(ticket_id))])
        row = [button("↗️ " + _("Escalate"), routes.EscalateAsked(ticket_id))] if status != "escalated" else []
        row.append(button("🚫 " + _("Reject"), routes.RejectAsked(ticket_id)))
        keyboard.append(row)
    details = [button("📋 " + _("Details"), routes.TicketChosen(ticket_id))]
    if photos:
        details.append(
            button("📷 " + _("Photos ({count})").format(count=photos), routes.TicketPhotos(ticket_id))
        )
    keyboard.append(details)
    return InlineKeyboardMarkup(keyboard)
