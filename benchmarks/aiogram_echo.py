"""A bare aiogram 3 echo bot: what a user might pick instead of python-telegram-bot, as an outside anchor.

Usage: aiogram_echo.py TOKEN BASE_URL

Runs in its own virtual environment (benchmarks/.venv-aiogram, made by `benchmarks/run.py` with
`pip install aiogram`), never in fabdesk's: it imports nothing of fabdesk. BASE_URL is the fake Bot API's
as PTB takes it (`http://127.0.0.1:PORT/bot`, the token and the method appended).
"""

from __future__ import annotations

import asyncio
import logging
import sys

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def main(token: str, base_url: str) -> None:
    server = TelegramAPIServer(base=base_url + "{token}/{method}", file=base_url + "{token}/{path}")
    bot = Bot(token, session=AiohttpSession(api=server))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        """Send the text back."""
        if message.text:
            await bot.send_message(message.chat.id, message.text)

    await dispatcher.start_polling(bot, polling_timeout=10, handle_signals=True, allowed_updates=["message"])


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
