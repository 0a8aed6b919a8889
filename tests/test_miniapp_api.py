"""The members' Mini App API, through the real bot and its HTTP server: the week, booking, my bookings.

The clock is Monday 4 March 2030, 07:00 in Paris; the lab opens 09:00–19:00 every day and has a
printer (Prusa MK4, 30-minute grid, 2 h at most) and a laser that needs a training (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import booked_for, waitlist
from models.bookings import Booking, BookingStatus
from models.downtime import Downtime
from models.machines import Machine
from models.members import Member
from models.opening import Closure
from tests.factories import NOW, RULES, make_machine, make_member, paris
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import ALICE, BOB, MANAGER, Clock, book_through_buttons, running_bot, tap
from tests.harness import test_settings as bot_settings
from tests.miniapp import api, free_port, launch_data

TUESDAY_10 = "2030-03-05T10:00:00+01:00"


class App:
    """The running bot's API, called as a member would from the app."""

    def __init__(self, fake: FakeBotApi, port: int, clock: Clock) -> None:
        self.fake, self.port, self.clock = fake, port, clock

    async def __call__(
        self, user: FakeUser, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        return await api(self.port, path, launch_data(self.fake, user, self.clock()), body)


@asynccontextmanager
async def running_app(fake: FakeBotApi, database_url: str) -> AsyncIterator[App]:
    port = free_port()
    settings = bot_settings(fake, database_url, http_port=port, public_url="https://lab.example.org/fabdesk")
    clock = Clock()
    async with running_bot(settings, clock):
        yield App(fake, port, clock)


async def _machine_id(sessions: async_sessionmaker[AsyncSession], name: str) -> int:
    async with sessions() as session:
        found = await session.scalar(select(Machine.id).where(Machine.name == name))
        assert found is not None
        return found


async def _bookings(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, Any, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Member.first_name, Machine.name, Booking.start_at, Booking.status)
            .join(Member, Booking.member_id == Member.id)
            .join(Machine, Booking.machine_id == Machine.id)
            .order_by(Booking.id)
        )
        return [(r[0], r[1], r[2], r[3].value) for r in rows]


async def test_the_week_tells_mine_from_booked_and_names_nobody(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _machine_id(sessions, "Prusa MK4")
    async with sessions.begin() as session:
        session.add(Downtime(machine_id=prusa, start_at=paris(6, 9), end_at=paris(6, 12), created_at=NOW))
        session.add(Closure(day=paris(7, 12).date(), reason="Inventaire"))
    async with running_app(fake, database_url) as app:
        status, bob = await app(BOB, "book", {"machine": prusa, "start": TUESDAY_10, "minutes": 60})
        assert status == 200, bob
        status, mine = await app(
            ALICE, "book", {"machine": prusa, "start": "2030-03-05T14:00:00+01:00", "minutes": 90}
        )
        assert status == 200, mine

        status, week = await app(ALICE, "week")
        assert status == 200, week
        assert week["start"] == "2030-03-04" and week["today"] == "2030-03-04"
        assert week["timezone"] == "Europe/Paris"  # the page writes times in the lab's zone
        assert week["days"] == [f"2030-03-{d:02d}" for d in range(4, 11)]
        assert week["now"] == "2030-03-04T07:00:00+01:00"
        assert week["horizon_end"] == "2030-03-18T00:00:00+01:00"
        assert week["grid_minutes"] == 30
        assert [k["kind"] for k in week["kinds"]] == ["3d_printer", "laser_cutter"]
        assert week["kinds"][0]["label"] == "3D printers"
        assert week["hours"]["2030-03-04"] == [{"open": "09:00", "close": "19:00"}]
        assert week["hours"]["2030-03-07"] == []
        assert week["closures"] == [{"day": "2030-03-07", "reason": "Inventaire"}]
        by_name = {m["name"]: m for m in week["machines"]}
        assert by_name["Prusa MK4"]["authorized"] and not by_name["Prusa MK4"]["training_required"]
        assert by_name["Trotec Speedy"]["training_required"] and not by_name["Trotec Speedy"]["authorized"]
        assert by_name["Prusa MK4"]["out_of_service"] is False
        assert week["busy"] == [
            {"machine": prusa, "start": TUESDAY_10, "end": "2030-03-05T11:00:00+01:00", "state": "booked"},
            {
                "machine": prusa,
                "start": "2030-03-05T14:00:00+01:00",
                "end": "2030-03-05T15:30:00+01:00",
                "state": "mine",
                "booking": mine["booking"]["id"],
            },
            {
                "machine": prusa,
                "start": "2030-03-06T09:00:00+01:00",
                "end": "2030-03-06T12:00:00+01:00",
                "state": "downtime",
            },
        ]
        # Nothing in the week says who booked the other slot.
        async with sessions() as session:
            bob_id = await session.scalar(select(Member.id).where(Member.telegram_id == BOB.id))
        text = json.dumps(week, ensure_ascii=False)
        assert (
            "Bob" not in text
            and "Martin" not in text
            and bob["booking"]["id"] not in [b.get("booking") for b in week["busy"]]
        )
        assert all(set(b) <= {"machine", "start", "end", "state", "booking"} for b in week["busy"])
        assert bob_id is not None and f'"member":{bob_id}' not in text

        # The next week, one kind; a start before this Monday or past the horizon is refused.
        status, next_week = await app(ALICE, "week?start=2030-03-11&kind=laser_cutter")
        assert status == 200 and [m["name"] for m in next_week["machines"]] == ["Trotec Speedy"]
        assert next_week["busy"] == [] and next_week["days"][0] == "2030-03-11"
        for refused in ("start=2030-03-03", "start=2030-03-18", "start=tomorrow", "kind=robot"):
            assert (await app(ALICE, f"week?{refused}"))[0] == 400, refused
        status, hours = await app(ALICE, "hours")
        assert status == 200
        assert hours["hours"][0] == {
            "weekday": 0,
            "label": "Monday",
            "intervals": [{"open": "09:00", "close": "19:00"}],
        }
        assert hours["closures"] == [{"day": "2030-03-07", "reason": "Inventaire"}]


async def test_time_first_finds_the_free_printers_and_the_lengths_that_fit(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        await make_machine(session, "Bambu X1", slot_minutes=30, max_booking_minutes=120)
    prusa = await _machine_id(sessions, "Prusa MK4")
    async with running_app(fake, database_url) as app:
        assert (
            await app(BOB, "book", {"machine": prusa, "start": "2030-03-05T15:30:00+01:00", "minutes": 60})
        )[0] == 200

        status, free = await app(ALICE, "free?kind=3d_printer&start=2030-03-05T15:00:00%2B01:00&minutes=120")
        assert status == 200, free
        assert [m["name"] for m in free["machines"]] == ["Bambu X1"]
        assert free["machines"][0]["authorized"] is True
        status, free = await app(ALICE, "free?start=2030-03-05T10:00:00%2B01:00&minutes=60")
        # Every kind: both printers; the laser needs a training Alice has not had.
        assert status == 200 and [m["name"] for m in free["machines"]] == ["Bambu X1", "Prusa MK4"]
        for closed in ("2030-03-05T18:30:00%2B01:00&minutes=60", "2030-03-05T10:10:00%2B01:00&minutes=60"):
            assert (await app(ALICE, f"free?start={closed}"))[1] == {"machines": []}
        # An unescaped "+" (read as a space) is understood too.
        status, free = await app(ALICE, "free?start=2030-03-05T10:00:00+01:00&minutes=60")
        assert status == 200 and len(free["machines"]) == 2

        status, lengths = await app(ALICE, f"lengths?machine={prusa}&start=2030-03-05T14:30:00%2B01:00")
        assert (status, lengths) == (200, {"lengths": [30, 60]})
        status, taken = await app(ALICE, f"lengths?machine={prusa}&start=2030-03-05T15:30:00%2B01:00")
        assert (status, taken["message"]) == (409, "Sorry, that slot was just taken by someone else.")
        laser = await _machine_id(sessions, "Trotec Speedy")
        status, refused = await app(ALICE, f"lengths?machine={laser}&start={TUESDAY_10.replace('+', '%2B')}")
        assert (status, refused["message"]) == (
            409,
            "This machine needs a training first. Nothing was booked.",
        )
        for bad in (
            "free?start=2030-03-05T10:00:00&minutes=60",  # no offset
            "free?start=2030-03-05T10:00:00%2B01:00&minutes=abc",
            "free?start=2030-03-05T10:00:00%2B01:00&minutes=100000",
            "free?start=2030-03-05T10:00:00%2B01:00&minutes=60&kind=robot",
            "free?minutes=60",
            f"lengths?machine=x&start={TUESDAY_10.replace('+', '%2B')}",
        ):
            assert (await app(ALICE, bad))[0] == 400, bad


async def test_a_booking_from_the_app_is_confirmed_in_the_chat_and_listed_as_mine(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _machine_id(sessions, "Prusa MK4")
    async with running_app(fake, database_url) as app:
        mark = fake.mark()
        status, booked = await app(ALICE, "book", {"machine": prusa, "start": TUESDAY_10, "minutes": 60})
        assert status == 200, booked
        assert booked == {
            "booking": {
                "id": booked["booking"]["id"],
                "machine": prusa,
                "name": "Prusa MK4",
                "start": TUESDAY_10,
                "end": "2030-03-05T11:00:00+01:00",
                "guest": None,
            }
        }
        message = await fake.wait_for_call("sendMessage", ALICE.id, after=mark)
        assert message.text == (
            "✅ Your booking is confirmed.\n\n🧱 Prusa MK4\n🗓 Tuesday 5 March, 10:00–11:00"
            "\n\nI will remind you 30 minutes before."
        )
        assert [label for label, _data in message.buttons()] == ["🗂 My bookings", "🏠 Main menu"]
        # The chat's buttons under it work as after a Confirm: My bookings lists it.
        listed = await tap(fake, ALICE, "My bookings")
        assert "Prusa MK4 — Tuesday 5 March, 10:00–11:00" in (listed.text or "")

        status, mine = await app(ALICE, "mine")
        assert status == 200
        assert mine == {"bookings": [{**booked["booking"], "can_cancel": True}]}
        assert (await app(BOB, "mine"))[1] == {"bookings": []}
    assert await _bookings(sessions) == [("Alice", "Prusa MK4", paris(5, 10), "confirmed")]


async def test_refusals_answer_the_chats_sentence_and_bad_input_changes_nothing(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _machine_id(sessions, "Prusa MK4")
    laser = await _machine_id(sessions, "Trotec Speedy")
    async with running_app(fake, database_url) as app:
        assert (await app(BOB, "book", {"machine": prusa, "start": TUESDAY_10, "minutes": 60}))[0] == 200
        refusals = [
            ({"machine": laser, "start": TUESDAY_10, "minutes": 60}, "This machine needs a training first."),
            (
                {"machine": prusa, "start": "2030-03-05T19:00:00+01:00", "minutes": 60},
                "The lab is not open at that time.",
            ),
            (
                {"machine": prusa, "start": "2030-03-05T10:30:00+01:00", "minutes": 60},
                "Sorry, that slot was just taken by someone else.",
            ),
            ({"machine": prusa, "start": "2030-03-25T10:00:00+01:00", "minutes": 60}, "too far ahead"),
            ({"machine": prusa, "start": "2030-03-04T06:00:00+01:00", "minutes": 60}, "already passed"),
            ({"machine": prusa, "start": TUESDAY_10, "minutes": 45}, "booking grid"),
        ]
        for body, sentence in refusals:
            status, refused = await app(ALICE, "book", body)
            assert status == 409 and sentence in refused["message"], (body, refused)
        for bad in (
            {"machine": prusa, "start": "2030-03-05T10:00:00", "minutes": 60},  # no offset
            {"machine": prusa, "start": "mardi", "minutes": 60},
            {"machine": prusa, "start": TUESDAY_10, "minutes": "60 min"},
            {"machine": prusa, "start": TUESDAY_10, "minutes": 10**9},
            {"machine": prusa, "start": TUESDAY_10, "minutes": True},
            {"machine": "Prusa", "start": TUESDAY_10, "minutes": 60},
            {"start": TUESDAY_10, "minutes": 60},
        ):
            assert (await app(ALICE, "book", bad))[0] == 400, bad
        assert (await app(ALICE, "cancel", {"booking": "one"}))[0] == 400
        # A French member reads the chat's French sentence.
        status, refused = await app(
            FakeUser(1003, "Chloé", language_code="fr"),
            "book",
            {"machine": laser, "start": TUESDAY_10, "minutes": 60},
        )
        assert (status, refused["message"]) == (
            409,
            "Cette machine nécessite d'abord une formation. Rien n'a été réservé.",
        )
        await asyncio.sleep(0.3)  # a confirmation would be on its way by now
        assert fake.calls_of("sendMessage", ALICE.id) == []
    assert await _bookings(sessions) == [("Bob", "Prusa MK4", paris(5, 10), "confirmed")]


async def test_a_body_too_long_or_not_an_object_is_refused_in_the_members_words(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """A 20 kB text pasted in, or JSON that is not an object: a sentence in her language, nothing booked.
    (Over 64 kB the HTTP server closes the connection before the app sees it: the page's fields are
    shorter than that.)"""
    prusa = await _machine_id(sessions, "Prusa MK4")
    chloe = FakeUser(1003, "Chloé", language_code="fr")
    async with running_app(fake, database_url) as app:
        long = {"machine": prusa, "start": TUESDAY_10, "minutes": 60, "note": "x" * 20_000}
        status, refused = await app(chloe, "book", long)
        assert (status, refused["error"]) == (413, "too_large")
        assert refused["message"] == "Vérifiez ce que vous avez saisi."
        status, refused = await api(app.port, "book", launch_data(fake, chloe, app.clock()), [prusa])  # type: ignore[arg-type]
        assert (status, refused["message"]) == (400, "Vérifiez ce que vous avez saisi.")
    assert await _bookings(sessions) == []


async def test_a_member_cancels_her_own_booking_only_and_the_waitlist_hears_of_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _machine_id(sessions, "Prusa MK4")
    async with running_app(fake, database_url) as app:
        status, booked = await app(ALICE, "book", {"machine": prusa, "start": TUESDAY_10, "minutes": 60})
        assert status == 200
        alices = booked["booking"]["id"]
        status, refused = await app(BOB, "cancel", {"booking": alices})
        assert status == 404 and refused["message"] == "This is no longer available. Nothing was changed."
        assert (await app(BOB, "cancel", {"booking": alices + 100}))[0] == 404
        assert (await _bookings(sessions))[0][3] == "confirmed"

        assert await app(ALICE, "cancel", {"booking": alices}) == (200, {"cancelled": alices})
        status, again = await app(ALICE, "cancel", {"booking": alices})
        assert (status, again["message"]) == (409, "This booking was already cancelled.")
        assert (await app(ALICE, "mine"))[1] == {"bookings": []}

        # A booking that has started can no longer be cancelled.
        status, soon = await app(
            ALICE, "book", {"machine": prusa, "start": "2030-03-04T09:00:00+01:00", "minutes": 60}
        )
        assert status == 200
        app.clock.advance(hours=2, minutes=30)
        status, started = await app(ALICE, "mine")
        assert started["bookings"][0]["can_cancel"] is False
        status, refused = await app(ALICE, "cancel", {"booking": soon["booking"]["id"]})
        assert status == 409 and "already started" in refused["message"]
    assert [row[3] for row in await _bookings(sessions)] == ["cancelled", "confirmed"]


async def test_a_member_changes_her_own_booking_only_and_a_taken_time_is_refused(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _machine_id(sessions, "Prusa MK4")
    async with running_app(fake, database_url) as app:
        alices = (await app(ALICE, "book", {"machine": prusa, "start": TUESDAY_10, "minutes": 60}))[1][
            "booking"
        ]
        bobs = {"machine": prusa, "start": "2030-03-05T11:30:00+01:00", "minutes": 30}
        assert (await app(BOB, "book", bobs))[0] == 200
        status, options = await app(ALICE, f"change_options?booking={alices['id']}")
        assert status == 200 and options["lengths"] == [30, 90]
        assert "2030-03-05T11:00:00+01:00" not in options["starts"]  # over Bob's
        assert options["starts"][0] == "2030-03-05T09:00:00+01:00"  # its own day first
        change = {"booking": alices["id"], "start": TUESDAY_10, "minutes": 90}
        status, refused = await app(BOB, "change", change)
        assert status == 404 and refused["message"] == "This is no longer available. Nothing was changed."
        assert (await app(BOB, f"change_options?booking={alices['id']}"))[0] == 404
        status, refused = await app(ALICE, "change", {**change, "minutes": 120})
        assert status == 409 and "taken" in refused["message"]
        assert (await app(ALICE, "change", {**change, "minutes": "long"}))[0] == 400
        status, changed = await app(ALICE, "change", change)
        assert status == 200 and changed["booking"]["end"] == "2030-03-05T11:30:00+01:00"
    assert [(row[0], row[2]) for row in await _bookings(sessions)] == [
        ("Alice", paris(5, 10)),
        ("Bob", paris(5, 11, 30)),
    ]


async def test_a_managers_booking_for_a_workshop_shows_its_label_in_her_bookings(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _machine_id(sessions, "Prusa MK4")
    async with sessions.begin() as session:
        morgane = await make_member(session, "Morgane", telegram_id=MANAGER.id, manager=True)
        await booked_for.book_on_behalf(
            session,
            morgane,
            booked_for.BookedFor(label="Club robotique"),
            prusa,
            paris(5, 10),
            60,
            RULES,
            NOW,
        )
    async with running_app(fake, database_url) as app:
        status, mine = await app(MANAGER, "mine")
        assert status == 200 and [b["guest"] for b in mine["bookings"]] == ["Club robotique"]


async def test_a_freed_slot_is_offered_to_the_waitlist_as_from_the_chat(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _machine_id(sessions, "Prusa MK4")
    async with running_app(fake, database_url) as app:
        # Alice fills Tuesday (09:00–19:00: five 2-hour bookings); Bob waits for a slot.
        ids = []
        for hour in (9, 11, 13, 15, 17):
            body = {"machine": prusa, "start": f"2030-03-05T{hour:02d}:00:00+01:00", "minutes": 120}
            status, booked = await app(ALICE, "book", body)
            assert status == 200, booked
            ids.append(booked["booking"]["id"])
        await app(BOB, "me")  # Bob opens the app once: he is a member now
        async with sessions.begin() as session:
            bob = await session.scalar(select(Member).where(Member.telegram_id == BOB.id))
            assert bob is not None
            await waitlist.join(session, bob, prusa, paris(5, 12).date(), RULES, NOW)
        mark = fake.mark()
        await app(ALICE, "cancel", {"booking": ids[1]})
        offer = await fake.wait_for_call("sendMessage", BOB.id, after=mark, text_contains="A slot freed up")
        assert "11:00–13:00" in (offer.text or "")


async def test_a_chat_booking_and_an_app_booking_of_one_slot_race_and_one_wins(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _machine_id(sessions, "Prusa MK4")
    async with running_app(fake, database_url) as app:
        for hour in (10, 12, 14):
            await book_through_buttons(fake, ALICE, "Tue 5 Mar", f"{hour}:00", "1 h")
            mark = fake.mark()
            message = fake.last_message(ALICE.id)
            assert message is not None
            fake.press_button(ALICE, message, "Confirm")
            start = f"2030-03-05T{hour}:00:00+01:00"
            status, answer = await app(BOB, "book", {"machine": prusa, "start": start, "minutes": 60})
            chat = await fake.wait_for(
                lambda c: c.chat_id == ALICE.id and c.method in {"editMessageText", "sendMessage"}, after=mark
            )
            chat_won = "Your booking is confirmed" in (chat.text or "")
            assert chat_won == (status == 409), (status, answer, chat.text)
            if status == 409:
                assert answer["message"] == "Sorry, that slot was just taken by someone else."
            else:
                assert "just taken" in (chat.text or "")
    async with sessions() as session:
        rows = await session.scalar(
            select(func.count()).select_from(Booking).where(Booking.status == BookingStatus.CONFIRMED)
        )
    assert rows == 3
    starts = sorted(row[2] for row in await _bookings(sessions))
    assert starts == [paris(5, 10), paris(5, 12), paris(5, 14)]
