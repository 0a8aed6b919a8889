"""A fab manager books on behalf, through the real application and the fake Bot API: for a member
found by name (who is told), and a weekly series for a workshop with one week already taken."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import bookings
from models.bookings import Booking
from models.machines import Machine
from models.members import Member
from tests.factories import RULES, make_member, paris
from tests.fakebot import FakeBotApi
from tests.harness import BOB, MANAGER, Clock, running_bot, say, tap, test_settings


async def _to_the_slot(fake: FakeBotApi, day: str, start: str = "10:00", length: str = "1 h → 11:00") -> None:
    """The manager (in French) goes from /start to a slot's confirmation."""
    await say(fake, MANAGER, "/start")
    for label in ("Réserver une machine", "Prusa MK4", day, start, length):
        await tap(fake, MANAGER, label)


async def test_a_manager_books_for_a_member_found_by_name_who_is_told(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, BOB, "/start")
        await _to_the_slot(fake, "mar. 5 mars")
        ask = await tap(fake, MANAGER, "Pour quelqu'un d'autre")
        assert "Pour qui ? Envoyez le nom ou le @pseudo du membre" in (ask.text or "")
        found = await say(fake, MANAGER, "martin")
        labels = [text for text, _data in found.buttons()]
        assert "👤 Bob Martin" in labels and "🏷 « martin » (invité ou atelier)" in labels
        mark = fake.mark()
        done = await tap(fake, MANAGER, "Bob Martin")
        assert "Réservé pour Bob Martin :" in (done.text or "")
        assert "mardi 5 mars, 10:00–11:00" in (done.text or "")
        assert "La personne en est informée" in (done.text or "")
        told = await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == BOB.id and "for you" in (c.text or ""),
            after=mark,
        )
        assert "Morgane, a fab manager, booked a machine for you." in (told.text or "")
        assert "Tuesday 5 March, 10:00–11:00" in (told.text or "")
        # Bob sees it in his bookings, his to change or cancel.
        mine = await say(fake, BOB, "/mybookings")
        assert "Prusa MK4 — Tuesday 5 March, 10:00–11:00 — booked by Morgane" in (mine.text or "")
    async with sessions() as session:
        booking = await session.scalar(select(Booking))
        manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER.id))
        assert booking is not None and manager is not None
        assert (booking.booked_by_id, booking.guest_label) == (manager.id, None)


async def test_a_weekly_series_for_a_workshop_lists_the_week_it_skipped(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:  # Wednesday 13 March, 10:30, is someone's already
        prusa = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
        assert prusa is not None
        zoe = await make_member(session, "Zoé", telegram_id=5555)
        await bookings.book(session, zoe, prusa.id, paris(13, 10, 30), 30, RULES, paris(4, 7))
    async with running_bot(test_settings(fake, database_url), Clock()):
        await _to_the_slot(fake, "mer. 6 mars")
        weeks = await tap(fake, MANAGER, "Chaque semaine")
        assert "pendant combien de semaines ?" in (weeks.text or "")
        await tap(fake, MANAGER, "4 semaines")
        found = await say(fake, MANAGER, "Club robotique")
        assert "Aucun membre ne correspond à « Club robotique »." in (found.text or "")
        done = await tap(fake, MANAGER, "« Club robotique »")
        text = done.text or ""
        assert "Chaque semaine pour « Club robotique » : 3 sur 4 réservées." in text
        assert "Réservées :\n• mercredi 6 mars\n• mercredi 20 mars\n• mercredi 27 mars" in text
        assert "Non réservées :\n• mercredi 13 mars — déjà réservé" in text
    async with sessions() as session:
        labels = list(
            await session.scalars(select(Booking.guest_label).where(Booking.guest_label.is_not(None)))
        )
        assert labels == ["Club robotique"] * 3


async def test_the_managers_view_of_today_shows_a_guests_booking_by_its_label(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, BOB, "/start")
        await _to_the_slot(fake, "lun. 4 mars")
        await tap(fake, MANAGER, "Pour quelqu'un d'autre")
        await say(fake, MANAGER, "Stage ados")
        await tap(fake, MANAGER, "« Stage ados »")
        await _to_the_slot(fake, "lun. 4 mars", "14:00", "30 min → 14:30")
        await tap(fake, MANAGER, "Pour quelqu'un d'autre")
        await say(fake, MANAGER, "bob")
        await tap(fake, MANAGER, "Bob Martin")
        today = await say(fake, MANAGER, "/machines")
        assert "10:00–11:00 · Stage ados" in (today.text or "")
        assert "14:00–14:30 · Bob" in (today.text or "")
        # Held under the manager's name: in her bookings, with its label.
        mine = await say(fake, MANAGER, "/mybookings")
        assert "Prusa MK4 — lundi 4 mars, 10:00–11:00 — « Stage ados »" in (mine.text or "")
