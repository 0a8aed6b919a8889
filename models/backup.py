"""Backups: every table to one compressed file, and back into an empty database.

The file is the same whatever the database (gzip'd JSON lines: a header, then for each table its
columns and its rows), so a lab can also move from SQLite to PostgreSQL with it. It is read in one
consistent snapshot while the bot keeps running, and restored all or nothing, into an empty
database at the same schema version.
"""

from __future__ import annotations

import enum
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Date, Enum, Numeric, Table, Time, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models import Base
from models.base import UTCDateTime

FORMAT = "fabdesk-backup"
VERSION = 1
BATCH = 1000


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why, in one line."""


@dataclass
class Summary:
    tables: int
    rows: int
    revision: str


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decoder(table: Table, name: str) -> Any:
    """How to turn a column's JSON value back into what the column takes."""
    column_type = table.c[name].type
    if isinstance(column_type, UTCDateTime):
        return datetime.fromisoformat
    if isinstance(column_type, Date):
        return date.fromisoformat
    if isinstance(column_type, Time):
        return time.fromisoformat
    if isinstance(column_type, Enum) and column_type.enum_class is not None:
        return column_type.enum_class
    if isinstance(column_type, Numeric):
        return Decimal
    return None


async def revision_of(connection: AsyncConnection) -> str | None:
    try:
        return await connection.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:
        return None


async def write_backup(engine: AsyncEngine, path: Path, now: datetime) -> Summary:
    """Write every table to `path` from one snapshot (the bot may keep running meanwhile)."""
    options = {} if engine.dialect.name == "sqlite" else {"isolation_level": "REPEATABLE READ"}
    partial = path.with_name(path.name + ".partial")
    rows = 0
    async with engine.connect() as connection:
        connection = await connection.execution_options(**options)
        async with connection.begin():
            revision = await revision_of(connection)
            if revision is None:
                raise BackupError("the database has no fabdesk tables: nothing to back up")
            with gzip.open(partial, "wt", encoding="utf-8") as out:
                header = {"format": FORMAT, "version": VERSION, "revision": revision, "at": now.isoformat()}
                out.write(json.dumps(header) + "\n")
                for table in Base.metadata.sorted_tables:
                    names = [c.name for c in table.columns]
                    out.write(json.dumps({"table": table.name, "columns": names}) + "\n")
                    result = await connection.stream(select(table).order_by(*table.primary_key.columns))
                    async for row in result:
                        out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                        rows += 1
    partial.replace(path)  # a backup file is never half-written
    return Summary(len(Base.metadata.sorted_tables), rows, revision)


def _read(handle: IO[str]) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(handle, start=1):
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError:
            raise BackupError(f"line {number} is not valid: the file is damaged") from None


async def restore_backup(engine: AsyncEngine, path: Path, head: str) -> Summary:
    """Load a backup into this (migrated, empty) database, all or nothing."""
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    rows = 0
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = _read(handle)
        try:
            _number, header = next(lines, (0, None))
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise BackupError(f"cannot read {path}: {exc}") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise BackupError(f"{path} is not a fabdesk backup")
        if header.get("revision") != head:
            raise BackupError(
                f"this backup was made at database version {header.get('revision')}, this fabdesk is at "
                f"{head}: restore it with the fabdesk that made it, then upgrade"
            )
        async with engine.begin() as connection:
            for name in ("members", "machines", "bookings"):
                if await connection.scalar(select(func.count()).select_from(tables[name])):
                    raise BackupError("the database is not empty: restore into a new, empty database")
            table: Table | None = None
            columns: list[str] = []
            decoders: list[Any] = []
            batch: list[dict[str, Any]] = []

            async def flush() -> None:
                if table is not None and batch:
                    await connection.execute(insert(table), batch)
                    batch.clear()

            try:
                for number, item in lines:
                    if isinstance(item, dict):
                        await flush()
                        table = tables.get(item.get("table", ""))
                        if table is None or set(item.get("columns", [])) != set(table.c.keys()):
                            raise BackupError(f"line {number}: table {item.get('table')!r} does not match")
                        columns = item["columns"]
                        decoders = [_decoder(table, c) for c in columns]
                        continue
                    if table is None or not isinstance(item, list) or len(item) != len(columns):
                        raise BackupError(f"line {number} is not valid: the file is damaged")
                    batch.append(
                        {
                            c: (d(v) if d is not None and v is not None else v)
                            for c, d, v in zip(columns, decoders, item, strict=True)
                        }
                    )
                    rows += 1
                    if len(batch) >= BATCH:
                        await flush()
                await flush()
            except (OSError, EOFError) as exc:
                raise BackupError(f"cannot read {path}: {exc}") from None
            except (ValueError, TypeError, KeyError) as exc:
                raise BackupError(f"a value does not fit its column ({exc}): the file is damaged") from None
            if engine.dialect.name == "postgresql":
                await _reset_sequences(connection)
    return Summary(len(tables), rows, head)


async def _reset_sequences(connection: AsyncConnection) -> None:
    """PostgreSQL: new rows must get ids after the restored ones."""
    for table in Base.metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or key[0].name != "id" or not key[0].autoincrement:
            continue
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )
