"""Consumables: managers' /stock (restocks, counts, corrections) and members' use after a booking."""

from __future__ import annotations

from decimal import Decimal

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.i18n import N_
from bot.core.inputs import typed_answer
from bot.core.reply import Reply
from bot.features import keyboards
from bot.features.stock import keyboards as stock_keyboards
from bot.features.stock import routes
from models import members, stock
from models.bookings import get_own_booking
from models.errors import NotFound
from models.stock import Consumable, MovementReason

PAGE_SIZE = 10
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


async def stock_list(turn: Turn) -> Reply:
    """Every consumable with its quantity; those below their minimum are marked."""
    _ = turn._
    members.require_manager(turn.member)
    page = turn.press.page if isinstance(turn.press, routes.ConsumableList) else 0  # /stock: the first
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
    has_next = len(everything) > (page + 1) * PAGE_SIZE
    return Reply(text="\n".join(lines), markup=stock_keyboards.consumables(turn.texts, shown, page, has_next))


async def consumable_screen(turn: Turn, consumable_id: int, toast: str | None = None) -> Reply:
    """A consumable: quantity, minimum, machines it feeds, latest movements, and what to do."""
    _ = turn._
    texts = turn.texts
    members.require_manager(turn.member)
    consumable = await stock.get_consumable(turn.session, consumable_id)
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
    markup = stock_keyboards.consumable_actions(texts, consumable, presets(unit, restock=True))
    return Reply(text="\n".join(lines), markup=markup, toast=toast)


async def show_consumable(turn: Turn) -> Reply:
    return await consumable_screen(turn, turn.pressed(routes.ConsumableChosen).consumable)


async def restock_preset(turn: Turn) -> Reply:
    """Record a restock of a preset amount."""
    press = turn.pressed(routes.RestockChosen)
    members.require_manager(turn.member)
    consumable = await stock.get_consumable(turn.session, press.consumable)
    options = presets(consumable.unit, restock=True)
    if press.preset >= len(options):
        raise NotFound("preset")
    await stock.move(
        turn.session,
        turn.member,
        consumable.id,
        options[press.preset],
        MovementReason.RESTOCK,
        turn.desk.settings.manager_ids,
        turn.now,
    )
    return await consumable_screen(turn, consumable.id, toast=turn._("Restock recorded."))


async def ask_typed(turn: Turn) -> Reply:
    """Ask a manager for an amount typed as a message (restock, count, correction)."""
    press = turn.pressed(routes.AmountToType)
    members.require_manager(turn.member)
    reason = press.reason
    consumable = await stock.ask_amount(turn.session, turn.member, press.consumable, reason, turn.now)
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
    press = turn.pressed(routes.UsedConsumableChosen)
    booking = await get_own_booking(turn.session, turn.member, press.booking)
    consumable = await stock.get_consumable(turn.session, press.consumable)
    if booking.machine_id not in {m.id for m in consumable.machines}:
        raise NotFound("consumable")
    amounts = presets(consumable.unit, restock=False)
    text = f"📦 {consumable.name}\n" + turn._("How much did you use?")
    return Reply(text=text, markup=stock_keyboards.used_amounts(turn.texts, booking.id, consumable, amounts))


async def usage_preset(turn: Turn) -> Reply:
    press = turn.pressed(routes.UsedAmountChosen)
    booking_id, consumable_id, index = press.booking, press.consumable, press.preset
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
    entries = []
    for consumable in await stock.consumables_of_machine(turn.session, booking.machine_id):
        used = await stock.used_in(turn.session, booking.id, consumable.id)
        entries.append((consumable, None if used is None else -used.delta))
    return Reply(text=turn._("Anything else?"), markup=stock_keyboards.usage(turn.texts, booking.id, entries))


async def usage_typed(turn: Turn) -> Reply:
    press = turn.pressed(routes.UsedAmountToType)
    consumable = await stock.ask_amount(
        turn.session, turn.member, press.consumable, MovementReason.USE, turn.now, booking_id=press.booking
    )
    text = f"📦 {consumable.name}\n" + turn._(PROMPTS[MovementReason.USE]).format(unit=consumable.unit)
    return Reply(text=text + "\n" + turn._("/cancel to stop."))


async def usage_skip(turn: Turn) -> Reply:
    """Done (or nothing to record)."""
    booking = await get_own_booking(turn.session, turn.member, turn.pressed(routes.UsageDone).booking)
    recorded = [
        c
        for c in await stock.consumables_of_machine(turn.session, booking.machine_id)
        if await stock.used_in(turn.session, booking.id, c.id) is not None
    ]
    text = turn._("Thank you!") if recorded else turn._("Alright, nothing recorded. Thank you!")
    return Reply(text=text, markup=keyboards.back_to_menu(turn.texts))


FEATURE = Feature(
    name="stock",
    commands={"stock": stock_list},
    presses={
        routes.ConsumableList: stock_list,
        routes.ConsumableChosen: show_consumable,
        routes.RestockChosen: restock_preset,
        routes.AmountToType: ask_typed,
        routes.UsedConsumableChosen: usage_pick,
        routes.UsedAmountChosen: usage_preset,
        routes.UsedAmountToType: usage_typed,
        routes.UsageDone: usage_skip,
    },
    awaits=[typed_answer(lambda turn: stock.pending_amount(turn.session, turn.member), took_amount)],
)
