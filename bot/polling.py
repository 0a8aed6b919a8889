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

from bot.context import FabDesk
from models import leases

log = logging.getLogger(__name__)

LEASE = "polling"
TTL = timedelta(seconds=30)
RENEW_EVERY_S = 10.0  # three renewals per lease: one slow database answer does not lose it


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
    try:
        while not stopping.is_set():
            try:
                async with desk.sessions.begin() as session:
                    holder = await leases.hold(session, LEASE, desk.worker, desk.clock(), TTL)
            except Exception as exc:  # the database is briefly away: keep what we do, try again
                log.warning("could not renew the polling lease: %s", exc)
                holder = desk.worker if polling else ""
            if holder == desk.worker and not polling:
                await start_polling()
                polling, told_standby = True, False
                log.info("this process polls Telegram for updates (%s)", desk.worker)
            elif holder != desk.worker and polling:
                await stop_polling()
                polling = False
                log.warning("another fabdesk process took over polling (%s): this one stands by", holder)
                told_standby = True
            elif holder != desk.worker and not told_standby:
                log.info(
                    "another fabdesk process polls Telegram with this database (%s): this one stands by, "
                    "runs the work it claims from the database, and takes over if that one stops",
                    holder,
                )
                told_standby = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=renew_every_s)
    finally:
        if polling:
            await stop_polling()
            try:
                async with desk.sessions.begin() as session:
                    await leases.give_up(session, LEASE, desk.worker)
            except Exception as exc:  # a stop must not fail on this: the lease runs out by itself
                log.info("could not give the polling lease up: %s", exc)
