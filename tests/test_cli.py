"""The `fabdesk` command as a fab manager runs it: a real process, real settings, the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import cli_env, run_cli

ROOT = Path(__file__).parent.parent


def test_console_script_is_installed() -> None:
    assert shutil.which("fabdesk", path=str(Path(sys.executable).parent)) is not None


async def test_help_lists_the_commands(tmp_path: Path) -> None:
    code, out, _err = await run_cli("--help", env=cli_env(), cwd=tmp_path)
    assert code == 0
    for command in ("run", "db", "import"):
        assert command in out


async def test_run_without_token_stops_with_one_clear_line(tmp_path: Path) -> None:
    code, out, err = await run_cli("run", env=cli_env(), cwd=tmp_path)
    assert code == 2
    assert err.strip().splitlines() == [
        "fabdesk: FABDESK_BOT_TOKEN is not set: create a bot with @BotFather and put its token in .env"
    ]
    assert "Traceback" not in err + out


async def test_malformed_setting_is_named_without_traceback(tmp_path: Path) -> None:
    env = cli_env(timezone="Paris/Nowhere")
    code, _out, err = await run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert code == 2
    assert err.startswith("fabdesk: FABDESK_TIMEZONE: unknown time zone") and "Traceback" not in err


@pytest.mark.skipif(bool(os.environ.get("FABDESK_TEST_DATABASE_URL")), reason="exercises the SQLite default")
async def test_run_migrates_a_new_database_answers_members_and_stops_cleanly(tmp_path: Path) -> None:
    async with FakeBotApi() as fake:
        # The default database (a SQLite file in the working directory), .env read from there too.
        (tmp_path / ".env").write_text(
            f"FABDESK_BOT_TOKEN={fake.token}\nFABDESK_TELEGRAM_BASE_URL={fake.base_url}\nFABDESK_LOG_LEVEL=DEBUG\n"
        )
        # The logs go to a file: at DEBUG level they would fill a pipe nobody reads yet, and block the bot.
        log_file = (tmp_path / "fabdesk.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            env=cli_env(),
            cwd=tmp_path,
            stdout=log_file,
            stderr=log_file,
        )
        try:
            await fake.wait_for_call("getUpdates", timeout=30)
            member = FakeUser(4242, "Camille", language_code="fr")
            fake.send_message(member, "/start")
            answer = await fake.wait_for_call("sendMessage", member.id, timeout=15)
            assert "Bonjour Camille" in (answer.text or "")
        finally:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), timeout=30)
            log_file.close()
        logs = (tmp_path / "fabdesk.log").read_text()
        assert process.returncode == 0, logs[-2000:]
        assert (tmp_path / "fabdesk.db").exists()
        assert "Calling Bot API endpoint" in logs, "debug logging is on, so requests are logged"
        assert fake.token not in logs
        assert fake.token.split(":")[1] not in logs


def test_token_is_redacted_even_where_a_library_logs_it(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from bot.cli import RedactingFormatter

    token = "123456:ABCdefGhIJKlmnoPQRstuVWXyz_0123456"
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(token))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning('HTTP Request: POST https://api.telegram.org/bot%s/getMe "HTTP/1.1 200 OK"', token)
        try:
            raise RuntimeError(f"request to /bot{token}/getUpdates failed")
        except RuntimeError:
            logger.exception("polling failed")
    finally:
        logger.removeHandler(handler)
    logged = capsys.readouterr().err
    assert "bot<token>/getMe" in logged and "/bot<token>/getUpdates failed" in logged
    assert "Traceback" in logged and token not in logged


async def test_import_loads_the_example_once_and_refuses_a_bad_file_whole(tmp_path: Path) -> None:
    env = cli_env()
    example = str(ROOT / "examples" / "inventory.yaml")
    code, first, err = await run_cli("import", example, env=env, cwd=tmp_path)
    assert code == 0, err
    assert "created 7 machines" in first
    code, second, _err = await run_cli("import", example, env=env, cwd=tmp_path)
    assert code == 0 and second.startswith("Nothing to change")

    bad = tmp_path / "bad.yaml"
    bad.write_text("machines:\n  - name: New lathe\n    kind: lathe\n")
    code, _out, err = await run_cli("import", str(bad), env=env, cwd=tmp_path)
    assert code == 2 and "line 3, machines[0].kind" in err and "Traceback" not in err
    code, third, _err = await run_cli("import", example, env=env, cwd=tmp_path)
    assert third.startswith("Nothing to change"), "the refused file changed nothing"

    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("consumables:\n  - {name: PLA, unit: g, minimum: 10, machines: [Nope]}\n")
    code, _out, err = await run_cli("import", str(unknown), env=env, cwd=tmp_path)
    assert code == 2 and "consumables[0].machines[0]" in err and "Traceback" not in err


async def test_run_with_its_http_port_taken_stops_with_one_clear_line(tmp_path: Path) -> None:
    import socket

    async with FakeBotApi() as fake:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            env = cli_env(
                bot_token=fake.token,
                telegram_base_url=fake.base_url,
                database_url=f"sqlite:///{tmp_path / 'fabdesk.db'}",
                http_port=str(port),
            )
            code, out, err = await asyncio.wait_for(run_cli("run", env=env, cwd=tmp_path), timeout=60)
    assert code == 2, err
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(f"fabdesk: FABDESK_HTTP_PORT: cannot listen on 127.0.0.1:{port}")
    )
    assert "Traceback" not in err + out


async def test_httpx_request_lines_show_no_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """httpx logs each request's full URL (…/bot<TOKEN>/getMe) at INFO. fabdesk keeps httpx at WARNING,
    and a fab manager who turns it up to INFO to see the traffic still gets lines without the token."""
    import logging

    import httpx

    from bot.cli import configure_logging
    from tests.harness import test_settings

    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("httpx").level
    async with FakeBotApi() as fake:
        configure_logging(test_settings(fake, f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        logging.getLogger("httpx").setLevel(logging.INFO)
        try:
            async with httpx.AsyncClient() as client:
                answer = await client.post(f"{fake.base_url}{fake.token}/getMe")
        finally:
            root.handlers[:], root.level = saved[0], saved[1]
            logging.getLogger("httpx").setLevel(saved[2])
    assert answer.status_code == 200
    logged = capsys.readouterr().err
    assert "HTTP Request: POST" in logged and "/bot<token>/getMe" in logged, logged
    assert fake.token not in logged and fake.token.split(":")[1] not in logged
