"""Inline keyboards: pure functions from data to InlineKeyboardMarkup."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import routes
from bot.core.i18n import N_, Texts
from bot.features.booking import routes as booking
from bot.features.menu import routes as menu
from bot.features.my_bookings import routes as my_bookings
from models.machines import Machine, MachineKind

KIND_ICONS = {
    MachineKind.PRINTER_3D: "🧱",
    MachineKind.LASER_CUTTER: "⚡",
    MachineKind.CNC: "⚙️",
    MachineKind.PC: "💻",
    MachineKind.ELECTRONICS_BENCH: "🔌",
    MachineKind.OTHER: "🔧",
}
KIND_NAMES = {
    MachineKind.PRINTER_3D: N_("3D printers"),
    MachineKind.LASER_CUTTER: N_("Laser cutters"),
    MachineKind.CNC: N_("CNC machines"),
    MachineKind.PC: N_("Computers"),
    MachineKind.ELECTRONICS_BENCH: N_("Electronics benches"),
    MachineKind.OTHER: N_("Other equipment"),
}
MAX_LENGTH_BUTTONS = 12
# Characters of a button's label a phone shows whole (Telegram cuts the rest): what changes comes first.
LABEL_LIMIT = 30


def button(text: str, press: routes.Button) -> InlineKeyboardButton:
    """A button: its label, and the typed press it sends (bot/core/routes.py)."""
    return InlineKeyboardButton(text, callback_data=press.data())


def clip_label(*parts: str, icon: str = "", limit: int = LABEL_LIMIT, sep: str = " · ") -> str:
    """A short button label: the icon, then the parts joined by `sep`, the last one clipped in its
    middle (its start and its end stay: « Fusion…Poste CAO 1 » and « Fusion…Poste CAO 2 » remain two
    buttons) so the text fits `limit` characters. Put what changes (a quantity, a version) first:
    « ⚠️ 60 fl · Contrep…600 × 300 »."""
    parts = tuple(p for p in parts if p)
    head = sep.join(parts[:-1]) + sep if len(parts) > 1 else ""
    last = parts[-1] if parts else ""
    room = limit - len(head)
    if room < 8:  # the first parts alone are too long: clip the whole
        head, last, room = "", head + last, limit
    if len(last) > room:
        tail_room = (room - 1) * 3 // 4  # the end tells siblings apart (« … CAO 2 », « … 5 mm »)
        end = _whole_words(last.split()[::-1], tail_room, reverse=True) or last[len(last) - tail_room :]
        head_room = room - 1 - len(end)
        start = _whole_words(last.split(), head_room) or last[:head_room]
        last = f"{start.rstrip(' ·—-,(')}…{end.lstrip(' ·—-,)')}"
    return f"{icon} {head}{last}" if icon else head + last


def _whole_words(words: list[str], room: int, *, reverse: bool = False) -> str:
    """As many whole words (from the start, or from the end) as fit `room` characters."""
    taken: list[str] = []
    for word in words:
        if len(" ".join([*taken, word])) > room:
            break
        taken.append(word)
    return " ".join(taken[::-1] if reverse else taken)


def rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


Back = routes.Button | None


def nav_row(texts: Texts, back: Back) -> list[InlineKeyboardButton]:
    """The Back / Cancel row every screen ends with."""
    _ = texts.gettext
    row = [button("⬅️ " + _("Back"), back)] if back is not None else []
    row.append(button("✖️ " + _("Cancel"), menu.Closed()))
    return row


def menu_button(texts: Texts) -> InlineKeyboardButton:
    """🏠 Main menu: the way home, on almost every screen."""
    return button("🏠 " + texts.gettext("Main menu"), menu.MainMenu())


def back_to_menu(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[menu_button(texts)]])


def machine_title(machine: Machine) -> str:
    """The icon of the kind and the name of the machine, e.g. 🧱 Prusa MK4."""
    return f"{KIND_ICONS[machine.kind]} {machine.name}"


def pager(
    texts: Texts, page: int, has_next: bool, to: Callable[[int], routes.Button]
) -> list[InlineKeyboardButton]:
    """Previous / Next, each when there is such a page; `to` makes the press showing a page."""
    row = []
    if page > 0:
        row.append(button("◀️ " + texts.gettext("Previous"), to(page - 1)))
    if has_next:
        row.append(button(texts.gettext("Next") + " ▶️", to(page + 1)))
    return row


def single(texts: Texts, icon: str, label: str, press: routes.Button) -> InlineKeyboardMarkup:
    """One button (its label a message id translated here)."""
    return InlineKeyboardMarkup([[button(f"{icon} {texts.gettext(label)}", press)]])


def booking_in_downtime(texts: Texts, booking_id: int, machine_id: int) -> InlineKeyboardMarkup:
    """For a member whose booking falls in a planned downtime: cancel it, book another time, or see
    their bookings (each press is checked again: their own booking, still upcoming)."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("❌ " + _("Cancel this booking"), my_bookings.CancelAsked(booking_id))],
            [button("📅 " + _("Book another time"), booking.MachineChosen(machine_id))],
            [button("🗂 " + _("My bookings"), my_bookings.BookingList())],
        ]
    )


SEVERITY_ICONS = {"unusable": "⛔", "degraded": "⚠️", "minor": "🔧"}
SEVERITY_NAMES = {
    "unusable": N_("Unusable — must not be used"),
    "degraded": N_("Degraded — usable with care"),
    "minor": N_("Minor — cosmetic or a consumable"),
}
