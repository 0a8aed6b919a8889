"""Several fabdesk processes on one database: every reminder and outbox message is sent once.

Work is claimed in the database (models/outbox.py: claim; models/bookings.py: queue_due_reminders),
not behind a lock inside one process. These tests run on SQLite and, with FABDESK_TEST_DATABASE_URL,
on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.context import DESK_KEY, FabDesk, worker_name
from bot.core.jobs import send_due_reminders
from bot.core.outbox import deliver_outbox
from models import bookings, outbox
from models.bookings import Booking, BookingStatus
from models.db import create_engine, session_factory
from models.machines import Authorized, MachineKind
from models.members import Member
from models.outbox import OutboxMessage
from tests.factories import make_machine, make_member
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import MANAGER, Clock, cli_env, running_bot, test_settings
from tests.workload import MEMBERS, REPORTS, booked, delivered, seed_due_work, start_bot, stop_all


async def test_two_fabdesk_processes_on_one_database_send_every_message_once(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """A lab starts a second `fabdesk run` by hand next to the systemd one.

    Saw (before): 38 of 40 reminders and 49 of 60 outbox messages delivered twice.
    Should see: each once, and the record of which process sent what."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await seed_due_work(sessions, now)
    async with FakeBotApi() as fake:
        fake.delay["sendMessage"] = 0.02  # both processes are busy sending at the same time
        processes = [await start_bot(fake, database_url, tmp_path / f"bot{i}.log") for i in range(2)]
        try:
            deadline = asyncio.get_running_loop().time() + 120
            while True:
                reminders, alerts = delivered(fake)
                if len(reminders) == MEMBERS and len(alerts) == REPORTS:
                    break
                assert all(p.returncode is None for p in processes), "\n".join(_logs(tmp_path))
                assert asyncio.get_running_loop().time() < deadline, (
                    f"{len(reminders)} reminders, {len(alerts)} alerts:\n{fake.recent_calls(12)}\n"
                    + "\n".join(text[-2000:] for text in _logs(tmp_path))
                )
                await asyncio.sleep(0.1)
            await asyncio.sleep(3)  # a reminder or alert sent twice would show by now
            # One of them polls, the other stands by: Telegram never sees two pollers (no 409).
            logs = _logs(tmp_path)
            leaders = [i for i, text in enumerate(logs) if "this process polls Telegram for updates" in text]
            assert len(leaders) == 1, logs
            (leader,) = leaders
            assert "stands by" in logs[1 - leader], logs
            assert [c for c in fake.calls_of("getUpdates") if c.status == 409] == []
            # The leader stops (a systemd restart): the standby takes over polling and answers.
            processes[leader].send_signal(signal.SIGTERM)
            await asyncio.wait_for(processes[leader].wait(), timeout=30)
            deadline = asyncio.get_running_loop().time() + 40
            while "this process polls Telegram for updates" not in _logs(tmp_path)[1 - leader]:
                assert asyncio.get_running_loop().time() < deadline, _logs(tmp_path)[1 - leader][-2000:]
                await asyncio.sleep(0.2)
            visitor = FakeUser(55_555, "Zoé", language_code="en")
            fake.send_message(visitor, "/help")
            await fake.wait_for_call("sendMessage", visitor.id, timeout=30)
        finally:
            await stop_all(processes)
        reminders, alerts = delivered(fake)

    assert set(reminders) == {10_000 + i for i in range(MEMBERS)}
    assert set(alerts) == {f"Fault number {i:02d}" for i in range(REPORTS)}
    assert [chat for chat, n in reminders.items() if n > 1] == []
    assert [alert for alert, n in alerts.items() if n > 1] == []
    async with sessions() as session:
        sent = (
            await session.execute(
                select(OutboxMessage.kind, OutboxMessage.sent_at, OutboxMessage.sent_by).where(
                    OutboxMessage.kind.in_([bookings.REMINDER, "ticket_alert"])
                )
            )
        ).all()
    assert Counter(kind for kind, _at, _by in sent) == {bookings.REMINDER: MEMBERS, "ticket_alert": REPORTS}
    assert all(at is not None for _kind, at, _by in sent), "nothing left unsent"
    assert all(by is not None for _kind, _at, by in sent), "every sent message names the process that sent it"
    logs = _logs(tmp_path)
    for text in logs:
        assert "Traceback" not in text, text[-3000:]
    assert not [c for c in fake.calls_of("sendMessage", MANAGER.id) if "fabdesk error" in (c.text or "")]


def _logs(folder: Path) -> list[str]:
    return [log.read_text(errors="replace") for log in sorted(folder.glob("bot*.log"))]


def _second_process(desk: FabDesk) -> FabDesk:
    """Another fabdesk on the same database: its own engine, lock and name."""
    engine = create_engine(desk.settings.database_url)
    return dataclasses.replace(
        desk,
        engine=engine,
        sessions=session_factory(engine),
        outbox_lock=asyncio.Lock(),
        worker=worker_name(),
    )


def _context(application: Any, desk: FabDesk) -> Any:
    """What a job gets, for a second process sharing the application's bot."""
    return SimpleNamespace(bot_data={DESK_KEY: desk}, bot=application.bot, application=application)


async def _queue(sessions: async_sessionmaker[AsyncSession], members: list[Member], now: datetime) -> None:
    async with sessions.begin() as session:
        for member in members:
            outbox.enqueue(
                session,
                chat_id=member.telegram_id,
                member_id=member.id,
                notice=Authorized(machine="Prusa MK4", machine_kind=MachineKind.PRINTER_3D),
                now=now,
            )


async def test_two_senders_claiming_at_once_share_the_outbox_and_send_each_message_once(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    clock = Clock()
    async with sessions.begin() as session:
        members = [await make_member(session, f"M{i}", telegram_id=20_000 + i) for i in range(60)]
    await _queue(sessions, members, clock.now)
    fake.delay["sendMessage"] = 0.01
    async with running_bot(test_settings(fake, database_url), clock) as app:
        first: FabDesk = app.bot_data[DESK_KEY]
        second = _second_process(first)
        try:
            counts = await asyncio.gather(deliver_outbox(first, app.bot), deliver_outbox(second, app.bot))
        finally:
            await second.engine.dispose()
    sent = Counter(c.chat_id for c in fake.calls_of("sendMessage") if c.status == 200)
    assert sent == Counter({m.telegram_id: 1 for m in members})
    assert sum(counts) == 60
    async with sessions() as session:
        by = Counter((await session.scalars(select(OutboxMessage.sent_by))).all())
    assert by == Counter({first.worker: counts[0], second.worker: counts[1]})
    assert counts[0] > 0 and counts[1] > 0, "both processes took a share"


async def test_one_chat_is_sent_to_by_one_process_at_a_time(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Telegram's pace in a chat (one message a second) is kept by the process sending there: the
    chat's other messages are left to it while it holds a claim in it, and for HANDOVER after its
    last send; then any process may take them."""
    now = datetime(2030, 3, 5, 8, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        for machine in ("Laser", "Router"):
            outbox.enqueue(session, chat_id=31_001, notice=Authorized(machine=machine), now=now)
        outbox.enqueue(session, chat_id=31_002, notice=Authorized(machine="Lathe"), now=now)
    async with sessions.begin() as session:
        (first,) = await outbox.claim(session, "a", now, limit=1)
    async with sessions.begin() as session:
        assert [m.chat_id for m in await outbox.claim(session, "b", now)] == [31_002]
        await outbox.mark_sent(session, first.id, now, worker="a")
    later = now + outbox.HANDOVER - timedelta(seconds=1)
    async with sessions.begin() as session:
        assert await outbox.claim(session, "b", later) == [], "a sent to that chat a moment ago"
    after = now + outbox.HANDOVER + timedelta(seconds=1)
    async with sessions.begin() as session:
        (second,) = await outbox.claim(session, "b", after)
    assert (second.chat_id, second.payload) == (31_001, Authorized(machine="Router").payload())


async def test_a_claim_of_a_process_that_vanished_is_taken_over_after_its_lease(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A process on another host claimed a message and died before sending it: nothing is lost,
    and nothing is sent while its claim holds."""
    clock = Clock()
    async with sessions.begin() as session:
        member = await make_member(session, "Alice", telegram_id=30_001)
    await _queue(sessions, [member], clock.now)
    async with sessions.begin() as session:
        (claimed,) = await outbox.claim(session, "other-host:4242:abcdef", clock.now)
    async with running_bot(test_settings(fake, database_url), clock) as app:
        desk: FabDesk = app.bot_data[DESK_KEY]
        assert await deliver_outbox(desk, app.bot) == 0
        clock.advance(seconds=outbox.LEASE.total_seconds() - 1)
        assert await deliver_outbox(desk, app.bot) == 0
        clock.advance(seconds=2)
        assert await deliver_outbox(desk, app.bot) == 1
        assert await deliver_outbox(desk, app.bot) == 0
    assert len(fake.calls_of("sendMessage", member.telegram_id)) == 1
    async with sessions() as session:
        row = await session.get(OutboxMessage, claimed.id)
        assert row is not None and row.sent_by == desk.worker


async def test_a_restart_after_a_crash_takes_over_the_crashed_processes_claims_at_once(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    clock = Clock()
    async with sessions.begin() as session:
        member = await make_member(session, "Alice", telegram_id=30_002)
    await _queue(sessions, [member], clock.now)
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()  # a process of this host that has ended: its pid names nobody now
    host = worker_name().split(":")[0]
    async with sessions.begin() as session:
        await outbox.claim(session, f"{host}:{gone.pid}:abcdef", clock.now)
    async with running_bot(test_settings(fake, database_url), clock) as app:
        assert await deliver_outbox(app.bot_data[DESK_KEY], app.bot) == 1
    assert len(fake.calls_of("sendMessage", member.telegram_id)) == 1


async def test_two_processes_running_the_reminder_job_at_once_remind_each_booking_once(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    now = datetime(2030, 3, 5, 8, 0, tzinfo=UTC)
    clock = Clock(now)
    members = await seed_due_work(sessions, now)
    fake.delay["sendMessage"] = 0.005
    settings = test_settings(fake, database_url, reminder_minutes=240, default_language="en")
    async with running_bot(settings, clock) as app:
        first: FabDesk = app.bot_data[DESK_KEY]
        second = _second_process(first)
        try:
            counts = await asyncio.gather(
                send_due_reminders(_context(app, first)), send_due_reminders(_context(app, second))
            )
            assert await send_due_reminders(_context(app, first)) == 0
        finally:
            await second.engine.dispose()
    reminders, _alerts = delivered(fake)
    assert reminders, fake.recent_calls(10)
    assert reminders == Counter({m.telegram_id: 1 for m in members})
    assert sum(counts) == MEMBERS


async def test_a_reminder_that_could_not_go_before_the_booking_started_is_not_sent_late(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Telegram was unreachable from the reminder's time until after the booking began: a
    "you booked … at 10:00" arriving at 10:20 helps nobody."""
    now = datetime(2030, 3, 5, 8, 0, tzinfo=UTC)
    clock = Clock(now)
    async with sessions.begin() as session:
        printer = await make_machine(session, "Prusa MK4")
        alice = await make_member(session, "Alice", telegram_id=30_003)
        session.add(
            Booking(
                member_id=alice.id,
                machine_id=printer.id,
                start_at=now + timedelta(minutes=20),
                end_at=now + timedelta(minutes=50),
                status=BookingStatus.CONFIRMED,
                created_at=now - timedelta(days=1),
            )
        )
    fake.fail_next("sendMessage", status=502, description="Bad Gateway", times=1)
    async with running_bot(test_settings(fake, database_url), clock) as app:
        desk: FabDesk = app.bot_data[DESK_KEY]
        assert await send_due_reminders(_context(app, desk)) == 0  # queued; the send failed
        clock.advance(minutes=21)  # the retry comes after the start
        assert await deliver_outbox(desk, app.bot) == 0
    assert [c for c in fake.calls_of("sendMessage", alice.telegram_id) if c.status == 200] == []
    async with sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == bookings.REMINDER))
        assert row is not None and row.failed_at is not None and "expired" in (row.last_error or "")


async def test_cancelling_a_booking_withdraws_its_queued_reminder(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime(2030, 3, 5, 8, 0, tzinfo=UTC)
    rules = bookings.BookingRules(tz=ZoneInfo("Europe/Paris"), reminder_lead=timedelta(minutes=30))
    async with sessions.begin() as session:
        printer = await make_machine(session, "Prusa MK4")
        alice = await make_member(session, "Alice", telegram_id=30_004)
        bob = await make_member(session, "Bob", telegram_id=30_005)
        for member in (alice, bob):
            session.add(
                Booking(
                    member_id=member.id,
                    machine_id=printer.id,
                    start_at=now + timedelta(minutes=20 if member is alice else 25),
                    end_at=now + timedelta(minutes=24 if member is alice else 29),
                    status=BookingStatus.CONFIRMED,
                    created_at=now - timedelta(days=1),
                )
            )
    async with sessions.begin() as session:
        queued = await bookings.queue_due_reminders(session, rules, now)
        assert queued.queued == 2
        again = await bookings.queue_due_reminders(session, rules, now)
        assert again.queued == 0, "a reminder is claimed once"
    async with sessions.begin() as session:
        member = await session.get(Member, alice.id)
        assert member is not None
        alice_booking = next(b for b in queued.read if b.member_id == alice.id)
        await bookings.cancel(session, member, alice_booking.id, now)
    async with sessions() as session:
        waiting = (
            await session.scalars(select(OutboxMessage.member_id).where(OutboxMessage.sent_at.is_(None)))
        ).all()
    assert waiting == [bob.id]


async def test_two_processes_running_a_periodic_job_at_once_queue_its_messages_once(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Update checks fall due while two fabdesk processes run: each check is reminded once (the
    job reads "not reminded yet" and records it in one transaction, serialised across processes).
    It tells most on PostgreSQL (checked failing there without the job lock); on SQLite the write
    lock from BEGIN serialises the transactions anyway."""
    from bot.core.jobs import remind_due_updates
    from models.updates import UpdateItem

    now = datetime(2030, 3, 5, 8, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        for i in range(12):
            session.add(
                UpdateItem(
                    name=f"Software {i:02d}",
                    current_version="1.0",
                    check_every_days=30,
                    last_checked_at=now - timedelta(days=31),
                    not_applicable=False,
                    created_at=now - timedelta(days=60),
                )
            )
    clock = Clock(now)
    async with running_bot(test_settings(fake, database_url), clock) as app:
        first: FabDesk = app.bot_data[DESK_KEY]
        second = _second_process(first)
        try:
            await asyncio.gather(
                *(remind_due_updates(_context(app, desk)) for desk in (first, second, first, second))
            )
        finally:
            await second.engine.dispose()
    reminded: Counter[int] = Counter()
    for payload in await _payloads(sessions):  # one message per item, or one listing several
        for entry in [payload, *payload.get("items", [])]:
            if "item_id" in entry:
                reminded[entry["item_id"]] += 1
    assert len(reminded) == 12 and set(reminded.values()) == {1}, reminded


async def _payloads(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    async with sessions() as session:
        return [dict(p) for p in (await session.scalars(select(OutboxMessage.payload))).all()]


async def test_a_job_lock_makes_a_second_transaction_wait_for_the_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    from models.db import hold_job_lock

    order: list[str] = []
    first_holds = asyncio.Event()

    async def first() -> None:
        async with sessions.begin() as session:
            await hold_job_lock(session, "test")
            first_holds.set()
            await asyncio.sleep(0.5)
            order.append("first done")

    async def second() -> None:
        await first_holds.wait()
        async with sessions.begin() as session:
            await hold_job_lock(session, "test")
            order.append("second in")

    await asyncio.gather(first(), second())
    assert order == ["first done", "second in"]


async def test_two_start_ups_at_once_on_an_empty_database_both_come_up(
    empty_database_url: str, tmp_path: Path
) -> None:
    """Saw (before): the second died in the migration with "UniqueViolationError
    pg_type_typname_nsp_index", 3 tries of 3."""
    env = cli_env(bot_token="123456:ABCdefGhIJKlmnoPQRstuVWXyz_0123456", database_url=empty_database_url)
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.core.cli",
            "db",
            "upgrade",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    results = [await asyncio.wait_for(p.communicate(), timeout=120) for p in processes]
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, (out + err).decode()[-2000:]
        assert b"up to date" in out + err


async def test_a_lease_has_one_holder_and_passes_on_when_it_runs_out(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    from models import leases

    now = datetime(2030, 3, 5, 8, 0, tzinfo=UTC)
    ttl = timedelta(seconds=30)
    async with sessions.begin() as session:
        assert await leases.hold(session, "polling", "a", now, ttl) == "a"
    async with sessions.begin() as session:
        assert await leases.hold(session, "polling", "b", now + timedelta(seconds=10), ttl) == "a"
    async with sessions.begin() as session:  # a renews before it runs out
        assert await leases.hold(session, "polling", "a", now + timedelta(seconds=20), ttl) == "a"
    async with sessions.begin() as session:  # still a's until 08:00:50
        assert await leases.hold(session, "polling", "b", now + timedelta(seconds=45), ttl) == "a"
    async with sessions.begin() as session:  # a stopped renewing (it died): b takes over
        assert await leases.hold(session, "polling", "b", now + timedelta(seconds=51), ttl) == "b"
    async with sessions.begin() as session:
        assert await leases.hold(session, "polling", "a", now + timedelta(seconds=52), ttl) == "b"
        await leases.give_up(session, "polling", "a")  # not a's to give up
    async with sessions.begin() as session:
        assert await leases.hold(session, "polling", "a", now + timedelta(seconds=53), ttl) == "b"
        await leases.give_up(session, "polling", "b")  # a clean stop
    async with sessions.begin() as session:
        assert await leases.hold(session, "polling", "a", now + timedelta(seconds=54), ttl) == "a"


async def test_of_two_processes_one_polls_and_the_other_takes_over_when_it_stops(
    fake: FakeBotApi, database_url: str
) -> None:
    from bot.core.polling import lead_or_stand_by

    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        first: FabDesk = app.bot_data[DESK_KEY]
        second = _second_process(first)
        polling: dict[str, bool] = {first.worker: False, second.worker: False}
        started = asyncio.Event()  # a process started polling

        def switch(desk: FabDesk, on: bool) -> Any:
            async def flip() -> None:
                assert polling[desk.worker] is not on
                polling[desk.worker] = on
                if on:
                    started.set()

            return flip

        stops = {desk.worker: asyncio.Event() for desk in (first, second)}
        guards = {
            desk.worker: asyncio.create_task(
                lead_or_stand_by(
                    desk, switch(desk, True), switch(desk, False), stops[desk.worker], renew_every_s=0.05
                )
            )
            for desk in (first, second)
        }
        try:
            # A loaded machine (CI) may take a while for the first rounds: wait for a poller, then
            # watch a few more rounds to see that the other never starts as well.
            await asyncio.wait_for(started.wait(), timeout=30)
            started.clear()
            await asyncio.sleep(0.3)
            assert sorted(polling.values()) == [False, True], "exactly one polls"
            leader = next(w for w, on in polling.items() if on)
            standby = next(w for w, on in polling.items() if not on)
            stops[leader].set()  # a clean stop
            await guards[leader]
            await asyncio.wait_for(started.wait(), timeout=30)
            assert polling == {leader: False, standby: True}, "the standby took over"
        finally:
            for worker, stop in stops.items():
                stop.set()
                await guards[worker]
            await second.engine.dispose()
        assert polling == {leader: False, standby: False}


async def test_a_send_that_outlasts_the_lease_keeps_its_claim_and_goes_once(
    fake: FakeBotApi,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One send waits longer than the lease (a 429 pause inside the rate limiter, a slow network)
    while a second process looks for work: the claim is renewed meanwhile, the row is not taken."""
    import bot.core.outbox as sender

    monkeypatch.setattr(outbox, "LEASE", timedelta(seconds=0.3))
    clock = Clock()
    async with sessions.begin() as session:
        member = await make_member(session, "Slow", telegram_id=40_001)
    await _queue(sessions, [member], clock.now)
    real = sender._send_one
    others: list[Any] = []

    async def slow(*args: Any) -> Any:
        if len(others) == 1:
            others.append("sending")
            for _ in range(8):  # 0.8 s of the clock go by during this one send: more than the lease
                clock.advance(seconds=0.1)
                await asyncio.sleep(0.1)
            others.append(await sender.deliver_outbox(others[0], args[0]))
        return await real(*args)

    monkeypatch.setattr(sender, "_send_one", slow)
    async with running_bot(test_settings(fake, database_url), clock) as app:
        first: FabDesk = app.bot_data[DESK_KEY]
        second = _second_process(first)
        others.append(second)
        try:
            assert await sender.deliver_outbox(first, app.bot) == 1
        finally:
            await second.engine.dispose()
    assert others[2] == 0, "the second process found nothing to send"
    assert len([c for c in fake.calls_of("sendMessage", member.telegram_id) if c.status == 200]) == 1


async def test_a_booking_cancelled_while_its_reminder_is_being_claimed_is_not_reminded(
    sessions: async_sessionmaker[AsyncSession], database_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: the member cancels between the job's read of what is due and its claim. (On
    SQLite the job's transaction holds the write lock throughout: the cancel waits for it.)"""
    if database_backend != "postgresql":
        pytest.skip("a race of two transactions at once: PostgreSQL only")
    now = datetime(2030, 3, 5, 8, 0, tzinfo=UTC)
    rules = bookings.BookingRules(tz=ZoneInfo("Europe/Paris"), reminder_lead=timedelta(minutes=30))
    async with sessions.begin() as session:
        printer = await make_machine(session, "Prusa MK4")
        alice = await make_member(session, "Alice", telegram_id=30_006)
        booking = booked(alice, printer.id, now + timedelta(minutes=20), minutes=4)
        session.add(booking)
    real = bookings.due_reminders

    async def due_then_cancel(*args: Any, **kwargs: Any) -> Any:
        due = await real(*args, **kwargs)
        async with sessions.begin() as other:  # the member presses Cancel meanwhile
            member = await other.get(Member, alice.id)
            assert member is not None
            await bookings.cancel(other, member, booking.id, now)
        return due

    monkeypatch.setattr(bookings, "due_reminders", due_then_cancel)
    async with sessions.begin() as session:
        queued = await bookings.queue_due_reminders(session, rules, now)
    assert queued.queued == 0
    async with sessions() as session:
        assert (await session.scalars(select(OutboxMessage))).all() == []


@pytest.mark.parametrize("returning", [True, False], ids=["update-returning", "no-returning"])
async def test_claims_work_with_or_without_returning(
    sessions: async_sessionmaker[AsyncSession],
    engine: Any,
    monkeypatch: pytest.MonkeyPatch,
    returning: bool,
) -> None:
    """SQLite before 3.35 (a Raspberry Pi's system library may be) has no UPDATE … RETURNING."""
    monkeypatch.setattr(engine.sync_engine.dialect, "update_returning", returning)
    now = datetime(2030, 3, 5, 8, 0, tzinfo=UTC)
    rules = bookings.BookingRules(tz=ZoneInfo("Europe/Paris"), reminder_lead=timedelta(minutes=30))
    async with sessions.begin() as session:
        printer = await make_machine(session, "Prusa MK4")
        alice = await make_member(session, "Alice", telegram_id=30_007)
        session.add(booked(alice, printer.id, now + timedelta(minutes=20), minutes=4))
    async with sessions.begin() as session:
        assert (await bookings.queue_due_reminders(session, rules, now)).queued == 1
        assert (await bookings.queue_due_reminders(session, rules, now)).queued == 0
    async with sessions.begin() as session:
        (claimed,) = await outbox.claim(session, "a", now)
        assert await outbox.claim(session, "b", now) == []
        assert await outbox.renew(session, [claimed.id], "b", now) == set()
        assert await outbox.renew(session, [claimed.id], "a", now + timedelta(minutes=5)) == {claimed.id}


async def test_a_poller_on_another_database_is_one_line_now_and_then_not_a_report(
    fake: FakeBotApi, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram answers 409 when a fabdesk elsewhere (another database, a developer's laptop) polls
    with the same token. Saw (before): a traceback and a report to the managers about once a minute."""
    from telegram.error import Conflict

    from bot.core.errors import on_error
    from tests.harness import job_context

    async with running_bot(test_settings(fake, database_url), Clock()) as app:
        context = job_context(app)
        for _ in range(5):
            context.error = Conflict("Conflict: terminated by other getUpdates request")
            await on_error(None, context)
    lines = [r for r in caplog.records if "another fabdesk is polling with this token" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert not any(r.exc_info for r in caplog.records if r.name == "bot.core.errors")
    assert fake.calls_of("sendMessage", MANAGER.id) == []
