"""Check-in and "I can't come" from the reminder, and the release of a no-show, through the real
application and the fake Bot API."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.jobs import ask_to_check_in, release_no_shows, send_due_reminders
from bot.core.outbox import send_outbox
from models import checkin, machines, quotas, waitlist
from models.bookings import Booking, BookingStatus
from models.machines import Machine
from models.members import Member
from models.quotas import QuotaValues
from tests.factories import RULES, fill_day, make_member, paris
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import (
    ALICE,
    BOB,
    MANAGER,
    Clock,
    book_through_buttons,
    job_context,
    press_data,
    running_bot,
    say,
    tap,
    test_settings,
)
from tests.test_e2e_privacy_stats import attachment

TUESDAY = date(2030, 3, 5)
FILLER = 5555  # no fake user's id


async def _ask_for_check_in(sessions: async_sessionmaker[AsyncSession], minutes: int = 15) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(Machine).where(Machine.name == "Prusa MK4").values(checkin_minutes=minutes)
        )


async def _alice_books_and_a_full_day_with_bob_waiting(
    fake: FakeBotApi, sessions: async_sessionmaker[AsyncSession]
) -> int:
    """Alice books Tuesday 10:00–11:00; the rest of the day is booked; Bob waits for a slot."""
    await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
    await tap(fake, ALICE, "Confirm")
    await say(fake, BOB, "/start")
    async with sessions.begin() as session:
        prusa = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
        bob = await session.scalar(select(Member).where(Member.telegram_id == BOB.id))
        assert prusa is not None and bob is not None
        await fill_day(session, prusa, TUESDAY, telegram_id=FILLER)
        await waitlist.join(session, bob, prusa.id, TUESDAY, RULES, paris(4, 8))
        booking_id = await session.scalar(
            select(Booking.id).join(Booking.member).where(Member.telegram_id == ALICE.id)
        )
        assert booking_id is not None
        return booking_id


def _reminder(fake: FakeBotApi, user: FakeUser) -> ApiCall:
    (reminder,) = [c for c in fake.calls_of("sendMessage", user.id) if "Reminder" in (c.text or "")]
    return reminder


def _data(call: ApiCall, label: str) -> str:
    (data,) = [d for text, d in call.buttons() if label in text]
    assert data is not None
    return data


async def test_the_reminder_says_how_soon_and_checks_the_member_in(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    await _ask_for_check_in(sessions)
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        booking_id = await _alice_books_and_a_full_day_with_bob_waiting(fake, sessions)
        clock.now = paris(5, 9, 30)
        assert await send_due_reminders(job_context(app)) == 1
        reminder = _reminder(fake, ALICE)
        assert "starts in 30 min (Tuesday 5 March, 10:00–11:00)" in (reminder.text or "")
        assert "at most 15 minutes after the start" in (reminder.text or "")
        here = _data(reminder, "I'm here")

        early = await press_data(fake, ALICE, here)  # 09:30: check-in opens at 09:45
        assert "too early to check in: you can from 09:45" in early.params.get("text", "")
        clock.now = paris(5, 9, 50)
        # Bob forges Alice's check-in, and a malformed one: refused, kindly, nothing changes.
        assert "no longer available" in (await press_data(fake, BOB, here)).params.get("text", "")
        assert "no longer valid" in (await press_data(fake, ALICE, "ci:x")).params.get("text", "")
        done = await tap(fake, ALICE, "I'm here")
        assert "You are checked in: Prusa MK4, Tuesday 5 March, 10:00–11:00" in (done.text or "")

        clock.now = paris(5, 10, 30)
        # The filler's 09:00–10:00 nobody checked in is released; Alice's, checked in, never.
        assert await release_no_shows(job_context(app)) == 1
    async with sessions() as session:
        booking = await session.get(Booking, booking_id)
        assert booking is not None and booking.status is BookingStatus.CONFIRMED
        assert booking.checked_in_at == paris(5, 9, 50)


async def test_i_cant_come_cancels_after_a_confirmation_and_wakes_the_waitlist(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        booking_id = await _alice_books_and_a_full_day_with_bob_waiting(fake, sessions)
        clock.now = paris(5, 9, 31)
        assert await send_due_reminders(job_context(app)) == 1
        assert "starts in 29 min" in (_reminder(fake, ALICE).text or "")
        ask = await tap(fake, ALICE, "I can't come")
        assert "Cancel this booking?" in (ask.text or "")
        mark = fake.mark()
        done = await tap(fake, ALICE, "Yes, cancel it")
        assert "is cancelled" in (done.text or "")
        offer = await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == BOB.id and "freed up" in (c.text or ""),
            after=mark,
        )
        assert "Tuesday 5 March, 10:00–11:00" in (offer.text or "")
    async with sessions() as session:
        booking = await session.get(Booking, booking_id)
        assert booking is not None and booking.status is BookingStatus.CANCELLED
        assert booking.no_show_at is None


async def test_a_booking_nobody_checked_in_is_released_and_its_member_told(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    await _ask_for_check_in(sessions)
    clock = Clock()
    settings = test_settings(fake, database_url)
    async with running_bot(settings, clock) as app:
        booking_id = await _alice_books_and_a_full_day_with_bob_waiting(fake, sessions)
        clock.now = paris(5, 9, 30)
        await send_due_reminders(job_context(app))
        here = _data(_reminder(fake, ALICE), "I'm here")
        clock.now = paris(5, 10, 14)
        assert await release_no_shows(job_context(app)) == 1  # the filler's 09:00–10:00, not Alice's yet
        clock.now = paris(5, 10, 15)
        mark = fake.mark()
        assert await release_no_shows(job_context(app)) == 1
        told = await fake.wait_for(
            lambda c: (
                c.method == "sendMessage" and c.chat_id == ALICE.id and "Nobody checked in" in (c.text or "")
            ),
            after=mark,
        )
        assert "within 15 minutes of its start" in (told.text or "")
        offer = await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == BOB.id and "freed up" in (c.text or ""),
            after=mark,
        )
        assert "Tuesday 5 March, 10:30–11:00" in (offer.text or "")
        # The reminder's I'm here, pressed late: the booking is gone, said clearly.
        late = await press_data(fake, ALICE, here)
        assert "already cancelled" in late.params.get("text", "")
    # A restart releases nothing twice.
    async with running_bot(settings, clock) as app:
        clock.now = paris(5, 10, 20)
        assert await release_no_shows(job_context(app)) == 0
    async with sessions() as session:
        booking = await session.get(Booking, booking_id)
        assert booking is not None and booking.no_show_at == paris(5, 10, 15)
    assert (
        len([c for c in fake.calls_of("sendMessage", ALICE.id) if "Nobody checked in" in (c.text or "")]) == 1
    )


async def test_a_machines_qr_code_opens_its_page_to_check_in_book_next_or_report(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        async with sessions() as session:
            prusa = await session.scalar(select(Machine.id).where(Machine.name == "Prusa MK4"))
        clock.now = paris(5, 9, 50)
        page = await say(fake, ALICE, f"/start m{prusa}")
        assert "Prusa MK4 — Atelier" in (page.text or "")
        assert "Your booking: Tuesday 5 March, 10:00–11:00." in (page.text or "")
        assert "Next free slot: Tue 5 Mar 11:00." in (page.text or "")
        done = await tap(fake, ALICE, "I'm here")
        assert "You are checked in: Prusa MK4" in (done.text or "")

        # Checked in: the page no longer offers I'm here; the next free slot goes into the booking.
        page = await say(fake, ALICE, f"/start m{prusa}")
        assert not any("I'm here" in label for label, _d in page.buttons())
        lengths = await tap(fake, ALICE, "Book Tue 5 Mar 11:00")
        assert "For how long?" in (lengths.text or "")
        # Bob scans it: he has no booking now; reporting skips the machine choice.
        page = await say(fake, BOB, f"/start m{prusa}")
        assert "Your booking" not in (page.text or "")
        ask = await tap(fake, BOB, "Report a problem")
        assert "Describe the problem" in (ask.text or "")
        assert "Prusa MK4" in (ask.text or "")

        # A link to no machine, or a payload that is not one: kind answers.
        gone = await say(fake, BOB, "/start m999")
        assert "no longer available" in (gone.text or "")
        hello = await say(fake, BOB, "/start mx")
        assert "Hello Bob" in (hello.text or "")


def test_the_reminder_and_the_release_read_in_french() -> None:
    import bot.features.messages  # noqa: F401 - registers every feature's renderers
    from bot.core.i18n import Texts
    from bot.core.messages import RENDERERS
    from models.bookings import Reminder
    from models.checkin import NoShowReleased
    from tests.factories import PARIS

    french = Texts("fr", PARIS)
    start, end = paris(5, 10), paris(5, 11)
    reminder = RENDERERS[Reminder](
        french,
        Reminder(
            booking_id=1, machine="Prusa MK4", start=start, end=end, minutes_left=30, checkin_minutes=15
        ),
    )
    assert reminder.text.startswith(
        "⏰ Rappel : votre réservation commence dans 30 min (Prusa MK4, mardi 5 mars"
    )
    assert "« J'y suis » au plus tard 15 minutes après le début" in reminder.text
    labels = [b.text for row in reminder.markup.inline_keyboard for b in row] if reminder.markup else []
    assert "📍 J'y suis" in labels and "🙅 Je ne peux pas venir" in labels
    released = RENDERERS[NoShowReleased](
        french,
        NoShowReleased(booking_id=1, machine="Prusa MK4", machine_id=1, start=start, end=end, minutes=15),
    )
    assert (
        "au plus tard 15 minutes après le début de votre réservation (Prusa MK4, mardi 5 mars"
        in released.text
    )


async def test_at_the_start_the_member_is_asked_once_in_french_and_checks_in_from_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    await _ask_for_check_in(sessions)
    clock = Clock()
    settings = test_settings(fake, database_url)
    camille = FakeUser(1010, "Camille", username="camille", language_code="fr")
    async with running_bot(settings, clock) as app:
        await say(fake, camille, "/start")
        await tap(fake, camille, "Réserver une machine")
        await tap(fake, camille, "Prusa MK4")
        await tap(fake, camille, "mar. 5 mars")
        await tap(fake, camille, "10:00")
        await tap(fake, camille, "1 h → 11:00")
        await tap(fake, camille, "Confirmer")
        clock.now = paris(5, 9, 59)
        assert await ask_to_check_in(job_context(app)) == 0
        clock.now = paris(5, 10, 1)
        mark = fake.mark()
        assert await ask_to_check_in(job_context(app)) == 1
        await send_outbox(job_context(app))
        asked = await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == camille.id and "commence" in (c.text or ""),
            after=mark,
        )
        assert asked.text == (
            "📍 Votre créneau sur Prusa MK4 commence (mardi 5 mars, 10:00–11:00). Appuyez sur « J'y suis » "
            "dans les 15 minutes, sinon il sera libéré."
        )
        assert await ask_to_check_in(job_context(app)) == 0
    # A restart asks nobody twice; the button checks in.
    async with running_bot(settings, clock) as app:
        clock.now = paris(5, 10, 3)
        assert await ask_to_check_in(job_context(app)) == 0
        done = await tap(fake, camille, "J'y suis")
        assert "Votre arrivée est enregistrée : Prusa MK4" in (done.text or "")
        clock.now = paris(5, 10, 20)
        assert await release_no_shows(job_context(app)) == 0
    assert len([c for c in fake.calls_of("sendMessage", camille.id) if "commence" in (c.text or "")]) == 1


async def test_the_machines_page_names_only_the_helpers_who_agreed(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    camille = FakeUser(1010, "Camille", username="camille", language_code="fr")
    dominique = FakeUser(1011, "Dominique", username="dominique", language_code="fr")
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        for user in (camille, dominique, BOB):
            await say(fake, user, "/start")
        async with sessions.begin() as session:
            laser = await session.scalar(select(Machine).where(Machine.name == "Trotec Speedy"))
            manager = await make_member(session, "Morgane", telegram_id=MANAGER.id, manager=True)
            trained = await session.scalars(
                select(Member).where(Member.telegram_id.in_([camille.id, BOB.id]))
            )
            assert laser is not None
            for member in trained:
                await machines.authorize(session, manager, member, machine=laser, now=clock.now)
            laser_id = laser.id

        # Nobody agreed yet: no name, ask the fab manager.
        page = await say(fake, dominique, f"/start m{laser_id}")
        assert "Besoin d'aide sur cette machine ? Demandez au fabmanager." in (page.text or "")
        assert "Camille" not in (page.text or "") and "Bob" not in (page.text or "")

        # Camille agrees, in /privacy; Bob, trained too, does not.
        notice = await say(fake, camille, "/privacy")
        assert "Désactivé tant que vous ne l'activez pas" in (notice.text or "")
        shown = await tap(fake, camille, "Me montrer comme personne-ressource")
        assert "Vous apparaissez" in (shown.text or "")
        assert any("Ne plus me montrer" in label for label, _d in shown.buttons())
        page = await say(fake, dominique, f"/start m{laser_id}")
        assert "Ces personnes peuvent vous aider sur cette machine : Camille (@camille)." in (page.text or "")
        assert "Bob" not in (page.text or "")

        # Her choice is in her data; she can take it back.
        mark = fake.mark()
        await say(fake, camille, "/mydata")
        sent = await fake.wait_for_call("sendDocument", camille.id, after=mark)
        assert b'"shown_as_helper_since": "' in attachment(sent)[1]
        await say(fake, camille, "/privacy")
        await tap(fake, camille, "Ne plus me montrer comme personne-ressource")
        page = await say(fake, dominique, f"/start m{laser_id}")
        assert "Camille" not in (page.text or "") and "Demandez au fabmanager" in (page.text or "")


async def test_a_manager_reads_check_ins_and_no_shows_per_member_and_a_member_cannot(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    await _ask_for_check_in(sessions)
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        await book_through_buttons(fake, BOB, "Tue 5 Mar", "14:00", "1 h → 15:00")
        await tap(fake, BOB, "Confirm")
        clock.now = paris(5, 10, 5)
        async with sessions.begin() as session:
            alice = await session.scalar(select(Member).where(Member.telegram_id == ALICE.id))
            booking_id = await session.scalar(select(Booking.id).where(Booking.start_at == paris(5, 10)))
            assert alice is not None and booking_id is not None
            await checkin.check_in(session, alice, booking_id, clock.now)
        clock.now = paris(5, 14, 30)
        assert await release_no_shows(job_context(app)) == 1  # Bob's

        refused = await press_data(fake, ALICE, "ss:m:7")
        assert "fab manager" in (refused.params.get("text") or "").lower()
        await say(fake, MANAGER, "/stats")
        await tap(fake, MANAGER, "7 jours")
        per_member = await tap(fake, MANAGER, "Présences par membre")
        text = per_member.text or ""
        assert "Présences et absences par membre, du mercredi 27 février au mardi 5 mars" in text
        assert text.index("Bob Martin — présences : 0, absences : 1") < text.index(
            "Alice — présences : 1, absences : 0"
        )


async def test_the_machines_page_offers_the_next_slot_past_the_machines_notice(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """The Prusa is booked 3 h ahead: scanned on Monday at 07:00, its page offers 10:00, not 09:00
    (which Confirm would refuse, a dead end from the QR code); a manager, exempt, gets 09:00."""
    async with sessions.begin() as session:
        prusa = await session.scalar(select(Machine.id).where(Machine.name == "Prusa MK4"))
        assert prusa is not None
        await quotas.set_values(session, QuotaValues(notice_minutes=180), machine_id=prusa)
    async with running_bot(test_settings(fake, database_url), Clock()):  # Monday 4 March, 07:00
        page = await say(fake, ALICE, f"/start m{prusa}")
        assert "Next free slot: Mon 4 Mar 10:00." in (page.text or "")
        await tap(fake, ALICE, "Book Mon 4 Mar 10:00")
        await tap(fake, ALICE, "1 h → 11:00")
        done = await tap(fake, ALICE, "Confirm")
        assert "Your booking is confirmed." in (done.text or "")
        page = await say(fake, MANAGER, f"/start m{prusa}")
        assert "Prochain créneau libre : lun. 4 mars 09:00." in (page.text or "")  # the manager reads French


async def test_the_page_of_a_machine_needing_a_training_asks_for_one_instead_of_offering_a_slot(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """Bob, not trained on the laser, scans it: no « Book Mon 4 Mar 09:00 » (pressing it was only
    refused, « needs a training first »), the training to ask for; reporting a problem still there."""
    async with sessions() as session:
        laser = await session.scalar(select(Machine.id).where(Machine.name == "Trotec Speedy"))
    async with running_bot(test_settings(fake, database_url), Clock()):
        page = await say(fake, BOB, f"/start m{laser}")
        assert "This machine needs a training before you can book it." in (page.text or "")
        labels = [label for label, _d in page.buttons()]
        assert not any(label.startswith("📅") for label in labels), labels
        assert "⚠️ Report a problem" in labels
        asked = await tap(fake, BOB, "Ask for a training")
        assert "Your request was sent to the fab managers." in (asked.text or "")
