"""A bare python-telegram-bot echo bot: the framework's own limit, for the benchmark's baseline.

Usage: echo_bot.py TOKEN BASE_URL [--concurrent-updates N] [--rate-limiter] [--transport httpx|aiohttp]
       [--loop asyncio|uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ContextTypes, MessageHandler, filters

from bot.core.cli import new_event_loop
from bot.core.transport import build_request


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    if (message := update.effective_message) is not None and message.text:
        await context.bot.send_message(message.chat_id, message.text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("token")
    parser.add_argument("base_url")
    parser.add_argument("--concurrent-updates", type=int, default=8)
    parser.add_argument(
        "--transport", choices=["httpx", "aiohttp"], default="httpx", help="PTB's own, or fabdesk's"
    )
    parser.add_argument(
        "--loop", choices=["asyncio", "uvloop"], default="asyncio", help="the event loop (fabdesk: uvloop)"
    )
    parser.add_argument("--rate-limiter", action="store_true", help="use AIORateLimiter as fabdesk does")
    args = parser.parse_args()
    asyncio.set_event_loop(new_event_loop(args.loop))  # run_polling takes it
    logging.basicConfig(level=logging.WARNING)
    builder = (
        Application.builder()
        .token(args.token)
        .base_url(args.base_url)
        .concurrent_updates(args.concurrent_updates)
        .request(build_request(args.transport, connection_pool_size=256))
        .get_updates_request(build_request(args.transport, connection_pool_size=1))
    )
    if args.rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(allowed_updates=[Update.MESSAGE])


if __name__ == "__main__":
    main()
