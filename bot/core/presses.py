"""A button press is answered first: its spinner never waits for a free update slot.

Telegram shows a spinner on a pressed button until the bot answers the press
(answerCallbackQuery). A screen answers its own press, with its toast, when it is done. Under a rush
(hundreds of members tapping at once) most presses wait for one of the `concurrent_updates` slots,
then for their transaction, so their spinners would turn for seconds. So when a press arrives:

- if every slot is taken (it will wait), it is answered at once, with no text;
- otherwise it is answered at once if its screen has not answered it within `deadline_s` (a slow
  database, say).

A screen whose press was answered this way shows what its answer would have said in the chat
instead (`Answer.moved_toast`): a refusal's dialog becomes a message, or the first lines of the
screen. The press's place in the queue is a fact of the moment, not a guess: with one press at a
time (the usual case) the screen always answers its own press.

The updates go through `PressQueue`, the application's update queue (python-telegram-bot's
`ApplicationBuilder.update_queue`), so polling and webhook updates alike are seen on arrival.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

FORGET_AFTER_S = 120.0  # a press whose screen never came (no handler, a crash) is forgotten


@dataclass
class _Press:
    timer: asyncio.TimerHandle | None = None
    early: bool = False  # answered (or being answered) before its screen


@dataclass
class PressAnswers:
    """The presses waiting for their screen, and the early answers sent for some of them."""

    deadline_s: float | None  # None: the screen always answers its own press
    bot: Bot | None = None
    processor: BaseUpdateProcessor | None = None
    early_answers: int = 0  # how many presses were answered before their screen (logs, tests)
    _presses: dict[str, _Press] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def arrived(self, update: object, waiting: int) -> None:
        """An update is queued, behind `waiting` others not yet being handled."""
        if self.deadline_s is None or self.bot is None or self.processor is None:
            return
        if not isinstance(update, Update) or update.callback_query is None:
            return
        query_id = update.callback_query.id
        press = self._presses.setdefault(query_id, _Press())
        processor = self.processor
        if processor.current_concurrent_updates + waiting >= processor.max_concurrent_updates:
            self._answer_now(query_id, press)
        else:
            loop = asyncio.get_running_loop()
            press.timer = loop.call_later(self.deadline_s, self._answer_now, query_id, press)

    def answered_early(self, query_id: str) -> bool:
        """Called by the screen about to answer: whether an early answer went (or is going) out.
        Either way no early answer follows."""
        press = self._presses.pop(query_id, None)
        if press is None:
            return False
        if press.timer is not None:
            press.timer.cancel()
        return press.early

    def _answer_now(self, query_id: str, press: _Press) -> None:
        if press.early or self._presses.get(query_id) is not press or self.bot is None:
            return  # answered already, or its screen has taken it
        press.early = True
        self.early_answers += 1
        loop = asyncio.get_running_loop()
        task = loop.create_task(self._answer(self.bot, query_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        press.timer = loop.call_later(FORGET_AFTER_S, self._forget, query_id, press)

    def _forget(self, query_id: str, press: _Press) -> None:
        if self._presses.get(query_id) is press:
            del self._presses[query_id]

    @staticmethod
    async def _answer(bot: Bot, query_id: str) -> None:
        try:
            await bot.answer_callback_query(query_id)
        except TelegramError as exc:  # too old, network trouble: the screen still comes
            log.info("could not answer a press early: %s", exc)

    async def close(self) -> None:
        """Stop the pending timers and answers (the application is stopping)."""
        for press in self._presses.values():
            if press.timer is not None:
                press.timer.cancel()
        self._presses.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class PressQueue(asyncio.Queue[object]):
    """The application's update queue, telling `PressAnswers` of each update as it arrives."""

    def __init__(self, answers: PressAnswers) -> None:
        super().__init__()
        self.answers = answers

    def put_nowait(self, item: object) -> None:
        waiting = self.qsize()
        super().put_nowait(item)
        self.answers.arrived(item, waiting)
