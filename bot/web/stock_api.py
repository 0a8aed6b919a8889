"""The managers' Consumables and Updates tabs of the Mini App: the stock (restock, inventory count,
minimum) and the update register (mark updated with the version).

The same domain functions as the chat's /stock and /updates (models/stock.py, models/updates.py),
which check the role again; every change recorded with who and when (models/audit.py). Amounts are
read as the manager types them in their language (« 1,5 », "1.5 kg"); one that does not read is a
400, a refusal of the domain (a restock of nothing, a version too long) a 409 with the chat's sentence.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.web.api import ApiError, Call
from bot.web.manager_api import ManagerEndpoint
from models import audit, stock, updates
from models.audit import ChangeKind
from models.stock import Consumable, MovementReason
from models.updates import UpdateItem


def _amount(call: Call, unit: str) -> Decimal:
    """The amount typed ("250", « 1,5 », "2 kg" of a consumable kept in grams); 400 otherwise."""
    value = call.body.get("amount")
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and len(value) <= 40:
        try:
            return stock.parse_quantity(value, unit, call.texts.language)
        except stock.BadQuantity:
            pass
    raise ApiError(400, "bad_argument", f"amount: a number of {unit}, at most 3 decimals")


def _number(value: Decimal) -> str:
    """A quantity as plain digits for the page: "1200", "0.25" (never "1.2E+3")."""
    return format(value.normalize(), "f")


def _consumable_json(call: Call, consumable: Consumable) -> dict[str, object]:
    unit = consumable.unit
    return {
        "id": consumable.id,
        "name": consumable.name,
        "unit": unit,
        "quantity": _number(consumable.quantity),
        "quantity_label": call.texts.quantity(consumable.quantity, unit),
        "minimum": _number(consumable.minimum),
        "minimum_label": call.texts.quantity(consumable.minimum, unit),
        "low": consumable.low,
        "machines": sorted(m.name for m in consumable.machines),
    }


class Consumables(ManagerEndpoint):
    """The consumables: their stock, minimum, whether low, the machines they feed."""

    async def show(self, call: Call) -> object:
        listed = await stock.list_consumables(call.session)
        return {"consumables": [_consumable_json(call, c) for c in listed]}


# What a manager does to a consumable from the app, and how it is recorded.
STOCK_ACTIONS = {"restock": ChangeKind.RESTOCKED, "count": ChangeKind.COUNTED, "minimum": ChangeKind.MINIMUM}


class ConsumableChange(ManagerEndpoint):
    """Change a consumable {id, action: restock|count|minimum, amount}: a delivery added to the stock,
    the stock counted (the difference recorded as a movement), or the minimum below which the
    managers are alerted."""

    async def change(self, call: Call) -> object:
        consumable_id = call.row_id("id")
        action = call.text("action", 16)
        if action not in STOCK_ACTIONS:
            raise ApiError(400, "bad_argument", "action: " + ", ".join(STOCK_ACTIONS))
        consumable = await stock.get_consumable(call.session, consumable_id)
        amount = _amount(call, consumable.unit)
        manager_ids, details = call.desk.settings.manager_ids, {"amount": _number(amount)}
        if action == "minimum":
            changed = await stock.set_minimum(
                call.session, call.member, consumable.id, amount, manager_ids, call.now
            )
        else:
            if action == "restock":
                movement = await stock.move(
                    call.session,
                    call.member,
                    consumable.id,
                    amount,
                    MovementReason.RESTOCK,
                    manager_ids,
                    call.now,
                )
            else:
                movement = await stock.count(
                    call.session, call.member, consumable.id, amount, manager_ids, call.now
                )
            changed = movement.delta_milli != 0
            details["movement"] = _number(movement.delta)
        if changed:
            audit.record(call.session, call.member, STOCK_ACTIONS[action], consumable.id, details, call.now)
        consumable = await stock.get_consumable(call.session, consumable.id)
        return {"consumable": _consumable_json(call, consumable), "changed": changed}


def _item_json(call: Call, item: UpdateItem) -> dict[str, object]:
    tz = call.desk.settings.tz
    return {
        "id": item.id,
        "name": item.name,
        "machine": item.machine.name if item.machine is not None else None,
        "version": item.current_version,
        "last_updated": item.last_checked_at.astimezone(tz).isoformat(),
        "last_updated_label": call.texts.day(item.last_checked_at),
        "due": item.due_at.astimezone(tz).isoformat(),
        "due_label": call.texts.day(item.due_at),
        "is_due": item.is_due(call.now),
        "not_applicable": item.not_applicable,
    }


class UpdateItems(ManagerEndpoint):
    """The update register: software, firmware and systems, the soonest due first."""

    async def show(self, call: Call) -> object:
        return {"items": [_item_json(call, item) for item in await updates.list_items(call.session)]}


class UpdateDone(ManagerEndpoint):
    """Mark an item of the register updated {id, version}: the version now installed; its clock
    starts again."""

    async def change(self, call: Call) -> object:
        item_id = call.row_id("id")
        version = call.text("version", updates.MAX_VERSION)
        item = await updates.mark_done(call.session, call.member, item_id, version, call.now)
        details = {"version": item.current_version}
        audit.record(call.session, call.member, ChangeKind.UPDATED, item.id, details, call.now)
        return {"item": _item_json(call, item)}


# (path under /app/api/, endpoint), as in bot/web/manager_api.py.
ENDPOINTS: list[tuple[str, Any]] = [
    ("manage/consumables", Consumables),
    ("manage/consumable", ConsumableChange),
    ("manage/updates", UpdateItems),
    ("manage/update", UpdateDone),
]
