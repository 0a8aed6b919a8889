"""A day or time typed mid-booking, through the real application and the fake Bot API: it lands on
the screen the buttons would have led to; what cannot be booked is answered with the booking screen
kept as the last message; outside a booking, text still gets "I work with buttons"."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.bookings import Booking
from models.opening import Closure
from tests.factories import paris
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import ALICE, Clock, running_bot, say, tap, test_settings

CHLOE = FakeUser(1003, "Chloé", username="chloe", language_code="fr")
BUTTONS_FR = "Je fonctionne avec des boutons"


async def _to_the_days(fake: FakeBotApi, user: FakeUser, book: str = "Réserver une machine") -> None:
    await say(fake, user, "/start")
    await tap(fake, user, book)
    await tap(fake, user, "Prusa MK4")


def _text(call: ApiCall) -> str:
    """The message's text, French non-breaking spaces (« 15:00 ? ») read as spaces."""
    return (call.text or "").replace("\xa0", " ")


def _labels(message: ApiCall | dict[str, Any] | None) -> list[str]:
    assert message is not None
    markup = (
        message.params.get("reply_markup") if isinstance(message, ApiCall) else message.get("reply_markup")
    )
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b["text"] for row in (markup or {}).get("inline_keyboard", []) for b in row]


async def test_a_typed_day_and_time_in_french_lands_on_the_booking_screens(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):  # Monday 4 March, 07:00
        await _to_the_days(fake, CHLOE)
        lengths = await say(fake, CHLOE, "demain 15h")
        assert "J'ai compris : mardi 5 mars, 15:00." in _text(lengths)
        assert "Pour combien de temps ?" in _text(lengths)
        assert "1 h → 16:00" in _labels(lengths)
        assert _labels(fake.last_message(CHLOE.id)) == _labels(lengths)  # the screen is the last message

        # Longer than the printer allows (2 h): said, with the lengths it allows from that start.
        too_long = await say(fake, CHLOE, "vendredi 14h-17h")
        assert "J'ai compris : vendredi 8 mars, 14:00–17:00." in _text(too_long)
        assert "Prusa MK4 se réserve pour 2 h au plus." in _text(too_long)
        assert "2 h → 16:00" in _labels(too_long)
        # A whole range: the confirmation, as the length button would have shown it.
        confirm = await say(fake, CHLOE, "vendredi 8/3 de 14h à 16h")
        assert "Réserver ce créneau ?" in _text(confirm)
        assert "vendredi 8 mars, 14:00–16:00" in _text(confirm)
        done = await tap(fake, CHLOE, "Confirmer")
        assert "Votre réservation est confirmée." in _text(done)
        # The booking is made: a text now is chatter again.
        assert BUTTONS_FR in _text(await say(fake, CHLOE, "demain 15h"))
    async with sessions() as session:
        (booking,) = (await session.scalars(select(Booking))).all()
        assert (booking.start_at, booking.end_at) == (paris(8, 14), paris(8, 16))


async def test_a_typed_time_on_a_closed_day_says_so_and_keeps_the_booking_screen(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        session.add(Closure(day=date(2030, 3, 6), reason="Inventaire"))
    async with running_bot(test_settings(fake, database_url), Clock()):
        await _to_the_days(fake, CHLOE)
        await tap(fake, CHLOE, "mar. 5 mars")
        answer = await say(fake, CHLOE, "mercredi 15h")
        text = _text(answer)
        assert "J'ai compris : mercredi 6 mars, 15:00." in text
        assert "Le fablab est fermé ce jour-là. Motif : Inventaire" in text
        # Below it, the screen she was at (Tuesday's start times), as the last message.
        assert "Heures de début disponibles :" in text
        assert "15:00" in _labels(answer)
        assert _labels(fake.last_message(CHLOE.id)) == _labels(answer)
        # Still mid-booking: a time alone is on Tuesday.
        lengths = await say(fake, CHLOE, "15h")
        assert "mardi 5 mars, 15:00" in _text(lengths)


async def test_garbage_mid_booking_is_answered_kindly_and_ambiguity_is_said(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await _to_the_days(fake, CHLOE)
        garbage = await say(fake, CHLOE, "bonjour ça va ?")
        assert "Je n'ai compris ni un jour ni une heure dans « bonjour ça va ? »" in _text(garbage)
        assert "Quel jour ?" in _text(garbage)  # the day screen, below
        assert "mar. 5 mars" in _labels(garbage)
        assert BUTTONS_FR not in _text(garbage)
        bare = await say(fake, CHLOE, "15")
        assert "« 15 », est-ce un jour du mois ou une heure ?" in _text(bare)
        later = await say(fake, CHLOE, "4/12/30")
        assert "J'ai compris : mercredi 4 décembre." in _text(later)
        assert "C'est trop loin" in _text(later)
        assert "mar. 5 mars" in _labels(fake.last_message(CHLOE.id))


async def test_typed_text_outside_a_booking_still_gets_the_buttons_answer(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, CHLOE, "/start")
        assert BUTTONS_FR in _text(await say(fake, CHLOE, "demain 15h"))
        # Leaving a booking (Cancel, /start) ends it too.
        await _to_the_days(fake, CHLOE)
        await tap(fake, CHLOE, "Annuler")
        assert BUTTONS_FR in _text(await say(fake, CHLOE, "demain 15h"))
        await _to_the_days(fake, CHLOE)
        await say(fake, CHLOE, "/start")
        assert BUTTONS_FR in _text(await say(fake, CHLOE, "demain 15h"))


async def test_an_english_member_types_a_taken_slot_and_gets_the_nearest_free_starts(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await _to_the_days(fake, CHLOE)
        await say(fake, CHLOE, "demain 15h-16h")
        await tap(fake, CHLOE, "Confirmer")
        await _to_the_days(fake, ALICE, "Book a machine")
        taken = await say(fake, ALICE, "tomorrow 3-4pm")
        assert "I read: Tuesday 5 March, 15:00–16:00." in _text(taken)
        assert "That slot is already taken." in _text(taken)
        assert _labels(taken) == [
            "Tue 5 Mar 13:30",
            "Tue 5 Mar 14:00",
            "Tue 5 Mar 16:00",
            "Tue 5 Mar 16:30",
            "⬅️ Back",
            "✖️ Cancel",
        ]
        confirm = await tap(fake, ALICE, "16:00")
        assert "Tuesday 5 March, 16:00–17:00" in _text(confirm)
