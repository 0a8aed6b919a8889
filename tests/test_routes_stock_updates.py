"""The consumables' and the update register's buttons: typed, and still today's callback data, so
buttons already on members' and managers' screens keep working."""

from __future__ import annotations

import pytest

from bot.core import routes
from bot.features.stock import routes as stock
from bot.features.stock.screens import presets
from bot.features.updates import routes as updates
from models.stock import MovementReason

PRESSES: list[routes.Button] = [
    stock.ConsumableList(page=0),
    stock.ConsumableList(page=3),
    stock.ConsumableChosen(consumable=12),
    stock.RestockChosen(consumable=12, preset=3),
    stock.AmountToType(consumable=12, reason=MovementReason.RESTOCK),
    stock.AmountToType(consumable=12, reason=MovementReason.COUNT),
    stock.AmountToType(consumable=12, reason=MovementReason.CORRECTION),
    stock.UsedConsumableChosen(booking=345, consumable=12),
    stock.UsedAmountChosen(booking=345, consumable=12, preset=5),
    stock.UsedAmountToType(booking=345, consumable=12),
    stock.UsageDone(booking=345),
    updates.ItemList(page=0),
    updates.ItemList(page=2),
    updates.ItemChosen(item=7),
    updates.ItemUpdated(item=7),
    updates.ItemUpToDate(item=7),
    updates.ItemSnoozed(item=7),
    updates.ItemNotApplicable(item=7),
]


@pytest.mark.parametrize("press", PRESSES, ids=lambda p: p.data())
def test_every_button_round_trips(press: routes.Button) -> None:
    assert len(press.data().encode()) <= 64
    assert routes.parse(press.data()) == press


@pytest.mark.parametrize(
    ("data", "press"),
    [
        # as bot/handlers/stock.py and bot/notifications.py built them before the move
        ("st:0", stock.ConsumableList(page=0)),
        ("st:1", stock.ConsumableList(page=1)),
        ("st:c:12", stock.ConsumableChosen(consumable=12)),
        ("st:r:12:0", stock.RestockChosen(consumable=12, preset=0)),
        ("st:r:12:4", stock.RestockChosen(consumable=12, preset=4)),
        ("st:t:12:0", stock.AmountToType(consumable=12, reason=MovementReason.RESTOCK)),
        ("st:t:12:1", stock.AmountToType(consumable=12, reason=MovementReason.COUNT)),
        ("st:t:12:2", stock.AmountToType(consumable=12, reason=MovementReason.CORRECTION)),
        ("su:c:345:12", stock.UsedConsumableChosen(booking=345, consumable=12)),
        ("su:a:345:12:0", stock.UsedAmountChosen(booking=345, consumable=12, preset=0)),
        ("su:a:345:12:5", stock.UsedAmountChosen(booking=345, consumable=12, preset=5)),
        ("su:o:345:12", stock.UsedAmountToType(booking=345, consumable=12)),
        ("su:x:345", stock.UsageDone(booking=345)),
        ("up:0", updates.ItemList(page=0)),
        ("up:4", updates.ItemList(page=4)),
        ("up:i:7", updates.ItemChosen(item=7)),
        ("up:d:7", updates.ItemUpdated(item=7)),
        ("up:k:7", updates.ItemUpToDate(item=7)),
        ("up:s:7", updates.ItemSnoozed(item=7)),
        ("up:n:7", updates.ItemNotApplicable(item=7)),
    ],
)
def test_todays_data_reads_as_the_typed_press(data: str, press: routes.Button) -> None:
    assert routes.parse(data) == press
    assert press.data() == data


@pytest.mark.parametrize(
    "data",
    [
        "st",  # the page is part of the data ("st:0"), as it always was
        "st:c",
        "st:c:12:1",
        "st:t:12:3",  # no fourth kind of typed amount
        "st:r:12:6",  # no unit has seven presets
        "su:a:345:12:6",
        "su:a:345:12",
        "su:x:-1",
        "up:i:2147483648",
        "up:10000",
        "up:n:x",
    ],
)
def test_forged_data_parses_to_none(data: str) -> None:
    assert routes.parse(data) is None


@pytest.mark.parametrize("unit", ["g", "ml", "kg", "l", "pcs", "sheet"])
@pytest.mark.parametrize("restock", [True, False])
def test_every_preset_amount_has_a_button(unit: str, restock: bool) -> None:
    """A preset's index fits the button: adding a seventh preset needs a wider Preset."""
    last = len(presets(unit, restock=restock)) - 1
    stock.RestockChosen(consumable=1, preset=last).data()
    stock.UsedAmountChosen(booking=1, consumable=1, preset=last).data()
