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
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.machines import Machine
from tests.factories import make_machine
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import MANAGER, cli_env, say, tap
from tests.workload import MEMBERS, REPORTS, delivered, seed_due_work

REPLICAS = 3
LIVE = 9  # members reporting a fault through the bot while the due work goes out
PATH = "/telegram/hook"
SECRET = "Replicas_s3cret_0123456789"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RoundRobin:
    """What nginx's `upstream` does with its defaults: each request to the next replica in turn, and
    on to the next one when a replica does not answer (`proxy_next_upstream error`)."""

    def __init__(self, upstreams: list[int]) -> None:
        self.upstreams = upstreams
        self.turn = 0
        self.served: Counter[int] = Counter()  # updates answered, per replica port

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")
        }
        for _ in range(len(self.upstreams)):
            port = self.upstreams[self.turn % len(self.upstreams)]
            self.turn += 1
            try:
                async with (
                    aiohttp.ClientSession() as client,
                    client.post(
                        f"http://127.0.0.1:{port}{request.path}", data=body, headers=headers
                    ) as answer,
                ):
                    self.served[port] += 1
                    return web.Response(status=answer.status, body=await answer.read())
            except aiohttp.ClientConnectionError:
                continue  # that replica is down: the next one
        return web.Response(status=502)

    @asynccontextmanager
    async def serving(self, port: int) -> AsyncIterator[None]:
        app = web.Application()
        app.router.add_post(PATH, self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        try:
            yield
        finally:
            await runner.cleanup()


async def _start_replica(
    fake: FakeBotApi, database_url: str, public: str, port: int, log: Path
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
    ports = [_free_port() for _ in range(REPLICAS)]
    proxy_port = _free_port()
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
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGINT)
            for process in processes:
                await asyncio.wait_for(process.wait(), timeout=30)
        reminders, alerts = delivered(fake)

    assert set(reminders) == {10_000 + i for i in range(MEMBERS)}
    assert [chat for chat, n in reminders.items() if n > 1] == [], "a reminder went twice"
    assert set(alerts) == {f"Fault number {i:02d}" for i in range(REPORTS + LIVE)}
    assert [alert for alert, n in alerts.items() if n > 1] == [], "an alert went twice"
    for log in logs:
        assert "Traceback" not in _text(log), _tail(log)
