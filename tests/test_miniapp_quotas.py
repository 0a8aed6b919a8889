"""Quotas and the cancellation deadline in the members' Mini App API: the chat's sentences, in the
member's language; a late cancellation refused once (409 LateCancellation), then done as a no-show."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import quotas
from models.bookings import Booking, BookingStatus
from models.machines import Machine, MachineKind
from models.quotas import QuotaValues
from tests.factories import paris
from tests.fakebot import FakeBotApi, FakeUser
from tests.test_miniapp_api import TUESDAY_10, running_app

CHLOE = FakeUser(1004, "Chloé", language_code="fr")


async def _prusa(sessions: async_sessionmaker[AsyncSession], values: QuotaValues) -> int:
    async with sessions.begin() as session:
        prusa = await session.scalar(select(Machine.id).where(Machine.name == "Prusa MK4"))
        assert prusa is not None
        await quotas.set_values(session, values, machine_id=prusa)
        await quotas.set_values(session, QuotaValues(max_upcoming=2), kind=MachineKind.PRINTER_3D)
        return prusa


async def test_a_quota_refusal_is_a_409_with_the_chats_sentence_and_books_nothing(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _prusa(sessions, QuotaValues(max_minutes_per_day=90))
    async with running_app(fake, database_url) as app:
        assert (await app(CHLOE, "book", {"machine": prusa, "start": TUESDAY_10, "minutes": 60}))[0] == 200
        later = "2030-03-05T14:00:00+01:00"
        # The lengths offered stop at the 30 min left that day.
        assert await app(CHLOE, f"lengths?machine={prusa}&start=2030-03-05T14:00:00%2B01:00") == (
            200,
            {"lengths": [30]},
        )
        status, refused = await app(CHLOE, "book", {"machine": prusa, "start": later, "minutes": 60})
        assert (status, refused["error"]) == (409, "DailyQuotaReached")
        assert refused["message"] == (
            "Vous avez déjà réservé 1 h sur Prusa MK4 le mardi 5 mars (maximum 1 h 30) : il ne vous "
            "reste que 30 min. Vous pouvez réserver un autre jour. "
            "Rien n'a été réservé."
        )
        assert (await app(CHLOE, "book", {"machine": prusa, "start": later, "minutes": 30}))[0] == 200
        # The kind's two upcoming bookings are held: the third waits for the first to be over.
        wednesday = "2030-03-06T10:00:00+01:00"
        status, refused = await app(CHLOE, "book", {"machine": prusa, "start": wednesday, "minutes": 30})
        assert (status, refused["error"]) == (409, "UpcomingLimitReached")
        assert "quand la prochaine sera passée : mardi 5 mars 11:00" in refused["message"]
    async with sessions() as session:
        assert len((await session.scalars(select(Booking))).all()) == 2


async def test_a_late_cancellation_is_asked_then_recorded_as_a_no_show(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _prusa(sessions, QuotaValues(cancel_deadline_minutes=24 * 60))
    async with running_app(fake, database_url) as app:
        status, booked = await app(CHLOE, "book", {"machine": prusa, "start": TUESDAY_10, "minutes": 60})
        assert status == 200
        booking = booked["booking"]["id"]
        app.clock.now = paris(4, 12)
        status, asked = await app(CHLOE, "cancel", {"booking": booking})
        assert (status, asked["error"]) == (409, "LateCancellation")
        assert asked["message"].endswith("compte comme une absence. Confirmez pour annuler quand même.")
        async with sessions() as session:
            assert (await session.get_one(Booking, booking)).status is BookingStatus.CONFIRMED
        assert await app(CHLOE, "cancel", {"booking": booking, "no_show_accepted": True}) == (
            200,
            {"cancelled": booking},
        )
    async with sessions() as session:
        done = await session.get_one(Booking, booking)
        assert (done.status, done.no_show_at) == (BookingStatus.CANCELLED, paris(4, 12))
