"""The Mini App's week grid: 50 machines × 7 days at 100k bookings of history (issue 15).

    .venv/bin/python benchmarks/week_grid.py                 # SQLite
    .venv/bin/python benchmarks/week_grid.py --pg postgresql://fabdesk:fabdesk@127.0.0.1/postgres

Measures the server time of models/planning.py: week (one transaction, as one API call), and the
number of SQL statements it runs. Target: ≤ 50 ms, one query per table read. The verdict is on the
wall-clock median; the process's CPU time is printed beside it, as on a shared machine another
process's work shows up in the wall clock (on PostgreSQL the server's own CPU is not in it).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select

from benchmarks import lab as labs
from benchmarks.procs import plain_env
from models import planning
from models.bookings import BookingRules
from models.db import create_engine, session_factory
from models.members import Member

TARGET_MS = 50.0
RUNS = 30


async def measure(backend: str, workdir: Path, pg: str | None) -> dict[str, Any]:
    database = await labs.create_database(backend, "week", workdir, pg)
    try:
        await labs.migrate(database, plain_env(), workdir)
        lab = await labs.populate(database, members=300, history=100_000)
        engine = create_engine(database.url)
        statements = 0

        def count(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        sessions = session_factory(engine)
        rules = BookingRules(tz=labs.TZ, horizon_days=14)
        now = datetime.now(UTC)
        timings, cpu = [], []
        async with sessions() as session:
            member = await session.scalar(select(Member).where(Member.telegram_id == lab.member_ids[0]))
            assert member is not None
        for _ in range(RUNS):
            statements = 0
            began, began_cpu = time.perf_counter(), time.process_time()
            async with sessions.begin() as session:
                plan = await planning.week(session, member, planning.week_monday(rules, now), rules)
            timings.append(1000 * (time.perf_counter() - began))
            cpu.append(1000 * (time.process_time() - began_cpu))
        await engine.dispose()
        return {
            "backend": database.display,
            "bookings": lab.bookings,
            "machines": len(plan.machines),
            "busy": len(plan.busy),
            "statements": statements,
            "p50_ms": statistics.median(timings),
            "max_ms": max(timings),
            "cpu_ms": statistics.median(cpu),
        }
    finally:
        await labs.drop_database(database)


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", help="a PostgreSQL URL whose role may create databases")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        results.append(await measure("sqlite", Path(workdir), None))
        if args.pg:
            results.append(await measure("postgresql", Path(workdir), args.pg))
    print(f"{'Week grid (planning.week)':28} {'p50 ms':>8} {'max ms':>8} {'cpu ms':>8} {'SQL':>4}  target")
    for r in results:
        ok = "met" if r["p50_ms"] <= TARGET_MS else "MISSED"
        print(
            f"{r['backend']:28} {r['p50_ms']:8.1f} {r['max_ms']:8.1f} {r['cpu_ms']:8.1f} "
            f"{r['statements']:4}  "
            f"≤ {TARGET_MS:.0f} ms {ok}  ({r['machines']} machines, {r['busy']} busy, "
            f"{r['bookings']} bookings)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
