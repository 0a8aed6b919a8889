"""The last seat of a session: 50 members sign up at the same instant (issue 17).

    .venv/bin/python benchmarks/sessions_rush.py                 # SQLite
    .venv/bin/python benchmarks/sessions_rush.py --pg postgresql://fabdesk:fabdesk@127.0.0.1/postgres

A workshop of 10 seats has 9 taken; 50 members press Sign up at once, each in its own transaction
as the bot handles an update (models/sessions.py: sign_up). Target: exactly one gets the seat, the
49 others are on the waitlist in order, and the whole rush is answered within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import lab as labs
from benchmarks.procs import plain_env
from models import members
from models import sessions as lab_sessions
from models.db import create_engine, session_factory
from models.members import Member
from models.sessions import SessionKind, SignUpStatus

RACERS = 50
SEATS = 10
TARGET_S = 1.0


async def measure(backend: str, workdir: Path, pg: str | None) -> dict[str, Any]:
    database = await labs.create_database(backend, "sessions", workdir, pg)
    try:
        await labs.migrate(database, plain_env(), workdir)
        engine = create_engine(database.url)
        sessions = session_factory(engine)
        now = datetime.now(UTC)

        async def member(session: Any, n: int, manager: bool = False) -> Member:
            return await members.register(
                session,
                telegram_id=10_000 + n,
                first_name=f"Member {n}",
                last_name=None,
                username=None,
                telegram_language="fr",
                manager_ids=[10_000 + n] if manager else [],
                now=now,
            )

        async with sessions.begin() as session:
            manager = await member(session, 0, manager=True)
            workshop = await lab_sessions.plan(
                session,
                manager,
                kind=SessionKind.WORKSHOP,
                title="Atelier découpe laser",
                start=now + timedelta(days=3),
                end=now + timedelta(days=3, hours=2),
                seats=SEATS,
                now=now,
            )
            for n in range(1, SEATS):
                await lab_sessions.sign_up(session, await member(session, n), workshop.id, now)
            racer_ids = [(await member(session, 100 + n)).id for n in range(RACERS)]

        latencies: list[float] = []

        async def attempt(member_id: int) -> SignUpStatus:
            began = time.perf_counter()
            async with sessions.begin() as session:
                racer = await session.get(Member, member_id)
                assert racer is not None
                status = (await lab_sessions.sign_up(session, racer, workshop.id, now)).signup.status
            latencies.append(time.perf_counter() - began)
            return status

        began = time.perf_counter()
        outcomes = await asyncio.gather(*(attempt(m) for m in racer_ids))
        wall = time.perf_counter() - began
        async with sessions() as session:
            taken = await lab_sessions.seats_taken(session, workshop.id)
        await engine.dispose()
        return {
            "backend": database.display,
            "seated": outcomes.count(SignUpStatus.SIGNED_UP),
            "waitlisted": outcomes.count(SignUpStatus.WAITLISTED),
            "taken": taken,
            "wall_s": wall,
            "p50_ms": 1000 * statistics.median(latencies),
            "max_ms": 1000 * max(latencies),
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
    print(f"{RACERS} sign-ups at once for the last of {SEATS} seats")
    head = (
        f"{'database':12} {'seated':>6} {'waiting':>7} {'seats':>5} {'wall s':>7} {'p50 ms':>7} {'max ms':>7}"
    )
    print(head + "  target")
    failed = False
    for r in results:
        exact = r["seated"] == 1 and r["waitlisted"] == RACERS - 1 and r["taken"] == SEATS
        ok = exact and r["wall_s"] <= TARGET_S
        failed |= not exact
        print(
            f"{r['backend']:12} {r['seated']:6} {r['waitlisted']:7} {r['taken']:5} {r['wall_s']:7.2f} "
            f"{r['p50_ms']:7.0f} {r['max_ms']:7.0f}  "
            f"one seat, {RACERS - 1} waiting, ≤ {TARGET_S:.0f} s: {'met' if ok else 'MISSED'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
