"""`fabdesk run`'s first contact with Telegram: wait until it answers, and say why it does not.

PTB's own start-up retries for ever and says why only at DEBUG level. Here each failure's reason
(connection refused, host not found, TLS, a proxy's error page…) is logged at the first failure, then
when it changes and at least every 30 s; a rejected token stops at once; Ctrl-C or SIGTERM while
waiting stops cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import ssl
import time
from collections.abc import Iterator

from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

log = logging.getLogger("fabdesk")

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
REPEAT_LOG_S = 30.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
clock = time.monotonic  # when the last line was logged (a test moves it)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def telegram_reason(exc: BaseException) -> str:
    """Why a request to the Bot API failed, in a few words a fab manager can act on."""
    causes = list(_chain(exc))
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused (nothing listens at that address and port)"
        if isinstance(cause, socket.gaierror):
            return "host not found (DNS: check the address and the network)"
        # aiohttp's ClientConnectorSSLError is an SSLError without a reason: the one it wraps has it.
        if isinstance(cause, ssl.SSLError) and getattr(cause, "reason", None) is not None:
            reason = cause.reason
            return f"TLS failed ({reason}): check that this is a Bot API server's https:// address"
        if isinstance(cause, TimeoutError | TimedOut):
            return "no answer in time (timed out)"
    # aiohttp's connection errors are OSErrors themselves, wrapping the one that says what failed:
    # the specific causes above are looked for down the whole chain first.
    for cause in causes:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
    if isinstance(exc, TelegramError):
        return exc.message
    return " ".join(str(exc).split())[:200] or type(exc).__name__


async def wait_for_telegram(application: Application, base_url: str) -> bool:  # type: ignore[type-arg]
    """Initialize the application (PTB's `getMe`), retrying while Telegram cannot be reached.
    Return False when a stop signal came first. A rejected token raises InvalidToken."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    ready = False
    try:
        ready = await _initialize(application, base_url, stop)
        return ready
    finally:
        if not ready:  # close the connection pools the attempts opened (aiohttp warns of open ones)
            await application.bot.shutdown()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)  # PTB puts its own in, for the time the bot runs


async def _initialize(application: Application, base_url: str, stop: asyncio.Event) -> bool:  # type: ignore[type-arg]
    delay = FIRST_DELAY_S
    failures = 0
    last_logged: tuple[str, float] | None = None
    while not stop.is_set():
        attempt = asyncio.ensure_future(application.initialize())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait((attempt, stopping), return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not attempt.done():
            attempt.cancel()
            break
        try:
            attempt.result()
        except InvalidToken:
            raise
        except (TelegramError, OSError) as exc:
            failures += 1
            wait = float(exc.retry_after if isinstance(exc, RetryAfter) else delay)  # type: ignore[arg-type]
            reason = telegram_reason(exc)
            now = clock()
            if last_logged is None or last_logged[0] != reason or now - last_logged[1] >= REPEAT_LOG_S:
                log.warning(
                    "Telegram cannot be reached at %s: %s; trying again (attempt %s, next in %.0f s)",
                    base_url,
                    reason,
                    failures,
                    wait,
                )
                last_logged = (reason, now)
            delay = min(MAX_DELAY_S, delay * 1.5)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
            continue
        name = application.bot.username
        if failures:
            log.info("Telegram answers now (after %s failed attempts): the bot is @%s", failures, name)
        else:
            log.info("connected to Telegram: the bot is @%s", name)
        return True
    return False
