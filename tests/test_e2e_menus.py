"""Menus, commands, languages, managers' screens and every kind of odd input, end to end."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import bookings
from models.bookings import Booking
from models.members import Member
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import (
    ALICE,
    BOB,
    MANAGER,
    Clock,
    book_through_buttons,
    press_data,
    running_bot,
    say,
    tap,
    test_settings,
)


async def test_command_menus_are_published_for_members_and_managers(
    fake: FakeBotApi, database_url: str
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await fake.wait_for(lambda c: c.method == "setMyCommands" and "chat" in str(c.params.get("scope")))
    published = {
        (call.params["scope"]["type"], call.params.get("language_code")): [
            c["command"] for c in call.params["commands"]
        ]
        for call in fake.calls_of("setMyCommands")
    }
    assert published[("default", None)] == [
        "book",
        "mybookings",
        "mytrainings",
        "report",
        "projects",
        "newproject",
        "sessions",
        "hours",
        "privacy",
        "language",
        "help",
        "cancel",
    ]
    assert published[("default", "en")] == published[("default", None)]
    manager_only = published[("chat", None)][len(published[("default", None)]) :]
    assert manager_only == [
        "queue",
        "machine",
        "stock",
        "stats",
        "updates",
        "machines",
        "authorize",
        "instructors",
    ]
    manager_call = next(c for c in fake.calls_of("setMyCommands") if c.params["scope"]["type"] == "chat")
    assert manager_call.params["scope"]["chat_id"] == MANAGER.id


async def test_manager_sees_machines_with_todays_bookings_and_members_are_refused(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        await book_through_buttons(fake, ALICE, "Mon 4 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")

        overview = await say(fake, MANAGER, "/machines")
        assert "Prusa MK4" in (overview.text or "") and "Trotec Speedy" in (overview.text or "")
        assert "10:00–11:00 · Alice" in (overview.text or "")

        refused = await say(fake, ALICE, "/machines")
        assert "Only the fab managers can do that." in (refused.text or "")
        forged = await press_data(fake, ALICE, "au:g:2:1")
        assert "Only the fab managers" in forged.params.get("text", "")


async def test_manager_authorizes_a_member_by_buttons(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await say(fake, BOB, "/start")
        manager = FakeUser(MANAGER.id, MANAGER.first_name, language_code="en")
        await say(fake, manager, "/authorize")
        await tap(fake, manager, "Trotec Speedy")
        picked = await tap(fake, manager, "Bob Martin")
        assert "Bob Martin is now authorized on Trotec Speedy" in (picked.text or "")
        told = await fake.wait_for_call("sendMessage", BOB.id, text_contains="authorized on Trotec Speedy")
        assert told.buttons()[0][0].endswith("Book a machine")
        # The list no longer offers Bob.
        await say(fake, manager, "/authorize")
        members = await tap(fake, manager, "Trotec Speedy")
        assert not any("Bob" in label for label, _d in members.buttons())


async def test_language_switch_changes_every_following_answer(fake: FakeBotApi, database_url: str) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, ALICE, "/language")
        chosen = await tap(fake, ALICE, "Français")
        assert "Je vous parlerai en français." in (chosen.text or "")
        helped = await say(fake, ALICE, "/help")
        assert "/book" in (helped.text or "") and "réserver" in (helped.text or "")
        back = await say(fake, ALICE, "/language")
        english = await tap(fake, back and ALICE, "English")
        assert "I will speak English with you." in (english.text or "")


async def test_french_telegram_users_are_answered_in_french_and_others_in_the_default(
    fake: FakeBotApi, database_url: str
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="fr"), Clock()):
        french = await say(fake, FakeUser(2001, "Léa", language_code="fr-FR"), "/start")
        german = await say(fake, FakeUser(2002, "Jonas", language_code="de"), "/start")
        english = await say(fake, FakeUser(2003, "Sam", language_code="en-GB"), "/start")
    assert "Bonjour Léa" in (french.text or "")
    assert "Bonjour Jonas" in (german.text or "")
    assert "Hello Sam" in (english.text or "")


@pytest.mark.parametrize(
    "text",
    [
        "/frobnicate",
        "hello there",
        "/book@someone_elses_bot extra words",
        "🙂" * 3000,
        "\u202e\u0000 odd \ufeff text",
    ],
)
async def test_odd_messages_get_a_friendly_answer_and_change_nothing(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None, text: str
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        answer = await say(fake, ALICE, text)
    assert answer.status == 200
    assert answer.buttons(), "the answer offers the main menu"
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 0


@pytest.mark.parametrize(
    "data",
    [
        "zzz",
        "bk:ok",
        "bk:ok:1:abc:30",
        "bk:ok:1:-5:30",
        "bk:ok:999:29000000:30",
        "bk:ok:1:1:30",  # 1970: in the past
        "bk:ok:1:99999999999:30",  # far future
        "bk:d:1:20301345",  # no such date
        "my:y:424242",
        "au:g:1:1",
        "x" * 64,
    ],
)
async def test_forged_or_stale_buttons_are_refused_clearly_and_change_nothing(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None, data: str
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, ALICE, "/start")
        answer = await press_data(fake, ALICE, data)
    assert answer.params.get("show_alert") is True
    assert answer.params.get("text"), "the press is answered with a reason"
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 0


async def test_group_messages_are_ignored(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        mark = fake.mark()
        fake.send_message(ALICE, "/start", chat_id=-100123, chat_type="supergroup")
        fake.send_message(BOB, "/start")
        await fake.wait_for_call("sendMessage", BOB.id, after=mark)
        await fake.wait_until_idle()
    assert fake.calls_of("sendMessage", -100123) == []


async def test_unexpected_error_is_apologised_for_and_reported_to_managers(
    fake: FakeBotApi,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    lab: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> list[Booking]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bookings, "upcoming_for_member", broken)
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        sorry = await say(fake, ALICE, "/mybookings")
        report = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="disk on fire")
    assert "Something went wrong" in (sorry.text or "")
    assert "RuntimeError" in (report.text or "")
    async with sessions() as session:  # the failed update's transaction was rolled back
        assert await session.scalar(select(func.count()).select_from(Member)) == 0


async def test_a_full_day_and_a_closed_day_are_shown_as_such(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    from datetime import date

    from models.opening import Closure
    from tests.factories import NOW, RULES, make_member, paris

    async with sessions.begin() as session:
        session.add(Closure(day=date(2030, 3, 6), reason="Inventaire"))
        someone = await make_member(session, "Zoé")
        for hour in range(9, 19, 2):
            await bookings.book(session, someone, 1, paris(5, hour), 120, RULES, NOW)
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, ALICE, "/book")
        days = await tap(fake, ALICE, "Prusa MK4")
        labels = [label for label, _d in days.buttons()]
        assert "Tue 5 Mar · full" in labels
        assert not any(label.startswith("Wed 6 Mar") for label in labels)
        full = await tap(fake, ALICE, "Tue 5 Mar")
        assert "No free slot left that day" in (full.text or "")


async def test_a_screen_that_cannot_be_edited_any_more_arrives_as_a_new_message(
    fake: FakeBotApi, database_url: str
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, ALICE, "/start")
        fake.fail_next("editMessageText", description="Bad Request: message can't be edited")
        mark = fake.mark()
        failed = await tap(fake, ALICE, "My bookings")
        assert failed.method == "editMessageText" and failed.status == 400
        screen = await fake.wait_for_call("sendMessage", ALICE.id, after=mark)
        assert "You have no upcoming booking." in (screen.text or "")


async def test_manager_pages_through_every_machine_on_a_busy_day(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    from datetime import timedelta

    from tests.factories import NOW, RULES, make_machine, make_member, open_every_day, paris

    async with sessions.begin() as session:
        await open_every_day(session)
        people = [await make_member(session, f"Membre numéro {i:02d} Dupont-Martin") for i in range(20)]
        names = []
        for index in range(10):
            machine = await make_machine(session, f"Poste informatique {index:02d}")
            names.append(machine.name)
            for slot in range(20):
                start = paris(4, 9) + timedelta(minutes=30 * slot)
                await bookings.book(session, people[slot], machine.id, start, 30, RULES, NOW)
    manager = FakeUser(MANAGER.id, MANAGER.first_name, language_code="en")
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        screen = await say(fake, manager, "/machines")
        seen = screen.text or ""
        pages = 1
        while any("Next" in label for label, _d in screen.buttons()):
            screen = await tap(fake, manager, "Next")
            seen += screen.text or ""
            pages += 1
            assert len(screen.text or "") <= 4096
    assert pages > 1
    assert [name for name in names if name not in seen] == []
    assert seen.count("Membre numéro 19 Dupont-Martin") == 10


async def test_a_manager_removed_from_the_settings_loses_the_role_and_the_manager_menu(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, MANAGER, "/start")
    mark = fake.mark()
    async with running_bot(test_settings(fake, database_url, manager_ids=[]), Clock()):
        await fake.wait_for(lambda c: c.method == "deleteMyCommands", after=mark)
        refused = await say(fake, MANAGER, "/machines")
    assert "Seuls les fabmanagers" in (refused.text or "")
    removed = [c.params["scope"] for c in fake.calls_of("deleteMyCommands")]
    assert {"type": "chat", "chat_id": MANAGER.id} in removed
    async with sessions() as session:
        role = await session.scalar(select(Member.role).where(Member.telegram_id == MANAGER.id))
    assert role == "member"


async def test_when_the_answer_fails_after_a_booking_the_apology_does_not_claim_nothing_changed(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        for method in ("editMessageText", "sendMessage"):
            fake.fail_next(method, description="Bad Request: can't parse entities", chat_id=ALICE.id)
        mark = fake.mark()
        fake.press_button(ALICE, fake.last_message(ALICE.id) or {}, "Confirm")
        apology = await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == ALICE.id and c.status == 200, after=mark
        )
        report = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="BadRequest", after=mark)
    assert "Check My bookings" in (apology.text or "") and "Nothing was changed" not in (apology.text or "")
    assert "Can't parse entities" in (report.text or "")
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 1


async def test_machines_today_shows_booked_machines_with_their_times_and_the_free_ones_in_one_line(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    from models.machines import MachineStatus
    from tests.factories import NOW, RULES, make_machine, make_member, paris

    async with sessions.begin() as session:
        alice = await make_member(session, "Alice")
        await make_machine(session, "Prusa MK4 #2")
        await make_machine(session, "Ultimaker S5")
        await make_machine(session, "Shaper Origin", status=MachineStatus.OUT_OF_SERVICE)
        printer = await session.scalar(select(bookings.Machine).where(bookings.Machine.name == "Prusa MK4"))
        assert printer is not None
        await bookings.book(session, alice, printer.id, paris(4, 14), 120, RULES, NOW)
        await bookings.book(session, alice, printer.id, paris(4, 10), 60, RULES, NOW)
    manager = FakeUser(MANAGER.id, MANAGER.first_name, language_code="en")
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        overview = (await say(fake, manager, "/machines")).text or ""
        french = (await say(fake, MANAGER, "/machines")).text or ""
    assert "🧱 Prusa MK4\n    10:00–11:00 · Alice\n    14:00–16:00 · Alice" in overview
    assert "Free all day: Prusa MK4 #2, Ultimaker S5, Trotec Speedy" in overview
    assert "Out of service: Shaper Origin" in overview
    assert "no booking" not in overview.lower()
    assert "Libres toute la journée : Prusa MK4 #2, Ultimaker S5, Trotec Speedy" in french


async def test_opening_hours_and_closure_days_are_one_command_or_one_tap_away(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    from datetime import date

    from sqlalchemy import delete

    from models.opening import Closure, OpeningHours

    async with sessions.begin() as session:
        await session.execute(delete(OpeningHours).where(OpeningHours.weekday == 6))
        session.add(OpeningHours(weekday=2, opens_minute=20 * 60, closes_minute=22 * 60 + 30))
        session.add(Closure(day=date(2030, 3, 8), reason="Portes ouvertes"))
        session.add(Closure(day=date(2030, 3, 1), reason="Already past"))
    async with running_bot(test_settings(fake, database_url), Clock()):
        french = (await say(fake, MANAGER, "/horaires")).text or ""
        english = (await say(fake, ALICE, "/hours")).text or ""
        await say(fake, MANAGER, "/start")
        tapped = await tap(fake, MANAGER, "Horaires")
        helped = (await say(fake, ALICE, "/help")).text or ""
    assert "Lundi : 09:00–19:00" in french
    assert "Mercredi : 09:00–19:00, 20:00–22:30" in french
    assert "Dimanche : fermé" in french
    assert "• vendredi 8 mars — Portes ouvertes" in french and "Already past" not in french
    assert "Monday: 09:00–19:00" in english and "Sunday: closed" in english
    assert "• Friday 8 March — Portes ouvertes" in english
    assert tapped.text == french
    assert "/hours" in helped
