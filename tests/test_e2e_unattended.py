"""An unattended overnight booking through the chat, in French: the long lengths are offered, the
booking runs past closing time, the reminder and the check-in apply at its start."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.jobs import send_due_reminders
from models.bookings import Booking, BookingStatus
from models.machines import Machine
from tests.factories import make_machine, paris
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import ALICE, Clock, job_context, running_bot, say, tap, test_settings

CAMILLE = FakeUser(1010, "Camille", username="camille", language_code="fr")


async def test_a_member_books_an_overnight_print_on_an_unattended_machine(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(Machine)
            .where(Machine.name == "Prusa MK4")
            .values(unattended_max_minutes=1440, checkin_minutes=15)
        )
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        await say(fake, CAMILLE, "/start")
        await tap(fake, CAMILLE, "Réserver une machine")
        await tap(fake, CAMILLE, "Prusa MK4")
        await tap(fake, CAMILLE, "mar. 5 mars")
        lengths = await tap(fake, CAMILLE, "18:00")
        assert "Pour combien de temps\u00a0?" in (lengths.text or "")
        labels = [label for label, _data in lengths.buttons()]
        # Past closing time (19:00), overnight, up to a day; the end names its day.
        assert "10 h → mer. 6 mars 04:00" in labels and "24 h → mer. 6 mars 18:00" in labels
        confirm = await tap(fake, CAMILLE, "10 h → mer. 6 mars 04:00")
        assert "mardi 5 mars 18:00 – mercredi 6 mars 04:00" in (confirm.text or "")
        done = await tap(fake, CAMILLE, "Confirmer")
        assert "Votre réservation est confirmée." in (done.text or "")
        assert "mardi 5 mars 18:00 – mercredi 6 mars 04:00" in (done.text or "")

        # Nobody else can start in the night's run, nor at 19:00 (closed anyway).
        await say(fake, ALICE, "/start")
        await tap(fake, ALICE, "Book a machine")
        await tap(fake, ALICE, "Prusa MK4")
        times = await tap(fake, ALICE, "Tue 5 Mar")
        assert [t for t, _d in times.buttons() if t.startswith("18:")] == []

        # The reminder is at its start, with the check-in.
        clock.now = paris(5, 17, 30)
        assert await send_due_reminders(job_context(app)) == 1
        (reminder,) = [c for c in fake.calls_of("sendMessage", CAMILLE.id) if "Rappel" in (c.text or "")]
        assert "J'y suis" in " ".join(label for label, _d in reminder.buttons())
    async with sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
        assert (booking.start_at, booking.end_at) == (paris(5, 18), paris(6, 4))
        assert booking.status is BookingStatus.CONFIRMED


async def test_a_member_types_an_overnight_run_in_french(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(Machine).where(Machine.name == "Prusa MK4").values(unattended_max_minutes=1440)
        )
        await make_machine(session, "Bambu X1", slot_minutes=30, max_booking_minutes=120)
    async with running_bot(test_settings(fake, database_url), Clock()):  # Monday 4 March, 07:00
        await say(fake, CAMILLE, "/start")
        await tap(fake, CAMILLE, "Réserver une machine")
        await tap(fake, CAMILLE, "Prusa MK4")
        confirm = await say(fake, CAMILLE, "demain de 18h à 4h")
        assert "Réserver ce créneau\u00a0?" in (confirm.text or "")
        assert "mardi 5 mars 18:00 – mercredi 6 mars 04:00" in (confirm.text or "")
        done = await tap(fake, CAMILLE, "Confirmer")
        assert "Votre réservation est confirmée." in (done.text or "")
        # The Bambu is no unattended machine: the same text is refused, saying why, in its flow.
        await say(fake, CAMILLE, "/start")
        await tap(fake, CAMILLE, "Réserver une machine")
        await tap(fake, CAMILLE, "Bambu X1")
        refused = await say(fake, CAMILLE, "demain de 18h à 4h")
        assert (refused.text or "").startswith(
            "⚠️ J'ai compris\u00a0: mardi 5 mars, 18:00.\n"
            "La fin est avant le début\u00a0: Bambu X1 ne se réserve pas pour la nuit."
        )
        assert "Quel jour\u00a0?" in (refused.text or "")
    async with sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
        assert (booking.start_at, booking.end_at) == (paris(5, 18), paris(6, 4))
