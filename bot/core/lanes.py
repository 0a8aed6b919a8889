"""Telegram's sending budget in two lanes: the member pressing a button first, bulk messages after.

Telegram counts the *messages* a bot sends (about 30 a second bot-wide, one a second in a private
chat, 20 a minute in a group) and answers more with 429 and a pause. It does not count answers to
button presses nor edits of a message. So:

- answerCallbackQuery, edits and every other call go straight out: a press's spinner and its screen
  never wait behind the outbox (PTB's AIORateLimiter let any call naming a chat, edits included,
  queue behind every reminder and alert);
- a new message waits for its chat's turn (1 s apart in a private chat, 3 s in a group: Telegram's
  per-minute limit without a burst) and for a bot-wide slot (one every 1/29 s, never a burst);
- of the messages waiting for a bot-wide slot, those sent while handling an update (the member who
  is there, waiting) go before those of the outbox (reminders, alerts, announcements: marked with
  `bulk()` by the sender), which use what is left;
- a 429 all the same pauses every lane for the time Telegram asks, then the call is tried again (at
  most `max_retries` times, as PTB's limiter does).

Each process keeps its own budget; several processes sending with one token each take their share
of Telegram's (`LanedRateLimiter(29 / FABDESK_REPLICAS)`, bot/core/app.py; see the README).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

PRESS, BULK = 0, 1  # the two lanes, in their order of priority
_LANE: ContextVar[int] = ContextVar("fabdesk_lane", default=PRESS)

PRIVATE_CHAT_GAP_S = 1.0  # one message a second in a private chat
GROUP_GAP_S = 3.0  # twenty a minute in a group or channel, spread out


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Send what is sent inside this block in the bulk lane (the outbox sender)."""
    token = _LANE.set(BULK)
    try:
        yield
    finally:
        _LANE.reset(token)


def in_bulk_lane(send: Callable[P, Awaitable[T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Make everything `send` sends go in the bulk lane."""

    @functools.wraps(send)
    async def sending(*args: P.args, **kwargs: P.kwargs) -> T:
        with bulk():
            return await send(*args, **kwargs)

    return sending


def counts_as_message(endpoint: str) -> bool:
    """Whether Telegram counts this call in its message limits (a new message, not an edit)."""
    return endpoint.startswith(("send", "copy", "forward")) and endpoint != "sendChatAction"


class Pacer:
    """One slot every `1 / per_second` seconds, never a burst; a waiting press goes before bulk."""

    def __init__(self, per_second: float, clock: Callable[[], float] | None = None) -> None:
        self.interval = 1 / per_second
        self.next_at = 0.0
        self.waiting = [0, 0]  # per lane
        self._changed = asyncio.Condition()
        self._clock = clock

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    async def take(self, lane: int) -> None:
        """Wait for this lane's turn at the next free slot, and take it."""
        async with self._changed:
            self.waiting[lane] += 1
            try:
                while True:
                    now = self._now()
                    behind = any(self.waiting[:lane])  # a lane of higher priority is waiting
                    if not behind and now >= self.next_at:
                        self.next_at = now + self.interval
                        return
                    timeout = None if behind else self.next_at - now
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), timeout)
            finally:
                self.waiting[lane] -= 1
                self._changed.notify_all()


WINDOW_S = 1.0  # Telegram counts a bot's messages over a second


@dataclass
class _Sent:
    """One message through the bot-wide window: when its request came back."""

    done_at: float = 0.0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def finish(self, at: float) -> None:
        self.done_at = at
        self.done.set()


class LanedRateLimiter(BaseRateLimiter[int]):
    """PTB's rate-limiter extension point, with the two lanes of this module's docstring."""

    def __init__(self, messages_per_second: float | None = 29, max_retries: int = 2) -> None:
        """`messages_per_second=None` lifts every limit (tests and benchmarks against a fake Telegram)."""
        self.pacer = Pacer(messages_per_second) if messages_per_second is not None else None
        # The pacer spaces the sends, but a busy loop or the network may bunch them up on arrival: a
        # message also waits until the one `window` messages before it came back a second ago, so
        # Telegram never sees more than `window` in a second (30 at 29 a second).
        window = int(messages_per_second) + 1 if messages_per_second is not None else 1
        self._recent: deque[_Sent] = deque(maxlen=window)
        self.max_retries = max_retries
        self._chat_next: dict[int | str, float] = {}  # when each chat may get its next message
        self._resume = asyncio.Event()
        self._resume.set()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @staticmethod
    def _gap(chat_id: int | str) -> float:
        return GROUP_GAP_S if isinstance(chat_id, str) or chat_id < 0 else PRIVATE_CHAT_GAP_S

    def _sent(self, chat_id: int | str) -> None:
        """A message reached this chat now: its next one waits a gap from now (the turn booked
        before sending may have come early, if the bot-wide slot made this one wait)."""
        after = asyncio.get_running_loop().time() + self._gap(chat_id)
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), after)

    async def _chat_turn(self, chat_id: int | str) -> None:
        """Wait until this chat may get a message, and book its next turn."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        at = max(now, self._chat_next.get(chat_id, 0.0))
        self._chat_next[chat_id] = at + self._gap(chat_id)
        if len(self._chat_next) > 10_000:  # forget chats whose turn has long come
            for chat, turn in list(self._chat_next.items()):
                if turn < now:
                    del self._chat_next[chat]
        if at > now:
            await asyncio.sleep(at - now)

    async def _window_turn(self) -> _Sent:
        """Wait until the message `window` sends ago came back at least a second ago."""
        earlier = self._recent[0] if len(self._recent) == self._recent.maxlen else None
        sent = _Sent()
        self._recent.append(sent)  # before any wait: the window keeps the order of the pacer's slots
        if earlier is not None:
            await earlier.done.wait()
            wait = earlier.done_at + WINDOW_S - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)
        return sent

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        max_retries = rate_limit_args if rate_limit_args is not None else self.max_retries
        chat_id = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        message = self.pacer is not None and counts_as_message(endpoint) and isinstance(chat_id, int | str)
        lane = _LANE.get()
        for attempt in range(max_retries + 1):
            sent: _Sent | None = None
            if message and self.pacer is not None:
                await self._chat_turn(chat_id)  # type: ignore[arg-type]
                await self.pacer.take(lane)
                sent = await self._window_turn()
            await self._resume.wait()
            try:
                try:
                    answer = await callback(*args, **kwargs)
                finally:
                    if sent is not None:
                        sent.finish(asyncio.get_running_loop().time())
                if message:
                    self._sent(chat_id)  # type: ignore[arg-type]
                return answer
            except RetryAfter as exc:
                if attempt == max_retries:
                    raise
                wait = exc.retry_after
                pause = (wait.total_seconds() if isinstance(wait, timedelta) else float(wait)) + 0.1
                log.info("Telegram asked to slow down: every lane pauses %.1f s", pause)
                self._resume.clear()
                try:
                    await asyncio.sleep(pause)
                finally:
                    self._resume.set()
        raise AssertionError("unreachable")  # pragma: no cover
