"""Apply the Alembic migrations from the source tree (`fabdesk run` and `fabdesk db upgrade`)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import make_url

from alembic import command
from bot.core.settings import SettingsError

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


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


@contextmanager
def one_at_a_time(database_url: str) -> Iterator[None]:
    """Let one process at a time migrate a SQLite file (PostgreSQL: an advisory lock in env.py).

    Alembic commits each SQLite migration on its own, so two processes starting at once on a new
    file could both read "not applied yet". The lock is a file next to the database: not the
    database file itself, whose SQLite locks closing another descriptor of it would drop."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    with open(f"{url.database}-migrations.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to the latest schema (creating it if empty). Must not run inside an event loop."""
    with one_at_a_time(database_url):
        command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
