"""Consumables: managers' /stock (restocks, counts, corrections) and members' use after a booking."""

from __future__ import annotations

from decimal import Decimal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import keyboards
from bot.context import Turn
from bot.i18n import N_, Texts
from bot.reply import Reply
from models import members, stock
from models.bookings import get_own_booking
from models.errors import NotFound
from models.stock import Consumable, MovementReason

PAGE_SIZE = 10
TYPED_REASONS = [MovementReason.RESTOCK, MovementReason.COUNT, MovementReason.CORRECTION]
REASON_NAMES = {
    MovementReason.RESTOCK: N_("restock"),
    MovementReason.USE: N_("used"),
    MovementReason.CORRECTION: N_("correction"),
    MovementReason.COUNT: N_("inventory count"),
}
PROMPTS = {
    MovementReason.RESTOCK: N_("How much arrived? Send the amount in {unit}."),
    MovementReason.COUNT: N_("How much is there, counted? Send the amount in {unit}."),
    MovementReason.CORRECTION: N_(
        "Send the correction in {unit}, e.g. -50 for 50 {unit} spoilt, +20 for found."
    ),
    MovementReason.USE: N_("How much did you use? Send the amount in {unit}."),
}


def presets(unit: str, *, restock: bool) -> list[Decimal]:
    """Amounts offered as buttons, by unit (anything else is typed)."""
    unit = unit.lower()
    if unit in ("g", "ml"):
        values = ["500", "1000", "2000", "5000"] if restock else ["10", "25", "50", "100", "250", "500"]
    elif unit in ("kg", "l"):
        values = ["1", "2", "5", "10"] if restock else ["0.05", "0.1", "0.25", "0.5", "1"]
    else:
        values = ["1", "5", "10", "25", "50"] if restock else ["1", "2", "3", "5", "10"]
    return [Decimal(v) for v in values]


def _line(texts: Texts, consumable: Consumable) -> str:
    """« ⚠️ 60 f. · Contreplaqué peuplier… »: the quantity first, the name clipped to fit a phone."""
    quantity = texts.quantity(consumable.quantity, keyboards.short_unit(consumable.unit))
    return keyboards.clip_label(quantity, consumable.name, icon="⚠️" if consumable.low else "")


async def stock_list(turn: Turn) -> Reply:
    """Every consumable with its quantity; those below their minimum are marked."""
    _ = turn._
    members.require_manager(turn.member)
    page = turn.args[0] if turn.args else 0
    everything = await stock.list_consumables(turn.session)
    if not everything:
        return Reply(
            text=_("No consumable is set up yet: declare them in the inventory file."),
            markup=keyboards.back_to_menu(turn.texts),
        )
    low = [c for c in everything if c.low]
    shown = everything[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [_("Consumables:")]
    if low:
        lines.append(
            turn.texts.ngettext(
                "{count} below its minimum.", "{count} below their minimum.", len(low)
            ).format(count=len(low))
        )
    keyboard = [[keyboards.button(_line(turn.texts, c), "st:c", c.id)] for c in shown]
    if row := keyboards.pager(turn.texts, "st", (), page, len(everything) > (page + 1) * PAGE_SIZE):
        keyboard.append(row)
    keyboard.append([keyboards.button("🏠 " + _("Main menu"), "menu")])
    return Reply(text="\n".join(lines), markup=InlineKeyboardMarkup(keyboard))


async def consumable_screen(turn: Turn, consumable_id: int | None = None, toast: str | None = None) -> Reply:
    """A consumable: quantity, minimum, machines it feeds, latest movements, and what to do."""
    _ = turn._
    texts = turn.texts
    members.require_manager(turn.member)
    consumable = await stock.get_consumable(turn.session, consumable_id or turn.args[0])
    unit = consumable.unit
    lines = [
        f"📦 {consumable.name}",
        _("In stock: {quantity} (minimum {minimum})").format(
            quantity=texts.quantity(consumable.quantity, unit),
            minimum=texts.quantity(consumable.minimum, unit),
        ),
    ]
    if consumable.low:
        lines.append("⚠️ " + _("Below its minimum: time to reorder."))
    if consumable.machines:
        lines.append(_("For: {machines}").format(machines=", ".join(m.name for m in consumable.machines)))
    if consumable.supplier:
        lines.append(_("Supplier: {supplier}").format(supplier=consumable.supplier))
    history = await stock.movements(turn.session, consumable.id)
    if history:
        lines += ["", _("Latest movements:")]
        for movement in history:
            sign = "+" if movement.delta_milli > 0 else ""
            who = f" — {movement.member.first_name}" if movement.member else ""
            lines.append(
                f"• {texts.moment(movement.at)} {sign}{texts.quantity(movement.delta, unit)} "
                f"({_(REASON_NAMES[movement.reason])}){who}"
            )
    keyboard = keyboards.rows(
        [
            keyboards.button(f"+{texts.quantity(v, unit)}", "st:r", consumable.id, i)
            for i, v in enumerate(presets(unit, restock=True))
        ],
        4,
    )
    keyboard.append(
        [
            keyboards.button("➕ " + _("Other restock"), "st:t", consumable.id, 0),
            keyboards.button("🧮 " + _("Count"), "st:t", consumable.id, 1),
        ]
    )
    keyboard.append([keyboards.button("✏️ " + _("Correction"), "st:t", consumable.id, 2)])
    if consumable.reorder_url:
        keyboard.append([InlineKeyboardButton("🛒 " + _("Reorder"), url=consumable.reorder_url)])
    keyboard.append([keyboards.button("⬅️ " + _("Back"), "st", 0)])
    return Reply(text="\n".join(lines), markup=InlineKeyboardMarkup(keyboard), toast=toast)


async def show_consumable(turn: Turn) -> Reply:
    return await consumable_screen(turn)


async def restock_preset(turn: Turn) -> Reply:
    """Record a restock of a preset amount."""
    members.require_manager(turn.member)
    consumable = await stock.get_consumable(turn.session, turn.args[0])
    options = presets(consumable.unit, restock=True)
    if turn.args[1] >= len(options):
        raise NotFound("preset")
    await stock.move(
        turn.session,
        turn.member,
        consumable.id,
        options[turn.args[1]],
        MovementReason.RESTOCK,
        turn.desk.settings.manager_ids,
        turn.now,
    )
    return await consumable_screen(turn, consumable.id, toast=turn._("Restock recorded."))


async def ask_typed(turn: Turn) -> Reply:
    """Ask a manager for an amount typed as a message (restock, count, correction)."""
    members.require_manager(turn.member)
    if turn.args[1] >= len(TYPED_REASONS):
        raise NotFound("reason")
    reason = TYPED_REASONS[turn.args[1]]
    consumable = await stock.ask_amount(turn.session, turn.member, turn.args[0], reason, turn.now)
    text = f"📦 {consumable.name}\n" + turn._(PROMPTS[reason]).format(unit=consumable.unit)
    return Reply(text=text + "\n" + turn._("/cancel to stop."), new_message=True)


async def took_amount(turn: Turn, text: str) -> Reply:
    """The message is the amount asked for: record the movement."""
    movement, consumable = await stock.give_amount(
        turn.session, turn.member, text, turn.desk.settings.manager_ids, turn.now, turn.texts.language
    )
    if movement.reason is MovementReason.USE and movement.booking_id is not None:
        reply = await usage_screen(turn, movement.booking_id)
        reply.text = _thanks(turn, -movement.delta, consumable) + "\n\n" + (reply.text or "")
        reply.new_message = True
        return reply
    reply = await consumable_screen(turn, consumable.id)
    reply.text = "✅ " + turn._("Recorded.") + "\n\n" + (reply.text or "")
    reply.new_message = True
    return reply


# --------------------------------------------------------------------------- members, after a booking


async def usage_pick(turn: Turn) -> Reply:
    """Offer amounts of one consumable used during the booking."""
    booking = await get_own_booking(turn.session, turn.member, turn.args[0])
    consumable = await stock.get_consumable(turn.session, turn.args[1])
    if booking.machine_id not in {m.id for m in consumable.machines}:
        raise NotFound("consumable")
    buttons = [
        keyboards.button(turn.texts.quantity(v, consumable.unit), "su:a", booking.id, consumable.id, i)
        for i, v in enumerate(presets(consumable.unit, restock=False))
    ]
    keyboard = keyboards.rows(buttons, 3)
    keyboard.append([keyboards.button("✏️ " + turn._("Other amount"), "su:o", booking.id, consumable.id)])
    keyboard.append([keyboards.button("⏭ " + turn._("Nothing to record"), "su:x", booking.id)])
    text = f"📦 {consumable.name}\n" + turn._("How much did you use?")
    return Reply(text=text, markup=InlineKeyboardMarkup(keyboard))


async def usage_preset(turn: Turn) -> Reply:
    booking_id, consumable_id, index = turn.args
    consumable = await stock.get_consumable(turn.session, consumable_id)
    options = presets(consumable.unit, restock=False)
    if index >= len(options):
        raise NotFound("preset")
    await stock.move(
        turn.session,
        turn.member,
        consumable.id,
        options[index],
        MovementReason.USE,
        turn.desk.settings.manager_ids,
        turn.now,
        booking_id=booking_id,
    )
    reply = await usage_screen(turn, booking_id)
    reply.text = _thanks(turn, options[index], consumable) + "\n\n" + (reply.text or "")
    reply.toast = turn._("Recorded.")
    return reply


def _thanks(turn: Turn, amount: Decimal, consumable: Consumable) -> str:
    return "✅ " + turn._("Thank you: {amount} of {name} recorded.").format(
        amount=turn.texts.quantity(amount, consumable.unit), name=consumable.name
    )


async def usage_screen(turn: Turn, booking_id: int) -> Reply:
    """The consumables of the booking's machine, those recorded ticked, and Done."""
    booking = await get_own_booking(turn.session, turn.member, booking_id)
    keyboard = []
    for consumable in await stock.consumables_of_machine(turn.session, booking.machine_id):
        used = await stock.used_in(turn.session, booking.id, consumable.id)
        if used is None:
            label = keyboards.clip_label(consumable.name, icon="📦")
            keyboard.append([keyboards.button(label, "su:c", booking.id, consumable.id)])
        else:
            amount = turn.texts.quantity(-used.delta, keyboards.short_unit(consumable.unit))
            label = keyboards.clip_label(amount, consumable.name, icon="✓")
            keyboard.append([keyboards.button(label, "su:c", booking.id, consumable.id)])
    keyboard.append([keyboards.button("✅ " + turn._("Done"), "su:x", booking.id)])
    return Reply(text=turn._("Anything else?"), markup=InlineKeyboardMarkup(keyboard))


async def usage_typed(turn: Turn) -> Reply:
    consumable = await stock.ask_amount(
        turn.session, turn.member, turn.args[1], MovementReason.USE, turn.now, booking_id=turn.args[0]
    )
    text = f"📦 {consumable.name}\n" + turn._(PROMPTS[MovementReason.USE]).format(unit=consumable.unit)
    return Reply(text=text + "\n" + turn._("/cancel to stop."))


async def usage_skip(turn: Turn) -> Reply:
    """Done (or nothing to record)."""
    booking = await get_own_booking(turn.session, turn.member, turn.args[0])
    recorded = [
        c
        for c in await stock.consumables_of_machine(turn.session, booking.machine_id)
        if await stock.used_in(turn.session, booking.id, c.id) is not None
    ]
    text = turn._("Thank you!") if recorded else turn._("Alright, nothing recorded. Thank you!")
    return Reply(text=text, markup=keyboards.back_to_menu(turn.texts))
