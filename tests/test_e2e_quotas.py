"""Quotas and the cancellation deadline through the real application and the fake Bot API, in French."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.outbox import deliver_outbox
from models import quotas, waitlist
from models.bookings import Booking, BookingStatus
from models.machines import Machine, MachineKind
from models.members import Member
from models.quotas import QuotaValues
from tests.factories import NOW, RULES, fill_day, make_machine, paris
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import ALICE, Clock, book_through_buttons, running_bot, say, tap, test_settings

CAMILLE = FakeUser(1003, "Camille", language_code="fr")
FILLER = 5555  # no fake user's id
TUESDAY = date(2030, 3, 5)


async def _to_the_prusa_days(fake: FakeBotApi) -> None:
    """Camille, from /start to the Prusa's days (where a day or time may be typed)."""
    await say(fake, CAMILLE, "/start")
    await tap(fake, CAMILLE, "Réserver une machine")
    await tap(fake, CAMILLE, "Prusa MK4")


async def _typed_at_the_prusa_days(fake: FakeBotApi, text: str) -> ApiCall:
    await _to_the_prusa_days(fake)
    return await say(fake, CAMILLE, text)


async def _on_the_printers(sessions: async_sessionmaker[AsyncSession], values: QuotaValues) -> None:
    async with sessions.begin() as session:
        await quotas.set_values(session, values, kind=MachineKind.PRINTER_3D)


def _spaced(call: ApiCall) -> str:
    """The message's text, French non-breaking spaces (« 10:00 ? ») read as spaces."""
    return (call.text or "").replace("\xa0", " ")


async def _choose_in_french(fake: FakeBotApi, start: str, length: str) -> ApiCall:
    """Camille's choice of the Prusa on Tuesday 5 March, pressed through to the length (as
    harness.book_through_buttons does, with the French labels): the confirmation, or a refusal."""
    await say(fake, CAMILLE, "/start")
    for label in ("Réserver une machine", "Prusa MK4", "mar. 5 mars", start):
        await tap(fake, CAMILLE, label)
    return await tap(fake, CAMILLE, length)


async def test_a_quota_refusal_says_in_french_which_limit_and_when_it_frees_up(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        await quotas.set_values(session, QuotaValues(max_minutes_per_day=60), kind=MachineKind.PRINTER_3D)
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, CAMILLE, "/start")
        for label in ("Réserver une machine", "Prusa MK4", "mar. 5 mars"):
            await tap(fake, CAMILLE, label)
        lengths = await tap(fake, CAMILLE, "10:00")
        # Only the lengths within the day's hour are offered (the Prusa allows up to 4 h).
        assert [label for label, _ in lengths.buttons() if "→" in label] == ["30 min → 10:30", "1 h → 11:00"]
        await tap(fake, CAMILLE, "1 h → 11:00")
        booked = await tap(fake, CAMILLE, "Confirmer")
        assert "confirmée" in (booked.text or "")

        # Said at the length screen, no length fitting (Confirm checks again: the waitlist test
        # below presses it).
        await say(fake, CAMILLE, "/start")
        for label in ("Réserver une machine", "Prusa MK4", "mar. 5 mars"):
            await tap(fake, CAMILLE, label)
        refused = await tap(fake, CAMILLE, "14:00")
        assert refused.text == (
            "⛔️ Vous avez déjà réservé 1 h sur les imprimantes 3D le mardi 5 mars (maximum 1 h). "
            "Vous pouvez réserver un autre jour. Rien n'a été réservé."
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
        await _choose_in_french(fake, "10:00", "1 h → 11:00")
        await tap(fake, CAMILLE, "Confirmer")
        clock.now = paris(4, 18)  # Monday 18:00: less than 24 h before Tuesday 10:00
        await say(fake, CAMILLE, "/mybookings")
        asked = await tap(fake, CAMILLE, "Annuler · Prusa MK4")
        assert (
            "⚠️ Les réservations de cette machine s'annulent au moins 24 h avant le début : annuler "
            "maintenant compte comme une absence." in (asked.text or "")
        )
        done = await tap(fake, CAMILLE, "Annuler quand même (compte comme une absence)")
        assert "Elle compte comme une absence." in (done.text or "")
    async with sessions() as session:
        booking = await session.scalar(
            select(Booking).join(Booking.member).where(Member.telegram_id == CAMILLE.id)
        )
        assert booking is not None
        assert (booking.status, booking.no_show_at) == (BookingStatus.CANCELLED, paris(4, 18))


async def _alice_waits_for_the_full_prusa(session: AsyncSession) -> Member:
    """The Prusa's Tuesday booked full by a filler (returned), Alice on its waitlist."""
    prusa = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
    alice = await session.scalar(select(Member).where(Member.telegram_id == ALICE.id))
    assert prusa is not None and alice is not None
    filler = await fill_day(session, prusa, TUESDAY, telegram_id=FILLER)
    await waitlist.join(session, alice, prusa.id, TUESDAY, RULES, NOW)
    return filler


async def test_a_waitlist_offer_is_held_to_the_quota_too(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        await make_machine(session, "Bambu X1")
    async with running_bot(test_settings(fake, database_url), Clock()) as app:
        # Alice books an hour of Tuesday on another printer, then waits for the full Prusa.
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "09:00", "1 h → 10:00", machine="Bambu X1")
        await tap(fake, ALICE, "Confirm")
        async with sessions.begin() as session:
            filler = await _alice_waits_for_the_full_prusa(session)
            await quotas.set_values(session, QuotaValues(max_minutes_per_day=60), kind=MachineKind.PRINTER_3D)
            freed = await session.scalar(select(Booking.id).where(Booking.member_id == filler.id))
            assert freed is not None
            await waitlist.cancel_booking(session, filler, freed, NOW, RULES)
        await deliver_outbox(app.bot_data["fabdesk"], app.bot)
        await fake.wait_for(lambda c: c.chat_id == ALICE.id and "A slot freed up" in (c.text or ""))
        confirm = await tap(fake, ALICE, "Book it")
        if "Book this slot?" in (confirm.text or ""):
            confirm = await tap(fake, ALICE, "Confirm")
        assert (confirm.text or "").startswith(
            "⛔️ You have already booked 1 h on the 3D printers on Tuesday 5 March (maximum 1 h). "
            "You can book on another day."
        )


async def test_a_typed_slot_over_a_limit_says_what_was_read_and_a_start_within_the_notice_at_once(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """1 h a day and 3 h of notice on the printers, Monday 07:00. « mardi 14h-16h »: what was read,
    then the limit (the refusal came alone). « aujourd'hui 9h »: the notice and the first possible
    slot at once (lengths were offered that Confirm then refused); the buttons start at 10:00."""
    await _on_the_printers(sessions, QuotaValues(max_minutes_per_day=60, notice_minutes=180))
    async with running_bot(test_settings(fake, database_url), Clock()):
        refused = await _typed_at_the_prusa_days(fake, "mardi 14h-16h")
        assert _spaced(refused) == (
            "📅 J'ai compris : mardi 5 mars, 14:00–16:00.\n\n"
            "⛔️ Vous ne pouvez pas réserver plus de 1 h par jour sur les imprimantes 3D. "
            "Rien n'a été réservé."
        )
        assert any("Retour" in label for label, _ in refused.buttons())
        # Within the limits, the confirmation says the slot itself (no « J'ai compris » above it).
        confirm = await say(fake, CAMILLE, "mardi 14h-15h")
        assert _spaced(confirm).startswith("Réserver ce créneau ?")

        typed = await say(fake, CAMILLE, "aujourd'hui 9h")
        assert _spaced(typed) == (
            "📅 J'ai compris : lundi 4 mars, 09:00.\n\n"
            "⛔️ Cette machine se réserve au moins 3 h à l'avance. Premier créneau possible : 10:00."
        )
        assert "lun. 4 mars 10:00" in [label for label, _ in typed.buttons()]
        await _to_the_prusa_days(fake)
        starts = await tap(fake, CAMILLE, "lun. 4 mars")
        # The buttons start past the notice: 09:00 is not offered (tests/test_notice_starts.py).
        assert next(label for label, _ in starts.buttons()) == "10:00"
        lengths = await tap(fake, CAMILLE, "10:00")
        assert "Pour combien de temps" in (lengths.text or "")
    async with sessions() as session:
        assert list(await session.scalars(select(Booking))) == []


async def test_a_slot_freed_within_the_notice_is_offered_from_its_end(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """An hour of notice on the printers; Tuesday 12:30, the 13:00 booking is cancelled (« I can't
    come »): Alice, waiting, is offered its part past the notice (from 13:30), not a start Book it
    would refuse; the 17:00 one is offered whole."""
    await _on_the_printers(sessions, QuotaValues(notice_minutes=60))
    async with running_bot(test_settings(fake, database_url), Clock()) as app:
        await say(fake, ALICE, "/start")
        async with sessions.begin() as session:
            filler = await _alice_waits_for_the_full_prusa(session)
        held = select(Booking.id).where(Booking.member_id == filler.id)
        for starts, now in ((paris(5, 13), paris(5, 12, 30)), (paris(5, 17), paris(5, 15))):
            async with sessions.begin() as session:
                booking = await session.scalar(held.where(Booking.start_at == starts))
                assert booking is not None
                await waitlist.cancel_booking(session, filler, booking, now, RULES)
            await deliver_outbox(app.bot_data["fabdesk"], app.bot)
        offers = [c.text or "" for c in fake.sent_to(ALICE.id) if "A slot freed up" in (c.text or "")]
        assert len(offers) == 2
        assert "13:30" in offers[0] and "13:00" not in offers[0]
        assert "17:00" in offers[1]
