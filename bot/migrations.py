"""Apply the Alembic migrations from the source tree (`fabdesk run` and `fabdesk db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from bot.settings import SettingsError

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    if not ALEMBIC_INI.exists():
        raise SettingsError(
            f"migrations not found at {ALEMBIC_INI.parent / 'alembic'}: install fabdesk from its source "
            "tree (pip install -e .)"
        )
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to the latest schema (creating it if empty). Must not run inside an event loop."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
