"""Private calendar links: served over HTTP by the bot's process, revocable, erased with the member."""

from __future__ import annotations

import logging
import re
import socket

import aiohttp
import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import web
from bot.core.settings import SettingsError
from models import bookings, feeds, privacy
from models.feeds import CalendarFeed
from models.machines import Machine
from tests.factories import NOW, RULES, make_member, paris
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import ALICE, BOB, MANAGER, Clock, book_through_buttons, press_data, running_bot, say, tap
from tests.harness import test_settings as bot_settings

EN_MANAGER = FakeUser(MANAGER.id, MANAGER.first_name, username="morgane", language_code="en")
URL = re.compile(r"http://\S+\.ics")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def probe(url: str) -> tuple[int, str, int, bytes]:
    """HEAD, as some calendar apps ask first: status, type, announced length, and the body (none)."""
    async with aiohttp.ClientSession() as client, client.head(url) as response:
        length = int(response.headers.get("Content-Length", "-1"))
        return response.status, response.headers.get("Content-Type", ""), length, await response.read()


async def fetch(url: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.read()


def events_of(content: bytes) -> list[tuple[str, object]]:
    calendar = Calendar.from_ical(content)
    return [(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in calendar.walk() if e.name == "VEVENT"]


async def test_links_are_secret_renewable_and_for_their_owner_only(session: AsyncSession, lab: None) -> None:
    alice = await make_member(session, "Alice")
    manager = await make_member(session, "Morgane", manager=True)
    printer = (await session.scalars(select(Machine).where(Machine.name == "Prusa MK4"))).one()
    await bookings.book(session, alice, printer.id, paris(5, 10), 60, RULES, NOW)

    first = await feeds.new_feed(session, alice, NOW)
    assert len(first.token) >= 32 and await feeds.owner_of(session, first.token, NOW) is alice
    second = await feeds.new_feed(session, alice, NOW)
    assert second.token != first.token
    assert await feeds.owner_of(session, first.token, NOW) is None  # renewing revoked the old one
    for forged in ("", "x" * 65, second.token[:-1], second.token.upper()):
        assert await feeds.owner_of(session, forged, NOW) is None
    # A member's link shows their bookings, not the machines' schedules.
    assert [b.start_at for b in await feeds.member_bookings(session, alice, NOW)] == [paris(5, 10)]
    assert await feeds.machine_schedule(session, alice, printer.id, NOW, paris(20, 0)) is None
    found = await feeds.machine_schedule(session, manager, printer.id, NOW, paris(20, 0))
    assert found is not None and [b.member_id for b in found[1]] == [alice.id]
    assert await feeds.machine_schedule(session, manager, 999_999, NOW, paris(20, 0)) is None

    export = await privacy.export_member_data(session, alice)
    assert export["calendar_link"] is not None and second.token not in str(export)
    assert await feeds.revoke_feed(session, alice) and not await feeds.revoke_feed(session, alice)
    assert await feeds.owner_of(session, second.token, NOW) is None

    third = await feeds.new_feed(session, alice, NOW)
    await privacy.erase_member(session, alice, privacy.ErasureReason.REQUEST, NOW)
    assert await feeds.owner_of(session, third.token, NOW) is None
    assert (await session.scalars(select(CalendarFeed))).all() == []


async def test_a_member_subscribes_renews_and_turns_off_their_link_over_http(
    fake: FakeBotApi,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    lab: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    settings = bot_settings(fake, database_url, default_language="en", http_port=port)
    caplog.set_level(logging.INFO)
    async with running_bot(settings, Clock()):
        assert await fetch(f"http://127.0.0.1:{port}/health") == (200, "text/plain; charset=utf-8", b"ok\n")
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        await say(fake, ALICE, "/mybookings")
        screen = await tap(fake, ALICE, "Calendar link")
        assert "no calendar link yet" in (screen.text or "")
        created = await tap(fake, ALICE, "Create my link")
        found = URL.findall(created.text or "")
        assert len(found) == 1 and found[0].startswith(f"http://127.0.0.1:{port}/calendar/")
        link = found[0]

        status, kind, content = await fetch(link)
        assert (status, kind) == (200, "text/calendar; charset=utf-8")
        assert events_of(content) == [("Prusa MK4", paris(5, 10))]
        # HEAD answers like GET, without the body.
        assert await probe(link) == (200, "text/calendar; charset=utf-8", len(content), b"")
        assert await probe(f"http://127.0.0.1:{port}/health") == (200, "text/plain; charset=utf-8", 3, b"")

        # A booking made afterwards shows up at the next refresh, without a new link.
        await book_through_buttons(fake, ALICE, "Wed 6 Mar", "14:00", "1 h → 15:00")
        await tap(fake, ALICE, "Confirm")
        assert [start for _s, start in events_of((await fetch(link))[2])] == [paris(5, 10), paris(6, 14)]

        await say(fake, ALICE, "/mybookings")
        await tap(fake, ALICE, "Calendar link")
        renewed = await tap(fake, ALICE, "New link")
        new_link = URL.findall(renewed.text or "")[0]
        assert new_link != link
        assert (await fetch(link))[0] == 404
        assert (await probe(link))[0] == 404
        assert (await fetch(new_link))[0] == 200

        off = await tap(fake, ALICE, "Turn the link off")
        assert "no calendar link yet" in (off.text or "")
        assert (await fetch(new_link))[0] == 404

        # Guessing gets nothing, and says nothing about why.
        assert (await fetch(f"http://127.0.0.1:{port}/calendar/nothing-here.ics"))[0] == 404
        assert (await fetch(f"http://127.0.0.1:{port}/calendar/../../etc/passwd"))[0] == 404
        assert (await fetch(f"http://127.0.0.1:{port}/"))[0] == 404

    secrets_seen = [link.rsplit("/", 1)[1], new_link.rsplit("/", 1)[1].removesuffix(".ics")]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/calendar/…" in logged
    assert not any(secret.removesuffix(".ics") in logged for secret in secrets_seen)


async def test_a_manager_subscribes_to_a_machine_schedule_without_names(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    port = free_port()
    settings = bot_settings(fake, database_url, default_language="en", http_port=port)
    async with running_bot(settings, Clock()):
        await book_through_buttons(fake, BOB, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, BOB, "Confirm")
        await say(fake, EN_MANAGER, "/machine Prusa MK4")
        mark = fake.mark()
        fake.press_button(EN_MANAGER, fake.last_message(MANAGER.id) or {}, "Schedule (.ics)")
        await fake.wait_for_call("sendDocument", MANAGER.id, after=mark)
        said = await fake.wait_for(lambda c: c.chat_id == MANAGER.id and URL.search(c.text or ""), after=mark)
        link = URL.findall(said.text or "")[0]
        assert "/machine/" in link
        status, _kind, content = await fetch(link)
        assert status == 200
        assert events_of(content) == [("Prusa MK4 — Booked", paris(5, 10))]
        assert b"Bob" not in content

        # Bob's own link does not open the machine's schedule.
        await say(fake, BOB, "/mybookings")
        await tap(fake, BOB, "Calendar link")
        bob_link = URL.findall((await tap(fake, BOB, "Create my link")).text or "")[0]
        token = bob_link.rsplit("/", 1)[1].removesuffix(".ics")
        machine_path = link.split("/machine/")[1]
        assert (await fetch(f"http://127.0.0.1:{port}/calendar/{token}/machine/{machine_path}"))[0] == 404


async def test_without_the_http_server_there_is_no_link_and_a_forged_press_is_answered(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(bot_settings(fake, database_url, default_language="en"), Clock()):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        mine = await say(fake, ALICE, "/mybookings")
        labels = [label for label, _d in mine.buttons()]
        assert any("Add to my calendar" in label for label in labels)
        assert not any("Calendar link" in label for label in labels)
        for forged in ("my:cal", "my:cn"):
            answer = await press_data(fake, ALICE, forged)
            assert "not turned on" in answer.params.get("text", "")
    async with sessions() as session:
        assert (await session.scalars(select(CalendarFeed))).all() == []


async def test_a_port_already_taken_stops_the_bot_with_one_line(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = bot_settings(fake, database_url, http_port=port)
        from bot.core.app import build_application

        application = build_application(settings)
        with pytest.raises(SettingsError, match=rf"^FABDESK_HTTP_PORT: cannot listen on 127.0.0.1:{port}"):
            web.start(application.bot_data["fabdesk"])
        await application.bot_data["fabdesk"].engine.dispose()


async def test_the_public_address_is_used_in_links(fake: FakeBotApi, database_url: str) -> None:
    settings = bot_settings(fake, database_url, http_port=8080, public_url="https://lab.example/fabdesk/")
    assert web.feed_url(settings, "abc") == "https://lab.example/fabdesk/calendar/abc.ics"
    assert web.feed_url(settings, "abc", 3) == "https://lab.example/fabdesk/calendar/abc/machine/3.ics"
    assert web.feed_url(bot_settings(fake, database_url), "abc") is None
    with pytest.raises(ValueError, match="http"):
        bot_settings(fake, database_url, public_url="lab.example")
