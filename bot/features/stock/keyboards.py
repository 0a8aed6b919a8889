"""The consumables' keyboards: pure functions from what the screen shows to the buttons."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.keyboards import button, clip_label, menu_button, pager, rows
from bot.features.stock import routes
from models.stock import Consumable, MovementReason


def _line(texts: Texts, consumable: Consumable) -> str:
    """« ⚠️ 60 f. · Contreplaqué peuplier… »: the quantity first, the name clipped to fit a phone."""
    quantity = texts.quantity(consumable.quantity, short_unit(consumable.unit))
    return clip_label(quantity, consumable.name, icon="⚠️" if consumable.low else "")


def consumables(texts: Texts, shown: Sequence[Consumable], page: int, has_next: bool) -> InlineKeyboardMarkup:
    """One button per consumable of the page, Previous / Next, and the main menu."""
    keyboard = [[button(_line(texts, c), routes.ConsumableChosen(c.id))] for c in shown]
    if row := pager(texts, page, has_next, routes.ConsumableList):
        keyboard.append(row)
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)


def consumable_actions(
    texts: Texts, consumable: Consumable, restocks: Sequence[Decimal]
) -> InlineKeyboardMarkup:
    """A restock button per preset amount; Other restock, Count, Correction; Reorder; Back."""
    _ = texts.gettext
    unit = consumable.unit
    keyboard = rows(
        [
            button(f"+{texts.quantity(v, unit)}", routes.RestockChosen(consumable.id, i))
            for i, v in enumerate(restocks)
        ],
        4,
    )
    keyboard.append(
        [
            button("➕ " + _("Other restock"), routes.AmountToType(consumable.id, MovementReason.RESTOCK)),
            button("🧮 " + _("Count"), routes.AmountToType(consumable.id, MovementReason.COUNT)),
        ]
    )
    keyboard.append(
        [button("✏️ " + _("Correction"), routes.AmountToType(consumable.id, MovementReason.CORRECTION))]
    )
    if consumable.reorder_url:
        keyboard.append([InlineKeyboardButton("🛒 " + _("Reorder"), url=consumable.reorder_url)])
    keyboard.append([button("⬅️ " + _("Back"), routes.ConsumableList(0))])
    return InlineKeyboardMarkup(keyboard)


def used_amounts(
    texts: Texts, booking_id: int, consumable: Consumable, amounts: Sequence[Decimal]
) -> InlineKeyboardMarkup:
    """The preset amounts of one consumable used during a booking, Other amount, Nothing to record."""
    _ = texts.gettext
    buttons = [
        button(texts.quantity(v, consumable.unit), routes.UsedAmountChosen(booking_id, consumable.id, i))
        for i, v in enumerate(amounts)
    ]
    keyboard = rows(buttons, 3)
    keyboard.append([button("✏️ " + _("Other amount"), routes.UsedAmountToType(booking_id, consumable.id))])
    keyboard.append([button("⏭ " + _("Nothing to record"), routes.UsageDone(booking_id))])
    return InlineKeyboardMarkup(keyboard)


def usage(
    texts: Texts, booking_id: int, entries: Sequence[tuple[Consumable, Decimal | None]]
) -> InlineKeyboardMarkup:
    """The machine's consumables, each with the amount used when one is recorded (ticked), and Done."""
    keyboard = []
    for consumable, used in entries:
        if used is None:
            label = clip_label(consumable.name, icon="📦")
        else:
            label = clip_label(texts.quantity(used, short_unit(consumable.unit)), consumable.name, icon="✓")
        keyboard.append([button(label, routes.UsedConsumableChosen(booking_id, consumable.id))])
    keyboard.append([button("✅ " + texts.gettext("Done"), routes.UsageDone(booking_id))])
    return InlineKeyboardMarkup(keyboard)


# Units of consumables, short enough for a button and still readable.
SHORT_UNITS = {
    "feuilles": "fl",
    "feuille": "fl",
    "pièces": "pc",
    "pièce": "pc",
    "pieces": "pc",
    "sheets": "sh",
}


def short_unit(unit: str) -> str:
    """A unit short enough for a button: « g », « ml », « feuilles » → « fl », « pièces » → « pc »."""
    if len(unit) <= 4:
        return unit
    return SHORT_UNITS.get(unit.casefold(), unit[:3] + ".")
