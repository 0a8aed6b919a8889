"""Replicas in webhook mode: several `fabdesk run` behind a reverse proxy, one database.

A big makerspace or a network of tiers-lieux runs fabdesk as N replicas behind nginx (README, "Several
processes on one database"): Telegram posts each update to the proxy, which hands it to any replica,
so the steps of one member's conversation land on different processes. What must hold: each due
reminder and each alert goes out once, a conversation's state (a report being written) is found by
whichever replica gets the next step, and a replica that dies is routed around.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import outbox
from models.machines import Authorized, Machine
from tests.factories import make_machine
from tests.fakebot import ApiCall, FakeBotApi, FakeUser, FloodLimits
from tests.harness import MANAGER, cli_env, say, tap
from tests.proxy import PATH, RoundRobin, free_port
from tests.workload import MEMBERS, REPORTS, delivered, seed_due_work, stop_all

REPLICAS = 3
LIVE = 9  # members reporting a fault through the bot while the due work goes out
SECRET = "Replicas_s3cret_0123456789"


async def _start_replica(
    fake: FakeBotApi, database_url: str, public: str, port: int, log: Path, **extra: str
) -> asyncio.subprocess.Process:
    env = cli_env(
        bot_token=fake.token,
        telegram_base_url=fake.base_url,
        database_url=database_url,
        manager_ids=str(MANAGER.id),
        default_language="en",
        reminder_minutes="240",
        reminder_interval_seconds="5",
        webhook_url=public,
        webhook_secret=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=str(port),
        **extra,
    )
    handle = log.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.core.cli", "run", env=env, cwd=log.parent, stdout=handle, stderr=handle
        )
    finally:
        handle.close()


def _text(log: Path) -> str:
    return log.read_text(errors="replace")


def _tail(log: Path) -> str:
    return _text(log)[-3000:]


async def _listening(port: int, process: asyncio.subprocess.Process, log: Path) -> None:
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        assert process.returncode is None, _tail(log)
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            assert asyncio.get_running_loop().time() < deadline, _tail(log)
            await asyncio.sleep(0.2)


async def _report(fake: FakeBotApi, member: FakeUser, machine: str, text: str) -> str:
    """Report a fault in four updates (each may reach another replica); the bot's last answer."""
    await say(fake, member, "/report")
    asked = await tap(fake, member, machine)
    assert "Describe the problem" in (asked.text or ""), asked.text
    severity = await say(fake, member, text)
    assert "choose how bad it is" in (severity.text or ""), severity.text
    sent = await tap(fake, member, "Minor")
    return sent.text or ""


async def test_replicas_behind_a_proxy_send_every_message_once_and_share_conversations(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await seed_due_work(sessions, now)
    async with sessions.begin() as session:
        benches: list[Machine] = [await make_machine(session, f"Bench {i:02d}") for i in range(LIVE)]
    ports = [free_port() for _ in range(REPLICAS)]
    proxy_port = free_port()
    proxy = RoundRobin(ports)
    logs = [tmp_path / f"replica{i}.log" for i in range(REPLICAS)]
    async with FakeBotApi() as fake, proxy.serving(proxy_port):
        fake.delay["sendMessage"] = 0.02  # the replicas are busy sending at the same time
        public = f"http://127.0.0.1:{proxy_port}{PATH}"
        processes = [
            await _start_replica(fake, database_url, public, p, log)
            for p, log in zip(ports, logs, strict=True)
        ]
        try:
            for port, process, log in zip(ports, processes, logs, strict=True):
                await _listening(port, process, log)
            assert fake.webhook is not None and fake.webhook["url"] == public
            members = [FakeUser(20_000 + i, f"Live{i}", language_code="en") for i in range(LIVE)]
            answers = await asyncio.gather(
                *(
                    _report(fake, m, bench.name, f"Fault number {REPORTS + i:02d}")
                    for i, (m, bench) in enumerate(zip(members, benches, strict=True))
                )
            )
            assert all("is open for Bench" in answer for answer in answers), answers
            assert all(proxy.served[p] > 0 for p in ports), f"every replica took updates: {proxy.served}"

            deadline = asyncio.get_running_loop().time() + 120
            while True:
                reminders, alerts = delivered(fake)
                if len(reminders) == MEMBERS and len(alerts) == REPORTS + LIVE:
                    break
                assert asyncio.get_running_loop().time() < deadline, (
                    f"{len(reminders)} reminders, {len(alerts)} alerts:\n{fake.recent_calls(12)}"
                )
                await asyncio.sleep(0.1)
            await asyncio.sleep(3)  # a message sent twice would show by now

            # One replica dies (kill -9): the proxy routes around it and members are still answered.
            processes[0].send_signal(signal.SIGKILL)
            await asyncio.wait_for(processes[0].wait(), timeout=30)
            late = FakeUser(29_999, "Late", language_code="en")
            for _ in range(REPLICAS):
                answer = await say(fake, late, "/help")
                assert "/book" in (answer.text or "") or "Book" in (answer.text or ""), answer.text
        finally:
            await stop_all(processes)
        reminders, alerts = delivered(fake)

    assert set(reminders) == {10_000 + i for i in range(MEMBERS)}
    assert [chat for chat, n in reminders.items() if n > 1] == [], "a reminder went twice"
    assert set(alerts) == {f"Fault number {i:02d}" for i in range(REPORTS + LIVE)}
    assert [alert for alert, n in alerts.items() if n > 1] == [], "an alert went twice"
    for log in logs:
        assert "Traceback" not in _text(log), _tail(log)


FANOUT = 80  # members, one message each: more than Telegram's 30 a second bot-wide
ONE_CHAT = 4  # messages to one member's chat: one a second, from whichever replica has the chat
STEP_GAP_S = 1.1  # between a reporter's steps: the replicas answering them share no per-chat pace


async def _report_slowly(fake: FakeBotApi, member: FakeUser, machine: str, text: str) -> None:
    """Report a fault in four updates, a little over a second apart (Telegram's pace in a private
    chat: the steps reach different replicas, which each answer with a new message)."""
    for step in (
        lambda: say(fake, member, "/report"),
        lambda: tap(fake, member, machine),
        lambda: say(fake, member, text),
        lambda: tap(fake, member, "Minor"),
    ):
        await step()
        await asyncio.sleep(STEP_GAP_S)


async def test_replicas_share_telegrams_budget_and_never_get_a_429(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """Three replicas with FABDESK_REPLICAS=3 send a backlog together, against a Telegram that
    answers 429 beyond 30 messages a second bot-wide and one a second per chat: none is refused.
    Each paces 29/3 a second; a chat's messages go from one replica at a time (the outbox claim)."""
    ports = [free_port() for _ in range(REPLICAS)]
    proxy_port = free_port()
    proxy = RoundRobin(ports)
    logs = [tmp_path / f"replica{i}.log" for i in range(REPLICAS)]
    async with sessions.begin() as session:
        benches = [await make_machine(session, f"Bench {i:02d}") for i in range(REPLICAS)]
    async with FakeBotApi(flood_limits=FloodLimits()) as fake, proxy.serving(proxy_port):
        public = f"http://127.0.0.1:{proxy_port}{PATH}"
        processes = [
            await _start_replica(fake, database_url, public, p, log, replicas=str(REPLICAS))
            for p, log in zip(ports, logs, strict=True)
        ]
        try:
            for port, process, log in zip(ports, processes, logs, strict=True):
                await _listening(port, process, log)
            # The backlog is queued once every replica is up; each is woken by an update that queues
            # an alert (the reports' last steps reach the three replicas in turn).
            now = datetime.now(UTC)
            async with sessions.begin() as session:
                # One member's messages lie between the others', so that they fall in different
                # replicas' batches of 20 (outbox.claim): left to one replica at a time.
                for i in range(FANOUT):
                    if i % (FANOUT // ONE_CHAT) == 0:
                        notice = Authorized(machine=f"Router {i}")
                        outbox.enqueue(session, chat_id=41_000, notice=notice, now=now)
                    notice = Authorized(machine=f"Laser {i:02d}")
                    outbox.enqueue(session, chat_id=40_000 + i, notice=notice, now=now)
            reporters = [FakeUser(42_000 + i, f"Rep{i}", language_code="en") for i in range(REPLICAS)]
            await asyncio.gather(
                *(
                    _report_slowly(fake, m, bench.name, f"Fault number {i:02d}")
                    for i, (m, bench) in enumerate(zip(reporters, benches, strict=True))
                )
            )
            deadline = asyncio.get_running_loop().time() + 60
            while len(_accepted(fake)) < FANOUT + ONE_CHAT or len(delivered(fake)[1]) < REPLICAS:
                assert asyncio.get_running_loop().time() < deadline, fake.recent_calls(12)
                await asyncio.sleep(0.1)
            await asyncio.sleep(1)  # a message sent twice would show by now
        finally:
            await stop_all(processes)
    refused = [call.describe() for call in fake.calls if call.status == 429]
    assert refused == [], f"{len(refused)} messages refused with 429, e.g. {refused[:3]}"
    sent = Counter(call.chat_id for call in _accepted(fake))
    assert {chat: n for chat, n in sent.items() if 40_000 <= (chat or 0) < 41_000} == {
        40_000 + i: 1 for i in range(FANOUT)
    }
    assert sent[41_000] == ONE_CHAT
    _reminders, alerts = delivered(fake)
    assert alerts == {f"Fault number {i:02d}": 1 for i in range(REPLICAS)}
    async with sessions.begin() as session:
        senders = set(await session.scalars(select(outbox.OutboxMessage.sent_by)))
    assert len(senders) > 1, f"the backlog was sent by one replica only: {senders}"
    for log in logs:
        assert "Traceback" not in _text(log), _tail(log)


def _accepted(fake: FakeBotApi) -> list[ApiCall]:
    """The messages of the backlog and the alerts Telegram accepted (not the reporters' screens)."""
    return [
        call
        for call in fake.calls
        if call.method == "sendMessage" and call.status == 200 and not 42_000 <= (call.chat_id or 0) < 43_000
    ]
