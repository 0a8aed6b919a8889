"""The webhook listener: the secret before the body, a cap on its size, a short line for a bad post."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram.ext import Application

from bot.core.app import ALLOWED_UPDATES, build_application
from bot.core.webhook import MAX_BODY_BYTES, WebhookUpdater
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import test_settings
from tests.test_calendar_feeds import free_port

SECRET = "Fab-lab_s3cret_0123456789"
PATH = "/telegram/hook"


@asynccontextmanager
async def webhook_bot(fake: FakeBotApi, database_url: str) -> AsyncIterator[int]:
    """The application taking updates by webhook, as `fabdesk run` starts it; yields the port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    settings = test_settings(fake, database_url, webhook_url=url, webhook_secret=SECRET, webhook_port=port)
    application: Application = build_application(settings)  # type: ignore[type-arg]
    application.updater = WebhookUpdater(application.bot, application.update_queue)
    async with application:
        assert application.post_init is not None
        await application.post_init(application)
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path=PATH,
            webhook_url=url,
            secret_token=SECRET,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )
        await application.start()
        try:
            yield port
        finally:
            await application.updater.stop()
            await application.stop()
    assert application.post_shutdown is not None
    await application.post_shutdown(application)


async def raw_post(
    port: int, headers: dict[str, str], body: bytes, *, chunked: bool = False
) -> tuple[int, float]:
    """Send a POST by hand (headers, then only `body`); return the status and how long the answer took."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    lines = [f"POST {PATH} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    if chunked:
        piece = b"x" * 65536
        try:
            for _ in range(2 * MAX_BODY_BYTES // len(piece)):
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                await writer.drain()
        except ConnectionError:
            pass  # the listener hung up once it had refused the post
    else:
        writer.write(body)
        await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    finally:
        writer.close()
    elapsed = time.monotonic() - started
    return int(status_line.split()[1]) if status_line else 0, elapsed


async def test_a_post_without_the_secret_is_refused_before_its_body_is_read(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.core.webhook")
    async with FakeBotApi() as fake, webhook_bot(fake, database_url) as port:
        json_type = {"Content-Type": "application/json", "Content-Length": str(100 * 1024 * 1024)}
        # 100 MB announced, a few bytes sent: the answer comes at once, without waiting for the rest.
        for secret in (None, "not-the-secret", SECRET[:-1]):
            headers = {**json_type, **({"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {})}
            status, elapsed = await raw_post(port, headers, b'{"update_id": 1')
            assert status == 403 and elapsed < 5, (secret, status, elapsed)
        # With the secret, 100 MB is more than an update can be: 413, still without reading it.
        status, elapsed = await raw_post(port, {**json_type, "X-Telegram-Bot-Api-Secret-Token": SECRET}, b"{")
        assert status == 413 and elapsed < 5
        # A chunked post (no size announced) is cut off at the cap.
        chunked = {
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
            "X-Telegram-Bot-Api-Secret-Token": SECRET,
        }
        status, _elapsed = await raw_post(port, chunked, b"", chunked=True)
        assert status == 413
    assert fake.calls_of("sendMessage") == []
    assert all(len(record.getMessage()) < 300 for record in caplog.records)
    assert SECRET not in caplog.text


async def test_a_malformed_post_with_the_secret_is_a_400_and_one_short_line(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import aiohttp

    caplog.set_level(logging.DEBUG)
    member = FakeUser(4242, "Camille", language_code="fr")
    async with FakeBotApi() as fake, webhook_bot(fake, database_url) as port:
        url = f"http://127.0.0.1:{port}{PATH}"
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        big_but_allowed = json.dumps({"update_id": "x" * (MAX_BODY_BYTES - 100), "message": 5})
        bodies = [
            b"{not json",
            b"[1, 2]",
            big_but_allowed.encode(),
            b'{"update_id": 7, "message": {"chat": 1}}',
        ]
        async with aiohttp.ClientSession() as client:
            for body in bodies:
                async with client.post(url, data=body, headers=headers) as response:
                    assert response.status == 400, body[:40]
            # An update that fits, with the secret: the bot answers it.
            fake.send_message(member, "/start")
            answer = await fake.wait_for_call("sendMessage", member.id, timeout=15)
            assert "Bonjour Camille" in (answer.text or "")
            assert fake.webhook_deliveries[-1][1] == 200
    refused = [r for r in caplog.records if "not a Telegram update" in r.getMessage()]
    assert len(refused) == len(bodies), [r.getMessage() for r in caplog.records]
    assert all(r.levelno == logging.WARNING and len(r.getMessage()) < 400 for r in refused)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "nothing CRITICAL, no traceback"
    assert "x" * 500 not in caplog.text
