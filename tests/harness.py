"""Run the real fabdesk application against the fake Bot API, with a clock the test controls."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application, CallbackContext

from bot.core.app import ALLOWED_UPDATES, build_application
from bot.core.settings import Settings
from tests.factories import NOW
from tests.fakebot import ApiCall, FakeBotApi, FakeUser, serving

MANAGER = FakeUser(900, "Morgane", username="morgane", language_code="fr")
ALICE = FakeUser(1001, "Alice", username="alice", language_code="en")
BOB = FakeUser(1002, "Bob", last_name="Martin", language_code="en")


@dataclass
class Clock:
    """A clock the test sets and moves; the bot reads it for every "now"."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def test_settings(fake: FakeBotApi, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": fake.token,
        "telegram_base_url": fake.base_url,
        "telegram_base_file_url": fake.base_file_url,
        "database_url": database_url,
        "manager_ids": [MANAGER.id],
        "timezone": "Europe/Paris",
        "default_language": "fr",
        "reminder_minutes": 30,
        # Jobs are run by the tests at chosen times, not by the wall clock.
        "reminder_interval_seconds": 3600,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


@asynccontextmanager
async def running_bot(settings: Settings, clock: Clock) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Start the real application with long polling; stop it cleanly at the end of the block."""
    application = build_application(settings, clock=clock)
    assert application.job_queue is not None
    async with application:
        if application.post_init is not None:  # run_polling() would call it; so do we
            await application.post_init(application)
        for job in application.job_queue.jobs():
            job.schedule_removal()  # the tests run jobs themselves, at the fake clock's time
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=1, poll_interval=0, allowed_updates=ALLOWED_UPDATES)
        fake = serving(settings.telegram_base_url)
        # Without the fake's watch, wait_until_idle would not wait for updates still in a handler.
        assert fake is not None, f"no fake Bot API serves {settings.telegram_base_url}"
        unwatch = fake.watch(lambda: _busy(application))
        try:
            yield application
        finally:
            unwatch()
            await application.updater.stop()
            await application.stop()
    if application.post_shutdown is not None:  # run_polling() would call it after shutdown
        await application.post_shutdown(application)


def _busy(application: Application) -> bool:  # type: ignore[type-arg]
    """Is the application still working on updates it fetched (queued or in a handler)?"""
    return application.update_queue.qsize() > 0 or application.update_processor.current_concurrent_updates > 0


def job_context(application: Application) -> CallbackContext:  # type: ignore[type-arg]
    """A context like the one the JobQueue gives a job."""
    return CallbackContext(application)


async def tap(fake: FakeBotApi, user: FakeUser, button: str) -> ApiCall:
    """Press a button on the user's latest bot message and return the bot's next screen for them."""
    message = fake.last_message(user.id)
    assert message is not None, f"no message for {user.first_name}"
    mark = fake.mark()
    fake.press_button(user, message, button)
    await fake.wait_for_call("answerCallbackQuery", after=mark)
    return await fake.wait_for(
        lambda c: c.method in {"editMessageText", "sendMessage"} and c.chat_id == user.id, after=mark
    )


async def press_data(fake: FakeBotApi, user: FakeUser, data: str) -> ApiCall:
    """Press raw (possibly forged) callback data on the user's latest message; return the answer."""
    mark = fake.mark()
    fake.press(user, fake.last_message(user.id) or {}, data)
    return await fake.wait_for_call("answerCallbackQuery", after=mark)


async def say(fake: FakeBotApi, user: FakeUser, text: str) -> ApiCall:
    """Send a text message as the user and return the bot's answer."""
    mark = fake.mark()
    fake.send_message(user, text)
    return await fake.wait_for_call("sendMessage", user.id, after=mark)


async def book_through_buttons(
    fake: FakeBotApi, user: FakeUser, day_label: str, start: str, length: str, machine: str = "Prusa MK4"
) -> ApiCall:
    """Go from /start to the confirmation screen of a slot."""
    await say(fake, user, "/start")
    await tap(fake, user, "Book a machine")
    await tap(fake, user, machine)
    await tap(fake, user, day_label)
    await tap(fake, user, start)
    return await tap(fake, user, length)


def cli_env(**values: str) -> dict[str, str]:
    """The environment of a `fabdesk` process: this one's, minus FABDESK_* settings, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABDESK_")}
    env.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    env.update({f"FABDESK_{k.upper()}": v for k, v in values.items()})
    return env


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run `fabdesk ARGS` as a real process; return its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.core.cli",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def read_until(stream: asyncio.StreamReader, text: str, within: float = 60) -> str:
    """What a process wrote up to the first line holding `text`."""
    seen = ""

    async def read() -> str:
        nonlocal seen
        while text not in seen:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"the process ended before saying {text!r}:\n{seen}")
            seen += line.decode()
        return seen

    try:
        return await asyncio.wait_for(read(), within)
    except TimeoutError:
        raise AssertionError(f"no {text!r} within {within} s:\n{seen}") from None
