"""Run the real fabdesk application against the fake Bot API, with a clock the test controls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram.ext import Application, CallbackContext

from bot.app import ALLOWED_UPDATES, build_application
from bot.settings import Settings
from tests.factories import NOW
from tests.fakebot import FakeBotApi, FakeUser

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
        for job in application.job_queue.jobs():
            job.schedule_removal()  # the tests run jobs themselves, at the fake clock's time
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=1, poll_interval=0, allowed_updates=ALLOWED_UPDATES)
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


def job_context(application: Application) -> CallbackContext:  # type: ignore[type-arg]
    """A context like the one the JobQueue gives a job."""
    return CallbackContext(application)
