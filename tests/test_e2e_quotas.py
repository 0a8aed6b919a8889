"""Quotas and the cancellation deadline through the real application and the fake Bot API, in French."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import quotas
from models.bookings import Booking, BookingStatus
from models.machines import Machine, MachineKind
from models.members import Member
from models.quotas import QuotaValues
from tests.factories import paris
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import Clock, running_bot, say, tap, test_settings

CAMILLE = FakeUser(1003, "Camille", language_code="fr")


async def _book_in_french(fake: FakeBotApi, start: str, length: str) -> ApiCall:
    """Camille's booking of the Prusa on Tuesday 5 March, pressed through to Confirm (as
    harness.book_through_buttons does, with the French labels)."""
    await say(fake, CAMILLE, "/start")
    for label in ("Réserver une machine", "Prusa MK4", "mar. 5 mars", start, length):
        await tap(fake, CAMILLE, label)
    return await tap(fake, CAMILLE, "Confirmer")


async def test_a_quota_refusal_says_in_french_which_limit_and_when_it_frees_up(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        await quotas.set_values(session, QuotaValues(max_minutes_per_day=60), kind=MachineKind.PRINTER_3D)
    async with running_bot(test_settings(fake, database_url), Clock()):
        booked = await _book_in_french(fake, "10:00", "1 h → 11:00")
        assert "confirmée" in (booked.text or "")

        refused = await _book_in_french(fake, "14:00", "1 h → 15:00")
        assert refused.text == (
            "⛔️ Vous avez déjà réservé 1 h sur les imprimantes 3D le mardi 5 mars (maximum 1 h). "
            "Vous pourrez réserver à nouveau à partir du mercredi 6 mars. Rien n'a été réservé."
        )
        assert any("Retour" in label for label, _ in refused.buttons())  # still in the booking flow
    async with sessions() as session:
        assert len(list(await session.scalars(select(Booking)))) == 1


async def test_cancelling_past_the_deadline_warns_then_counts_as_a_no_show(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        prusa = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
        assert prusa is not None
        await quotas.set_values(session, QuotaValues(cancel_deadline_minutes=24 * 60), machine_id=prusa.id)
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        await _book_in_french(fake, "10:00", "1 h → 11:00")
        clock.now = paris(4, 18)  # Monday 18:00: less than 24 h before Tuesday 10:00
        await say(fake, CAMILLE, "/mybookings")
        asked = await tap(fake, CAMILLE, "Annuler · Prusa MK4")
        assert (
            "⚠️ Cette machine s'annule au moins 24 h avant le début : annuler maintenant compte comme "
            "une absence." in (asked.text or "")
        )
        done = await tap(fake, CAMILLE, "Annuler quand même (compte comme une absence)")
        assert "Elle compte comme une absence." in (done.text or "")
    async with sessions() as session:
        booking = await session.scalar(select(Booking).join(Member).where(Member.telegram_id == CAMILLE.id))
        assert booking is not None
        assert (booking.status, booking.no_show_at) == (BookingStatus.CANCELLED, paris(4, 18))
