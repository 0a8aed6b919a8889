"""Rush: hundreds of members pressing a button at once while the outbox is sending reminders.

    .venv/bin/python benchmarks/rush.py                      # 200 and 400 members, SQLite
    .venv/bin/python benchmarks/rush.py --members 200 --pg postgresql://fabdesk:fabdesk@127.0.0.1/postgres

The fake Bot API enforces Telegram's limits (30 messages/s per bot, 1/s per chat, 20/min per group;
edits and answers to presses are not counted, as on Telegram). Each member has the main menu on
screen (sent by /start before the rush); 300 reminders fall due and the outbox starts sending them;
then every member taps "Book a machine" at the same moment. Measured per press: the time until
Telegram gets the answer to the press (answerCallbackQuery: the spinner stops) and until the
member's screen is edited. The shipped bot (two lanes, bot/core/lanes.py) runs next to the limiter
it replaced (PTB's AIORateLimiter, one message every 1/29 s, edits included), and the shipped bot with
each screen answering its own press (FABDESK_PRESS_ANSWER_SECONDS=0, as before bot/core/presses.py), in
the same run.

Targets (issue 14): answer p95 ≤ 1 s, screen p95 ≤ 3 s, zero 429s, zero presses unanswered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import lab as labs
from benchmarks.procs import BotProcess, bot_env, fabdesk_argv, plain_env, script_argv
from benchmarks.workload import members as fake_members
from benchmarks.workload import percentile
from tests.fakebot import ApiCall, FakeBotApi, FloodLimits

BULK = 300  # reminders due when the rush starts
TARGETS = {"answer_p95_s": 1.0, "screen_p95_s": 3.0}
# Each bot: its settings, and the script's arguments for a bot with PTB's own limiter (None: fabdesk).
VARIANTS: dict[str, tuple[dict[str, str], list[str] | None]] = {
    "shipped (answer first, two lanes)": ({}, None),
    "shipped on Python's asyncio loop": ({"event_loop": "asyncio"}, None),
    "screen answers its press, two lanes": ({"press_answer_seconds": "0", "event_loop": "asyncio"}, None),
    "before (AIORateLimiter, 1/29 s)": (
        {"press_answer_seconds": "0", "event_loop": "asyncio"},
        ["--overall-max-rate", "1", "--overall-time-period", str(1 / 29)],
    ),
}


@dataclass
class Press:
    pushed: float
    query_id: str
    answered: float | None = None
    screen: float | None = None


@dataclass
class Recorder:
    """Times of each press's answer and screen edit, and every 429."""

    presses: dict[int, Press] = field(default_factory=dict)  # by chat
    by_query: dict[str, Press] = field(default_factory=dict)
    refused: int = 0
    reminders: int = 0
    refusals: list[str] = field(default_factory=list)  # each 429: what, and the chat's previous message
    last_sent: dict[int, float] = field(default_factory=dict)  # by chat

    def on_call(self, call: ApiCall) -> None:
        if call.status == 429:
            self.refused += 1
            previous = self.last_sent.get(call.chat_id or 0)
            gap = f"{call.time - previous:.3f} s after its last message" if previous else "first message"
            self.refusals.append(f"{call.method} to chat {call.chat_id}, {gap}")
        elif call.ok and call.chat_id is not None and call.method.startswith("send"):
            self.last_sent[call.chat_id] = call.time
        if call.method == "answerCallbackQuery":
            press = self.by_query.get(str(call.params.get("callback_query_id")))
            if press is not None and press.answered is None:
                press.answered = call.time
        elif call.method == "editMessageText" and call.chat_id is not None:
            press = self.presses.get(call.chat_id)
            if press is not None and press.screen is None and call.time >= press.pushed:
                press.screen = call.time
        elif call.method == "sendMessage" and call.ok and "Reminder" in (call.text or ""):
            self.reminders += 1


async def _wait(condition: Any, timeout: float) -> bool:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def rush(
    database: labs.Database, lab: labs.Lab, workdir: Path, count: int, variant: str
) -> dict[str, Any]:
    """One rush of `count` members on a freshly started bot; the figures."""
    recorder = Recorder()
    users = fake_members(lab.member_ids[BULK : BULK + count])
    async with FakeBotApi(flood_limits=FloodLimits()) as fake:
        fake.listeners.append(recorder.on_call)
        settings, extra = VARIANTS[variant]
        env = bot_env(
            fake, database_url=database.url, reminder_minutes="60", reminder_interval_seconds="5", **settings
        )
        argv = script_argv("bot_with_limiter.py", *extra) if extra else fabdesk_argv()
        bot = BotProcess(f"rush {count} {variant}", argv, env, workdir, workdir / f"rush_{count}.log")
        await bot.start(fake)
        try:
            # Everyone opens the bot first (their main menu is what they will press on).
            menus: dict[int, dict[str, Any]] = {}
            for user in users:
                fake.send_message(user, "/start")
            await _wait(lambda: all(fake.last_message(u.id) is not None for u in users), 120)
            for user in users:
                message = fake.last_message(user.id)
                if message is not None:
                    menus[user.id] = message
            await asyncio.sleep(1.5)  # the per-chat window of the /start answers passes
            # Reminders fall due; the rush starts once the outbox is sending them.
            await labs.add_due_bookings(database, lab, BULK, timedelta(minutes=60))
            await _wait(lambda: recorder.reminders > 0, 60)
            for user in users:
                menu = menus.get(user.id)
                if menu is None:
                    continue
                buttons = [b for row in menu.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
                data = next(
                    (b.get("callback_data") for b in buttons if "Book a machine" in b.get("text", "")), None
                )
                if data is None:
                    continue
                pushed = time.monotonic()
                update = fake.press(user, menu, data)
                press = Press(pushed, str(update["callback_query"]["id"]))
                recorder.presses[user.id] = press
                recorder.by_query[press.query_id] = press
            await _wait(lambda: all(p.screen is not None for p in recorder.presses.values()), 60)
        finally:
            await bot.stop()
            errors = bot.logged_errors()
    presses = list(recorder.presses.values())
    answers = sorted(p.answered - p.pushed for p in presses if p.answered is not None)
    screens = sorted(p.screen - p.pushed for p in presses if p.screen is not None)
    return {
        "members": count,
        "pressed": len(presses),
        "answer_p50_s": round(percentile(answers, 50), 2) if answers else None,
        "answer_p95_s": round(percentile(answers, 95), 2) if answers else None,
        "screen_p50_s": round(percentile(screens, 50), 2) if screens else None,
        "screen_p95_s": round(percentile(screens, 95), 2) if screens else None,
        "unanswered": sum(1 for p in presses if p.answered is None or p.screen is None),
        "refused_429": recorder.refused,
        "errors": errors[:5],
        "refusals": recorder.refusals[:5],
    }


def _verdict(entry: dict[str, Any]) -> str:
    met = (
        entry["answer_p95_s"] is not None
        and entry["answer_p95_s"] <= TARGETS["answer_p95_s"]
        and entry["screen_p95_s"] is not None
        and entry["screen_p95_s"] <= TARGETS["screen_p95_s"]
        and entry["refused_429"] == 0
        and entry["unanswered"] == 0
    )
    return "met" if met else "MISSED"


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, nargs="+", default=[200, 400])
    parser.add_argument("--pg", help="a PostgreSQL admin URL: run on PostgreSQL too")
    args = parser.parse_args(argv)
    backends = ["sqlite"] + (["postgresql"] if args.pg else [])
    rows = []
    with tempfile.TemporaryDirectory(prefix="fabdesk-rush-") as folder:
        workdir = Path(folder)
        for backend in backends:
            for count in args.members:
                for n, variant in enumerate(VARIANTS):
                    database = await labs.create_database(backend, f"rush{count}_{n}", workdir, args.pg)
                    try:
                        await labs.migrate(database, plain_env(), workdir)
                        lab = await labs.populate(database, members=BULK + count + 10, history=1000)
                        entry = await rush(database, lab, workdir, count, variant)
                    finally:
                        with contextlib.suppress(Exception):
                            await labs.drop_database(database)
                    rows.append((database.display, variant, entry))
                    print(f"  {database.display}, {count} members, {variant}: {entry}", flush=True)
    print()
    print(f"Rush: members pressing at once while {BULK} reminders go out (fake enforcing Telegram's limits)")
    header = (
        f"{'database':<11} {'members':>7}  {'bot':<36} {'answer p50/p95 s':>17} {'screen p50/p95 s':>17} "
        f"{'429s':>5} {'unanswered':>10}  target"
    )
    print(header)
    print("-" * len(header))
    for display, variant, e in rows:
        answer = f"{e['answer_p50_s']}/{e['answer_p95_s']}"
        screen = f"{e['screen_p50_s']}/{e['screen_p95_s']}"
        print(
            f"{display:<11} {e['members']:>7}  {variant:<36} {answer:>17} {screen:>17} {e['refused_429']:>5} "
            f"{e['unanswered']:>10}  {_verdict(e)}"
        )
    print(
        f"Targets: answer p95 ≤ {TARGETS['answer_p95_s']} s, screen p95 ≤ {TARGETS['screen_p95_s']} s, "
        "no 429, none unanswered"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
