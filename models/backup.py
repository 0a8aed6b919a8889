"""Backups: every table to one compressed file, and back into an empty database.

The file is the same whatever the database (gzip'd JSON lines: a header, then for each table its
columns and its rows, then an end line with each table's row count and the SHA-256 of every line
before it), so a lab can also move from SQLite to PostgreSQL with it. It is read in one consistent
snapshot while the bot keeps running, and restored all or nothing, into an empty database at the
same schema version: a file cut short or altered is refused before anything is committed.
"""

from __future__ import annotations

import enum
import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import Date, Enum, Numeric, Table, Time, insert, literal, select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models import Base
from models.base import UTCDateTime
from models.cache import CacheVersion, bump_all

FORMAT = "fabdesk-backup"
# 2: the file ends with {"end": ..., "rows": {table: count}, "sha256": ...}. Files of version 1 have no
# such line: they are restored only when every table is in them, with a warning.
VERSION = 2
BATCH = 1000


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why, in one line."""


@dataclass
class Summary:
    tables: int
    rows: int
    revision: str
    warnings: list[str] = field(default_factory=list)


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


class _Writer:
    """Lines into the gzip file, each one also into the checksum the end line carries."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.digest = hashlib.sha256()

    def line(self, item: Any) -> None:
        data = (json.dumps(item, ensure_ascii=False) + "\n").encode("utf-8")
        self.digest.update(data)
        self.out.write(data)


def _tables() -> list[Table]:
    """The tables a backup holds: all but the cache's versions (models/cache.py), which say nothing
    of the lab: a restored database starts them again, and every process reads its data afresh."""
    return [table for table in Base.metadata.sorted_tables if table.name != CacheVersion.__tablename__]


async def write_backup(engine: AsyncEngine, path: Path, now: datetime) -> Summary:
    """Write every table to `path` from one snapshot (the bot may keep running meanwhile)."""
    options = {} if engine.dialect.name == "sqlite" else {"isolation_level": "REPEATABLE READ"}
    partial = path.with_name(path.name + ".partial")
    counts: dict[str, int] = {}
    async with engine.connect() as connection:
        connection = await connection.execution_options(**options)
        async with connection.begin():
            revision = await revision_of(connection)
            if revision is None:
                raise BackupError("the database has no fabdesk tables: nothing to back up")
            with gzip.open(partial, "wb") as out:
                writer = _Writer(cast(IO[bytes], out))
                writer.line(
                    {"format": FORMAT, "version": VERSION, "revision": revision, "at": now.isoformat()}
                )
                for table in _tables():
                    names = [c.name for c in table.columns]
                    writer.line({"table": table.name, "columns": names})
                    counts[table.name] = 0
                    result = await connection.stream(select(table).order_by(*table.primary_key.columns))
                    async for row in result:
                        writer.line([_encode(v) for v in row])
                        counts[table.name] += 1
                end = {"end": FORMAT, "rows": counts, "sha256": writer.digest.hexdigest()}
                out.write((json.dumps(end) + "\n").encode("utf-8"))
    partial.replace(path)  # a backup file is never half-written
    return Summary(len(counts), sum(counts.values()), revision)


def _read(handle: IO[bytes], digest: Any) -> Iterator[tuple[int, Any]]:
    """Each line, parsed; every line but the end line also goes into `digest`."""
    for number, line in enumerate(handle, start=1):
        try:
            item = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BackupError(f"line {number} is not valid: the file is damaged") from None
        if not (isinstance(item, dict) and "end" in item):
            digest.update(line)
        yield number, item


async def _check_empty(connection: AsyncConnection) -> None:
    """Every fabdesk table must be empty (alembic_version is not one of them, nor cache_versions)."""
    for table in _tables():
        if await connection.scalar(select(literal(1)).select_from(table).limit(1)) is not None:
            raise BackupError(
                f"the database is not empty (table {table.name} has rows): restore into a new, empty database"
            )


async def restore_backup(engine: AsyncEngine, path: Path, head: str) -> Summary:
    """Load a backup into this (migrated, empty) database, all or nothing: the file's end line (row
    counts and checksum) is checked before the transaction commits."""
    tables = {t.name: t for t in _tables()}
    rows = 0
    counts: dict[str, int] = {}
    warnings: list[str] = []
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as handle:
        lines = _read(cast(IO[bytes], handle), digest)
        try:
            _number, header = next(lines, (0, None))
        except (OSError, EOFError) as exc:
            raise BackupError(f"cannot read {path}: {exc}") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise BackupError(f"{path} is not a fabdesk backup")
        version = header.get("version")
        if version not in (1, VERSION):
            raise BackupError(
                f"{path} was written by a newer fabdesk (backup format {version}): upgrade first"
            )
        if header.get("revision") != head:
            raise BackupError(
                f"this backup was made at database version {header.get('revision')}, this fabdesk is at "
                f"{head}: restore it with the fabdesk that made it, then upgrade"
            )
        async with engine.begin() as connection:
            await _check_empty(connection)
            await bump_all(connection)  # a process that cached the empty lab reads it again
            table: Table | None = None
            columns: list[str] = []
            decoders: list[Any] = []
            batch: list[dict[str, Any]] = []
            end: dict[str, Any] | None = None

            async def flush() -> None:
                if table is not None and batch:
                    await connection.execute(insert(table), batch)
                    batch.clear()

            try:
                for number, item in lines:
                    if end is not None:
                        raise BackupError(f"line {number} comes after the end line: the file is damaged")
                    if isinstance(item, dict) and "end" in item:
                        end = item
                        continue
                    if isinstance(item, dict):
                        await flush()
                        table = tables.get(item.get("table", ""))
                        if table is None or set(item.get("columns", [])) != set(table.c.keys()):
                            raise BackupError(f"line {number}: table {item.get('table')!r} does not match")
                        if table.name in counts:
                            raise BackupError(
                                f"line {number}: table {table.name} comes twice: the file is damaged"
                            )
                        counts[table.name] = 0
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
                    counts[table.name] += 1
                    if len(batch) >= BATCH:
                        await flush()
                await flush()
            except (OSError, EOFError) as exc:
                raise BackupError(f"cannot read {path}: {exc}") from None
            except (ValueError, TypeError, KeyError) as exc:
                raise BackupError(f"a value does not fit its column ({exc}): the file is damaged") from None
            except (IntegrityError, DataError) as exc:
                raise BackupError(
                    f"a row does not fit the database ({_first_line(exc)}): the file is damaged"
                ) from None
            if version == 1:
                missing = [name for name in tables if name not in counts]
                if missing:
                    raise BackupError(
                        f"the file ends before table {missing[0]}: it is cut short, nothing was restored"
                    )
                warnings.append(
                    "this backup was written by an older fabdesk, without an end line: every table is in it, "
                    "but rows missing from the end of the last one could not be noticed"
                )
            else:
                _check_end(end, counts, digest.hexdigest())
            if engine.dialect.name == "postgresql":
                await _reset_sequences(connection)
    return Summary(len(tables), rows, head, warnings)


def _check_end(end: dict[str, Any] | None, counts: dict[str, int], checksum: str) -> None:
    """The end line says how many rows each table had, and what the lines before it were."""
    if end is None:
        total = sum(counts.values())
        raise BackupError(f"the file is cut short (no end line after {total} rows): nothing was restored")
    if end.get("rows") != counts:
        raise BackupError("the file does not hold the rows its end line counts: the file is damaged")
    if end.get("sha256") != checksum:
        raise BackupError("the file's checksum does not match its content: the file is damaged or was edited")


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


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
