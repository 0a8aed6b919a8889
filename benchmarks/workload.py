"""Simulated members talking to a bot through the fake Bot API, and what their updates cost.

Latency of one update: from the moment the fake makes it available to the bot's long poll
(``push_update``) to the moment the fake receives the request carrying the bot's answer: the
screen (``sendMessage`` / ``editMessageText`` to that chat), or, for a button press answered
by a dialog only, the ``answerCallbackQuery`` with ``show_alert``. Times are taken in the
benchmark process, on one monotonic clock.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakebot import ApiCall, FakeBotApi, FakeUser

SCREEN_METHODS = frozenset({"sendMessage", "editMessageText", "sendDocument", "sendPhoto"})
APOLOGY = "Something went wrong"


class Stopped(Exception):
    """The phase is over: the member stops."""


@dataclass
class _Waiter:
    chat_id: int
    pushed_at: float
    future: asyncio.Future[ApiCall]
    query_id: str | None = None


class Answers:
    """Route each call the fake records to the member waiting for that answer."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.by_chat: dict[int, _Waiter] = {}
        self.by_query: dict[str, _Waiter] = {}
        fake.listeners.append(self._on_call)

    def close(self) -> None:
        self.fake.listeners.remove(self._on_call)

    def _on_call(self, call: ApiCall) -> None:
        waiter: _Waiter | None = None
        if call.method in SCREEN_METHODS and call.chat_id is not None:
            waiter = self.by_chat.get(call.chat_id)
        elif call.method == "answerCallbackQuery" and call.params.get("show_alert") is True:
            waiter = self.by_query.get(str(call.params.get("callback_query_id")))
        if waiter is not None and call.time >= waiter.pushed_at:
            self.forget(waiter)
            if not waiter.future.done():
                waiter.future.set_result(call)

    def forget(self, waiter: _Waiter) -> None:
        self.by_chat.pop(waiter.chat_id, None)
        if waiter.query_id is not None:
            self.by_query.pop(waiter.query_id, None)


@dataclass
class Phase:
    """What one measured window saw."""

    name: str
    members: int
    rate: float | None  # paced updates/s, or None for a closed loop
    started: float = 0.0
    ended: float = 0.0
    latencies: list[float] = field(default_factory=list)
    unanswered: int = 0
    apologies: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    bot_cpu_s: float = 0.0
    db_cpu_s: float = 0.0
    by_action: dict[str, list[float]] = field(default_factory=dict)
    slowest: list[tuple[float, float, str]] = field(default_factory=list)  # (latency, pushed at, action)

    @property
    def duration(self) -> float:
        return self.ended - self.started

    def summary(self) -> dict[str, Any]:
        """The phase's figures, latencies in milliseconds."""
        answered = len(self.latencies)
        ms = sorted(x * 1000 for x in self.latencies)
        cpu = self.bot_cpu_s + self.db_cpu_s
        return {
            "members": self.members,
            "paced_rate": self.rate,
            "duration_s": round(self.duration, 2),
            "updates": answered,
            "updates_per_s": round(answered / self.duration, 1) if self.duration else 0.0,
            "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(ms[-1], 1) if ms else 0.0,
            "mean_ms": round(statistics.fmean(ms), 1) if ms else 0.0,
            "unanswered": self.unanswered,
            "apologies": self.apologies,
            "outcomes": dict(self.outcomes),
            "bot_cpu_s": round(self.bot_cpu_s, 2),
            "db_cpu_s": round(self.db_cpu_s, 2),
            "cpu_ms_per_update": round(cpu * 1000 / answered, 2) if answered else None,
            "slowest": [
                {"at_s": round(at - self.started, 2), "ms": round(latency * 1000, 1), "action": action}
                for latency, at, action in sorted(self.slowest, reverse=True)[:8]
            ],
            "by_action": {
                action: {
                    "n": len(values),
                    "p50_ms": round(percentile(sorted(values), 50) * 1000, 1),
                    "p99_ms": round(percentile(sorted(values), 99) * 1000, 1),
                    "max_ms": round(max(values) * 1000, 1),
                }
                for action, values in sorted(self.by_action.items())
            },
        }


def percentile(sorted_values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of sorted values; 0 when there are none."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(p / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class Pacer:
    """Let one waiting member go every 1/rate seconds (an open-loop arrival rate)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.task: asyncio.Task[None] | None = None
        self.stopped = False

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def take(self) -> None:
        if self.stopped:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due += self.interval
            await asyncio.sleep(max(0.0, due - loop.time()))
            while self.waiting:
                future = self.waiting.popleft()
                if not future.done():
                    future.set_result(None)
                    break

    def stop(self) -> None:
        self.stopped = True
        if self.task is not None:
            self.task.cancel()
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_result(None)


class Driver:
    """Push members' updates and wait for the bot's answers, recording the current phase."""

    def __init__(self, fake: FakeBotApi, timeout: float = 20.0) -> None:
        self.fake = fake
        self.answers = Answers(fake)
        self.timeout = timeout
        self.pacer: Pacer | None = None
        self.phase: Phase | None = None
        self.stopping = False
        #: Updates never answered within the timeout, by action, whenever they were sent.
        self.unanswered: Counter[str] = Counter()

    def close(self) -> None:
        self.answers.close()

    async def say(self, user: FakeUser, text: str) -> ApiCall | None:
        """Send a message as the member; return the bot's answer (None: none came)."""
        return await self._exchange(user, lambda: self.fake.send_message(user, text))

    async def press(self, user: FakeUser, screen: ApiCall | None, data: str) -> ApiCall | None:
        """Press a button (its callback data) on the member's screen; return the bot's answer."""
        if screen is None:
            return None
        return await self._exchange(user, lambda: self.fake.press(user, screen, data))

    async def _exchange(self, user: FakeUser, push: Callable[[], dict[str, Any]]) -> ApiCall | None:
        if self.stopping:
            raise Stopped
        if self.pacer is not None:
            await self.pacer.take()
        if self.stopping:
            raise Stopped
        waiter = _Waiter(user.id, time.monotonic(), asyncio.get_running_loop().create_future())
        self.answers.by_chat[user.id] = waiter
        update = push()
        if "callback_query" in update:
            waiter.query_id = str(update["callback_query"]["id"])
            self.answers.by_query[waiter.query_id] = waiter
        try:
            call = await asyncio.wait_for(waiter.future, self.timeout)
        except TimeoutError:
            self.answers.forget(waiter)
            self.unanswered[action_of(update)] += 1
            if self.phase is not None:
                self.phase.unanswered += 1
            return None
        phase = self.phase
        if phase is not None and phase.started <= call.time < (phase.ended or float("inf")):
            latency, action = call.time - waiter.pushed_at, action_of(update)
            phase.latencies.append(latency)
            phase.by_action.setdefault(action, []).append(latency)
            phase.slowest.append((latency, waiter.pushed_at, action))
            if len(phase.slowest) > 64:
                phase.slowest = sorted(phase.slowest, reverse=True)[:16]
            shown = call.text or str(call.params.get("text") or "")
            if APOLOGY in shown:
                phase.apologies += 1
        return call

    def outcome(self, name: str) -> None:
        if self.phase is not None:
            self.phase.outcomes[name] += 1


def action_of(update: dict[str, Any]) -> str:
    """What an update asks for: a command ("/start"), a button's action ("bk:m"), or "text"."""
    if "callback_query" in update:
        parts = str(update["callback_query"].get("data", "")).split(":")
        return ":".join(part for part in parts if not part.isdigit())
    text = str(update.get("message", {}).get("text", ""))
    return text.split()[0] if text.startswith("/") else "text"


Member = Callable[[Driver, FakeUser, random.Random], Awaitable[None]]


def _buttons(screen: ApiCall | None, prefix: str) -> list[tuple[str, str]]:
    if screen is None or screen.method == "answerCallbackQuery" or not screen.ok:
        return []
    return [(text, data) for text, data in screen.buttons() if data is not None and data.startswith(prefix)]


async def echo_member(driver: Driver, user: FakeUser, rng: random.Random) -> None:
    """Say something, wait for the echo, again."""
    n = 0
    while True:
        await driver.say(user, f"hello {n} from {user.first_name}")
        n += 1


async def button_member(driver: Driver, user: FakeUser, rng: random.Random) -> None:
    """Get a screen with one button (floor_bot.py), then press it again and again."""
    screen = None
    while True:
        if screen is None:  # first time, or the last answer never came
            screen = await driver.say(user, "hello")
        else:
            screen = await driver.press(user, screen, "again")


def fabdesk_member(today_code: int) -> Member:
    """A member who browses the machines, opens a day, books, lists their bookings and cancels."""

    async def member(driver: Driver, user: FakeUser, rng: random.Random) -> None:
        while True:
            await _book_and_cancel(driver, user, rng, today_code)

    return member


async def _book_and_cancel(driver: Driver, user: FakeUser, rng: random.Random, today_code: int) -> None:
    screen = await driver.say(user, "/start")
    if not (menu := _buttons(screen, "bk")):
        return
    screen = await driver.press(user, screen, menu[0][1])
    machines = [(t, d) for t, d in _buttons(screen, "bk:m:") if "🎓" not in t and "⛔" not in t]
    if not machines:
        return
    label, data = rng.choice(machines)
    machine_name = label.split(" ", 1)[1]
    screen = await driver.press(user, screen, data)
    days = [
        (t, d) for t, d in _buttons(screen, "bk:d:") if int(d.rsplit(":", 1)[1]) > today_code and "·" not in t
    ]
    if not days:
        return
    screen = await driver.press(user, screen, rng.choice(days)[1])
    if hours := _buttons(screen, "bk:h:"):
        screen = await driver.press(user, screen, rng.choice(hours)[1])
    if not (starts := _buttons(screen, "bk:s:")):
        return
    start_label, data = rng.choice(starts)
    screen = await driver.press(user, screen, data)
    if not (lengths := _buttons(screen, "bk:l:")):
        return
    screen = await driver.press(user, screen, rng.choice(lengths[:4])[1])
    if not (confirm := _buttons(screen, "bk:ok:")):
        return
    screen = await driver.press(user, screen, confirm[0][1])
    shown = (screen.text if screen is not None else None) or ""
    if "Your booking is confirmed" not in shown:
        driver.outcome("taken" if "just taken" in shown else "not booked")
        return
    driver.outcome("booked")
    if not (mine := _buttons(screen, "my")):
        return
    screen = await driver.press(user, screen, mine[0][1])
    cancels = [(t, d) for t, d in _buttons(screen, "my:c:") if machine_name in t and start_label in t]
    if not cancels:
        driver.outcome("own booking not listed")
        return
    screen = await driver.press(user, screen, cancels[0][1])
    if not (yes := _buttons(screen, "my:y:")):
        return
    screen = await driver.press(user, screen, yes[0][1])
    shown = (screen.text if screen is not None else None) or ""
    driver.outcome("cancelled" if "is cancelled" in shown else "not cancelled")


class CpuMeter:
    """CPU seconds used by the bot process (and, on PostgreSQL, by its database's backends)."""

    def __init__(self, pid: int, pg_admin_dsn: str | None = None, pg_database: str | None = None) -> None:
        self.pid = pid
        self.pg_admin_dsn = pg_admin_dsn
        self.pg_database = pg_database
        self._bot_start = 0.0
        self._base: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._connection: Any = None

    async def start(self) -> None:
        from benchmarks.procs import cpu_seconds

        self._bot_start = cpu_seconds(self.pid)
        if self.pg_admin_dsn and self.pg_database:
            import asyncpg

            self._connection = await asyncpg.connect(self.pg_admin_dsn)
            self._base = await self._sample()
            self._last = dict(self._base)
            self._task = asyncio.create_task(self._poll())

    async def _sample(self) -> dict[int, float]:
        from benchmarks.procs import cpu_seconds

        pids = await self._connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", self.pg_database
        )
        found = {}
        for row in pids:
            try:
                found[int(row["pid"])] = cpu_seconds(int(row["pid"]))
            except OSError:
                continue
        return found

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            self._last.update(await self._sample())

    async def stop(self) -> tuple[float, float]:
        """Return (bot CPU s, database backends CPU s) since start."""
        from benchmarks.procs import cpu_seconds

        bot = cpu_seconds(self.pid) - self._bot_start
        database = 0.0
        if self._task is not None:
            self._task.cancel()
            self._last.update(await self._sample())
            database = sum(cpu - self._base.get(pid, 0.0) for pid, cpu in self._last.items())
            await self._connection.close()
        return bot, database


async def run_phase(
    driver: Driver,
    name: str,
    member: Member,
    users: list[FakeUser],
    *,
    warmup: float,
    duration: float,
    rate: float | None,
    meter: CpuMeter,
    seed: int = 11,
) -> Phase:
    """Run `users` as concurrent members; measure a window of `duration` after `warmup`."""
    phase = Phase(name, len(users), rate)
    driver.stopping = False
    driver.pacer = Pacer(rate) if rate else None
    if driver.pacer is not None:
        driver.pacer.start()
    tasks = [
        asyncio.create_task(member(driver, user, random.Random(seed + n))) for n, user in enumerate(users)
    ]
    try:
        await asyncio.sleep(warmup)
        await meter.start()
        phase.started = time.monotonic()
        driver.phase = phase
        await asyncio.sleep(duration)
        phase.ended = time.monotonic()
        phase.bot_cpu_s, phase.db_cpu_s = await meter.stop()
    finally:
        driver.stopping = True
        if driver.pacer is not None:
            driver.pacer.stop()
        done, pending = await asyncio.wait(tasks, timeout=driver.timeout + 5)
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and not isinstance(task.exception(), Stopped | None):
                raise RuntimeError(f"a simulated member failed in {name}") from task.exception()
        driver.phase = None
        driver.pacer = None
        driver.stopping = False
    return phase


def members(ids: list[int]) -> list[FakeUser]:
    """Fake Telegram users for generated members' ids, with the generated names (English speakers)."""
    from benchmarks.lab import FIRST_MEMBER_ID

    return [
        FakeUser(telegram_id, f"Member{telegram_id - FIRST_MEMBER_ID}", language_code="en")
        for telegram_id in ids
    ]


def write_log(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(text + "\n")
