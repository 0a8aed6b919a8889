"""No token, secret or personal data in the logs, at any level (issue 12): `fabdesk run` at DEBUG."""

from __future__ import annotations

import logging
import os
import unicodedata
from pathlib import Path

import pytest
from telegram import Update

from bot.core.logging_setup import PrivateDataFilter, redact
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import cli_env, say, tap
from tests.test_calendar_feeds import URL, fetch, free_port
from tests.test_cli import fabdesk_running

EVE = FakeUser(7_770_777, "Évelyne", last_name="Secretandre", username="eve_private_77", language_code="fr")
PHONE = "+33 6 12 34 56 78"


def folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


@pytest.mark.skipif(
    bool(os.environ.get("FABDESK_TEST_DATABASE_URL")), reason="the SQLite driver's log is the one"
)
async def test_a_debug_run_logs_no_token_no_secret_and_nothing_personal(tmp_path: Path) -> None:
    port = free_port()
    async with FakeBotApi() as fake:
        env = cli_env(
            bot_token=fake.token,
            telegram_base_url=fake.base_url,
            database_url=f"sqlite:///{tmp_path / 'fabdesk.db'}",
            http_port=str(port),
            log_level="DEBUG",
        )
        async with fabdesk_running(env, tmp_path, tmp_path / "fabdesk.log") as log:
            await fake.wait_for_call("getUpdates", timeout=30)
            await say(fake, EVE, f"Bonjour, mon numéro est le {PHONE}")
            await say(fake, EVE, "/mybookings")
            await tap(fake, EVE, "🔗 Lien d'agenda")
            screen = await tap(fake, EVE, "✨ Créer mon lien")
            link = URL.findall(screen.text or "")[0]
            token = link.rsplit("/", 1)[1].removesuffix(".ics")
            status, _kind, _body = await fetch(link)
            assert status == 200
            assert (await fetch(link.replace(token, token[:-2] + "xx")))[0] == 404
        logs = log.read_text()
    assert "Calling Bot API endpoint `sendMessage`" in logs, "debug logging is on, requests are logged"
    assert "200 GET /calendar/…" in logs, "the feed was fetched"
    for secret in (token, fake.token, fake.token.split(":")[1]):
        assert secret not in logs
    for personal in ("evelyne", "secretandre", "eve_private_77", "12 34 56 78"):
        assert personal not in folded(logs), personal


def record(name: str, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.DEBUG, __file__, 1, message, args, None)


def test_ptb_records_keep_their_shape_without_what_they_carry() -> None:
    secret = "Fab-lab_s3cret_0123456789"
    private = PrivateDataFilter({"123:abc": "<token>", secret: "<webhook secret>"})
    call = record(
        "telegram.Bot",
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "editMessageText",
        {
            "chat_id": 42,
            "text": "Votre lien : https://lab.example/calendar/AbCdEf0123456789_-xyz.ics Évelyne",
        },
    )
    assert private.filter(call)
    assert call.getMessage() == "Calling Bot API endpoint `editMessageText` with parameters `<chat_id, text>`"
    update = Update.de_json({"update_id": 7, "message": None}, None)
    processing = record("telegram.ext.Application", "Processing update %s", update)
    private.filter(processing)
    assert processing.getMessage() == "Processing update <Update 7>"
    body = record("telegram.ext.Updater", "Webhook received data: %s", '{"message": {"text": "Évelyne"}}')
    private.filter(body)
    assert "Évelyne" not in body.getMessage()
    # Any record: tokens, links and secrets, tracebacks included.
    try:
        raise RuntimeError(f"GET /calendar/AbCdEf0123456789_-xyz.ics with {secret} for bot 123456:{'A' * 35}")
    except RuntimeError:
        import sys

        failed = logging.LogRecord(
            "fabdesk", logging.ERROR, __file__, 1, "failed: %s", ("x",), sys.exc_info()
        )
    private.filter(failed)
    assert failed.exc_text is not None
    for text in (failed.exc_text,):
        assert "AbCdEf" not in text and secret not in text and "A" * 35 not in text
    assert redact("https://lab.example/calendar/AbCdEf0123456789_-xyz/machine/3.ics") == (
        "https://lab.example/calendar/<feed token>/machine/3.ics"
    )
