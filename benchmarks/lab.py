"""A generated fab lab in a fresh, migrated database: members, machines, opening hours and bookings.

Rows are written with SQLAlchemy core bulk inserts through fabdesk's own tables, so the database's
guards (PostgreSQL's exclusion constraint, SQLite's triggers) check every booking on the way in.
"""

from __future__ import annotations

import asyncio
import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import make_url

from models.bookings import Booking, BookingStatus
from models.db import create_engine
from models.machines import Authorization, Machine, MachineKind
from models.members import Member, Role
from models.opening import Closure, OpeningHours, local_datetime

TZ = ZoneInfo("Europe/Paris")
MANAGER_ID = 900
FIRST_MEMBER_ID = 5_000_000
OPENS, CLOSES = 8 * 60, 22 * 60  # every day, local time
# Past bookings of a machine on one day lie in these local windows (minutes), so they never overlap.
DAY_WINDOWS = [(8 * 60, 10 * 60), (10 * 60 + 30, 13 * 60), (14 * 60, 17 * 60), (18 * 60, 21 * 60 + 30)]
FUTURE_BOOKINGS = 500  # the same in every lab: only the past differs between 1k and 100k
CHUNK = 5_000

# (kind, name, count, slot minutes, max minutes, needs a training)
MACHINE_PLAN = [
    (MachineKind.PRINTER_3D, "Prusa MK4 #{:02d}", 20, 30, 240, False),
    (MachineKind.LASER_CUTTER, "Trotec Speedy #{}", 5, 30, 120, True),
    (MachineKind.CNC, "Shaper Origin #{}", 5, 60, 240, True),
    (MachineKind.PC, "Workstation #{:02d}", 10, 60, 480, False),
    (MachineKind.ELECTRONICS_BENCH, "Soldering bench #{}", 5, 15, 120, False),
    (MachineKind.OTHER, "Vinyl cutter #{}", 5, 30, 120, False),
]


@dataclass
class Database:
    """One benchmark database: a SQLite file or a PostgreSQL database of our own."""

    backend: str
    url: str  # as fabdesk takes it (FABDESK_DATABASE_URL)
    label: str
    pg_admin_url: str | None = None
    pg_name: str | None = None

    @property
    def display(self) -> str:
        return "SQLite" if self.backend == "sqlite" else "PostgreSQL"


@dataclass
class Lab:
    """What the workload needs to know about the generated lab."""

    member_ids: list[int]
    machine_ids: list[int]
    free_machine_ids: list[int]  # bookable without a training
    race_machine_id: int
    race_day: date
    bookings: int
    generated_in_s: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    """A plain postgresql:// DSN for asyncpg from any spelling of the URL."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def postgres_available(admin_url: str) -> str | None:
    """None when PostgreSQL answers and may create databases, else the reason it cannot be used."""
    import asyncpg

    try:
        connection = await asyncio.wait_for(asyncpg.connect(asyncpg_dsn(admin_url)), 5)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    try:
        can_create = await connection.fetchval(
            "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
        )
        return None if can_create else "the role may not create databases (CREATEDB)"
    finally:
        await connection.close()


async def _pg_execute(admin_url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create_database(backend: str, label: str, workdir: Path, pg_admin_url: str | None) -> Database:
    """Create an empty database for one benchmark lab."""
    if backend == "sqlite":
        path = workdir / f"fabdesk_{label}.db"
        return Database("sqlite", f"sqlite+aiosqlite:///{path}", label)
    assert pg_admin_url is not None
    name = f"fabdesk_bench_{label}_{uuid.uuid4().hex[:8]}"
    await _pg_execute(pg_admin_url, f'CREATE DATABASE "{name}"')
    url = make_url(pg_admin_url).set(drivername="postgresql+asyncpg", database=name)
    return Database("postgresql", url.render_as_string(hide_password=False), label, pg_admin_url, name)


async def drop_database(database: Database) -> None:
    """Drop a PostgreSQL benchmark database (SQLite files go with the temporary directory)."""
    if database.backend == "postgresql" and database.pg_admin_url and database.pg_name:
        await _pg_execute(database.pg_admin_url, f'DROP DATABASE IF EXISTS "{database.pg_name}" WITH (FORCE)')


async def migrate(database: Database, env: dict[str, str], cwd: Path) -> None:
    """Bring the database to the latest schema with `fabdesk db upgrade`, as a lab would."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.core.cli",
        "db",
        "upgrade",
        env={**env, "FABDESK_DATABASE_URL": database.url},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    if process.returncode != 0:
        raise RuntimeError(f"fabdesk db upgrade failed: {out.decode(errors='replace')}")


def local(day: date, minute: int) -> datetime:
    """The UTC instant of a local time of day (minutes after midnight)."""
    return local_datetime(day, minute, TZ).astimezone(UTC)


def _machines() -> list[dict[str, object]]:
    rows = []
    for kind, pattern, count, slot, longest, training in MACHINE_PLAN:
        for n in range(1, count + 1):
            rows.append(
                {
                    "name": pattern.format(n),
                    "kind": kind,
                    "location": "Atelier",
                    "description": "",
                    "slot_minutes": slot,
                    "max_booking_minutes": longest,
                    "requires_training": training,
                }
            )
    return rows


def _past_bookings(
    count: int, machines: list[tuple[int, int]], members: list[int], now: datetime, rng: random.Random
) -> list[dict[str, object]]:
    """`count` past bookings, newest first (cheap for SQLite's overlap triggers), never overlapping."""
    rows: list[dict[str, object]] = []
    today = now.astimezone(TZ).date()
    back = 1
    while len(rows) < count:
        day = today - timedelta(days=back)
        for window_start, window_end in reversed(DAY_WINDOWS):
            for machine_id, slot in machines:
                if len(rows) == count:
                    return rows
                span = (window_end - window_start) // slot
                length = slot * rng.randint(1, max(1, span))
                first = window_start + slot * rng.randint(0, span - length // slot)
                start, end = local(day, first), local(day, first + length)
                cancelled = rng.random() < 0.1
                rows.append(
                    {
                        "member_id": rng.choice(members),
                        "machine_id": machine_id,
                        "start_at": start,
                        "end_at": end,
                        "status": BookingStatus.CANCELLED if cancelled else BookingStatus.CONFIRMED,
                        "created_at": start - timedelta(days=rng.randint(1, 10)),
                        "cancelled_at": start - timedelta(hours=2) if cancelled else None,
                        "reminded_at": None if cancelled else start - timedelta(minutes=30),
                    }
                )
        back += 1
    return rows


def _future_bookings(
    machines: list[tuple[int, int]],
    members: list[int],
    now: datetime,
    race: tuple[int, date],
    rng: random.Random,
) -> list[dict[str, object]]:
    """A fixed number of upcoming bookings from tomorrow on, leaving the race slot's day free."""
    today = now.astimezone(TZ).date()
    cells = [
        (machine_id, slot, today + timedelta(days=offset), window)
        for machine_id, slot in machines
        for offset in range(1, 13)
        for window in DAY_WINDOWS
        if (machine_id, today + timedelta(days=offset)) != race
    ]
    rows = []
    for machine_id, slot, day, (window_start, _end) in rng.sample(cells, FUTURE_BOOKINGS):
        length = slot * rng.randint(1, max(1, 90 // slot))
        start, end = local(day, window_start), local(day, window_start + length)
        rows.append(
            {
                "member_id": rng.choice(members),
                "machine_id": machine_id,
                "start_at": start,
                "end_at": end,
                "status": BookingStatus.CONFIRMED,
                "created_at": now - timedelta(days=rng.randint(1, 5)),
            }
        )
    return rows


async def populate(database: Database, *, members: int, history: int, seed: int = 7) -> Lab:
    """Fill a migrated database with the lab; `history` counts every booking (past and upcoming)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    began = asyncio.get_running_loop().time()
    engine = create_engine(database.url)
    try:
        async with engine.begin() as connection:
            for weekday in range(7):
                await connection.execute(
                    insert(OpeningHours),
                    [{"weekday": weekday, "opens_minute": OPENS, "closes_minute": CLOSES}],
                )
            await connection.execute(
                insert(Closure),
                [{"day": now.astimezone(TZ).date() + timedelta(days=10), "reason": "Inventaire"}],
            )
            await connection.execute(insert(Machine), _machines())
            machine_rows = (
                await connection.execute(
                    select(Machine.id, Machine.slot_minutes, Machine.requires_training).order_by(Machine.id)
                )
            ).all()
            await connection.execute(
                insert(Member),
                [
                    {
                        "telegram_id": FIRST_MEMBER_ID + n,
                        "first_name": f"Member{n}",
                        "last_name": rng.choice(["Martin", "Bernard", "Dubois", None]),
                        "username": f"member{n}",
                        "telegram_language": "en",
                        "role": Role.MEMBER,
                        "created_at": now - timedelta(days=400),
                        # Recent enough that the retention job erases nobody during the run.
                        "last_seen_at": now - timedelta(days=rng.randint(0, 20)),
                    }
                    for n in range(members)
                ],
            )
            member_rows = (await connection.execute(select(Member.id).order_by(Member.id))).scalars().all()
            member_ids = list(member_rows)
            # A third of the members are trained on the laser cutters.
            await connection.execute(
                insert(Authorization),
                [
                    {"member_id": member_id, "machine_kind": MachineKind.LASER_CUTTER, "granted_at": now}
                    for member_id in member_ids[::3]
                ],
            )
            free = [(m.id, m.slot_minutes) for m in machine_rows if not m.requires_training]
            everything = [(m.id, m.slot_minutes) for m in machine_rows]
            race = (free[0][0], now.astimezone(TZ).date() + timedelta(days=3))
            future = _future_bookings(everything, member_ids, now, race, rng)
            past = _past_bookings(max(0, history - len(future)), everything, member_ids, now, rng)
            for rows in (past, future):
                for first in range(0, len(rows), CHUNK):
                    await connection.execute(insert(Booking), rows[first : first + CHUNK])
            counts = {
                "members": len(member_ids),
                "machines": len(machine_rows),
                "machines_needing_training": sum(m.requires_training for m in machine_rows),
                "bookings": await connection.scalar(select(func.count()).select_from(Booking)) or 0,
                "upcoming_bookings": len(future),
            }
        if database.backend == "postgresql":
            # A production database has statistics (autovacuum); give them now rather than in a minute.
            async with engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return Lab(
        member_ids=[FIRST_MEMBER_ID + n for n in range(members)],
        machine_ids=[m.id for m in machine_rows],
        free_machine_ids=[machine_id for machine_id, _slot in free],
        race_machine_id=race[0],
        race_day=race[1],
        bookings=counts["bookings"],
        generated_in_s=asyncio.get_running_loop().time() - began,
        counts=counts,
    )


async def add_due_bookings(database: Database, lab: Lab, count: int, lead: timedelta) -> list[int]:
    """Bookings of `count` distinct members starting within the reminder lead, made long before:
    their reminders are all due at once. Return the members' Telegram ids.

    Bookings left in that window by an earlier call are cancelled first.
    """
    now = datetime.now(UTC)
    per_machine = -(-count // len(lab.machine_ids))
    first_start = now + timedelta(minutes=5)
    step = (lead - timedelta(minutes=10)) / per_machine
    engine = create_engine(database.url)
    try:
        async with engine.begin() as connection:
            ids = dict((await connection.execute(select(Member.telegram_id, Member.id))).tuples().all())
            await connection.execute(
                update(Booking)
                .where(Booking.start_at > now, Booking.start_at < now + lead + timedelta(minutes=10))
                .values(status=BookingStatus.CANCELLED, cancelled_at=now)
            )
            telegram_ids = lab.member_ids[:count]
            rows = []
            for n, telegram_id in enumerate(telegram_ids):
                machine_id = lab.machine_ids[n % len(lab.machine_ids)]
                start = first_start + step * (n // len(lab.machine_ids))
                rows.append(
                    {
                        "member_id": ids[telegram_id],
                        "machine_id": machine_id,
                        "start_at": start,
                        "end_at": start + step * 0.9,
                        "status": BookingStatus.CONFIRMED,
                        "created_at": now - timedelta(days=2),
                    }
                )
            await connection.execute(insert(Booking), rows)
    finally:
        await engine.dispose()
    return telegram_ids


async def count_rows(database: Database, query: str, **params: object) -> int:
    """Run a counting query on the benchmark database."""
    engine = create_engine(database.url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(text(query), params) or 0)
    finally:
        await engine.dispose()
