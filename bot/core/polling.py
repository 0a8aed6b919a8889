"""One poller per database: several fabdesk processes share one, and the others stand by.

Telegram gives a bot's updates to one `getUpdates` at a time and answers any other `409 Conflict`.
Processes on one database agree through a lease (models/leases.py) which of them polls; the others
run no polling, keep running the jobs they claim from the database (reminders, the outbox…), and the
first to see the lease run out takes over. A clean stop gives the lease up, so the standby takes
over at once; a crash, once the lease has run out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.ext import Updater

from bot.core.context import FabDesk, worker_alive
from models import leases

log = logging.getLogger(__name__)

LEASE = "polling"
TTL = timedelta(seconds=30)
RENEW_EVERY_S = 10.0  # three renewals per lease: one slow database answer does not lose it


def _gone(holder: str, me: str) -> bool:
    """Whether `holder` was a process of this host (and PID namespace) that no longer runs."""
    return holder.split(":", 1)[0] == me.split(":", 1)[0] and not worker_alive(holder)


async def lead_or_stand_by(
    desk: FabDesk,
    start_polling: Callable[[], Awaitable[None]],
    stop_polling: Callable[[], Awaitable[None]],
    stopping: asyncio.Event,
    renew_every_s: float = RENEW_EVERY_S,
) -> None:
    """Poll while this process holds the polling lease, stand by while another does, until `stopping`."""
    polling = False
    told_standby = False
    held_until = None  # when our lease runs out, as far as we know
    try:
        while not stopping.is_set():
            now = desk.clock()
            try:
                async with desk.sessions.begin() as session:
                    holder = await leases.hold(session, LEASE, desk.worker, now, TTL)
                    if holder != desk.worker and _gone(holder, desk.worker):
                        # The holder was a process of this machine that has ended (a crash, then a
                        # restart): take over now rather than when its lease runs out.
                        await leases.give_up(session, LEASE, holder)
                        holder = await leases.hold(session, LEASE, desk.worker, now, TTL)
                if holder == desk.worker:
                    held_until = now + TTL
            except Exception as exc:  # the database is briefly away
                log.warning("could not renew the polling lease: %s", exc)
                # Keep polling only while the lease we hold has not run out: after that, another
                # process may have taken it, and two pollers would fight.
                mine = polling and held_until is not None and desk.clock() < held_until
                holder = desk.worker if mine else ""
            try:
                if holder == desk.worker and not polling:
                    await start_polling()
                    polling, told_standby = True, False
                    log.info("this process polls Telegram for updates (%s)", desk.worker)
                elif holder != desk.worker and polling:
                    await stop_polling()
                    polling = False
                    log.warning(
                        "this process stopped polling (%s): it stands by",
                        holder or "the lease could not be renewed",
                    )
                    told_standby = True
                elif holder and holder != desk.worker and not told_standby:
                    log.info(
                        "another fabdesk process polls Telegram with this database (%s): this one stands by, "
                        "runs the work it claims from the database, and takes over if that one stops",
                        holder,
                    )
                    told_standby = True
            except Exception:  # starting or stopping the poller failed: try again next round
                log.exception("could not switch polling on or off; trying again in a moment")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=renew_every_s)
    finally:
        if polling:
            with contextlib.suppress(Exception):
                await stop_polling()
            try:
                async with desk.sessions.begin() as session:
                    await leases.give_up(session, LEASE, desk.worker)
            except Exception as exc:  # a stop must not fail on this: the lease runs out by itself
                log.info("could not give the polling lease up: %s", exc)


class LeasedUpdater(Updater):
    """PTB's Updater, polling only while this process holds the polling lease.

    `run_polling` asks it to start: it starts the guard (lead_or_stand_by) instead, which polls when
    the lease is ours and stands by otherwise; `stop` ends the guard, which stops polling and gives
    the lease up. To PTB it is running from start to stop, polling or standing by."""

    def __init__(self, desk: FabDesk, bot: Bot, update_queue: asyncio.Queue[object]) -> None:
        super().__init__(bot, update_queue)
        self._desk = desk
        self._guard: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._switching = False  # inside PTB's own start/stop: report the real state

    @property
    def running(self) -> bool:
        if self._switching:
            return bool(self._running)
        return self._guard is not None or bool(self._running)

    async def start_polling(self, *args: Any, **kwargs: Any) -> asyncio.Queue[object]:
        async def start() -> None:
            self._switching = True
            try:
                await Updater.start_polling(self, *args, **kwargs)
            finally:
                self._switching = False

        async def stop() -> None:
            self._switching = True
            try:
                await Updater.stop(self)
            finally:
                self._switching = False

        self._stopping.clear()
        self._guard = asyncio.create_task(
            lead_or_stand_by(self._desk, start, stop, self._stopping), name="polling lease"
        )
        return self.update_queue

    async def stop(self) -> None:
        guard, self._guard = self._guard, None
        if guard is None:
            await Updater.stop(self)
            return
        self._stopping.set()
        await guard
