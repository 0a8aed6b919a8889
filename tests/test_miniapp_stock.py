"""The managers' Consumables and Updates tabs of the Mini App, through the real bot and its HTTP
server: unknown ids are 404, bad input is 400 and changes nothing, a change goes through the chat's
domain functions and is recorded with who and when (a member is refused: tests/test_miniapp_manage.py
tries every manager endpoint)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import stock
from models.audit import ManagerChange
from models.machines import Machine
from models.outbox import OutboxMessage
from models.stock import Consumable, StockMovement
from models.updates import UpdateCheck, UpdateItem
from tests.factories import NOW
from tests.harness import MANAGER
from tests.test_miniapp_manage import EN_MANAGER, app, changes

OTHER_MANAGER = 901  # a second manager by the settings: told of a low stock the first one caused


async def stocked(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """PLA (grams, 1.2 kg, minimum 500 g, feeds the printer), an inactive resin, and two items of
    the update register; their ids by name."""
    async with sessions.begin() as session:
        printer = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
        assert printer is not None
        rows: list[Any] = [
            Consumable(
                name="PLA noir",
                unit="g",
                quantity_milli=stock.to_milli(Decimal(1200)),
                minimum_milli=stock.to_milli(Decimal(500)),
                active=True,
                created_at=NOW,
                machines=[printer],
            ),
            Consumable(name="Résine grise", unit="ml", active=False, created_at=NOW),
            UpdateItem(
                name="PrusaSlicer",
                machine_id=printer.id,
                current_version="2.7.1",
                check_every_days=30,
                last_checked_at=NOW - timedelta(days=40),
                not_applicable=False,
                created_at=NOW,
            ),
            UpdateItem(
                name="Inkscape",
                current_version="1.3",
                check_every_days=90,
                last_checked_at=NOW - timedelta(days=10),
                not_applicable=False,
                created_at=NOW,
            ),
        ]
        session.add_all(rows)
        await session.flush()
        return {row.name: row.id for row in rows}


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> tuple[Any, ...]:
    """What the Consumables and Updates endpoints could change."""
    async with sessions() as session:
        consumables = [
            (c.name, c.quantity_milli, c.minimum_milli, c.low_alert_at)
            for c in await session.scalars(select(Consumable).order_by(Consumable.id))
        ]
        items = [
            (i.name, i.current_version, i.last_checked_at)
            for i in await session.scalars(select(UpdateItem).order_by(UpdateItem.id))
        ]
        counts = [
            await session.scalar(select(func.count()).select_from(table))
            for table in (StockMovement, UpdateCheck, ManagerChange, OutboxMessage)
        ]
        return (consumables, items, counts)


async def test_a_manager_restocks_counts_and_sets_a_minimum(
    fake: Any, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    known = await stocked(sessions)
    pla = known["PLA noir"]
    async with app(fake, database_url, manager_ids=[MANAGER.id, OTHER_MANAGER]) as call:
        status, listed = await call(EN_MANAGER, "manage/consumables")
        assert status == 200
        assert listed["consumables"] == [  # the inactive resin is not listed
            {
                "id": pla,
                "name": "PLA noir",
                "unit": "g",
                "quantity": "1200",
                "quantity_label": "1,200 g",
                "minimum": "500",
                "minimum_label": "500 g",
                "low": False,
                "machines": ["Prusa MK4"],
            }
        ]
        # In French, as the manager types it: « 1,5 kg » of a consumable kept in grams.
        status, answer = await call(
            MANAGER, "manage/consumable", {"id": pla, "action": "restock", "amount": "1,5 kg"}
        )
        assert status == 200 and answer["changed"] is True
        shown = answer["consumable"]
        assert shown["quantity"] == "2700" and shown["quantity_label"] == "2\u202f700 g"  # a French space
        status, answer = await call(
            EN_MANAGER, "manage/consumable", {"id": pla, "action": "count", "amount": 2650}
        )
        assert status == 200 and answer["consumable"]["quantity"] == "2650"
        # The same count again moves nothing and records nothing.
        body = {"id": pla, "action": "count", "amount": "2650"}
        assert (await call(EN_MANAGER, "manage/consumable", body))[1]["changed"] is False
        status, answer = await call(
            EN_MANAGER, "manage/consumable", {"id": pla, "action": "minimum", "amount": "3000"}
        )
        assert (
            status == 200
            and answer["consumable"]["low"] is True
            and answer["consumable"]["minimum"] == "3000"
        )
    async with sessions() as session:
        movements = list(await session.scalars(select(StockMovement).order_by(StockMovement.id)))
        assert [(m.reason.value, m.delta, m.quantity_after_milli) for m in movements] == [
            ("restock", Decimal(1500), 2_700_000),
            ("count", Decimal(-50), 2_650_000),
            ("count", Decimal(0), 2_650_000),
        ]
        alerts = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "low_stock")))
        assert len(alerts) == 1  # to the other manager; the one who set it sees it on screen
    recorded = [(c.what.value, c.target_id, c.at, c.details) for c in await changes(sessions)]
    assert recorded == [
        ("restocked", pla, NOW, {"amount": "1500", "movement": "1500"}),
        ("counted", pla, NOW, {"amount": "2650", "movement": "-50"}),
        ("minimum", pla, NOW, {"amount": "3000"}),
    ]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("manage/consumable", {"action": "restock", "amount": "beaucoup"}),
        ("manage/consumable", {"action": "restock", "amount": "2 l"}),  # litres of grams
        ("manage/consumable", {"action": "restock", "amount": "1.2345"}),
        ("manage/consumable", {"action": "restock", "amount": [100]}),
        ("manage/consumable", {"action": "restock", "amount": True}),
        ("manage/consumable", {"action": "restock"}),
        ("manage/consumable", {"action": "steal", "amount": "100"}),
        ("manage/consumable", {"id": "one", "action": "restock", "amount": "100"}),
        ("manage/update", {"version": ""}),
        ("manage/update", {"version": "1." * 30}),
        ("manage/update", {"version": 3}),
        ("manage/update", {"id": -1, "version": "3"}),
    ],
)
async def test_bad_input_is_400_and_changes_nothing(
    fake: Any, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None, path: str, body: Any
) -> None:
    known = await stocked(sessions)
    target = known["PLA noir"] if path == "manage/consumable" else known["PrusaSlicer"]
    async with app(fake, database_url) as call:
        before = await snapshot(sessions)
        status, answer = await call(EN_MANAGER, path, {"id": target} | body)
        assert (status, answer["error"]) == (400, "bad_argument"), answer
        assert answer["message"] == "Please check what you typed."
        assert await snapshot(sessions) == before


async def test_unknown_ids_are_404_and_refusals_409_and_change_nothing(
    fake: Any, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    known = await stocked(sessions)
    pla, resin = known["PLA noir"], known["Résine grise"]
    async with app(fake, database_url) as call:
        before = await snapshot(sessions)
        for path, body in (
            ("manage/consumable", {"id": 999_999, "action": "restock", "amount": "100"}),
            ("manage/consumable", {"id": resin, "action": "restock", "amount": "100"}),  # inactive
            ("manage/update", {"id": 999_999, "version": "3.0"}),
        ):
            status, answer = await call(EN_MANAGER, path, body)
            assert (status, answer["error"]) == (404, "NotFound"), body
        for body in (
            {"id": pla, "action": "restock", "amount": "-100"},
            {"id": pla, "action": "restock", "amount": "0"},
            {"id": pla, "action": "count", "amount": "-1"},
            {"id": pla, "action": "minimum", "amount": "-1"},
        ):
            status, answer = await call(EN_MANAGER, "manage/consumable", body)
            assert (status, answer["error"]) == (409, "BadQuantity"), body
            assert answer["message"]
        status, answer = await call(EN_MANAGER, "manage/update", {"id": known["Inkscape"], "version": "\x00"})
        assert (status, answer["error"]) == (409, "BadVersion")
        assert await snapshot(sessions) == before


async def test_a_manager_marks_an_item_updated_with_its_version(
    fake: Any, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    known = await stocked(sessions)
    slicer = known["PrusaSlicer"]
    async with app(fake, database_url) as call:
        status, listed = await call(EN_MANAGER, "manage/updates")
        assert status == 200
        assert [(i["name"], i["machine"], i["version"], i["is_due"]) for i in listed["items"]] == [
            ("PrusaSlicer", "Prusa MK4", "2.7.1", True),  # due ten days ago: first
            ("Inkscape", None, "1.3", False),
        ]
        assert listed["items"][0]["due"] == "2030-02-22T07:00:00+01:00"
        status, answer = await call(EN_MANAGER, "manage/update", {"id": slicer, "version": " 2.8.0 "})
        assert status == 200 and answer["item"]["version"] == "2.8.0" and answer["item"]["is_due"] is False
        assert answer["item"]["last_updated"] == "2030-03-04T07:00:00+01:00"
    async with sessions() as session:
        check = await session.scalar(select(UpdateCheck))
        assert check is not None
        assert (check.version_before, check.version_after, check.at) == ("2.7.1", "2.8.0", NOW)
    recorded = [(c.what.value, c.target_id, c.at, c.details) for c in await changes(sessions)]
    assert recorded == [("updated", slicer, NOW, {"version": "2.8.0"})]
