"""Managers find members by name, authorize them and withdraw authorizations, end to end."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.bookings import Booking, BookingStatus
from models.machines import Authorization
from models.members import Member
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import (
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

ELODIE = FakeUser(1003, "Élodie", last_name="Durand", username="elo_d", language_code="en")
MANAGER_EN = FakeUser(MANAGER.id, MANAGER.first_name, language_code="en")


async def test_a_manager_finds_members_by_name_or_username_whatever_the_case_and_accents(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await say(fake, BOB, "/start")
        await say(fake, ELODIE, "/start")
        prompt = await say(fake, MANAGER_EN, "/authorize")
        assert "type their name or @username" in (prompt.text or "")
        # The next message is the search.
        found = await say(fake, MANAGER_EN, "elodie")
        assert "1 member matches « elodie »" in (found.text or "")
        assert found.buttons()[0][0] == "Élodie Durand (@elo_d)"
        # The search stays open: another message refines it.
        by_username = await say(fake, MANAGER_EN, "@ELO_D")
        assert any("Élodie" in label for label, _d in by_username.buttons())
        by_last_name = await say(fake, MANAGER_EN, "MARTIN")
        labels = [label for label, _d in by_last_name.buttons()]
        assert "Bob Martin" in labels and not any("Élodie" in label for label in labels)
        nobody = await say(fake, MANAGER_EN, "zorro")
        assert "No member matches « zorro »" in (nobody.text or "")
        # "/authorize NAME" searches at once; the Search button asks again.
        direct = await say(fake, MANAGER_EN, "/authorize durand")
        assert any("Élodie" in label for label, _d in direct.buttons())
        await say(fake, MANAGER_EN, "/cancel")
        chatter = await say(fake, MANAGER_EN, "bob")
        assert "I work with buttons" in (chatter.text or "")
        await say(fake, MANAGER_EN, "/authorize")
        asked = await tap(fake, MANAGER_EN, "Search")
        assert "Send the member's name" in (asked.text or "")
        again = await say(fake, MANAGER_EN, "bob")
        assert any("Bob Martin" in label for label, _d in again.buttons())
        # Members cannot search, nor is their text taken for a search.
        refused = await say(fake, BOB, "/authorize elodie")
        assert "Only the fab managers" in (refused.text or "")
        for data in ("au:u:1", "au:r:1", "au:y:1:1", "au:o:1", "au:f"):
            forged = await press_data(fake, BOB, data)
            assert "Only the fab managers" in forged.params.get("text", ""), data


async def test_a_manager_authorizes_withdraws_and_authorizes_again(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock):
        await say(fake, BOB, "/start")
        await say(fake, MANAGER_EN, "/authorize")
        await say(fake, MANAGER_EN, "bob")
        screen = await tap(fake, MANAGER_EN, "Bob Martin")
        assert "Not authorized on any machine" in (screen.text or "")
        granted = await tap(fake, MANAGER_EN, "Trotec Speedy · Authorize")
        assert "Bob Martin is now authorized on Trotec Speedy" in (granted.text or "")
        await fake.wait_for_call("sendMessage", BOB.id, text_contains="authorized on Trotec Speedy")

        # Bob books the laser twice (one booking under way later), the printer once.
        await book_through_buttons(fake, BOB, "Mon 4 Mar", "10:00", "1 h → 11:00", machine="Trotec Speedy")
        await tap(fake, BOB, "Confirm")
        await book_through_buttons(fake, BOB, "Tue 5 Mar", "14:00", "2 h → 16:00", machine="Trotec Speedy")
        await tap(fake, BOB, "Confirm")
        await book_through_buttons(fake, BOB, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, BOB, "Confirm")
        clock.advance(hours=4, minutes=30)  # Monday 10:30 in Paris: the first laser booking has started

        await say(fake, MANAGER_EN, "/authorize")
        await say(fake, MANAGER_EN, "bob")
        screen = await tap(fake, MANAGER_EN, "Bob Martin")
        assert "Trotec Speedy, since" in (screen.text or "")
        asked = await tap(fake, MANAGER_EN, "Trotec Speedy · Remove")
        assert "Withdraw the authorization of Bob Martin on Trotec Speedy?" in (asked.text or "")
        assert "Tuesday 5 March, 14:00–16:00" in (asked.text or "")
        assert "10:00" not in (asked.text or "")  # started, and the printer needs no training
        confirm = fake.last_message(MANAGER_EN.id)
        done = await tap(fake, MANAGER_EN, "Unsafe use of the machine")
        assert "Bob Martin is no longer authorized on Trotec Speedy." in (done.text or "")
        assert "1 upcoming booking was cancelled." in (done.text or "")
        assert "Reason given: Unsafe use of the machine" in (done.text or "")
        told = await fake.wait_for_call("sendMessage", BOB.id, text_contains="was withdrawn")
        assert "Trotec Speedy, Tuesday 5 March, 14:00–16:00" in (told.text or "")
        assert "Reason: Unsafe use of the machine" in (told.text or "")

        # The same confirmation pressed again (or by a second manager): refused, nothing changes.
        assert confirm is not None
        data = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        stale = await press_data(fake, MANAGER_EN, data)
        assert "already withdrawn" in stale.params.get("text", "")
        forged = await press_data(fake, MANAGER_EN, "au:r:99999")
        assert "no longer available" in forged.params.get("text", "")

        await say(fake, BOB, "/book")
        needs_training = await tap(fake, BOB, "Trotec Speedy")
        assert any("Ask for a training" in label for label, _d in needs_training.buttons())
        async with sessions.begin() as session:
            bob = await session.scalar(select(Member).where(Member.telegram_id == BOB.id))
            manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER.id))
            assert bob is not None and manager is not None
            rows = list(await session.scalars(select(Authorization).where(Authorization.member_id == bob.id)))
            assert len(rows) == 1 and rows[0].revoked_at == clock.now and rows[0].revoked_by_id == manager.id
            statuses = {
                (b.start_at.isoformat(), b.status)
                for b in await session.scalars(select(Booking).where(Booking.member_id == bob.id))
            }
        assert sorted(s for _t, s in statuses) == [
            BookingStatus.CANCELLED,
            BookingStatus.CONFIRMED,
            BookingStatus.CONFIRMED,
        ]

        # Authorizing again works, and Bob can book the laser again.
        mark = fake.mark()
        await say(fake, MANAGER_EN, "/authorize bob")
        await tap(fake, MANAGER_EN, "Bob Martin")
        again = await tap(fake, MANAGER_EN, "Trotec Speedy · Authorize")
        assert "Bob Martin is now authorized on Trotec Speedy" in (again.text or "")
        await fake.wait_for_call(
            "sendMessage", BOB.id, text_contains="authorized on Trotec Speedy", after=mark
        )
        await book_through_buttons(fake, BOB, "Wed 6 Mar", "10:00", "1 h → 11:00", machine="Trotec Speedy")
        booked = await tap(fake, BOB, "Confirm")
        assert "confirmed" in (booked.text or "")
