"""A machine kind's limits set by a manager in the Mini App: recorded with who and when, shown as the
machines' placeholders, bad values a 400 in the manager's language, members refused (403); the
inventory file's `quotas:` section wins at its next import, and its report says so."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.inventory_file import import_inventory, parse_inventory
from models import quotas
from models.machines import MachineKind
from models.quotas import QuotaValues
from tests.factories import NOW
from tests.fakebot import FakeBotApi
from tests.harness import ALICE, MANAGER
from tests.test_miniapp_manage import EN_MANAGER, app, changes, ids, snapshot

PRINTERS = "3d_printer"


async def kind_values(sessions: async_sessionmaker[AsyncSession]) -> dict[MachineKind, QuotaValues]:
    async with sessions() as session:
        return await quotas.kind_values(session)


async def test_a_manager_sets_a_kinds_limits_and_each_machine_of_it_shows_them(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        boxes = {
            entry["kind"]: entry for entry in (await call(EN_MANAGER, "manage/machines"))[1]["kind_limits"]
        }
        assert boxes[PRINTERS]["title"] == "Limits for all 3D printers"
        assert boxes[PRINTERS]["quotas"] == dict.fromkeys(quotas.LIMIT_FIELDS)
        assert "cnc" not in boxes  # the lab has no CNC machine, and no limits for them
        sent = {"max_minutes_per_week": 480, "max_upcoming": 3}
        status, answer = await call(EN_MANAGER, "manage/kind_limits", {"kind": PRINTERS, "quotas": sent})
        assert status == 200, answer
        assert answer["changed"] == ["max_minutes_per_week", "max_upcoming"]
        assert answer["kind_limits"]["quotas"]["max_upcoming"] == 3
        # A field left out stays; null clears one.
        body = {"kind": PRINTERS, "quotas": {"max_upcoming": None, "notice_minutes": 120}}
        assert (await call(EN_MANAGER, "manage/kind_limits", body))[1]["changed"] == [
            "max_upcoming",
            "notice_minutes",
        ]
        # The same again changes nothing and records nothing.
        assert (await call(EN_MANAGER, "manage/kind_limits", body))[1]["changed"] == []
        status, listed = await call(EN_MANAGER, "manage/machines")
        printer = next(m for m in listed["machines"] if m["name"] == "Prusa MK4")
        assert (
            printer["kind_quotas"]["max_minutes_per_week"] == 480
            and printer["quotas"]["notice_minutes"] is None
        )
    assert await kind_values(sessions) == {
        MachineKind.PRINTER_3D: QuotaValues(max_minutes_per_week=480, notice_minutes=120)
    }
    manager = (await ids(sessions))[str(MANAGER.id)]
    target = list(MachineKind).index(MachineKind.PRINTER_3D)
    assert [(c.what.value, c.target_id, c.manager_id, c.at, c.details) for c in await changes(sessions)] == [
        (
            "kind_limits",
            target,
            manager,
            NOW,
            {"kind": PRINTERS, "max_minutes_per_week": 480, "max_upcoming": 3},
        ),
        (
            "kind_limits",
            target,
            manager,
            NOW,
            {"kind": PRINTERS, "max_upcoming": None, "notice_minutes": 120},
        ),
    ]


BAD_QUOTA_FR = (
    "Chaque limite est un nombre entier supérieur à 0 (des minutes, jusqu'à quatre semaines ; "
    "100 réservations au plus), ou vide pour aucune limite. Rien n'a été modifié."
)


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ({"kind": PRINTERS, "quotas": {"notice_minutes": 50_000}}, "range"),
        ({"kind": PRINTERS, "quotas": {"max_upcoming": 101}}, "range"),
        ({"kind": PRINTERS, "quotas": {"max_minutes_per_day": 0}}, "range"),
        ({"kind": PRINTERS, "quotas": {"max_minutes_per_day": -60}}, "range"),
        ({"kind": PRINTERS, "quotas": {"notice_minutes": "120"}}, "generic"),
        ({"kind": PRINTERS, "quotas": {"notice_minutes": 1.5}}, "generic"),
        ({"kind": PRINTERS, "quotas": {"notice_minutes": True}}, "generic"),
        ({"kind": PRINTERS, "quotas": {"max_hours": 2}}, "generic"),
        ({"kind": PRINTERS, "quotas": [120]}, "generic"),
        ({"kind": PRINTERS}, "generic"),
        ({"kind": "spaceship", "quotas": {"max_upcoming": 1}}, "generic"),
        ({"kind": ["3d_printer"], "quotas": {"max_upcoming": 1}}, "generic"),
        ({"quotas": {"max_upcoming": 1}}, "generic"),
    ],
)
async def test_bad_kind_limits_are_a_400_in_the_managers_language_and_change_nothing(
    fake: FakeBotApi,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    lab: None,
    body: dict[str, Any],
    sentence: str,
) -> None:
    async with app(fake, database_url) as call:
        before = await snapshot(sessions)
        status, answer = await call(MANAGER, "manage/kind_limits", body)  # MANAGER speaks French
        assert status == 400, answer
        expected = BAD_QUOTA_FR if sentence == "range" else "Vérifiez ce que vous avez saisi."
        assert answer["message"] == expected
        assert await snapshot(sessions) == before
    assert await kind_values(sessions) == {}


async def test_a_member_may_not_set_a_kinds_limits(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        body = {"kind": PRINTERS, "quotas": {"max_upcoming": 1}}
        status, answer = await call(ALICE, "manage/kind_limits", body)
        assert (status, answer["error"]) == (403, "managers_only")
        assert answer["message"] == "Only the fab managers can do that."
    assert await kind_values(sessions) == {}
    assert await changes(sessions) == []


async def test_the_files_quotas_section_wins_at_the_next_import_and_the_report_says_so(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        body = {"kind": PRINTERS, "quotas": {"max_upcoming": 2}}
        assert (await call(EN_MANAGER, "manage/kind_limits", body))[0] == 200
    # A file without a quotas section leaves the app's values alone.
    async with sessions.begin() as session:
        await import_inventory(
            session, parse_inventory("machines:\n  - {name: Prusa MK4, kind: 3d_printer}\n")
        )
    assert await kind_values(sessions) == {MachineKind.PRINTER_3D: QuotaValues(max_upcoming=2)}
    # One with a quotas section sets every kind's: the file wins.
    async with sessions.begin() as session:
        report = await import_inventory(
            session, parse_inventory("quotas:\n  3d_printer: {max_upcoming_bookings: 4}\n"), now=NOW
        )
    assert report.kind_quotas_set_in_app == [PRINTERS]
    assert "The file's limits replace those set in the app for: 3d_printer." in report.summary()
    assert await kind_values(sessions) == {MachineKind.PRINTER_3D: QuotaValues(max_upcoming=4)}
    async with sessions.begin() as session:  # the same file again: nothing changes, nothing said
        again = await import_inventory(
            session, parse_inventory("quotas:\n  3d_printer: {max_upcoming_bookings: 4}\n"), now=NOW
        )
    assert again.kind_quotas_set_in_app == [] and not again.changed
