"""`fabdesk backup` and `fabdesk restore`: a file that restores into a working database, all or nothing."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Base, bookings
from models.db import create_engine, session_factory
from models.machines import MachineKind
from models.members import Member
from models.stock import Consumable
from tests.factories import NOW, RULES, make_consumable, make_machine, open_every_day, paris
from tests.harness import cli_env, run_cli
from tests.test_privacy_stats import busy_member


async def make_busy_lab(session: AsyncSession) -> None:
    """Every kind of row: members, bookings, tickets and reports, stock, projects, waitlist, feeds..."""
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
    session.add(
        Consumable(
            name="PLA « spécial »",
            unit="g",
            quantity_milli=1_000_000,
            minimum_milli=0,
            active=True,
            created_at=NOW,
            machines=[printer],
        )
    )
    await session.flush()
    await busy_member(session, "Alice", 5001)
    await busy_member(session, "Bob", 5002)


async def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary key order, as the application reads them."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row)
                    for row in await connection.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in Base.metadata.sorted_tables
                if table.name != "cache_versions"  # not backed up: models/backup.py
            }
    finally:
        await engine.dispose()


def files(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern))


def env_for(url: str) -> dict[str, str]:
    return cli_env(database_url=url)


async def test_a_backup_restores_every_row_and_the_restored_lab_works(
    database_url: str, empty_database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with sessions.begin() as session:
        await make_busy_lab(session)
    original = await dump(database_url)
    assert sum(len(rows) for rows in original.values()) > 30
    assert all(original[name] for name in ("bookings", "tickets", "reports", "stock_movements", "projects"))

    backup = tmp_path / "lab.jsonl.gz"
    code, out, err = await run_cli("backup", str(backup), env=env_for(database_url), cwd=tmp_path)
    assert code == 0, err
    assert out.startswith("Backed up ") and backup.exists()
    assert not files(tmp_path, "*.partial")

    # Into the same kind of database, and into a SQLite file (a lab moving between the two).
    for target in (empty_database_url, f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"):
        code, out, err = await run_cli("restore", str(backup), env=env_for(target), cwd=tmp_path)
        assert code == 0, err
        assert out.startswith("Restored ")
        assert await dump(target) == original, target

        # The restored lab takes new rows (PostgreSQL's id sequences follow the restored ids).
        engine = create_engine(target)
        try:
            async with session_factory(engine).begin() as session:
                alice = await session.scalar(select(Member).where(Member.telegram_id == 5001))
                assert alice is not None
                printer_id = original["machines"][0][0]
                booking = await bookings.book(session, alice, printer_id, paris(8, 15), 60, RULES, NOW)
                assert booking.id > max(row[0] for row in original["bookings"])
        finally:
            await engine.dispose()


async def test_restore_refuses_a_database_in_use_a_damaged_file_and_another_version(
    database_url: str, empty_database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with sessions.begin() as session:
        await make_busy_lab(session)
    backup = tmp_path / "lab.jsonl.gz"
    assert (await run_cli("backup", str(backup), env=env_for(database_url), cwd=tmp_path))[0] == 0

    # Not into a database with a lab in it: nothing is touched.
    before = await dump(database_url)
    code, _out, err = await run_cli("restore", str(backup), env=env_for(database_url), cwd=tmp_path)
    assert code == 2 and err.strip() == (
        "fabdesk: the database is not empty (table consumables has rows): restore into a new, empty database"
    )
    assert await dump(database_url) == before

    lines = gzip.decompress(backup.read_bytes()).decode().splitlines()
    damaged = tmp_path / "damaged.jsonl.gz"
    # A row cut in the middle, near the end: the rows before it must not stay behind.
    damaged.write_bytes(gzip.compress(("\n".join(lines[:-3]) + "\n" + lines[-3][:7] + "\n").encode()))
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(backup.read_bytes()[: len(backup.read_bytes()) // 2])
    header = json.loads(lines[0])
    other = tmp_path / "other-version.jsonl.gz"
    other.write_bytes(
        gzip.compress(("\n".join([json.dumps({**header, "revision": "0001"}), *lines[1:]])).encode())
    )
    not_ours = tmp_path / "notes.txt"
    not_ours.write_text("hello\n")
    expected = {
        damaged: "is not valid: the file is damaged",
        truncated: "cannot read",
        other: "this backup was made at database version 0001",
        not_ours: "cannot read",
    }
    for path, message in expected.items():
        code, out, err = await run_cli("restore", str(path), env=env_for(empty_database_url), cwd=tmp_path)
        assert code == 2 and message in err, (path, err)
        assert "Traceback" not in err + out and len(err.strip().splitlines()) == 1
        restored = await dump(empty_database_url)
        assert all(rows == [] for rows in restored.values()), f"{path.name} left rows behind"

    code, _out, err = await run_cli(
        "restore", str(tmp_path / "missing.gz"), env=env_for(database_url), cwd=tmp_path
    )
    assert code == 2 and "no such file" in err


async def test_backup_says_when_there_is_nothing_to_back_up_and_never_overwrites(
    database_url: str, empty_database_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "b.jsonl.gz"
    if empty_database_url.startswith("sqlite"):  # a SQLite file that does not exist is not created
        code, _out, err = await run_cli("backup", str(target), env=env_for(empty_database_url), cwd=tmp_path)
        assert code == 2 and err.strip().endswith("empty.db: no such file") and not target.exists()
        assert not (tmp_path / "empty.db").exists()
        sqlite3.connect(tmp_path / "empty.db").close()
    code, _out, err = await run_cli("backup", str(target), env=env_for(empty_database_url), cwd=tmp_path)
    assert code == 2 and "nothing to back up" in err and not target.exists()
    target.write_text("precious")
    code, _out, err = await run_cli("backup", str(target), env=env_for(database_url), cwd=tmp_path)
    assert code == 2 and "already exists" in err and target.read_text() == "precious"
    # Without a name: a dated file in the working directory.
    code, out, err = await run_cli("backup", env=env_for(database_url), cwd=tmp_path)
    assert code == 0, err
    (written,) = files(tmp_path, "fabdesk-backup-*.jsonl.gz")
    assert str(written.name) in out


def backup_lines(path: Path) -> list[str]:
    return gzip.decompress(path.read_bytes()).decode().splitlines()


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def as_old_format(lines: list[str]) -> list[str]:
    """The same backup as fabdesk wrote it before end lines (format 1)."""
    header = {**json.loads(lines[0]), "version": 1}
    assert json.loads(lines[-1]).get("end") == "fabdesk-backup"
    return [json.dumps(header), *lines[1:-1]]


async def restore_refused(path: Path, url: str, tmp_path: Path, message: str) -> None:
    """`fabdesk restore` refuses the file in one line, and leaves every table empty."""
    code, out, err = await run_cli("restore", str(path), env=env_for(url), cwd=tmp_path)
    assert code == 2 and message in err, (path.name, err)
    assert "Traceback" not in err + out and len(err.strip().splitlines()) == 1, err
    assert all(rows == [] for rows in (await dump(url)).values()), f"{path.name} left rows behind"


async def test_a_backup_cut_at_a_line_or_altered_is_refused_before_anything_is_written(
    database_url: str, empty_database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with sessions.begin() as session:
        await make_busy_lab(session)
    backup = tmp_path / "lab.jsonl.gz"
    assert (await run_cli("backup", str(backup), env=env_for(database_url), cwd=tmp_path))[0] == 0
    lines = backup_lines(backup)
    end = json.loads(lines[-1])
    assert end["rows"]["bookings"] > 0 and len(end["sha256"]) == 64
    assert sum(end["rows"].values()) == len(lines) - 2 - len(end["rows"])

    # `zcat b | head -150 | gzip`: every line whole, the bookings and tickets gone.
    cut = write_lines(tmp_path / "cut.jsonl.gz", lines[: len(lines) // 2])
    await restore_refused(cut, empty_database_url, tmp_path, "the file is cut short")
    # Only the end line lost.
    no_end = write_lines(tmp_path / "no-end.jsonl.gz", lines[:-1])
    await restore_refused(no_end, empty_database_url, tmp_path, "the file is cut short")
    # One value edited: the counts still match, the checksum does not.
    index = next(i for i, line in enumerate(lines) if '"Alice"' in line)
    edited = write_lines(
        tmp_path / "edited.jsonl.gz",
        [*lines[:index], lines[index].replace('"Alice"', '"Alicia"'), *lines[index + 1 :]],
    )
    await restore_refused(edited, empty_database_url, tmp_path, "checksum does not match")
    # A row taken out and the count edited to match: the checksum still tells.
    # (the last row of the file: rows of later tables, none, would be the only ones referring to it)
    row = max(i for i, line in enumerate(lines) if line.startswith("["))
    table = next(json.loads(lines[i])["table"] for i in range(row, 0, -1) if lines[i].startswith("{"))
    recount = json.dumps({**end, "rows": {**end["rows"], table: end["rows"][table] - 1}})
    dropped = write_lines(tmp_path / "dropped.jsonl.gz", [*lines[:row], *lines[row + 1 : -1], recount])
    await restore_refused(dropped, empty_database_url, tmp_path, "checksum does not match")
    # A row added after the end line.
    after = write_lines(tmp_path / "after.jsonl.gz", [*lines, lines[-2]])
    await restore_refused(after, empty_database_url, tmp_path, "after the end line")

    # The intact file restores, every row.
    code, out, err = await run_cli("restore", str(backup), env=env_for(empty_database_url), cwd=tmp_path)
    assert code == 0 and err == "", err
    assert out.startswith(f"Restored {sum(end['rows'].values())} rows")
    assert await dump(empty_database_url) == await dump(database_url)


async def test_an_old_backup_without_end_line_restores_whole_with_a_warning_and_never_cut(
    database_url: str, empty_database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with sessions.begin() as session:
        await make_busy_lab(session)
    backup = tmp_path / "lab.jsonl.gz"
    assert (await run_cli("backup", str(backup), env=env_for(database_url), cwd=tmp_path))[0] == 0
    old = as_old_format(backup_lines(backup))

    cut = write_lines(tmp_path / "old-cut.jsonl.gz", old[: len(old) // 2])
    await restore_refused(cut, empty_database_url, tmp_path, "the file ends before table")
    # A row twice (the database refuses it): one line, not the driver's traceback.
    first_row = next(i for i, line in enumerate(old) if i > 1 and line.startswith("["))
    doubled = write_lines(tmp_path / "old-doubled.jsonl.gz", [*old[: first_row + 1], *old[first_row:]])
    await restore_refused(doubled, empty_database_url, tmp_path, "a row does not fit the database")

    whole = write_lines(tmp_path / "old.jsonl.gz", old)
    code, out, err = await run_cli("restore", str(whole), env=env_for(empty_database_url), cwd=tmp_path)
    assert code == 0, err
    assert out.startswith("Restored ")
    assert err.strip().startswith("fabdesk: warning: this backup was written by an older fabdesk")
    assert len(err.strip().splitlines()) == 1
    assert await dump(empty_database_url) == await dump(database_url)


async def test_restore_refuses_a_database_holding_only_opening_hours_and_a_consumable(
    database_url: str, empty_database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with sessions.begin() as session:
        await make_busy_lab(session)
    backup = tmp_path / "lab.jsonl.gz"
    assert (await run_cli("backup", str(backup), env=env_for(database_url), cwd=tmp_path))[0] == 0

    assert (await run_cli("db", "upgrade", env=env_for(empty_database_url), cwd=tmp_path))[0] == 0
    engine = create_engine(empty_database_url)
    try:
        async with session_factory(engine).begin() as session:
            await open_every_day(session)
            await make_consumable(session)
    finally:
        await engine.dispose()
    before = await dump(empty_database_url)
    code, out, err = await run_cli("restore", str(backup), env=env_for(empty_database_url), cwd=tmp_path)
    assert code == 2 and "Traceback" not in err + out
    assert err.strip().splitlines() == [
        "fabdesk: the database is not empty (table consumables has rows): restore into a new, empty database"
    ]
    assert await dump(empty_database_url) == before
