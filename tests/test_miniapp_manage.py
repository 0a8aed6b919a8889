"""The managers' tabs of the Mini App, through the real bot and its HTTP server: machines, opening
hours and closures, members' trainings and roles; members are refused, bad input changes nothing,
every change is recorded with who and when."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.inventory_file import import_inventory, parse_inventory
from bot.web import manage_texts
from models.audit import ManagerChange
from models.downtime import Downtime
from models.machines import Authorization, Machine
from models.maintenance import Action, Report, Severity, Ticket, TicketEvent, TicketOrigin, TicketStatus
from models.members import Member, Role
from models.opening import Closure, OpeningHours
from tests.factories import NOW
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import ALICE, BOB, MANAGER, Clock, book_through_buttons, running_bot, say, tap
from tests.harness import test_settings as bot_settings
from tests.miniapp import api, free_port, launch_data

Call = Callable[..., Awaitable[tuple[int, Any]]]
EN_MANAGER = FakeUser(MANAGER.id, MANAGER.first_name, username="morgane", language_code="en")


@asynccontextmanager
async def app(fake: FakeBotApi, database_url: str, **settings: Any) -> AsyncIterator[Call]:
    """The bot running with its Mini App; yields call(user, path, body=None) -> (status, json)."""
    port = free_port()
    values: dict[str, Any] = {"http_port": port, "public_url": "https://lab.example.org/fabdesk"}
    values.update(settings)
    clock = Clock()

    async def call(user: FakeUser, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        return await api(port, path, launch_data(fake, user, clock()), body)

    async with running_bot(bot_settings(fake, database_url, **values), clock):
        yield call


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> tuple[Any, ...]:
    """What the managers' endpoints could change."""
    async with sessions() as session:
        machines = [
            (m.name, m.kind, m.location, m.slot_minutes, m.max_booking_minutes, m.requires_training, m.status)
            for m in await session.scalars(select(Machine).order_by(Machine.id))
        ]
        hours = [
            (h.weekday, h.opens_minute, h.closes_minute) for h in await session.scalars(select(OpeningHours))
        ]
        closures = [(c.day, c.reason) for c in await session.scalars(select(Closure))]
        roles = [(m.telegram_id, m.role, m.promoted_at) for m in await session.scalars(select(Member))]
        trained = await session.scalar(select(func.count()).select_from(Authorization))
        changes = await session.scalar(select(func.count()).select_from(ManagerChange))
        return (machines, sorted(hours), closures, sorted(roles), trained, changes)


async def ids(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        machines = {m.name: m.id for m in await session.scalars(select(Machine))}
        people = {str(m.telegram_id): m.id for m in await session.scalars(select(Member))}
        return machines | people


async def changes(sessions: async_sessionmaker[AsyncSession]) -> list[ManagerChange]:
    async with sessions() as session:
        return list(await session.scalars(select(ManagerChange).order_by(ManagerChange.id)))


async def add_ticket(
    sessions: async_sessionmaker[AsyncSession],
    known: dict[str, int],
    severity: Severity,
    title: str,
    machine: str,
    hours_ago: int = 5,
) -> int:
    """An open ticket reported by Bob `hours_ago` hours ago (five unless told)."""
    async with sessions.begin() as session:
        ticket = Ticket(
            machine_id=known[machine],
            origin=TicketOrigin.REPORT,
            severity=severity,
            status=TicketStatus.OPEN,
            title=title,
            created_at=NOW - timedelta(hours=hours_ago),
            updated_at=NOW,
        )
        session.add(ticket)
        await session.flush()
        session.add(
            Report(
                ticket_id=ticket.id,
                reporter_id=known[str(BOB.id)],
                severity=severity,
                description=title + ", vu ce matin",
                created_at=NOW - timedelta(hours=hours_ago),
            )
        )
        return ticket.id


WRITES = [
    ("manage/machine", {"id": 1, "name": "Hacked"}),
    ("manage/kind_limits", {"kind": "3d_printer", "quotas": {"max_upcoming": 1}}),
    ("manage/downtime", {"machine": 1, "start": "2030-03-06T10:00", "end": "2030-03-06T12:00"}),
    ("manage/hours", {"weekday": 0, "intervals": []}),
    ("manage/closure", {"day": "2030-03-06", "reason": "x"}),
    ("manage/closure/remove", {"day": "2030-03-06"}),
    ("manage/authorize", {"member": 1, "machine": 2}),
    ("manage/revoke", {"member": 1, "machine": 2}),
    ("manage/role", {"member": 1, "manager": True}),
    ("manage/ticket", {"id": 1, "action": "take"}),
    ("manage/consumable", {"id": 1, "action": "restock", "amount": "100"}),
    ("manage/consumable", {"id": 1, "action": "minimum", "amount": "0"}),
    ("manage/update", {"id": 1, "version": "9.9"}),
]
READS = [
    "manage/texts",
    "manage/machines",
    "manage/hours",
    "manage/members?q=a",
    "manage/tickets",
    "manage/changes",
    "manage/consumables",
    "manage/updates",
]


async def test_a_member_is_refused_every_manager_endpoint_and_nothing_changes(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        assert (await call(ALICE, "me"))[0] == 200  # Alice is a member now
        before = await snapshot(sessions)
        for path in READS:
            status, answer = await call(ALICE, path)
            assert status == 403, path
            assert answer["error"] == "managers_only"
        for path, body in WRITES:
            status, answer = await call(ALICE, path, body)
            assert (status, answer["error"]) == (403, "managers_only"), path
        assert await snapshot(sessions) == before


async def test_a_manager_edits_a_machine_and_the_chat_shows_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        status, listed = await call(EN_MANAGER, "manage/machines")
        assert status == 200
        printer = next(m for m in listed["machines"] if m["name"] == "Prusa MK4")
        assert printer["grid_minutes"] == 30 and printer["max_minutes"] == 120
        assert {"value": "3d_printer", "label": "3D printers"} in listed["kinds"]
        edit = {"id": printer["id"], "name": "Prusa XL", "location": "Atelier 2", "grid_minutes": 15}
        status, answer = await call(EN_MANAGER, "manage/machine", edit | {"max_minutes": 90})
        assert status == 200, answer
        assert answer["changed"] == ["location", "max_booking_minutes", "name", "slot_minutes"]
        assert answer["machine"]["name"] == "Prusa XL" and answer["machine"]["grid_minutes"] == 15
        # The same again changes nothing and records nothing.
        assert (await call(EN_MANAGER, "manage/machine", edit | {"max_minutes": 90}))[1]["changed"] == []
        await say(fake, ALICE, "/start")
        screen = await tap(fake, ALICE, "Book a machine")
        assert any("Prusa XL" in label for label, _data in screen.buttons())
        assert not any("Prusa MK4" in label for label, _data in screen.buttons())
        recorded = await changes(sessions)
        manager = (await ids(sessions))[str(MANAGER.id)]
        assert [(c.what.value, c.target_id, c.manager_id, c.at) for c in recorded] == [
            ("machine", printer["id"], manager, NOW)
        ]
        assert recorded[0].details == {
            "name": "Prusa XL",
            "former_name": "Prusa MK4",  # for the import, which follows the rename
            "slot_minutes": 15,
            "max_booking_minutes": 90,
            "texts": ["location"],  # named, not copied
        }


async def test_a_manager_lets_a_machine_run_unattended_and_asks_for_check_in(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        printer = (await ids(sessions))["Prusa MK4"]
        status, listed = await call(EN_MANAGER, "manage/machines")
        shown = next(m for m in listed["machines"] if m["id"] == printer)
        assert (shown["unattended_max_minutes"], shown["checkin_minutes"]) == (0, 0)
        evening = f"lengths?machine={printer}&start=2030-03-05T18:00:00%2B01:00"
        assert (await call(ALICE, evening))[1]["lengths"] == [30, 60]  # until closing time
        edit = {"id": printer, "unattended_max_minutes": 1440, "checkin_minutes": 15}
        status, answer = await call(EN_MANAGER, "manage/machine", edit)
        assert status == 200, answer
        assert answer["changed"] == ["checkin_minutes", "unattended_max_minutes"]
        assert answer["machine"]["unattended_max_minutes"] == 1440
        # The member's sheet now offers the night, up to a day.
        status, lengths = await call(ALICE, evening)
        assert status == 200 and 600 in lengths["lengths"] and lengths["lengths"][-1] == 1440
        # Not whole slots: refused with the sentence; out of range: 400; nothing changed either way.
        status, answer = await call(
            EN_MANAGER, "manage/machine", {"id": printer, "unattended_max_minutes": 45}
        )
        assert (status, answer["error"]) == (409, "BadMachineMinutes")
        for bad in ({"unattended_max_minutes": 1441}, {"checkin_minutes": -1}, {"checkin_minutes": "soon"}):
            assert (await call(EN_MANAGER, "manage/machine", {"id": printer} | bad))[0] == 400
        assert (await call(EN_MANAGER, "manage/machine", {"id": printer, "unattended_max_minutes": 0}))[1][
            "changed"
        ] == ["unattended_max_minutes"]
        recorded = await changes(sessions)
        assert [c.details for c in recorded] == [
            {"unattended_max_minutes": 1440, "checkin_minutes": 15},
            {"unattended_max_minutes": 0},
        ]
    async with sessions() as session:
        machine = await session.get(Machine, printer)
        assert machine is not None and (machine.unattended_max_minutes, machine.checkin_minutes) == (0, 15)


async def test_the_import_of_a_file_older_than_a_rename_updates_the_renamed_machine(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        printer = (await ids(sessions))["Prusa MK4"]
        status, _answer = await call(EN_MANAGER, "manage/machine", {"id": printer, "name": "Prusa XL"})
        assert status == 200
    before = await snapshot(sessions)
    file = parse_inventory(
        "machines:\n"
        "  - name: prusa mk4\n"  # the file's name for it, as the file was written (case aside)
        "    kind: 3d_printer\n"
        "    location: Atelier 3\n"
    )
    async with sessions.begin() as session:
        report = await import_inventory(session, file, now=NOW)
    assert report.created == [] and report.updated == ["prusa mk4"]
    assert report.renamed_in_app == ["prusa mk4 → Prusa XL"]
    assert "Renamed in the app, kept under their new name: prusa mk4 → Prusa XL." in report.summary()
    async with sessions() as session:
        machines = {m.id: (m.name, m.location) for m in await session.scalars(select(Machine))}
    assert machines[printer] == ("Prusa XL", "Atelier 3")  # the app's name, the file's location
    assert len(machines) == len(before[0])  # no second "Prusa MK4"


async def test_a_null_field_is_left_alone_and_an_empty_location_clears_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        printer = (await ids(sessions))["Prusa MK4"]
        status, answer = await call(EN_MANAGER, "manage/machine", {"id": printer, "location": "Atelier 2"})
        assert status == 200 and answer["machine"]["location"] == "Atelier 2"
        nulls = dict.fromkeys(
            [
                "name",
                "kind",
                "location",
                "grid_minutes",
                "max_minutes",
                "training_required",
                "training_valid_months",
                "training_lapse_months",
                "out_of_service",
            ]
        )
        status, answer = await call(EN_MANAGER, "manage/machine", {"id": printer} | nulls)
        assert status == 200 and answer["changed"] == [], answer
        assert answer["machine"]["location"] == "Atelier 2" and answer["machine"]["name"] == "Prusa MK4"
        status, answer = await call(EN_MANAGER, "manage/machine", {"id": printer, "location": ""})
        assert status == 200 and answer["changed"] == ["location"] and answer["machine"]["location"] == ""


async def test_the_machine_list_reads_the_downtimes_in_one_query(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async with app(fake, database_url) as call:
        printer, laser = (await ids(sessions))["Prusa MK4"], (await ids(sessions))["Trotec Speedy"]
        for machine, day in ((printer, "06"), (laser, "07"), (printer, "05")):
            body = {"machine": machine, "start": f"2030-03-{day}T10:00", "end": f"2030-03-{day}T12:00"}
            assert (await call(EN_MANAGER, "manage/downtime", body))[0] == 200
        event.listen(Engine, "before_cursor_execute", seen)
        try:
            status, listed = await call(EN_MANAGER, "manage/machines")
        finally:
            event.remove(Engine, "before_cursor_execute", seen)
        assert status == 200
        planned = {m["name"]: [d["start"][:10] for d in m["downtimes"]] for m in listed["machines"]}
        assert planned == {"Prusa MK4": ["2030-03-05", "2030-03-06"], "Trotec Speedy": ["2030-03-07"]}
        assert len([s for s in statements if "FROM downtimes" in s]) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x" * 201},
        {"name": "   "},
        {"kind": "spaceship"},
        {"grid_minutes": 0},
        {"grid_minutes": "thirty"},
        {"max_minutes": 2000},
        {"training_required": "maybe"},
        {"training_valid_months": 121},
        {"training_lapse_months": -1},
        {"training_lapse_months": "six"},
        {"id": "one"},
    ],
    ids=lambda b: next(iter(b)),
)
async def test_bad_machine_input_is_400_and_changes_nothing(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None, body: Any
) -> None:
    async with app(fake, database_url) as call:
        printer = (await ids(sessions))["Prusa MK4"]
        before = await snapshot(sessions)
        status, answer = await call(EN_MANAGER, "manage/machine", {"id": printer, "location": "moved"} | body)
        assert status == 400 and answer["error"] in {"bad_argument", "bad_json"}
        assert answer["message"] == "Please check what you typed."  # for people; `detail` for developers
        assert await snapshot(sessions) == before


async def test_a_400_says_the_generic_sentence_in_the_callers_language(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        printer = (await ids(sessions))["Prusa MK4"]
        status, answer = await call(MANAGER, "manage/machine", {"id": printer, "grid_minutes": "trente"})
        assert status == 400 and answer["message"] == "Vérifiez ce que vous avez saisi."
        assert answer["detail"].startswith("grid_minutes:")  # English, for developers
        status, answer = await call(MANAGER, "manage/members?offset=-1")
        assert status == 400 and answer["message"] == "Vérifiez ce que vous avez saisi."
        # A 409 keeps the chat's sentence.
        status, answer = await call(MANAGER, "manage/closure", {"day": "2030-03-01"})
        assert status == 409 and answer["message"] and answer["message"] != "Vérifiez ce que vous avez saisi."


async def test_control_and_invisible_characters_are_refused_in_names_and_dropped_from_reasons(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        await call(BOB, "me")
        known = await ids(sessions)
        printer = known["Prusa MK4"]
        before = await snapshot(sessions)
        for body in ({"name": "Prusa\x00"}, {"name": "Pru\u200bsa"}, {"location": "Atelier\x1b[2J"}):
            status, answer = await call(EN_MANAGER, "manage/machine", {"id": printer} | body)
            assert (status, answer["error"]) == (409, "HiddenCharacters"), body
            assert "invisible characters" in answer["message"]
        assert await snapshot(sessions) == before
        edit = {"id": printer, "name": "  Prusa XL \t", "location": "Atelier 👩\u200d🔧"}
        status, answer = await call(EN_MANAGER, "manage/machine", edit)
        assert status == 200 and answer["machine"]["name"] == "Prusa XL"
        assert answer["machine"]["location"] == "Atelier 👩\u200d🔧"  # an emoji's joiner is kept
        # Free-text reasons and notes lose a NUL (PostgreSQL refuses it) instead of failing.
        body = {
            "machine": printer,
            "start": "2030-03-06T10:00",
            "end": "2030-03-06T12:00",
            "reason": "Buse\x00",
        }
        assert (await call(EN_MANAGER, "manage/downtime", body))[0] == 200
        assert (
            await call(EN_MANAGER, "manage/closure", {"day": "2030-03-07", "reason": "Inv\x00\u200bentaire"})
        )[0] == 200
        ticket = await add_ticket(sessions, known, Severity.MINOR, "Plateau rayé", "Prusa MK4")
        body = {"id": ticket, "action": "resolve", "note": "Changé\x00"}
        assert (await call(EN_MANAGER, "manage/ticket", body))[0] == 200
        status, found = await call(EN_MANAGER, "manage/members?q=%00bob")  # a search with a NUL
        assert status == 200 and [m["name"] for m in found["members"]] == ["Bob"]
        async with sessions() as session:
            assert await session.scalar(select(Downtime.reason)) == "Buse"
            assert await session.scalar(select(Closure.reason)) == "Inventaire"
            assert (
                await session.scalar(select(TicketEvent.note).where(TicketEvent.note.is_not(None)))
                == "Changé"
            )


async def test_domain_refusals_are_409_with_the_sentence_and_change_nothing(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        known = await ids(sessions)
        before = await snapshot(sessions)
        status, answer = await call(
            EN_MANAGER, "manage/machine", {"id": known["Prusa MK4"], "name": "trotec SPEEDY"}
        )
        assert (status, answer["error"]) == (409, "MachineNameTaken")
        assert answer["message"] == "Another machine already has that name. Nothing was changed."
        status, answer = await call(
            EN_MANAGER, "manage/machine", {"id": known["Prusa MK4"], "grid_minutes": 45, "location": "moved"}
        )
        assert (status, answer["error"]) == (409, "BadMachineMinutes")  # 120 is not a whole number of 45s
        status, answer = await call(
            EN_MANAGER, "manage/hours", {"weekday": 1, "intervals": [["10:00", "09:00"]]}
        )
        assert (status, answer["error"]) == (409, "BadHours")
        status, answer = await call(EN_MANAGER, "manage/closure", {"day": "2030-03-01"})
        assert (status, answer["error"]) == (409, "BadClosureDay")
        assert await snapshot(sessions) == before


async def test_hours_and_a_closure_over_a_booking_warn_its_member(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        await book_through_buttons(fake, BOB, "Wed 6 Mar", "10:00", "1 h → 11:00")
        await tap(fake, BOB, "Confirm")
        status, week = await call(EN_MANAGER, "manage/hours")
        assert status == 200 and week["hours"][0] == {
            "weekday": 0,
            "label": "Monday",
            "intervals": [["09:00", "19:00"]],
        }
        body = {"weekday": 1, "intervals": [["14:00", "19:00"], ["09:00", "12:30"]]}
        status, answer = await call(EN_MANAGER, "manage/hours", body)
        assert status == 200 and answer["intervals"] == [["09:00", "12:30"], ["14:00", "19:00"]]
        assert (await call(EN_MANAGER, "manage/hours"))[1]["hours"][1]["intervals"] == answer["intervals"]
        for bad in ({"weekday": 7, "intervals": []}, {"weekday": 1, "intervals": [["9h", "12h"]]}):
            assert (await call(EN_MANAGER, "manage/hours", bad))[0] == 400

        mark = fake.mark()
        status, answer = await call(
            EN_MANAGER, "manage/closure", {"day": "2030-03-06", "reason": "Inventaire"}
        )
        assert status == 200 and answer == {"day": "2030-03-06", "warned": 1}
        warning = await fake.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == BOB.id, after=mark)
        text = warning.text or ""
        assert text.startswith("🚪 The lab will be closed on Wednesday 6 March.")
        assert "Reason: Inventaire" in text and "Prusa MK4" in text
        assert next(label for label, _d in warning.buttons()) == "❌ Cancel this booking"
        status, answer = await call(EN_MANAGER, "manage/closure", {"day": "2030-03-06"})
        assert (status, answer["error"]) == (409, "AlreadyClosed")
        listed = (await call(EN_MANAGER, "manage/hours"))[1]["closures"]
        assert listed == [{"day": "2030-03-06", "label": "Wednesday 6 March", "reason": "Inventaire"}]
        assert (await call(EN_MANAGER, "manage/closure/remove", {"day": "2030-03-06"}))[0] == 200
        assert (await call(EN_MANAGER, "manage/closure/remove", {"day": "2030-03-06"}))[0] == 404  # no more
        assert (await call(EN_MANAGER, "manage/closure/remove", {"day": "6 March"}))[0] == 400
        kinds = [(c.what.value, c.target_id, c.at) for c in await changes(sessions)]
        day = date(2030, 3, 6).toordinal()
        assert kinds == [("hours", 1, NOW), ("closure_added", day, NOW), ("closure_removed", day, NOW)]


async def test_members_are_found_authorized_revoked_promoted_and_demoted(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url, manager_ids=[MANAGER.id]) as call:
        for user in (ALICE, BOB, EN_MANAGER):
            await call(user, "me")
        known = await ids(sessions)
        alice, laser = known[str(ALICE.id)], known["Trotec Speedy"]
        status, found = await call(EN_MANAGER, "manage/members?q=@ali")
        assert status == 200 and found["total"] == 1 and found["limit"] == 20
        assert found["members"][0] | {"authorizations": None} == {
            "id": alice,
            "name": "Alice",
            "username": "alice",
            "manager": False,
            "configured_manager": False,
            "authorizations": None,
        }
        assert found["machines"] == [{"id": laser, "name": "Trotec Speedy"}]
        assert (await call(EN_MANAGER, "manage/authorize", {"member": alice, "machine": laser}))[1][
            "authorized"
        ]
        found = (await call(EN_MANAGER, "manage/members?q=alice"))[1]
        assert [a["label"] for a in found["members"][0]["authorizations"]] == ["Trotec Speedy"]
        withdraw = {"member": alice, "machine": laser, "reason": "Left the lid open"}
        status, answer = await call(EN_MANAGER, "manage/revoke", withdraw | {"reason": "x" * 201})
        assert status == 400
        status, answer = await call(EN_MANAGER, "manage/revoke", withdraw)
        assert status == 200 and answer["cancelled"] == 0
        told = await fake.wait_for_call("sendMessage", ALICE.id, text_contains="was withdrawn")
        assert "Reason: Left the lid open" in (told.text or "")
        assert (await call(EN_MANAGER, "manage/revoke", {"member": alice, "machine": laser}))[0] == 404

        # Promoted from the app, Alice is a manager: the app's tabs open for her, and stay open
        # when she writes to the bot and when the bot restarts (the settings do not name her).
        status, answer = await call(EN_MANAGER, "manage/role", {"member": alice, "manager": True})
        assert status == 200 and answer == {"member": alice, "manager": True, "changed": True}
        assert (await call(ALICE, "manage/machines"))[0] == 200
        await say(fake, ALICE, "/start")
        assert (await call(ALICE, "me"))[1]["manager"] is True
        # The ids in the settings stay managers: 409 with a clear sentence, nothing changed.
        manager = known[str(MANAGER.id)]
        status, answer = await call(ALICE, "manage/role", {"member": manager, "manager": False})
        assert (status, answer["error"]) == (409, "ConfiguredManager")
        assert "FABDESK_MANAGER_IDS" in answer["message"]
        assert (await call(EN_MANAGER, "manage/role", {"member": alice, "manager": "yes"}))[0] == 400
    async with app(fake, database_url, manager_ids=[MANAGER.id]) as call:  # a restart: sync_managers
        assert (await call(ALICE, "me"))[1]["manager"] is True
        status, answer = await call(EN_MANAGER, "manage/role", {"member": alice, "manager": False})
        assert status == 200 and answer["manager"] is False
        assert (await call(ALICE, "manage/machines"))[0] == 403
    recorded = [(c.what.value, c.target_id, c.manager_id, c.at) for c in await changes(sessions)]
    assert recorded == [
        ("authorized", alice, manager, NOW),
        ("revoked", alice, manager, NOW),
        ("promoted", alice, manager, NOW),
        ("demoted", alice, manager, NOW),
    ]
    async with sessions() as session:
        member = await session.get(Member, alice)
        assert member is not None and member.role is Role.MEMBER and member.promoted_at is None


async def test_the_texts_of_the_tabs_are_in_the_managers_language(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    async with app(fake, database_url) as call:
        status, french = await call(MANAGER, "manage/texts")
        assert status == 200 and french["tab.hours"] == "Horaires et fermetures"
        status, english = await call(EN_MANAGER, "manage/texts")
        assert english["tab.hours"] == "Hours & closures" and set(english) == set(french)


async def test_the_maintenance_board_acts_as_the_chats_queue(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        await call(BOB, "me")
        known = await ids(sessions)
        await add_ticket(sessions, known, Severity.MINOR, "Plateau rayé", "Prusa MK4")
        await add_ticket(sessions, known, Severity.UNUSABLE, "Tube HS", "Trotec Speedy")
        assert (await call(ALICE, "manage/tickets"))[0] == 403
        status, board = await call(EN_MANAGER, "manage/tickets")
        assert status == 200 and board["total"] == 2
        assert [(t["title"], t["severity"], t["age_hours"]) for t in board["tickets"]] == [
            ("Tube HS", "unusable", 5),
            ("Plateau rayé", "minor", 5),
        ]
        laser = board["tickets"][0]["id"]
        assert (await call(EN_MANAGER, "manage/ticket", {"id": laser, "action": "fix"}))[0] == 400
        status, answer = await call(EN_MANAGER, "manage/ticket", {"id": laser, "action": "take"})
        assert status == 200 and answer["ticket"]["status"] == "in_progress"
        assert answer["ticket"]["assignee"] == "Morgane"
        mark = fake.mark()
        body = {"id": laser, "action": "resolve", "note": "Tube changé"}
        assert (await call(EN_MANAGER, "manage/ticket", body))[0] == 200
        told = await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == BOB.id and "is resolved" in (c.text or ""),
            after=mark,
        )
        assert "Note: Tube changé" in (told.text or "")
        status, answer = await call(EN_MANAGER, "manage/ticket", {"id": laser, "action": "reject"})
        assert (status, answer["error"]) == (409, "TicketNotActive")
        status, detail = await call(EN_MANAGER, f"manage/tickets?id={laser}")
        assert status == 200 and detail["ticket"]["reports"][0]["text"] == "Tube HS, vu ce matin"
        assert [(h["what"], h["note"]) for h in detail["ticket"]["history"]] == [
            ("taken in hand", None),
            ("resolved", "Tube changé"),
        ]


def test_every_word_the_managers_tabs_show_is_in_the_catalogs() -> None:
    script = (Path(manage_texts.__file__).parent / "static" / "manage.js").read_text(encoding="utf-8")
    used = set(re.findall(r"""\bt\("([a-z_.]+)"\)""", script))
    assert len(used) > 40 and used <= set(manage_texts.TEXTS), used - set(manage_texts.TEXTS)
    # The ticket's buttons are named after the actions the server offers: t("ticket." + action).
    assert {f"ticket.{action.value}" for action in Action} <= set(manage_texts.TEXTS)


async def test_a_manager_sets_how_long_a_training_lasts_and_each_change_is_recorded(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with app(fake, database_url) as call:
        laser = (await ids(sessions))["Trotec Speedy"]
        months = {"id": laser, "training_valid_months": 12, "training_lapse_months": 6}
        status, answer = await call(EN_MANAGER, "manage/machine", months)
        assert status == 200 and answer["changed"] == ["training_lapse_months", "training_valid_months"]
        assert (answer["machine"]["training_valid_months"], answer["machine"]["training_lapse_months"]) == (
            12,
            6,
        )
        assert (await call(EN_MANAGER, "manage/machine", months))[1]["changed"] == []
        # 0: never again; null leaves it alone.
        status, answer = await call(
            EN_MANAGER,
            "manage/machine",
            {"id": laser, "training_valid_months": 0, "training_lapse_months": None},
        )
        assert status == 200 and answer["changed"] == ["training_valid_months"]
        assert (answer["machine"]["training_valid_months"], answer["machine"]["training_lapse_months"]) == (
            None,
            6,
        )
        status, listed = await call(EN_MANAGER, "manage/machines")
        shown = next(m for m in listed["machines"] if m["id"] == laser)
        assert (shown["training_valid_months"], shown["training_lapse_months"]) == (None, 6)
        status, words = await call(MANAGER, "manage/texts")
        assert (
            words["machine.training_lapse"]
            == "Habilitation expirée sans réservation après (mois, vide : jamais)"
        )
    recorded = await changes(sessions)
    assert [c.details for c in recorded] == [
        {"training_valid_months": 12, "training_lapse_months": 6},
        {"training_valid_months": None},
    ]
