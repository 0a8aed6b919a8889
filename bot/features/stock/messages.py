"""The stock's messages: to the managers, a consumable below its minimum; to a member whose booking
is over, what they used of the machine's consumables."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.core.messages import Outgoing, renders
from bot.features import keyboards
from bot.features.stock import routes
from models.stock import LowStock, UsageQuestion


@renders(LowStock)
def _low_stock(texts: Texts, p: LowStock) -> Outgoing:
    _ = texts.gettext
    text = "📦 " + _("Low stock: {name}, {quantity} left (minimum {minimum}).").format(
        name=p.consumable,
        quantity=texts.quantity(p.quantity, p.unit),
        minimum=texts.quantity(p.minimum, p.unit),
    )
    if p.supplier:
        text += "\n" + _("Supplier: {supplier}").format(supplier=p.supplier)
    rows = [[keyboards.button("📦 " + _("Stock"), routes.ConsumableChosen(p.consumable_id))]]
    if p.reorder_url:
        rows.insert(0, [InlineKeyboardButton("🛒 " + _("Reorder"), url=p.reorder_url)])
    return Outgoing(text, InlineKeyboardMarkup(rows))


@renders(UsageQuestion)
def _usage_question(texts: Texts, p: UsageQuestion) -> Outgoing:
    _ = texts.gettext
    text = "🧾 " + _(
        "Your booking of {machine} ({when}) is over. Did you use any consumables? It keeps the stock right."
    ).format(machine=p.machine, when=texts.span(p.start, p.end))
    rows = [
        [
            keyboards.button(
                keyboards.clip_label(c.name, icon="📦"), routes.UsedConsumableChosen(p.booking_id, c.id)
            )
        ]
        for c in p.consumables
    ]
    rows.append([keyboards.button("⏭ " + _("Nothing to record"), routes.UsageDone(p.booking_id))])
    return Outgoing(text, InlineKeyboardMarkup(rows))
