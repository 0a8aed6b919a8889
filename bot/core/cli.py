"""The `fabdesk` command: run the bot, migrate the database, import the inventory, back up and restore."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from telegram.error import InvalidToken

from bot.core.logging_setup import keep_logs_private
from bot.core.settings import Settings, SettingsError, load_settings

log = logging.getLogger("fabdesk")


class RedactingFormatter(logging.Formatter):
    """Hide the bot token (and the webhook's secret) wherever they would appear in a log line,
    tracebacks included (httpx logs full URLs; PTB puts the token in InvalidToken's message and, at
    DEBUG, every request's parameters in its log, the webhook's secret_token among them)."""

    def __init__(self, token: str | None, webhook_secret: str | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.token = token
        self.webhook_secret = webhook_secret

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and isinstance(record.exc_info[1], InvalidToken):
            # `fabdesk run` reports a rejected token in one line of its own.
            record.exc_info = record.exc_text = None
        text = super().format(record)
        if self.token:
            text = text.replace(self.token, "<token>")
        if self.webhook_secret:
            text = text.replace(self.webhook_secret, "<webhook secret>")
        return text


def new_event_loop(choice: str) -> asyncio.AbstractEventLoop:
    """The bot's event loop: uvloop's when installed (less CPU per update, benchmarks/RESULTS.md),
    unless FABDESK_EVENT_LOOP=asyncio; Python's own otherwise."""
    if choice != "asyncio":
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                raise SettingsError("FABDESK_EVENT_LOOP=uvloop: uvloop is not installed") from None
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    token = settings.bot_token.get_secret_value() if settings.bot_token is not None else None
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret is not None else None
    handler.setFormatter(RedactingFormatter(token, secret))
    keep_logs_private(handler, {token: "<token>", secret: "<webhook secret>"})
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # httpx logs every request URL, token included, at INFO: keep it to warnings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def cmd_run(settings: Settings) -> int:
    """Apply pending migrations, then take updates from Telegram until stopped (long polling, or the
    webhook when FABDESK_WEBHOOK_URL is set)."""
    from bot.core.app import ALLOWED_UPDATES, build_application
    from bot.core.context import DESK_KEY
    from bot.core.polling import LeasedUpdater
    from bot.core.startup import wait_for_telegram
    from bot.core.webhook import WebhookUpdater

    settings.token()  # fail early, with one line, when the token is missing
    webhook = settings.webhook()
    configure_logging(settings)
    upgrade_database(settings)
    application = build_application(settings)
    log.info(
        "fabdesk is starting (database: %s); connecting to Telegram at %s (waiting until it answers)",
        settings.shown_database_url,
        settings.telegram_base_url,
    )
    if webhook is None:
        # Several processes on one database: one polls, the others stand by (bot/core/polling.py).
        application.updater = LeasedUpdater(
            application.bot_data[DESK_KEY], application.bot, application.update_queue
        )
    else:
        # fabdesk's listener in place of PTB's: the secret before the body, and a cap on its size.
        application.updater = WebhookUpdater(application.bot, application.update_queue)
        log.info(
            "updates come by webhook to %s, served on %s:%s/%s",
            webhook.url,
            webhook.listen,
            webhook.port,
            webhook.path,
        )
    # What start-up loaded (modules, catalogs, the application) lives as long as the process: out of
    # the collector's sight, a full collection no longer walks it, and stops the bot for a millisecond
    # instead of 60–120 (the benchmark's latency tail).
    gc.collect()
    gc.freeze()
    # PTB's run_polling/run_webhook take this loop (asyncio.get_event_loop()) and close it at the end.
    loop = new_event_loop(settings.event_loop)
    asyncio.set_event_loop(loop)
    try:
        if not loop.run_until_complete(wait_for_telegram(application, settings.telegram_base_url)):
            loop.close()
            log.info("fabdesk stopped (before Telegram answered)")
            return 0
        # bootstrap_retries=-1: should Telegram go away again before the first update, keep waiting.
        if webhook is None:
            application.run_polling(
                allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False, bootstrap_retries=-1
            )
        else:
            try:
                application.run_webhook(
                    listen=webhook.listen,
                    port=webhook.port,
                    url_path=webhook.path,
                    webhook_url=webhook.url,
                    secret_token=webhook.secret,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=False,
                    bootstrap_retries=-1,
                )
            except OSError as exc:  # the port is taken, or the address is not this machine's
                where = f"{webhook.listen}:{webhook.port}"
                raise SettingsError(
                    f"FABDESK_WEBHOOK_PORT: cannot listen on {where}: {exc.strerror or exc}"
                ) from None
    except InvalidToken:
        raise SettingsError(
            "FABDESK_BOT_TOKEN was rejected by Telegram (revoked or mistyped?): copy it again from @BotFather"
        ) from None
    log.info("fabdesk stopped")
    return 0


def upgrade_database(settings: Settings) -> None:
    """Apply pending migrations; a database that cannot be opened is one line naming the setting."""
    from bot.core import migrations

    try:
        open_sqlite_first(settings, create=True)
        migrations.upgrade(settings.database_url)
    except Exception as exc:
        if (problem := database_problem(settings, exc)) is not None:
            raise problem from None
        raise


def open_sqlite_first(settings: Settings, *, create: bool) -> None:
    """A SQLite file is opened here first, synchronously: when aiosqlite fails to open a file, its
    thread may still be finishing after the event loop is gone, and prints a traceback of its own.
    (`create=False`: a missing file is an error, not a new empty database.)"""
    import sqlite3

    url = make_url(settings.database_url)
    file = url.database if url.database not in (None, "", ":memory:") and "uri" not in url.query else None
    if url.get_backend_name() != "sqlite" or file is None:
        return
    if create:
        sqlite3.connect(file).close()
    elif not Path(file).is_file():
        raise SettingsError(
            f"FABDESK_DATABASE_URL: cannot open the database {settings.shown_database_url}: no such file"
        )
    else:
        sqlite3.connect(f"{Path(file).resolve().as_uri()}?mode=ro", uri=True).close()


def database_problem(settings: Settings, exc: BaseException) -> SettingsError | None:
    """The one line saying which database cannot be opened and why (its password masked), or None
    when `exc` is not about opening the database."""
    reason = _database_reason(exc)
    if reason is None:
        return None
    password = make_url(settings.database_url).password
    if password:
        reason = reason.replace(str(password), "***")
    return SettingsError(
        f"FABDESK_DATABASE_URL: cannot open the database {settings.shown_database_url}: {reason}"
    )


def _database_reason(exc: BaseException) -> str | None:
    import socket
    import sqlite3

    import asyncpg
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(exc, DBAPIError) and exc.orig is not None and exc.orig is not exc:
        return _database_reason(exc.orig) or _first_line(exc.orig)
    cause = exc.__cause__
    if isinstance(exc, asyncpg.InvalidPasswordError):
        return "authentication failed (check the user name and password)"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"{_first_line(exc)} (create it first, or check its name)"
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.PostgresConnectionError):
        return _first_line(exc)
    if isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError) and cause is None:
        return _first_line(exc)
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the database server running, at that host and port?)"
    if isinstance(exc, socket.gaierror):
        return "host not found (check the host name)"
    if isinstance(exc, TimeoutError):
        return "no answer (timed out: check the host and port, and the firewall)"
    if isinstance(exc, OSError):
        return exc.strerror or _first_line(exc)
    if isinstance(exc, sqlite3.Error | SQLAlchemyError):
        return _first_line(exc)
    if cause is not None and cause is not exc:
        return _database_reason(cause)
    return None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def cmd_db_upgrade(settings: Settings) -> int:
    upgrade_database(settings)
    print(f"Database {settings.shown_database_url} is up to date.")
    return 0


def cmd_import(settings: Settings, path: Path) -> int:
    """Create or update machines, opening hours and closures from an inventory file, all or nothing."""
    from bot.core.inventory_file import InventoryError, import_inventory, parse_inventory
    from models.db import create_engine, session_factory

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"fabdesk: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    try:
        inventory = parse_inventory(text, source=str(path))
    except InventoryError as exc:
        print(f"fabdesk: {exc}", file=sys.stderr)
        return 2
    upgrade_database(settings)

    async def apply() -> str:
        engine = create_engine(settings.database_url, sqlite_driver=settings.sqlite_driver)
        try:
            async with session_factory(engine).begin() as session:
                report = await import_inventory(session, inventory)
            return report.summary()
        finally:
            await engine.dispose()

    try:
        summary = asyncio.run(apply())
    except InventoryError as exc:  # found while applying (a name only the database can refuse)
        print(f"fabdesk: {exc}", file=sys.stderr)
        return 2
    print(summary)
    return 0


def cmd_backup(settings: Settings, path: Path | None) -> int:
    """Write every table to one file, from one snapshot, while the bot may keep running."""
    import sqlite3
    from datetime import UTC, datetime

    from models.backup import BackupError, write_backup
    from models.db import DatabaseUnavailable, check_connection, create_engine

    now = datetime.now(UTC)
    path = path or Path(f"fabdesk-backup-{now:%Y%m%d-%H%M%S}.jsonl.gz")
    if path.exists():
        print(f"fabdesk: {path} already exists: choose another name", file=sys.stderr)
        return 2

    try:
        open_sqlite_first(settings, create=False)
    except sqlite3.Error as exc:
        raise database_problem(settings, exc) or SettingsError(str(exc)) from None

    async def backup() -> str:
        engine = create_engine(settings.database_url, immediate=False, sqlite_driver=settings.sqlite_driver)
        try:
            await check_connection(engine)
            summary = await write_backup(engine, path, now)
        finally:
            await engine.dispose()
        return f"Backed up {summary.rows} rows of {summary.tables} tables to {path}."

    try:
        print(asyncio.run(backup()))
    except BackupError as exc:
        print(f"fabdesk: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        raise database_problem(settings, exc.__cause__ or exc) or SettingsError(str(exc)) from None
    except OSError as exc:
        print(f"fabdesk: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def cmd_restore(settings: Settings, path: Path) -> int:
    """Load a backup into an empty database (migrated first), all or nothing."""
    from alembic.script import ScriptDirectory

    from bot.core import migrations
    from models.backup import BackupError, restore_backup
    from models.db import create_engine

    if not path.is_file():
        print(f"fabdesk: {path}: no such file", file=sys.stderr)
        return 2
    upgrade_database(settings)
    head = ScriptDirectory.from_config(migrations.alembic_config(settings.database_url)).get_current_head()

    async def restore() -> str:
        engine = create_engine(settings.database_url, sqlite_driver=settings.sqlite_driver)
        try:
            summary = await restore_backup(engine, path, head or "")
        finally:
            await engine.dispose()
        for warning in summary.warnings:
            print(f"fabdesk: warning: {warning}", file=sys.stderr)
        return f"Restored {summary.rows} rows into {settings.shown_database_url}."

    try:
        print(asyncio.run(restore()))
    except BackupError as exc:
        print(f"fabdesk: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_qr(settings: Settings, path: Path) -> int:
    """Write the machines' QR labels (a printable A4 PDF) to `path`."""
    from bot.core.i18n import Texts
    from bot.features.checkin.labels import labels_pdf
    from models.db import create_engine, session_factory
    from models.machines import Machine, list_machines

    upgrade_database(settings)

    async def load() -> tuple[list[Machine], str | None]:
        username = settings.bot_username or await _bot_username(settings)
        if username is None:
            return [], None
        engine = create_engine(settings.database_url, sqlite_driver=settings.sqlite_driver)
        try:
            async with session_factory(engine)() as session:
                return await list_machines(session), username
        finally:
            await engine.dispose()

    machines, username = asyncio.run(load())
    if username is None:
        print(
            "fabdesk: the bot's username is unknown: set FABDESK_BOT_USERNAME or FABDESK_BOT_TOKEN",
            file=sys.stderr,
        )
        return 2
    path.write_bytes(labels_pdf(machines, username, Texts(settings.default_language, settings.tz)))
    print(f"{path}: {len(machines)} machine labels, links to @{username.removeprefix('@')}.")
    return 0


async def _bot_username(settings: Settings) -> str | None:
    """The bot's username, asked of Telegram (getMe); None without a token."""
    from telegram import Bot

    if settings.bot_token is None:
        return None
    bot = Bot(
        settings.bot_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        base_file_url=settings.file_base_url,
    )
    async with bot:
        return bot.username


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="fabdesk",
        description="The fab lab's front desk on Telegram. Settings come from FABDESK_* variables and .env.",
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="apply pending database migrations, then run the bot (long polling)")
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply pending migrations")
    importer = commands.add_parser(
        "import", help="create or update machines and opening hours from a YAML file"
    )
    importer.add_argument("file", type=Path, help="inventory file, see examples/inventory.yaml")
    backup = commands.add_parser(
        "backup", help="write the whole database to one file (the bot may keep running)"
    )
    backup.add_argument(
        "file", type=Path, nargs="?", help="where (default: fabdesk-backup-DATE-TIME.jsonl.gz)"
    )
    restore = commands.add_parser("restore", help="load a backup into a new, empty database")
    restore.add_argument("file", type=Path, help="a file written by fabdesk backup")
    qr = commands.add_parser("qr", help="write a printable PDF of QR labels, one per machine")
    qr.add_argument(
        "file", type=Path, nargs="?", default=Path("fabdesk-qr.pdf"), help="where (default: fabdesk-qr.pdf)"
    )
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command is None or (args.command == "db" and args.db_command is None):
        parser().print_help()
        return 2
    try:
        settings = load_settings()
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "db":
            return cmd_db_upgrade(settings)
        if args.command == "backup":
            return cmd_backup(settings, args.file)
        if args.command == "restore":
            return cmd_restore(settings, args.file)
        if args.command == "qr":
            return cmd_qr(settings, args.file)
        return cmd_import(settings, args.file)
    except SettingsError as exc:
        print(f"fabdesk: {exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print("fabdesk: .env is not UTF-8 text: save it as UTF-8 in your editor", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before `run` listens for it (while migrating), or in another command
        print("fabdesk: stopped (interrupted)", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
