"""SQL statements per update, per action and as the mix's average: the traced bot alone, one update at a time.

    .venv/bin/python benchmarks/statements.py [--db sqlite|postgresql|both] [--seconds 20] [--history 1000]

The per-update anatomy of run.py (its full run only), without the rest of the run: a few minutes at most.
"Mix average" is every statement run for an update divided by the updates, over the member workload's mix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import lab as labs
from benchmarks.procs import kill_all, plain_env
from benchmarks.run import DEFAULT_PG_URL, Plan, anatomy, say

NO_UPDATE = "(no update: jobs, start-up)"


def mix_average(actions: dict[str, dict[str, Any]]) -> float:
    """Statements per update over the whole mix (jobs and start-up left out)."""
    counted = {name: entry for name, entry in actions.items() if name != NO_UPDATE}
    updates = sum(entry["updates"] for entry in counted.values())
    statements = sum(entry["statements_per_update"] * entry["updates"] for entry in counted.values())
    return round(statements / updates, 2) if updates else 0.0


async def measure(backend: str, seconds: float, history: int, pg_url: str, workdir: Path) -> dict[str, Any]:
    plan = Plan.make(False, 1, 10.0)
    plan = Plan(**{**plan.__dict__, "anatomy_s": seconds})
    database = await labs.create_database(
        backend, f"st{history // 1000}k", workdir, pg_url if backend == "postgresql" else None
    )
    try:
        await labs.migrate(database, plain_env(), workdir)
        lab = await labs.populate(database, members=plan.lab_members, history=history)
        result = await anatomy(plan, workdir, database, lab, f"{backend}_statements")
    finally:
        await labs.drop_database(database)
    result["mix_average"] = mix_average(result["actions"])
    return result


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("FABDESK_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--history", type=int, default=1_000)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--top", type=int, default=0, help="also print the N statements run most often")
    parser.add_argument("--show", action="store_true", help="also print one update's statements per action")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    workdir = Path(tempfile.mkdtemp(prefix="fabdesk-statements-"))
    results: dict[str, Any] = {}
    try:
        for backend in backends:
            if backend == "postgresql" and (reason := await labs.postgres_available(args.pg_url)):
                say(f"PostgreSQL skipped: {reason}")
                continue
            results[backend] = await measure(backend, args.seconds, args.history, args.pg_url, workdir)
    finally:
        kill_all()
        shutil.rmtree(workdir, ignore_errors=True)
    names = sorted({name for r in results.values() for name in r["actions"] if name != NO_UPDATE})
    say("Action (statements per update)  " + "  ".join(f"{b:>10}" for b in results))
    for name in names:
        cells = [
            f"{r['actions'].get(name, {}).get('statements_per_update', '-'):>10}" for r in results.values()
        ]
        say(f"{name:<32} " + "  ".join(cells))
    say(f"{'mix average':<32} " + "  ".join(f"{r['mix_average']:>10}" for r in results.values()))
    for backend, r in results.items():
        latency = r["latency"]
        say(f"{backend}: {latency['updates']} updates, CPU {latency['cpu_ms_per_update']} ms/update")
        for top in r["most_run_statements"][: args.top]:
            say(f"  {top['count']:>5}× {top['total_ms']:>8} ms  {top['sql']}")
        if args.show:
            for name in names:
                say(f"  {name}:")
                for sql in r["actions"].get(name, {}).get("sample", []):
                    say(f"      {sql[:150]}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
