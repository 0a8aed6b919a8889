"""The HTTP transport side by side, in one run (issue 18): httpx (PTB's own) against aiohttp (fabdesk's).

    .venv/bin/python benchmarks/transport.py [--quick] [--history N] [--rounds N] [--pg-url URL]
    .venv/bin/python benchmarks/transport.py --sqlite-drivers [--quick] ...

The bare PTB echo bot, the floor bot (answer + edit, one transaction) and fabdesk with the rate limiter
lifted (bot_with_limiter.py), each over both transports, on SQLite (and PostgreSQL with --pg-url), in
interleaved rounds so that a noisy neighbour hits both transports alike; updates/s and CPU ms per update
(bot plus database backends) printed next to the issue's figures. Writes benchmarks/transport.json.

With --sqlite-drivers: SQLite's two drivers instead, both over aiohttp: the floor bot and fabdesk with
FABDESK_SQLITE_DRIVER=aiosqlite (a hop to aiosqlite's thread and back per statement) and =inline
(models/sqlite_inline.py, on the event loop). Writes benchmarks/sqlite_driver.json.
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
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import lab as labs
from benchmarks import workload
from benchmarks.procs import BotProcess, bot_env, kill_all, plain_env, script_argv
from benchmarks.run import machine_info, say
from benchmarks.workload import Member
from tests.fakebot import FakeBotApi

HERE = Path(__file__).resolve().parent
TRANSPORTS = ("httpx", "aiohttp")
# Issue 18's table (one run, 2 cores, 100k bookings): (SQLite, PostgreSQL) updates/s and CPU ms/update.
ISSUE: dict[tuple[str, str], str] = {
    ("echo", "httpx"): "866 / 896 per s, 1.06–1.08 ms",
    ("echo", "aiohttp"): "2,929 / 3,070 per s, 0.30 ms",
    ("floor", "httpx"): "253 / 322 per s, 2.97–3.77 ms",
    ("floor", "aiohttp"): "886 / 575 per s, 1.05–1.39 ms (with uvloop, no thread hop)",
    ("fabdesk", "httpx"): "127 / 166 per s, 5.75–7.43 ms",
    ("fabdesk", "aiohttp"): "– / 248 per s, 3.85 ms",
}

DRIVERS = ("aiosqlite", "inline")
# The same table's rows for the SQLite driver (SQLite: updates/s, CPU ms/update).
DRIVER_ISSUE: dict[tuple[str, str], str] = {
    ("floor", "aiosqlite"): "253/s, 2.97 ms (httpx, stock)",
    ("floor", "inline"): "886/s, 1.05 ms (aiohttp, uvloop, no thread hop)",
    ("fabdesk", "aiosqlite"): "127/s, 7.43 ms (httpx, stock)",
    ("fabdesk", "inline"): "276/s, 3.50 ms (aiohttp, no thread hop)",
}


async def window(
    label: str,
    argv: list[str],
    env: dict[str, str],
    fake: FakeBotApi,
    workdir: Path,
    member: Member,
    user_ids: list[int],
    warmup: float,
    duration: float,
    database: labs.Database | None,
) -> dict[str, Any]:
    """Start one bot, run the closed loop once, stop it: updates/s and CPU ms/update."""
    bot = BotProcess(label, argv, env, workdir, workdir / f"{label.replace(' ', '_')}.log")
    await bot.start(fake)
    driver = workload.Driver(fake)
    pg = (
        (labs.asyncpg_dsn(database.pg_admin_url), database.pg_name)
        if database is not None and database.backend == "postgresql" and database.pg_admin_url
        else (None, None)
    )
    try:
        phase = await workload.run_phase(
            driver,
            label,
            member,
            workload.members(user_ids),
            warmup=warmup,
            duration=duration,
            rate=None,
            meter=workload.CpuMeter(bot.pid, *pg),
        )
    finally:
        driver.close()
        await bot.stop()
    summary = phase.summary()
    errors = bot.logged_errors()[:5]
    return {
        "updates_per_s": summary["updates_per_s"],
        "cpu_ms_per_update": summary["cpu_ms_per_update"],
        "p99_ms": summary["p99_ms"],
        "unanswered": summary["unanswered"],
        "errors_logged": errors,
    }


def bots(
    database: labs.Database, transport: str, fake: FakeBotApi
) -> dict[str, tuple[list[str], dict[str, str]]]:
    """The three bots of the comparison, over one transport."""
    plain = bot_env(fake)
    return {
        "echo": (script_argv("echo_bot.py", fake.token, fake.base_url, "--transport", transport), plain),
        "floor": (
            script_argv(
                "floor_bot.py",
                fake.token,
                fake.base_url,
                "--database",
                database.url,
                "--transport",
                transport,
            ),
            plain,
        ),
        "fabdesk": (
            script_argv("bot_with_limiter.py", "--overall-max-rate", "0"),
            bot_env(fake, database_url=database.url, transport=transport),
        ),
        # The shipped bot runs on uvloop when installed (FABDESK_EVENT_LOOP=auto); this is it without.
        "fabdesk, asyncio loop": (
            script_argv("bot_with_limiter.py", "--overall-max-rate", "0"),
            bot_env(fake, database_url=database.url, transport=transport, event_loop="asyncio"),
        ),
    }


def driver_bots(
    database: labs.Database, driver: str, fake: FakeBotApi
) -> dict[str, tuple[list[str], dict[str, str]]]:
    """The floor bot and fabdesk on one SQLite driver, over aiohttp."""
    floor = ["--database", database.url, "--transport", "aiohttp", "--sqlite-driver", driver]
    return {
        "floor": (script_argv("floor_bot.py", fake.token, fake.base_url, *floor), bot_env(fake)),
        "fabdesk": (
            script_argv("bot_with_limiter.py", "--overall-max-rate", "0"),
            bot_env(fake, database_url=database.url, transport="aiohttp", sqlite_driver=driver),
        ),
    }


Bots = Callable[[labs.Database, str, FakeBotApi], dict[str, tuple[list[str], dict[str, str]]]]


def flows_of(names: Iterable[str]) -> dict[str, Member]:
    """The closed loop's member for each bot: echo texts, the floor presses, fabdesk books."""
    today = datetime.now(labs.TZ).date()
    fabdesk = workload.fabdesk_member(today.year * 10000 + today.month * 100 + today.day)
    known = {"echo": workload.echo_member, "floor": workload.button_member}
    return {name: known.get(name, fabdesk) for name in names}


async def interleaved(
    database: labs.Database,
    lab: labs.Lab,
    workdir: Path,
    plan: tuple[int, float, float, int],
    variants: tuple[str, ...],
    bots: Bots,
    flows: dict[str, Member],
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every bot in every variant (transport, driver…), `rounds` times, interleaved; `plan` is
    (rounds, warmup, duration, users)."""
    rounds, warmup, duration, users = plan
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for round_ in range(rounds):
        # Alternate which variant goes first, so a drift in the machine's load is shared.
        order = variants if round_ % 2 == 0 else variants[::-1]
        for name in flows:
            for variant in order:
                async with FakeBotApi() as fake:
                    argv, env = bots(database, variant, fake)[name]
                    ids = (
                        lab.member_ids[:users]
                        if name != "echo"
                        else list(range(7_000_000, 7_000_000 + users))
                    )
                    entry = await window(
                        f"{name} {variant} {database.backend}",
                        argv,
                        env,
                        fake,
                        workdir,
                        flows[name],
                        ids,
                        warmup,
                        duration,
                        None if name == "echo" else database,
                    )
                results.setdefault(name, {}).setdefault(variant, []).append(entry)
                say(
                    f"  round {round_ + 1}, {name} over {variant}: {entry['updates_per_s']} updates/s, "
                    f"{entry['cpu_ms_per_update']} CPU ms/update"
                )
    return results


async def measure(
    database: labs.Database,
    lab: labs.Lab,
    workdir: Path,
    rounds: int,
    warmup: float,
    duration: float,
    users: int,
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every bot over every transport, `rounds` times, interleaved."""
    flows = flows_of(["echo", "floor", "fabdesk", "fabdesk, asyncio loop"])
    plan = (rounds, warmup, duration, users)
    return await interleaved(database, lab, workdir, plan, TRANSPORTS, bots, flows)


def table(
    backend: str,
    results: dict[str, dict[str, list[dict[str, Any]]]],
    axis: str = "transport",
    baseline: str = "httpx",
    issue: dict[tuple[str, str], str] = ISSUE,
    issue_header: str = "issue 18 (SQLite / PostgreSQL)",
) -> str:
    """Median of the rounds, the ratio to the baseline variant, and the issue's figures beside them."""
    lines = [
        f"{'bot (' + backend + ')':<22} {axis:<9} {'updates/s (rounds)':<28} {'CPU ms/update':<14} "
        f"{'× ' + baseline:<11} {issue_header}",
        "-" * 130,
    ]
    for name, by_variant in results.items():
        base = statistics.median(run["updates_per_s"] for run in by_variant[baseline])
        for variant, runs in by_variant.items():
            rates = [run["updates_per_s"] for run in runs]
            cpu = [run["cpu_ms_per_update"] for run in runs if run["cpu_ms_per_update"] is not None]
            rate = statistics.median(rates)
            measured = f"{rate:.1f} ({', '.join(str(r) for r in rates)})"
            per_update = f"{statistics.median(cpu):.2f}" if cpu else "–"
            ratio = f"{rate / base:.2f}×" if base else "–"
            figure = issue.get((name, variant), "–")
            lines.append(f"{name:<22} {variant:<9} {measured:<28} {per_update:<14} {ratio:<11} {figure}")
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1k bookings, 5 s windows, 2 rounds")
    parser.add_argument("--history", type=int, help="bookings in the lab (100,000; 1,000 with --quick)")
    parser.add_argument("--rounds", type=int, help="windows per bot and transport (3; 2 with --quick)")
    parser.add_argument("--seconds", type=float, help="length of a window (default 15; 5 with --quick)")
    parser.add_argument("--members", type=int, default=32, help="concurrent members in the closed loop")
    parser.add_argument("--pg-url", help="also on PostgreSQL (an admin URL that may CREATE DATABASE)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only (with --pg-url)")
    parser.add_argument("--sqlite-drivers", action="store_true", help="aiosqlite against inline, SQLite")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    args.json = args.json or HERE / ("sqlite_driver.json" if args.sqlite_drivers else "transport.json")
    history = args.history or (1_000 if args.quick else 100_000)
    rounds = args.rounds or (2 if args.quick else 3)
    seconds = args.seconds or (5.0 if args.quick else 15.0)
    warmup = 2.0
    workdir = Path(tempfile.mkdtemp(prefix="fabdesk-transport-"))
    began = time.monotonic()
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "plan": {"history": history, "rounds": rounds, "seconds": seconds, "warmup_s": warmup},
        "backends": {},
    }
    backends = ([] if args.no_sqlite else ["sqlite"]) + (["postgresql"] if args.pg_url else [])
    if args.sqlite_drivers:
        backends = ["sqlite"]
    tables = []
    try:
        for backend in backends:
            if backend == "postgresql" and (reason := await labs.postgres_available(args.pg_url)):
                say(f"PostgreSQL skipped: {reason}")
                continue
            database = await labs.create_database(backend, "transport", workdir, args.pg_url)
            try:
                await labs.migrate(database, plain_env(), workdir)
                lab = await labs.populate(database, members=1_000, history=history)
                say(f"{database.display}, {history:,} bookings: lab generated in {lab.generated_in_s:.1f}s")
                if args.sqlite_drivers:
                    plan = (rounds, warmup, seconds, args.members)
                    flows = flows_of(["floor", "fabdesk"])
                    measured = await interleaved(database, lab, workdir, plan, DRIVERS, driver_bots, flows)
                    tables.append(
                        table(database.display, measured, "driver", "aiosqlite", DRIVER_ISSUE, "issue 18")
                    )
                else:
                    measured = await measure(database, lab, workdir, rounds, warmup, seconds, args.members)
                    tables.append(table(database.display, measured))
            finally:
                await labs.drop_database(database)
            results["backends"][backend] = measured
            args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    finally:
        kill_all()
    results["duration_s"] = round(time.monotonic() - began)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    machine = results["machine"]
    say(
        f"\n{'SQLite drivers' if args.sqlite_drivers else 'Transport'}, {results['when']}, "
        f"{rounds} rounds of {seconds:g} s, {history:,} bookings, "
        f"in {results['duration_s']}s — {machine['cpu']}, {machine['cores']} cores, "
        f"Python {machine['python']}"
    )
    for text in tables:
        say(text)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
