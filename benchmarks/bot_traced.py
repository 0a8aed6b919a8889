"""`fabdesk run` recording what each update costs: SQL statements, their time, API calls, wall time.

Diagnosis only. Run it with FABDESK_CONCURRENT_UPDATES=1 so one update is handled at a time;
the figures are written as JSON to the path in FABDESK_BENCH_TRACE when the bot stops.
Nothing in bot/ is changed: SQLAlchemy events and two wrapped PTB methods do the counting.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from telegram import Bot, Update
from telegram.ext import Application, ExtBot

CURRENT = {"action": "(no update: jobs, start-up)"}
PER_ACTION: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
PER_STATEMENT: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
# The statements of the last update seen of each action, in order (what `statements.py --show` prints).
SAMPLE: dict[str, list[str]] = {}
RUNNING: list[str] = []


def action_of(update: object) -> str:
    """The update's command or button action, without its numeric arguments."""
    if isinstance(update, Update):
        if update.callback_query is not None:
            return ":".join(p for p in str(update.callback_query.data).split(":") if not p.isdigit())
        if update.effective_message is not None and (update.effective_message.text or "").startswith("/"):
            return (update.effective_message.text or "").split()[0]
    return "other"


@event.listens_for(Engine, "before_cursor_execute")
def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    conn.info.setdefault("fabdesk_bench_started", []).append(time.perf_counter())


@event.listens_for(Engine, "after_cursor_execute")
def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    elapsed = time.perf_counter() - conn.info["fabdesk_bench_started"].pop()
    action = PER_ACTION[CURRENT["action"]]
    action["statements"] += 1
    action["sql_s"] += elapsed
    key = " ".join(statement.split())[:160]
    RUNNING.append(key)
    PER_STATEMENT[key]["count"] += 1
    PER_STATEMENT[key]["s"] += elapsed


def _wrap() -> None:
    process_update = Application.process_update
    post = ExtBot._post

    async def traced_process_update(self: Application, update: object) -> None:  # type: ignore[type-arg]
        CURRENT["action"] = action_of(update)
        RUNNING.clear()
        began = time.perf_counter()
        try:
            await process_update(self, update)
        finally:
            entry = PER_ACTION[CURRENT["action"]]
            entry["updates"] += 1
            entry["wall_s"] += time.perf_counter() - began
            SAMPLE[CURRENT["action"]] = list(RUNNING)
            CURRENT["action"] = "(no update: jobs, start-up)"

    async def traced_post(self: Bot, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        if endpoint != "getUpdates":
            PER_ACTION[CURRENT["action"]]["api_calls"] += 1
        return await post(self, endpoint, *args, **kwargs)  # type: ignore[arg-type]

    Application.process_update = traced_process_update  # type: ignore[method-assign]
    ExtBot._post = traced_post  # type: ignore[method-assign,assignment]


def dump(path: Path) -> None:
    """Write the per-action and per-statement figures."""
    actions = {}
    for name, entry in sorted(PER_ACTION.items()):
        updates = entry.get("updates", 0) or 1
        actions[name] = {
            "updates": int(entry.get("updates", 0)),
            "statements_per_update": round(entry.get("statements", 0) / updates, 1),
            "sql_ms_per_update": round(entry.get("sql_s", 0) * 1000 / updates, 2),
            "wall_ms_per_update": round(entry.get("wall_s", 0) * 1000 / updates, 2),
            "api_calls_per_update": round(entry.get("api_calls", 0) / updates, 1),
            "sample": SAMPLE.get(name, []),
        }
    statements = sorted(PER_STATEMENT.items(), key=lambda item: -item[1]["s"])[:15]
    path.write_text(
        json.dumps(
            {
                "actions": actions,
                "top_statements": [
                    {"sql": sql, "count": int(v["count"]), "total_ms": round(v["s"] * 1000, 1)}
                    for sql, v in statements
                ],
                "most_run_statements": [
                    {"sql": sql, "count": int(v["count"]), "total_ms": round(v["s"] * 1000, 1)}
                    for sql, v in sorted(PER_STATEMENT.items(), key=lambda item: -item[1]["count"])[:25]
                ],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    _wrap()
    from bot.core.cli import main

    try:
        code = main(["run"])
    finally:
        dump(Path(os.environ["FABDESK_BENCH_TRACE"]))
    sys.exit(code)
