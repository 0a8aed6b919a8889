"""Replicas: 2 and 3 `fabdesk run` in webhook mode behind a round-robin proxy, on one PostgreSQL.

    .venv/bin/python benchmarks/replicas.py --pg postgresql://fabdesk:fabdesk@127.0.0.1/postgres
    .venv/bin/python benchmarks/replicas.py --pg … --replicas 2 --throughput-s 10     # a shorter look

The fake Bot API enforces Telegram's limits (30 messages/s per bot, 1/s per chat, 20/min per group)
and posts every update to a proxy that hands it to the replicas in turn (tests/proxy.py, what nginx's
`upstream` does). Each replica runs with FABDESK_REPLICAS set to their number: its share of the
bot-wide budget. Measured:

- Delivery: 1,000 reminders and 300 outbox messages fall due at once (the outbox messages go to
  members who also get a reminder, so the chats' pace is shared too); each must be delivered exactly
  once, with zero 429s. Then again with one replica killed (SIGKILL) once a third has gone out: none
  lost, at most the killed replica's in-flight messages twice. And once more as the replicas sent
  before FABDESK_REPLICAS (each at Telegram's whole 29/s), to show what the share prevents.
- Throughput: the member workload (benchmarks/workload.py: browse, book, list, cancel; 32 members in
  a closed loop) through the proxy, with the rate limiter lifted, for 1, 2 and 3 replicas.

Targets (issue 14): delivered once each (zero twice, zero lost), zero 429s; killed: zero lost, at
most the in-flight messages twice. Throughput is reported, not targeted (2 cores here).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import lab as labs
from benchmarks.procs import BotProcess, bot_env, fabdesk_argv, kill, plain_env, script_argv
from benchmarks.workload import CpuMeter, Driver, fabdesk_member, members, run_phase
from models import outbox
from models.db import create_engine, session_factory
from models.machines import Authorized
from tests.fakebot import ApiCall, FakeBotApi, FloodLimits
from tests.proxy import PATH, RoundRobin, free_port

REMINDERS = 1_000
OUTBOX = 300
LEAD = timedelta(minutes=60)
SECRET = "Replicas_bench_s3cret_0123456789"
SHARED, KILLED, UNSHARED = "shared budget", "shared, one killed", "before: each 29/s"
VARIANTS = (SHARED, KILLED, UNSHARED)  # the last one is what a replica did before FABDESK_REPLICAS


class Tally:
    """What Telegram accepted, per reminder chat and per outbox message; every 429."""

    def __init__(self, tag: str) -> None:
        self.tag = tag  # in the outbox messages' text: this run's, not an earlier run's
        self.reminders: Counter[int] = Counter()
        self.notices: Counter[str] = Counter()
        self.refused = 0
        self.first = self.last = 0.0

    def on_call(self, call: ApiCall) -> None:
        if call.status == 429:
            self.refused += 1
        if call.method != "sendMessage" or not call.ok:
            return
        text = call.text or ""
        if "Reminder" in text and call.chat_id is not None:
            self.reminders[call.chat_id] += 1
        elif self.tag in text:
            self.notices[text[text.index(self.tag) :].split()[0]] += 1
        else:
            return
        self.first = self.first or call.time
        self.last = call.time

    @property
    def delivered(self) -> int:
        return len(self.reminders) + len(self.notices)

    def summary(self, reminded: list[int]) -> dict[str, Any]:
        twice = sum(1 for n in self.reminders.values() if n > 1) + sum(
            1 for n in self.notices.values() if n > 1
        )
        span = self.last - self.first
        return {
            "reminders_delivered": len(self.reminders),
            "outbox_delivered": len(self.notices),
            "lost": len(set(reminded) - set(self.reminders)) + OUTBOX - len(self.notices),
            "twice": twice,
            "refused_429": self.refused,
            "messages_per_s": round((sum(self.reminders.values()) + sum(self.notices.values())) / span, 1)
            if span
            else None,
        }


def _replica(
    fake: FakeBotApi,
    database: labs.Database,
    workdir: Path,
    n: int,
    declared: int,
    public: str,
    argv: list[str],
    label: str,
) -> BotProcess:
    port = free_port()
    env = bot_env(
        fake,
        database_url=database.url,
        reminder_minutes=str(int(LEAD.total_seconds() // 60)),
        reminder_interval_seconds="5",
        webhook_url=public,
        webhook_secret=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=str(port),
        replicas=str(declared),
    )
    log = workdir / f"{label}_replica{n}.log"
    return BotProcess(f"{label} replica {n}", argv, env, workdir, log, webhook_port=port)


@contextlib.asynccontextmanager
async def replicas(
    fake: FakeBotApi,
    database: labs.Database,
    workdir: Path,
    count: int,
    label: str,
    argv: list[str],
    declared: int | None = None,
) -> Any:
    """`count` replicas behind a round-robin proxy that the fake posts updates to, each told there
    are `declared` (FABDESK_REPLICAS; by default, as many as there are)."""
    proxy_port = free_port()
    public = f"http://127.0.0.1:{proxy_port}{PATH}"
    bots = [
        _replica(fake, database, workdir, n, declared or count, public, argv, label) for n in range(count)
    ]
    proxy = RoundRobin([bot.webhook_port or 0 for bot in bots])
    async with proxy.serving(proxy_port):
        try:
            for bot in bots:
                await bot.start(fake)
            yield bots
        finally:
            for bot in bots:
                await bot.stop()


async def _queue_outbox(database: labs.Database, chats: list[int], tag: str) -> None:
    engine = create_engine(database.url)
    try:
        async with session_factory(engine).begin() as session:
            now = datetime.now(UTC)
            for n, chat in enumerate(chats):
                outbox.enqueue(session, chat_id=chat, notice=Authorized(machine=f"{tag}{n:03d}"), now=now)
    finally:
        await engine.dispose()


async def delivery(
    database: labs.Database, lab: labs.Lab, workdir: Path, count: int, variant: str
) -> dict[str, Any]:
    """1,000 reminders and 300 outbox messages due at once, sent by `count` replicas (VARIANTS)."""
    kill_one = variant == KILLED
    tag = f"Lot{count}{variant[0]}-"
    tally = Tally(tag)
    label = f"deliver{count}_{variant[0]}"
    declared = 1 if variant == UNSHARED else count
    async with FakeBotApi(flood_limits=FloodLimits()) as fake:
        fake.listeners.append(tally.on_call)
        async with replicas(fake, database, workdir, count, label, fabdesk_argv(), declared) as bots:
            began = time.monotonic()
            reminded = await labs.add_due_bookings(database, lab, REMINDERS, LEAD)
            await _queue_outbox(database, lab.member_ids[:OUTBOX], tag)
            killed_at = None
            deadline = began + 3 * (REMINDERS + OUTBOX) / 29 + 60
            while tally.delivered < REMINDERS + OUTBOX and time.monotonic() < deadline:
                if kill_one and killed_at is None and tally.delivered >= (REMINDERS + OUTBOX) // 3:
                    kill(bots[0].pid)  # SIGKILL, mid-send
                    killed_at = tally.delivered
                await asyncio.sleep(0.02)
            took = time.monotonic() - began
            await asyncio.sleep(3)  # a message sent twice would show by now
            errors = [line for bot in bots[kill_one:] for line in bot.logged_errors()]
    entry = {"replicas": count, "variant": variant, "took_s": round(took, 1), **tally.summary(reminded)}
    entry["killed_after"] = killed_at
    entry["errors"] = errors[:5]
    return entry


class Meters:
    """CPU of every replica, as one meter for run_phase."""

    def __init__(self, pids: list[int]) -> None:
        self.meters = [CpuMeter(pid) for pid in pids]

    async def start(self) -> None:
        for meter in self.meters:
            await meter.start()

    async def stop(self) -> tuple[float, float]:
        spent = [await meter.stop() for meter in self.meters]
        return sum(bot for bot, _ in spent), 0.0


async def throughput(
    database: labs.Database, lab: labs.Lab, workdir: Path, count: int, seconds: float
) -> dict[str, Any]:
    """The member workload's closed loop through the proxy, the limiter lifted, `count` replicas."""
    today = datetime.now(labs.TZ).date()
    member = fabdesk_member(today.year * 10000 + today.month * 100 + today.day)
    argv = script_argv("bot_with_limiter.py", "--overall-max-rate", "0")
    async with (
        FakeBotApi() as fake,
        replicas(fake, database, workdir, count, f"throughput{count}", argv) as bots,
    ):
        driver = Driver(fake)
        try:
            users = members(lab.member_ids[REMINDERS : REMINDERS + 32])
            meter = Meters([bot.pid for bot in bots])
            phase = await run_phase(
                driver, f"{count} replicas", member, users, warmup=3, duration=seconds, rate=None, meter=meter
            )
        finally:
            driver.close()
        errors = [line for bot in bots for line in bot.logged_errors()]
    entry = phase.summary()
    return {
        "replicas": count,
        "updates_per_s": entry["updates_per_s"],
        "p50_ms": entry["p50_ms"],
        "p99_ms": entry["p99_ms"],
        "unanswered": entry["unanswered"],
        "cpu_ms_per_update": entry["cpu_ms_per_update"],
        "errors": errors[:5],
    }


def _verdict(entry: dict[str, Any]) -> str:
    if entry["variant"] == UNSHARED:
        return "(not shipped)"
    if entry["lost"] or entry["refused_429"]:
        return "MISSED"
    allowed = 20 if entry["variant"] == KILLED else 0  # the killed replica's claimed batch, at most
    return "met" if entry["twice"] <= allowed else "MISSED"


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", required=True, help="a PostgreSQL admin URL (CREATEDB)")
    parser.add_argument("--replicas", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--throughput", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--throughput-s", type=float, default=15.0)
    args = parser.parse_args(argv)
    deliveries, speeds = [], []
    with tempfile.TemporaryDirectory(prefix="fabdesk-replicas-") as folder:
        workdir = Path(folder)
        database = await labs.create_database("postgresql", "replicas", workdir, args.pg)
        try:
            await labs.migrate(database, plain_env(), workdir)
            lab = await labs.populate(database, members=REMINDERS + 100, history=1000)
            for count in args.replicas:
                for variant in VARIANTS:
                    entry = await delivery(database, lab, workdir, count, variant)
                    deliveries.append(entry)
                    print(f"  delivery, {count} replicas, {variant}: {entry}", flush=True)
            for count in args.throughput:
                entry = await throughput(database, lab, workdir, count, args.throughput_s)
                speeds.append(entry)
                print(f"  throughput, {count} replicas: {entry}", flush=True)
        finally:
            with contextlib.suppress(Exception):
                await labs.drop_database(database)
    print()
    print(
        f"Delivery on PostgreSQL, webhook replicas: {REMINDERS} reminders + {OUTBOX} outbox messages "
        "due at once"
    )
    header = (
        f"{'replicas':>8}  {'budget':<19} {'reminders':>9} {'outbox':>6} {'lost':>4} {'twice':>5} "
        f"{'429s':>4} {'msgs/s':>6} {'took s':>6}  target"
    )
    print(header)
    print("-" * len(header))
    for e in deliveries:
        print(
            f"{e['replicas']:>8}  {e['variant']:<19} {e['reminders_delivered']:>9} "
            f"{e['outbox_delivered']:>6} {e['lost']:>4} {e['twice']:>5} {e['refused_429']:>4} "
            f"{e['messages_per_s'] or '-':>6} {e['took_s']:>6}  {_verdict(e)}"
        )
    print(
        "Targets: zero lost, zero twice (one killed: at most its in-flight batch twice), no 429. "
        "Shared: FABDESK_REPLICAS=N, 29/N messages/s each; before: FABDESK_REPLICAS=1 in every replica"
    )
    if speeds:
        print()
        print("Member workload through the proxy, limiter lifted (32 members, closed loop)")
        header = (
            f"{'replicas':>8}  {'updates/s':>9} {'× 1 replica':>11} {'p50/p99 ms':>15} {'CPU ms/update':>13}"
        )
        print(header)
        print("-" * len(header))
        for e in speeds:
            ratio = e["updates_per_s"] / speeds[0]["updates_per_s"] if speeds[0]["updates_per_s"] else 0
            latency = f"{e['p50_ms']}/{e['p99_ms']}"
            print(
                f"{e['replicas']:>8}  {e['updates_per_s']:>9} {ratio:>10.2f}× {latency:>15} "
                f"{e['cpu_ms_per_update']:>13}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
