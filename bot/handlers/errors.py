"""The error handler: log first, then tell the person and (optionally) the fab managers."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.context import Context, get_desk

log = logging.getLogger(__name__)

# At most one report to the managers per this many seconds, so a failing loop cannot flood them.
REPORT_INTERVAL_S = 60.0


async def on_error(update: object, context: Context) -> None:
    """Log the exception, apologise to the person in their language, report to managers."""
    error = context.error
    if isinstance(error, (NetworkError, TimedOut, RetryAfter)) and not isinstance(error, Forbidden):
        log.warning("Telegram network trouble: %s", error)
        return
    log.error("unhandled error while handling an update", exc_info=error)
    desk = get_desk(context)
    if isinstance(update, Update) and update.effective_chat is not None:
        user = update.effective_user
        texts = desk.texts(telegram_language=user.language_code if user else None)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(
                    texts.gettext("Something went wrong. Nothing was changed; please try again."),
                    show_alert=True,
                )
            else:
                await context.bot.send_message(
                    update.effective_chat.id,
                    texts.gettext("Something went wrong. Nothing was changed; please try again."),
                )
        except TelegramError:
            log.info("could not tell the user about the error")
    if not desk.settings.error_reports or not desk.settings.manager_ids:
        return
    now = time.monotonic()
    last = context.bot_data.get("last_error_report", -REPORT_INTERVAL_S)
    if now - last < REPORT_INTERVAL_S:
        return
    context.bot_data["last_error_report"] = now
    where = ""
    if isinstance(update, Update):
        if update.callback_query is not None:
            where = f" (button {update.callback_query.data!r})"
        elif update.effective_message is not None and update.effective_message.text:
            where = f" (message {update.effective_message.text[:40]!r})"
    report = f"⚠️ fabdesk error{where}: {type(error).__name__}: {str(error)[:300]}"
    for chat_id in desk.settings.manager_ids:
        try:
            await context.bot.send_message(chat_id, report)
        except TelegramError:
            log.info("could not send the error report to %s", chat_id)
