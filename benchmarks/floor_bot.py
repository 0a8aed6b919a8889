"""The least a correct button bot on fabdesk's stack does per press: the stack's own ceiling.

    floor_bot.py TOKEN BASE_URL [--database URL] [--transport httpx|aiohttp] [--loop asyncio|uvloop]
                 [--sqlite-driver inline|aiosqlite]

A text message is answered with one button; each press of it is answered (answerCallbackQuery, so the
member's app stops its spinner) and the screen is edited, as every fabdesk button press is. With
--database, each update also opens one transaction on fabdesk's engine (same SQLite settings and
BEGIN IMMEDIATE, same PostgreSQL pool_pre_ping) and reads the member's name through the ORM: one
statement, where fabdesk needs three to eleven. Nothing else: no handlers to try, no texts, no rules.
Diagnosis only, for the benchmark: how far below the echo bot any bot built this way must stay.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.core.cli import new_event_loop
from bot.core.transport import build_request
from models.db import create_engine, session_factory
from models.members import Member

AGAIN = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="again")]])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("token")
    parser.add_argument("base_url")
    parser.add_argument("--database", help="one transaction per update on this database (fabdesk's)")
    parser.add_argument("--concurrent-updates", type=int, default=8)
    parser.add_argument(
        "--transport", choices=["httpx", "aiohttp"], default="httpx", help="PTB's own, or fabdesk's"
    )
    parser.add_argument(
        "--loop", choices=["asyncio", "uvloop"], default="asyncio", help="the event loop (fabdesk: uvloop)"
    )
    parser.add_argument(
        "--sqlite-driver", choices=["inline", "aiosqlite"], default="inline", help="as FABDESK_SQLITE_DRIVER"
    )
    args = parser.parse_args()
    asyncio.set_event_loop(new_event_loop(args.loop))  # run_polling takes it
    logging.basicConfig(level=logging.WARNING)
    engine = create_engine(args.database, sqlite_driver=args.sqlite_driver) if args.database else None
    sessions = session_factory(engine) if engine is not None else None

    async def name_of(telegram_id: int) -> str:
        if sessions is None:
            return "you"
        async with sessions.begin() as session:
            member = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
            return member.first_name if member is not None else "stranger"

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the button."""
        if (user := update.effective_user) is None or (chat := update.effective_chat) is None:
            return
        await context.bot.send_message(chat.id, f"Hello {await name_of(user.id)}", reply_markup=AGAIN)

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer the press and edit the screen (the text changes each time, as Telegram requires)."""
        if (query := update.callback_query) is None:
            return
        name = await name_of(query.from_user.id)
        await query.answer()
        await query.edit_message_text(f"Pressed, {name} ({query.id})", reply_markup=AGAIN)

    application = (
        Application.builder()
        .token(args.token)
        .base_url(args.base_url)
        .concurrent_updates(args.concurrent_updates)
        .request(build_request(args.transport, connection_pool_size=256))
        .get_updates_request(build_request(args.transport, connection_pool_size=1))
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, on_text))
    application.add_handler(CallbackQueryHandler(on_press))
    application.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY])


if __name__ == "__main__":
    main()
