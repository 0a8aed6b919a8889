"""The `fabdesk` command as a fab manager runs it: a real process, real settings, the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import cli_env, read_until, run_cli

ROOT = Path(__file__).parent.parent


@asynccontextmanager
async def fabdesk_running(
    env: dict[str, str] | None, cwd: Path, log: Path, stop: signal.Signals = signal.SIGINT
) -> AsyncIterator[Path]:
    """`fabdesk run` as a process, its output in `log` (at DEBUG level a pipe nobody reads would fill
    and block it); stopped with Ctrl-C (or `stop`) at the end, which it must survive with exit code 0
    and a last line saying so."""
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.core.cli", "run", env=env, cwd=cwd, stdout=output, stderr=output
        )
        try:
            yield log
        finally:
            process.send_signal(stop)
            await asyncio.wait_for(process.wait(), timeout=30)
    assert process.returncode == 0, f"fabdesk run exited with {process.returncode}: see {log}"
    last = log.read_bytes().decode().strip().splitlines()[-3:]  # noqa: ASYNC240 - the process has ended
    assert any(line.endswith("INFO fabdesk: fabdesk stopped") for line in last), log


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
        async with fabdesk_running(cli_env(), tmp_path, tmp_path / "fabdesk.log") as log:
            await fake.wait_for_call("getUpdates", timeout=30)
            member = FakeUser(4242, "Camille", language_code="fr")
            fake.send_message(member, "/start")
            answer = await fake.wait_for_call("sendMessage", member.id, timeout=15)
            assert "Bonjour Camille" in (answer.text or "")
        logs = log.read_text()
        assert (tmp_path / "fabdesk.db").exists()
        assert "Calling Bot API endpoint" in logs, "debug logging is on, so requests are logged"
        assert fake.token not in logs
        assert fake.token.split(":")[1] not in logs


def test_token_is_redacted_even_where_a_library_logs_it(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from bot.core.cli import RedactingFormatter

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


async def test_a_webhook_telegram_refuses_stops_the_bot_with_one_clear_line(tmp_path: Path) -> None:
    async with FakeBotApi() as fake:
        fake.fail_next(
            "setWebhook", status=400, description="Bad Request: bad webhook: Failed to resolve host"
        )
        env = cli_env(
            bot_token=fake.token,
            telegram_base_url=fake.base_url,
            database_url=f"sqlite:///{tmp_path / 'fabdesk.db'}",
            webhook_url="http://fablab.invalid/telegram",
            webhook_secret="s" * 24,
        )
        code, out, err = await asyncio.wait_for(run_cli("run", env=env, cwd=tmp_path), timeout=60)
    assert code == 2, err
    assert err.strip().splitlines()[-1] == (
        "fabdesk: FABDESK_WEBHOOK_URL: Telegram refused it: Bad webhook: failed to resolve host"
    )
    assert "Traceback" not in err + out


@pytest.mark.parametrize("server", ["http", "webhook"])
async def test_run_with_its_port_taken_stops_with_one_clear_line(tmp_path: Path, server: str) -> None:
    import socket

    async with FakeBotApi() as fake:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            settings = {"http_port": str(port)}
            if server == "webhook":
                settings = {
                    "webhook_port": str(port),
                    "webhook_url": f"http://127.0.0.1:{port}/hook",
                    "webhook_secret": "s" * 24,
                }
            env = cli_env(
                bot_token=fake.token,
                telegram_base_url=fake.base_url,
                database_url=f"sqlite:///{tmp_path / 'fabdesk.db'}",
                **settings,
            )
            code, out, err = await asyncio.wait_for(run_cli("run", env=env, cwd=tmp_path), timeout=60)
    assert code == 2, err
    setting = f"FABDESK_{server.upper()}_PORT"
    assert err.strip().splitlines()[-1].startswith(f"fabdesk: {setting}: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in err + out


async def test_httpx_request_lines_show_no_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """httpx logs each request's full URL (…/bot<TOKEN>/getMe) at INFO. fabdesk keeps httpx at WARNING,
    and a fab manager who turns it up to INFO to see the traffic still gets lines without the token."""
    import logging

    import httpx

    from bot.core.cli import configure_logging
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


@pytest.mark.skipif(bool(os.environ.get("FABDESK_TEST_DATABASE_URL")), reason="one database is enough here")
async def test_run_with_a_webhook_takes_telegrams_posts_and_refuses_forged_ones(tmp_path: Path) -> None:
    from tests.test_calendar_feeds import free_port

    port, secret = free_port(), "Fab-lab_s3cret_0123456789"
    async with FakeBotApi() as fake:
        env = cli_env(
            bot_token=fake.token,
            telegram_base_url=fake.base_url,
            database_url=f"sqlite:///{tmp_path / 'fabdesk.db'}",
            webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
            webhook_secret=secret,
            webhook_port=str(port),
            log_level="DEBUG",
        )
        async with fabdesk_running(env, tmp_path, tmp_path / "fabdesk.log") as log:
            registered = await fake.wait_for_call("setWebhook", timeout=30)
            assert registered.params["url"] == f"http://127.0.0.1:{port}/telegram/hook"
            assert registered.params["secret_token"] == secret
            assert "callback_query" in registered.params["allowed_updates"]
            # Telegram posts a member's message to the webhook: the bot answers through the API.
            member = FakeUser(4242, "Camille", language_code="fr")
            fake.send_message(member, "/start")
            answer = await fake.wait_for_call("sendMessage", member.id, timeout=15)
            assert "Bonjour Camille" in (answer.text or "")
            # Someone else posting to the webhook without the secret is turned away, unanswered.
            mallory = {"id": 666, "is_bot": False, "first_name": "Mallory"}
            forged = {
                "message": {
                    "message_id": 1,
                    "date": 1_900_000_000,
                    "chat": {"id": 666, "type": "private", "first_name": "Mallory"},
                    "from": mallory,
                    "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                }
            }
            assert await fake.post_to_webhook_with_secret(forged, "not-the-secret") == 403
            fake.send_message(member, "/help")  # and the bot still serves Telegram's posts
            await fake.wait_for_call("sendMessage", member.id, text_contains="/book", timeout=15)
            assert fake.calls_of("sendMessage", 666) == []
            assert fake.calls_of("getUpdates") == []
        logs = log.read_text()
        assert "updates come by webhook" in logs
        assert secret not in logs and fake.token.split(":")[1] not in logs

        # Back to long polling (the webhook setting emptied): the webhook is removed, updates come again.
        for name in ("FABDESK_WEBHOOK_URL", "FABDESK_WEBHOOK_SECRET", "FABDESK_WEBHOOK_PORT"):
            del env[name]
        mark = fake.mark()
        async with fabdesk_running(env, tmp_path, tmp_path / "fabdesk-polling.log", stop=signal.SIGTERM):
            await fake.wait_for_call("deleteWebhook", after=mark, timeout=30)
            assert fake.webhook is None
            fake.send_message(member, "/start")
            await fake.wait_for_call(
                "sendMessage", member.id, text_contains="Camille", after=mark, timeout=15
            )


PASSWORD = "Pa55-w0rd_not-to-print"
CLI_COMMANDS = {
    "run": ("run",),
    "db upgrade": ("db", "upgrade"),
    "backup": ("backup", "lab.jsonl.gz"),
    "restore": ("restore", "lab.jsonl.gz"),
    "import": ("import", str(ROOT / "examples" / "inventory.yaml")),
}


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends: nothing listens there


async def assert_one_line_about_the_database(
    tmp_path: Path, command: str, url: str, shown: str, reason: str
) -> None:
    if command == "restore":
        (tmp_path / "lab.jsonl.gz").write_bytes(b"")  # the file exists; the database is what fails
    env = cli_env(
        database_url=url,
        bot_token="123456:ABCdefGhIJKlmnoPQRstuVWXyz_0123456",
        telegram_base_url=(f"http://127.0.0.1:{closed_port()}/bot"),
    )
    code, out, err = await run_cli(*CLI_COMMANDS[command], env=env, cwd=tmp_path)
    assert code != 0
    output = out + err
    assert "Traceback" not in output and PASSWORD not in output, output
    assert len(output.strip().splitlines()) < 5, output
    assert f"cannot open the database {shown}: {reason}" in err, err
    assert "cannot write" not in err
    if command == "backup":
        assert not (tmp_path / "lab.jsonl.gz.partial").exists()


@pytest.mark.parametrize("command", list(CLI_COMMANDS))
async def test_an_unreachable_database_is_one_line_naming_it_for_every_command(
    tmp_path: Path, command: str
) -> None:
    port = closed_port()
    await assert_one_line_about_the_database(
        tmp_path,
        command,
        f"postgresql://fabdesk:{PASSWORD}@127.0.0.1:{port}/fabdesk",
        f"postgresql://fabdesk:***@127.0.0.1:{port}/fabdesk",
        "connection refused",
    )


async def test_a_database_host_not_found_is_one_line(tmp_path: Path) -> None:
    await assert_one_line_about_the_database(
        tmp_path,
        "db upgrade",
        f"postgres://fabdesk:{PASSWORD}@no-such-host.invalid/fabdesk",
        "postgres://fabdesk:***@no-such-host.invalid/fabdesk",
        "host not found",
    )


@pytest.mark.skipif(not os.environ.get("FABDESK_TEST_DATABASE_URL"), reason="needs a PostgreSQL server")
@pytest.mark.parametrize("command", list(CLI_COMMANDS))
async def test_a_missing_postgresql_database_is_one_line_naming_it(tmp_path: Path, command: str) -> None:
    from sqlalchemy.engine import make_url

    server = make_url(os.environ["FABDESK_TEST_DATABASE_URL"])
    url = server.set(drivername="postgresql", password=PASSWORD, database="fabdesk_no_such_database")
    await assert_one_line_about_the_database(
        tmp_path,
        command,
        url.render_as_string(hide_password=False),
        url.render_as_string(hide_password=True),
        'database "fabdesk_no_such_database" does not exist',
    )


def test_a_rejected_postgresql_password_is_named_without_the_password() -> None:
    """The server of the tests trusts every password: the driver's error is built as asyncpg raises it."""
    import asyncpg
    from sqlalchemy.exc import OperationalError

    from bot.core.cli import database_problem
    from bot.core.settings import load_settings

    settings = load_settings(database_url=f"postgresql://lab:{PASSWORD}@db.example.org/fabdesk")
    refused = asyncpg.InvalidPasswordError('password authentication failed for user "lab"')
    for error in (refused, OperationalError("connect", {}, refused)):
        problem = database_problem(settings, error)
        assert problem is not None
        assert str(problem) == (
            "FABDESK_DATABASE_URL: cannot open the database postgresql://lab:***@db.example.org/fabdesk: "
            "authentication failed (check the user name and password)"
        )
    assert database_problem(settings, ValueError("not about the database")) is None


@asynccontextmanager
async def plain_tcp_server() -> AsyncIterator[int]:
    """A server that answers in plain HTTP: what an https:// client meets at a wrong port."""

    async def answer(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


@pytest.mark.parametrize(
    ("where", "reason", "stop"),
    [
        ("closed port", "connection refused", signal.SIGINT),
        ("unknown host", "host not found", signal.SIGTERM),
        ("not TLS", "TLS failed", signal.SIGTERM),
    ],
)
async def test_run_says_why_telegram_cannot_be_reached_and_stops_cleanly_while_waiting(
    tmp_path: Path, where: str, reason: str, stop: signal.Signals
) -> None:
    async with plain_tcp_server() as plain_port:
        base_url = {
            "closed port": f"http://127.0.0.1:{closed_port()}/bot",
            "unknown host": "http://api.telegram.invalid/bot",
            "not TLS": f"https://127.0.0.1:{plain_port}/bot",
        }[where]
        database = tmp_path / "lab.db"
        env = cli_env(
            bot_token="123456:ABCdefGhIJKlmnoPQRstuVWXyz_0123456",
            telegram_base_url=base_url,
            database_url=f"sqlite:///{database}",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.core.cli", "run", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
        )
        assert process.stderr is not None
        try:
            said = await read_until(process.stderr, "trying again")
        finally:
            process.send_signal(stop)
        rest = await asyncio.wait_for(process.stderr.read(), timeout=30)
        await asyncio.wait_for(process.wait(), timeout=30)
    # The database as it was written (not sqlite+aiosqlite://), then why Telegram does not answer.
    assert f"fabdesk is starting (database: sqlite:///{database});" in said
    assert f"Telegram cannot be reached at {base_url}: {reason}" in said, said
    output = said + rest.decode()
    assert "Traceback" not in output
    assert process.returncode == 0, output
    assert output.strip().splitlines()[-1].endswith("fabdesk stopped (before Telegram answered)"), output


async def test_a_failure_reason_is_repeated_only_every_so_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first failure is said at once; the same reason again only after 30 s (not every second)."""
    import logging

    from telegram.error import NetworkError

    from bot.core import startup

    class Unreachable:
        """An application whose getMe always fails."""

        def __init__(self) -> None:
            self.attempts = 0

        async def initialize(self) -> None:
            self.attempts += 1
            raise NetworkError("httpx.ConnectError: All connection attempts failed") from (
                ConnectionRefusedError()
            )

        @property
        def bot(self) -> Unreachable:  # its connection pools are closed when the wait is given up
            return self

        async def shutdown(self) -> None:
            pass

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("fabdesk").addHandler(handler)
    application = Unreachable()
    seconds = [0.0]
    monkeypatch.setattr(startup, "clock", lambda: seconds[0])
    monkeypatch.setattr(startup, "FIRST_DELAY_S", 0.001)
    monkeypatch.setattr(startup, "MAX_DELAY_S", 0.001)
    task = asyncio.ensure_future(startup.wait_for_telegram(application, "http://x/bot"))  # type: ignore[arg-type]
    try:
        for second in range(1, 70):  # 69 "seconds", each with a few attempts
            await asyncio.sleep(0.01)
            seconds[0] = float(second)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        logging.getLogger("fabdesk").removeHandler(handler)
    said = [r.getMessage() for r in records if "cannot be reached" in r.getMessage()]
    assert application.attempts > 20
    assert len(said) == 3, said  # at 0 s, 30 s and 60 s
    assert all("connection refused" in line for line in said)


def test_the_event_loop_is_uvloops_when_installed_unless_asyncio_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio
    import sys

    import uvloop

    from bot.core.cli import new_event_loop
    from bot.core.settings import SettingsError

    for choice, expected in [("auto", uvloop.Loop), ("uvloop", uvloop.Loop)]:
        loop = new_event_loop(choice)
        assert isinstance(loop, expected), choice
        loop.close()
    loop = new_event_loop("asyncio")
    assert not isinstance(loop, uvloop.Loop) and isinstance(loop, asyncio.AbstractEventLoop)
    loop.close()
    monkeypatch.setitem(sys.modules, "uvloop", None)  # not installed (Windows)
    loop = new_event_loop("auto")
    assert not isinstance(loop, uvloop.Loop)
    loop.close()
    with pytest.raises(SettingsError, match="uvloop is not installed"):
        new_event_loop("uvloop")
