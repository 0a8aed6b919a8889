"""Planning a downtime asks for a confirmation first; the members whose bookings fall in it are told
plainly that their booking is kept, and can cancel it or book another time from the warning."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.bookings import Booking, BookingStatus
from models.downtime import Downtime
from models.members import Member
from tests.factories import NOW
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import (
    ALICE,
    BOB,
    MANAGER,
    Clock,
    press_data,
    running_bot,
    say,
    tap,
    test_settings,
)

EN_MANAGER = FakeUser(MANAGER.id, MANAGER.first_name, username="morgane", language_code="en")
BOB_FR = FakeUser(BOB.id, BOB.first_name, last_name=BOB.last_name, language_code="fr")


async def downtimes(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(Downtime)) or 0


async def bob_bookings(sessions: async_sessionmaker[AsyncSession]) -> list[Booking]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Booking)
            .join(Booking.member)
            .where(Member.telegram_id == BOB.id)
            .order_by(Booking.start_at)
        )
        return list(rows)


def messages_to(fake: FakeBotApi, user: FakeUser, after: int) -> list[ApiCall]:
    return [c for c in fake.calls[after:] if c.method == "sendMessage" and c.chat_id == user.id]


async def saturday_summary(fake: FakeBotApi) -> ApiCall:
    """The manager picks Saturday 09:00, for 8 h, on the printer: the summary, before anything is done."""
    await say(fake, EN_MANAGER, "/machine Prusa MK4")
    await tap(fake, EN_MANAGER, "Plan a downtime")
    await tap(fake, EN_MANAGER, "Sat 9 Mar")
    await tap(fake, EN_MANAGER, "09:00")
    return await tap(fake, EN_MANAGER, "8 h → 17:00")


async def book_saturday(fake: FakeBotApi, user: FakeUser, day: str, confirm: str) -> None:
    for start, length in (("10:00", "1 h → 11:00"), ("14:00", "1 h → 15:00")):
        await say(fake, user, "/book")
        for button in ("Prusa MK4", day, start, length, confirm):
            await tap(fake, user, button)


async def test_a_downtime_is_planned_only_once_its_summary_is_confirmed(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await book_saturday(fake, BOB, "Sat 9 Mar", "Confirm")
        mark = fake.mark()

        summary = await saturday_summary(fake)
        text = summary.text or ""
        assert text.startswith("Plan this downtime?")
        assert "Prusa MK4" in text and "Saturday 9 March, 09:00–17:00" in text
        assert "2 bookings fall in it: their members will be warned, and the bookings kept" in text
        assert [label for label, _d in summary.buttons()] == ["✅ Confirm", "⬅️ Back", "✖️ Cancel"]
        # Tapping the length planned nothing and warned nobody.
        assert await downtimes(sessions) == 0
        cancelled = await tap(fake, EN_MANAGER, "Cancel")
        assert "Nothing was changed" in (cancelled.text or "")
        assert await downtimes(sessions) == 0
        assert messages_to(fake, BOB, mark) == []

        summary = await saturday_summary(fake)
        confirm_data = summary.buttons()[0][1]
        done = await tap(fake, EN_MANAGER, "Confirm")
        assert "Downtime planned: Saturday 9 March, 09:00–17:00" in (done.text or "")
        warned = "2 members with a booking in that time were warned; their bookings are kept"
        assert warned in (done.text or "")
        # The Confirm of the summary pressed again: planned once, warned once.
        assert confirm_data is not None
        await press_data(fake, EN_MANAGER, confirm_data)
        await fake.wait_for_call("sendMessage", BOB.id, text_contains="14:00–15:00", after=mark)
        assert await downtimes(sessions) == 1
        # A window already over cannot even be summed up.
        two_days_ago = int((NOW - timedelta(days=2)).timestamp()) // 60
        past = await press_data(fake, EN_MANAGER, f"dt:l:1:{two_days_ago}:60")
        assert "not possible" in str(past.params.get("text"))
        # Members cannot see the summary.
        await say(fake, ALICE, "/start")
        refused = await press_data(fake, ALICE, confirm_data.replace("dt:ok", "dt:l"))
        assert "Only the fab managers" in str(refused.params.get("text"))
    assert len(messages_to(fake, BOB, mark)) == 2
    kept = await bob_bookings(sessions)
    assert [(b.status, b.affected_downtime_id) for b in kept] == [(BookingStatus.CONFIRMED, 1)] * 2


async def test_the_warned_member_is_told_the_booking_is_kept_and_can_cancel_or_move_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await book_saturday(fake, BOB_FR, "sam. 9 mars", "Confirmer")
        mark = fake.mark()
        await saturday_summary(fake)
        await tap(fake, EN_MANAGER, "Confirm")
        first = await fake.wait_for_call("sendMessage", BOB.id, text_contains="10:00–11:00", after=mark)
        second = await fake.wait_for_call("sendMessage", BOB.id, text_contains="14:00–15:00", after=mark)
        assert (first.text or "") == (
            "🗓 Prusa MK4 sera hors service pour maintenance\u00a0: samedi 9 mars, 09:00–17:00.\n\n"
            "Votre réservation\u00a0: Prusa MK4, samedi 9 mars, 10:00–11:00.\n"
            "Elle n'est pas annulée, mais la machine ne pourra pas servir pendant la maintenance\u00a0: "
            "annulez-la, ou choisissez un autre horaire. Si la maintenance est annulée, je vous préviendrai."
        )
        assert [label for label, _d in first.buttons()] == [
            "❌ Annuler cette réservation",
            "📅 Réserver un autre horaire",
            "🗂 Mes réservations",
        ]
        assert first.buttons()[2][1] == "my"
        ten, two = await bob_bookings(sessions)

        # Alice presses Bob's buttons (forged): refused, nothing changes.
        await say(fake, ALICE, "/start")
        for data in (f"my:c:{ten.id}", f"my:y:{ten.id}"):
            refused = await press_data(fake, ALICE, data)
            assert refused.params.get("show_alert") is True
            assert "no longer available" in str(refused.params.get("text"))

        # Book another time: the printer's days, in place of the warning.
        mark = fake.mark()
        fake.press_button(BOB_FR, second, "Réserver un autre horaire")
        days = await fake.wait_for_call("editMessageText", BOB.id, after=mark)
        assert "Prusa MK4" in (days.text or "") and "Quel jour" in (days.text or "")

        # Cancel this booking: asks first, then cancels that one only.
        mark = fake.mark()
        fake.press_button(BOB_FR, first, "Annuler cette réservation")
        ask = await fake.wait_for_call("editMessageText", BOB.id, after=mark)
        assert "Annuler cette réservation" in (ask.text or "") and "10:00–11:00" in (ask.text or "")
        mark = fake.mark()
        fake.press_button(BOB_FR, ask, "Oui, l'annuler")
        done = await fake.wait_for_call("editMessageText", BOB.id, after=mark)
        assert "Réservation annulée\u00a0: Prusa MK4, samedi 9 mars, 10:00–11:00." in (done.text or "")
        # The same button pressed again (a stale warning): already cancelled, nothing changes.
        again = await press_data(fake, BOB_FR, f"my:c:{ten.id}")
        assert "déjà été annulée" in str(again.params.get("text"))
    ten, two = await bob_bookings(sessions)
    assert ten.status is BookingStatus.CANCELLED and two.status is BookingStatus.CONFIRMED


async def test_a_warning_pressed_after_its_booking_started_cannot_cancel_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock):
        await book_saturday(fake, BOB, "Sat 9 Mar", "Confirm")
        mark = fake.mark()
        await saturday_summary(fake)
        await tap(fake, EN_MANAGER, "Confirm")
        warning = await fake.wait_for_call("sendMessage", BOB.id, text_contains="10:00–11:00", after=mark)
        clock.now = NOW + timedelta(days=5, hours=3, minutes=30)  # Saturday 10:30
        mark = fake.mark()
        fake.press_button(BOB, warning, "Cancel this booking")
        answer = await fake.wait_for_call("answerCallbackQuery", after=mark)
        assert "already started" in str(answer.params.get("text"))
    assert all(b.status is BookingStatus.CONFIRMED for b in await bob_bookings(sessions))
