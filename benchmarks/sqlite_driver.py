"""SQLite's two drivers side by side, in one run (issue 18): aiosqlite's thread against inline on the loop.

    .venv/bin/python benchmarks/sqlite_driver.py [--quick] [--history N] [--rounds N] [--seconds S]

The floor bot (answer + edit, one transaction) and fabdesk with the rate limiter lifted, on one SQLite
lab, each with FABDESK_SQLITE_DRIVER=aiosqlite (a hop to aiosqlite's thread and back per statement) and
=inline (models/sqlite_inline.py), both over the aiohttp transport, in interleaved rounds (which driver
goes first alternates) so that a noisy neighbour hits both alike; updates/s and CPU ms per update.
Writes benchmarks/sqlite_driver.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import lab as labs
from benchmarks import workload
from benchmarks.procs import bot_env, kill_all, plain_env, script_argv
from benchmarks.run import machine_info, say
from benchmarks.transport import window
from benchmarks.workload import Member
from tests.fakebot import FakeBotApi

HERE = Path(__file__).resolve().parent
DRIVERS = ("aiosqlite", "inline")
TRANSPORT = "aiohttp"


def bots(
    database: labs.Database, driver: str, fake: FakeBotApi
) -> dict[str, tuple[list[str], dict[str, str]]]:
    """The two bots of the comparison, on one SQLite driver."""
    return {
        "floor": (
            script_argv(
                "floor_bot.py",
                fake.token,
                fake.base_url,
                "--database",
                database.url,
                "--transport",
                TRANSPORT,
                "--sqlite-driver",
                driver,
            ),
            bot_env(fake),
        ),
        "fabdesk": (
            script_argv("bot_with_limiter.py", "--overall-max-rate", "0"),
            bot_env(fake, database_url=database.url, transport=TRANSPORT, sqlite_driver=driver),
        ),
    }


async def measure(
    database: labs.Database,
    lab: labs.Lab,
    workdir: Path,
    rounds: int,
    warmup: float,
    duration: float,
    users: int,
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every bot on every driver, `rounds` times, interleaved."""
    today = datetime.now(labs.TZ).date()
    flows: dict[str, Member] = {
        "floor": workload.button_member,
        "fabdesk": workload.fabdesk_member(today.year * 10000 + today.month * 100 + today.day),
    }
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for round_ in range(rounds):
        order = DRIVERS if round_ % 2 == 0 else DRIVERS[::-1]
        for name, flow in flows.items():
            for driver in order:
                async with FakeBotApi() as fake:
                    argv, env = bots(database, driver, fake)[name]
                    entry = await window(
                        f"{name} {driver}",
                        argv,
                        env,
                        fake,
                        workdir,
                        flow,
                        lab.member_ids[:users],
                        warmup,
                        duration,
                        database,
                    )
                results.setdefault(name, {}).setdefault(driver, []).append(entry)
                say(
                    f"  round {round_ + 1}, {name} on {driver}: {entry['updates_per_s']} updates/s, "
                    f"{entry['cpu_ms_per_update']} CPU ms/update"
                )
    return results


def table(results: dict[str, dict[str, list[dict[str, Any]]]]) -> str:
    """Median of the rounds, and the ratio inline ÷ aiosqlite."""
    lines = [
        f"{'bot (SQLite)':<10} {'driver':<10} {'updates/s (rounds)':<30} {'CPU ms/update (rounds)':<28} "
        "× aiosqlite",
        "-" * 96,
    ]
    for name, by_driver in results.items():
        base = statistics.median(run["updates_per_s"] for run in by_driver["aiosqlite"])
        for driver, runs in by_driver.items():
            rates = [run["updates_per_s"] for run in runs]
            cpu = [run["cpu_ms_per_update"] for run in runs if run["cpu_ms_per_update"] is not None]
            rate = statistics.median(rates)
            measured = f"{rate:.1f} ({', '.join(str(r) for r in rates)})"
            per_update = f"{statistics.median(cpu):.2f} ({', '.join(str(c) for c in cpu)})" if cpu else "–"
            ratio = f"{rate / base:.2f}×" if base else "–"
            lines.append(f"{name:<10} {driver:<10} {measured:<30} {per_update:<28} {ratio}")
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1k bookings, 5 s windows, 2 rounds")
    parser.add_argument("--history", type=int, help="bookings in the lab (100,000; 1,000 with --quick)")
    parser.add_argument("--rounds", type=int, help="windows per bot and driver (3; 2 with --quick)")
    parser.add_argument("--seconds", type=float, help="length of a window (default 15; 5 with --quick)")
    parser.add_argument("--members", type=int, default=32, help="concurrent members in the closed loop")
    parser.add_argument("--json", type=Path, default=HERE / "sqlite_driver.json")
    args = parser.parse_args(argv)
    history = args.history or (1_000 if args.quick else 100_000)
    rounds = args.rounds or (2 if args.quick else 3)
    seconds = args.seconds or (5.0 if args.quick else 15.0)
    warmup = 2.0
    workdir = Path(tempfile.mkdtemp(prefix="fabdesk-sqlite-driver-"))
    began = time.monotonic()
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "plan": {"history": history, "rounds": rounds, "seconds": seconds, "warmup_s": warmup},
    }
    try:
        database = await labs.create_database("sqlite", "sqlite-driver", workdir, None)
        try:
            await labs.migrate(database, plain_env(), workdir)
            lab = await labs.populate(database, members=1_000, history=history)
            say(f"{database.display}, {history:,} bookings: lab generated in {lab.generated_in_s:.1f}s")
            results["sqlite"] = await measure(database, lab, workdir, rounds, warmup, seconds, args.members)
        finally:
            await labs.drop_database(database)
    finally:
        kill_all()
    results["duration_s"] = round(time.monotonic() - began)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    machine = results["machine"]
    say(
        f"\nSQLite drivers, {results['when']}, {rounds} rounds of {seconds:g} s, {history:,} bookings, "
        f"in {results['duration_s']}s — {machine['cpu']}, {machine['cores']} cores, "
        f"Python {machine['python']}"
    )
    say(table(results["sqlite"]))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
