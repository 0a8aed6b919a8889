"""A press is answered first (bot/core/presses.py): its spinner stops even while it waits for a slot."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import CallbackQuery, Update, User

from bot.core import context as context_module
from bot.core.context import toast_in_chat
from bot.core.presses import PressAnswers
from bot.core.reply import Reply
from models import members
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import Clock, running_bot, say, test_settings


class _Processor:
    """What PressAnswers reads of PTB's update processor."""

    def __init__(self, busy: int, slots: int = 2) -> None:
        self.current_concurrent_updates = busy
        self.max_concurrent_updates = slots


class _Bot:
    def __init__(self) -> None:
        self.answered: list[str] = []

    async def answer_callback_query(self, query_id: str) -> bool:
        self.answered.append(query_id)
        return True


def _press(query_id: str) -> Update:
    user = User(1, "Léa", is_bot=False)
    return Update(1, callback_query=CallbackQuery(query_id, user, chat_instance="1", data="x"))


def _answers(deadline_s: float | None, busy: int) -> tuple[PressAnswers, _Bot]:
    bot = _Bot()
    answers = PressAnswers(deadline_s=deadline_s)
    answers.bot = bot  # type: ignore[assignment]
    answers.processor = _Processor(busy)  # type: ignore[assignment]
    return answers, bot


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_press_that_must_wait_for_a_slot_is_answered_at_once_and_its_screen_knows() -> None:
    answers, bot = _answers(deadline_s=30, busy=1)
    answers.arrived(_press("q1"), waiting=1)  # one slot busy, one update ahead of it: both slots taken
    await _settle()
    assert bot.answered == ["q1"]
    assert answers.answered_early("q1") is True
    await answers.close()


async def test_a_press_with_a_free_slot_is_left_to_its_screen() -> None:
    answers, bot = _answers(deadline_s=0.05, busy=0)
    answers.arrived(_press("q1"), waiting=0)
    await _settle()
    assert answers.answered_early("q1") is False  # the screen answers it...
    await asyncio.sleep(0.15)
    assert bot.answered == [], "...and no early answer follows once the screen has taken it"
    await answers.close()


async def test_a_press_its_screen_has_not_answered_in_time_is_answered() -> None:
    answers, bot = _answers(deadline_s=0.05, busy=0)
    answers.arrived(_press("q1"), waiting=0)
    await asyncio.sleep(0.15)
    assert bot.answered == ["q1"]
    assert answers.answered_early("q1") is True
    await answers.close()


async def test_turned_off_or_not_a_press_nothing_is_answered_early() -> None:
    answers, bot = _answers(deadline_s=None, busy=2)
    answers.arrived(_press("q1"), waiting=5)
    on, bot_on = _answers(deadline_s=30, busy=2)
    on.arrived(Update(2), waiting=5)  # a message, not a press
    await _settle()
    assert bot.answered == [] and bot_on.answered == []
    assert answers.answered_early("q1") is False
    await answers.close()
    await on.close()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # a refusal's dialog with nothing else: a message below the screen
        (
            Reply(toast="That slot was just taken.", alert=True),
            Reply(text="That slot was just taken.", new_message=True),
        ),
        # a dialog over a new screen: its first lines
        (
            Reply(text="Pick a start.", toast="That slot was just taken.", alert=True),
            Reply(text="⚠️ That slot was just taken.\n\nPick a start."),
        ),
        # a passing toast beside a screen: the screen says it
        (Reply(text="Stock: 4", toast="Restock recorded."), Reply(text="Stock: 4")),
        # a toast beside a document: the document says it
        (
            Reply(toast="Your data is on its way.", document=("data.json", b"{}")),
            Reply(document=("data.json", b"{}")),
        ),
        (Reply(text="Menu"), Reply(text="Menu")),
    ],
)
def test_what_the_answer_would_have_said_comes_in_the_chat(reply: Reply, expected: Reply) -> None:
    assert toast_in_chat(reply) == expected


async def test_under_a_rush_a_waiting_press_is_answered_before_the_press_ahead_of_it_is_done(
    fake: FakeBotApi, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One update slot; Léa's press holds it (her transaction is stuck). Her spinner stops after the
    deadline; Inès's press, waiting for the slot, is answered at once; once the slot frees, Léa gets
    her screen and Inès's refusal ("no longer valid") comes as a message, not lost. No press is
    answered twice."""
    lea, ines = FakeUser(32_001, "Léa", language_code="fr"), FakeUser(32_002, "Inès", language_code="fr")
    gate = asyncio.Event()
    register = members.register_profile

    async def stuck_for_lea(session: Any, user: Any, *args: Any) -> Any:
        if user.id == lea.id:
            await gate.wait()
        return await register(session, user, *args)

    settings = test_settings(fake, database_url, concurrent_updates=1, press_answer_seconds=0.3)
    async with running_bot(settings, Clock(datetime.now(UTC))) as app:
        await say(fake, lea, "/start")
        await say(fake, ines, "/start")
        menu_lea, menu_ines = fake.last_message(lea.id), fake.last_message(ines.id)
        assert menu_lea is not None and menu_ines is not None
        monkeypatch.setattr(context_module.members, "register_profile", stuck_for_lea)
        mark = fake.mark()
        press_lea = fake.press_button(lea, menu_lea, "Réserver une machine")["callback_query"]["id"]
        await asyncio.sleep(0.1)  # Léa's press takes the one slot
        press_ines = fake.press(ines, menu_ines, "forged:button")["callback_query"]["id"]

        def answer_to(query_id: str) -> Any:
            def matches(call: Any) -> bool:
                answered = str(call.params.get("callback_query_id"))
                return bool(call.method == "answerCallbackQuery" and answered == query_id)

            return matches

        answered_ines = await fake.wait_for(answer_to(press_ines), after=mark)
        answered_lea = await fake.wait_for(answer_to(press_lea), after=mark)
        assert not gate.is_set()
        assert not answered_ines.params.get("text"), "an early answer says nothing"
        edits = [c for c in fake.calls[mark:] if c.method == "editMessageText" and c.chat_id == lea.id]
        assert not edits, "Léa's screen is still on its way"
        gate.set()
        screen = await fake.wait_for_call("editMessageText", lea.id, after=mark)
        assert "machine" in (screen.text or "").lower()
        refusal = await fake.wait_for_call("sendMessage", ines.id, after=mark)
        assert refusal.text == "Ce bouton n'est plus valide."
        await fake.wait_until_idle()
        answers = [c for c in fake.calls[mark:] if c.method == "answerCallbackQuery"]
        assert len(answers) == 2, [c.params for c in answers]
        assert answered_lea.time > answered_ines.time
        assert app.bot_data["fabdesk"].presses.early_answers == 2
