"""The `fabdesk` command: run the bot, migrate the database, import the inventory."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("fabdesk")


class RedactToken(logging.Filter):
    """Hide the bot token wherever it would appear in a log line (httpx logs full URLs)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg = message.replace(self.token, "<token>")
                record.args = None
        return True


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if settings.bot_token is not None:
        handler.addFilter(RedactToken(settings.bot_token.get_secret_value()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # httpx logs every request URL, token included, at INFO: keep it to warnings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def cmd_run(settings: Settings) -> int:
    """Apply pending migrations, then long-poll Telegram until stopped."""
    from bot import migrations
    from bot.app import ALLOWED_UPDATES, build_application

    settings.token()  # fail early, with one line, when the token is missing
    configure_logging(settings)
    migrations.upgrade(settings.database_url)
    application = build_application(settings)
    log.info("fabdesk is starting (database: %s)", _safe_url(settings.database_url))
    application.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
    return 0


def cmd_db_upgrade(settings: Settings) -> int:
    from bot import migrations

    migrations.upgrade(settings.database_url)
    print(f"Database {_safe_url(settings.database_url)} is up to date.")
    return 0


def cmd_import(settings: Settings, path: Path) -> int:
    """Create or update machines, opening hours and closures from an inventory file, all or nothing."""
    from bot import migrations
    from models.db import create_engine, session_factory
    from models.inventory import InventoryError, apply_inventory, parse_inventory

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
    migrations.upgrade(settings.database_url)

    async def apply() -> str:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine).begin() as session:
                report = await apply_inventory(session, inventory)
            return report.summary()
        finally:
            await engine.dispose()

    print(asyncio.run(apply()))
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


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
        return cmd_import(settings, args.file)
    except SettingsError as exc:
        print(f"fabdesk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
