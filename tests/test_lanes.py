"""Telegram's budget in two lanes (bot/core/lanes.py): presses are never queued behind bulk messages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.lanes import _LANE, BULK, PRESS, LanedRateLimiter, Pacer
from bot.core.outbox import deliver_outbox
from models import outbox
from models.machines import Authorized, MachineKind
from tests.factories import make_member
from tests.fakebot import FakeBotApi, FakeUser, FloodLimits
from tests.harness import Clock, running_bot, say, tap, test_settings

pytestmark = pytest.mark.telegram_pacing  # these tests measure the real gaps


async def test_a_waiting_press_takes_the_next_slot_before_bulk_messages_queued_earlier() -> None:
    pacer = Pacer(per_second=4)  # a slot every 0.25 s
    order: list[str] = []
    await pacer.take(BULK)  # the slot now is taken: everything below waits

    async def send(lane: int, name: str) -> None:
        await pacer.take(lane)
        order.append(name)

    queued = [asyncio.create_task(send(BULK, f"bulk{i}")) for i in range(3)]
    for _ in range(10):  # let them all line up (each waits on the pacer within one turn of the loop)
        await asyncio.sleep(0)
    assert pacer.waiting[BULK] == 3
    press = asyncio.create_task(send(PRESS, "press"))
    await asyncio.gather(press, *queued)
    assert order[0] == "press", order
    assert sorted(order[1:]) == ["bulk0", "bulk1", "bulk2"]


async def _ok(**_kwargs: Any) -> bool:
    return True


async def test_edits_and_answers_to_presses_are_not_paced_new_messages_are() -> None:
    limiter = LanedRateLimiter(messages_per_second=2)
    assert limiter.pacer is not None
    for i in range(20):  # far beyond 2 a second: none of them waits
        await limiter.process_request(_ok, (), {}, "editMessageText", {"chat_id": 1000 + i}, None)
        await limiter.process_request(_ok, (), {}, "answerCallbackQuery", {"callback_query_id": "q"}, None)
    assert limiter.pacer.next_at == 0.0, "no slot was taken"
    await limiter.process_request(_ok, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert limiter.pacer.next_at > 0.0, "a new message takes a slot"


async def test_messages_to_one_chat_are_spaced_a_second_apart_and_a_group_three() -> None:
    limiter = LanedRateLimiter(messages_per_second=1000)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await limiter.process_request(_ok, (), {}, "sendMessage", {"chat_id": 7}, None)
    await limiter.process_request(_ok, (), {}, "sendPhoto", {"chat_id": 7}, None)
    assert loop.time() - started >= 0.95
    assert limiter._chat_next[7] - started >= 1.95  # the next one in two seconds
    await limiter.process_request(_ok, (), {}, "sendMessage", {"chat_id": -100123}, None)
    assert limiter._chat_next[-100123] - loop.time() >= 2.9


async def test_the_outbox_sends_in_the_bulk_lane_and_an_update_in_the_press_lane(
    fake: FakeBotApi,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        member = await make_member(session, "Léa", telegram_id=30_500)
        outbox.enqueue(
            session,
            chat_id=member.telegram_id,
            member_id=member.id,
            notice=Authorized(machine="Prusa MK4", machine_kind=MachineKind.PRINTER_3D),
            now=now,
        )
    lanes: list[tuple[str, int]] = []

    original = LanedRateLimiter.process_request

    async def recording(self: LanedRateLimiter, *args: Any, **kwargs: Any) -> Any:
        lanes.append((kwargs.get("endpoint", ""), _LANE.get()))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(LanedRateLimiter, "process_request", recording)
    settings = test_settings(fake, database_url, default_language="en")
    async with running_bot(settings, Clock(now)) as app:
        await deliver_outbox(app.bot_data["fabdesk"], app.bot)
        await say(fake, FakeUser(30_501, "Inès", language_code="en"), "/start")
    assert ("sendMessage", BULK) in lanes, lanes
    assert ("sendMessage", PRESS) in lanes, lanes
    assert _LANE.get() == PRESS, "the lane is reset after the outbox run"


async def test_under_telegrams_limits_a_rush_of_bulk_messages_gets_no_429_and_presses_are_answered(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Twenty members get two notices each (the second within a second of the first), while a member
    opens the bookings: no 429 from Telegram, everything delivered, the member's screens at once."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        members = [await make_member(session, f"M{i}", telegram_id=30_000 + i) for i in range(20)]
        for n in range(2):
            for member in members:
                outbox.enqueue(
                    session,
                    chat_id=member.telegram_id,
                    member_id=member.id,
                    notice=Authorized(machine=f"Prusa MK4 #{n}", machine_kind=MachineKind.PRINTER_3D),
                    now=now - timedelta(minutes=1),
                )
    async with FakeBotApi(flood_limits=FloodLimits()) as fake:
        async with running_bot(test_settings(fake, database_url, default_language="en"), Clock(now)) as app:
            sending = asyncio.create_task(deliver_outbox(app.bot_data["fabdesk"], app.bot))
            presser = FakeUser(31_000, "Inès", language_code="en")
            await say(fake, presser, "/start")
            screen = await tap(fake, presser, "Book a machine")
            assert screen.text
            assert not sending.done(), "the screens came while the bulk messages were still going out"
            assert await asyncio.wait_for(sending, timeout=60) == 40
        refused = [c for c in fake.calls if c.status == 429]
        assert refused == [], refused[:3]
        delivered = [c for c in fake.calls_of("sendMessage") if c.status == 200 and c.chat_id != presser.id]
        assert len(delivered) == 40


async def test_messages_bunched_up_on_their_way_never_make_more_than_thirty_in_a_second() -> None:
    """The pacer spaces sends 1/29 s apart, but a busy loop or the network delays some more than
    others, so they may arrive bunched up (a 429 from Telegram's one-second window): each message
    also waits for the one thirty sends before it to have come back a second ago."""
    import random

    rng = random.Random(20261204)
    limiter = LanedRateLimiter(messages_per_second=29)
    loop = asyncio.get_running_loop()
    arrivals: list[float] = []

    async def delayed(**_kwargs: Any) -> bool:
        await asyncio.sleep(rng.choice([0.0, 0.0, 0.09]))  # on its way: some late, most not
        arrivals.append(loop.time())
        return True

    await asyncio.gather(
        *(
            limiter.process_request(delayed, (), {}, "sendMessage", {"chat_id": 40_000 + i}, None)
            for i in range(75)
        )
    )
    arrivals.sort()
    busiest = max(sum(1 for t in arrivals if first <= t < first + 1.0) for first in arrivals)
    assert busiest <= 30, busiest
