"""The error handler: log first, then tell the person and (optionally) the fab managers."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.core.context import AnswerFailed, Context, get_desk
from bot.core.i18n import Texts
from models import members

log = logging.getLogger(__name__)

# At most one report to the managers per this many seconds, so a failing loop cannot flood them.
REPORT_INTERVAL_S = 60.0
# The "another process polls with this token" line is repeated at most this often.
CONFLICT_INTERVAL_S = 600.0


def is_network_trouble(error: BaseException | None) -> bool:
    """Timeouts and connection failures pass; a 400 or 403 from Telegram is a bug to look at.

    (In PTB, BadRequest and Forbidden are NetworkError subclasses, hence the explicit exclusion.)
    """
    return isinstance(error, (NetworkError, RetryAfter)) and not isinstance(error, (BadRequest, Forbidden))


async def _texts_for(update: Update, context: Context) -> Texts:
    """The person's language: their choice in fabdesk if the database can tell, else Telegram's."""
    desk = get_desk(context)
    user = update.effective_user
    member = None
    if user is not None:
        try:
            async with desk.sessions() as session:
                member = await members.find_by_telegram_id(session, user.id)
        except Exception:  # the database may be what failed
            log.info("could not look up the member's language", exc_info=True)
    return desk.texts(member, telegram_language=user.language_code if user else None)


def _another_poller(context: Context) -> None:
    """Telegram answered 409: another process asks for this bot's updates. Say so in one line, now
    and then; not a fault of this process, so no traceback and no report to the managers."""
    now = time.monotonic()
    last = context.bot_data.get("last_conflict_line")
    if last is not None and now - last < CONFLICT_INTERVAL_S:
        return
    context.bot_data["last_conflict_line"] = now
    log.warning(
        "another fabdesk is polling with this token (Telegram answered 409 Conflict): each update goes "
        "to one of them; on one database every message is still sent once, otherwise stop one of them"
    )


async def on_error(update: object, context: Context) -> None:
    """Log the exception, apologise to the person in their language, report to managers."""
    error = context.error
    answered = isinstance(error, AnswerFailed)
    cause = error.__cause__ if answered and error is not None else error
    if isinstance(cause, Conflict):
        _another_poller(context)
        return
    if is_network_trouble(cause):
        log.warning("Telegram network trouble: %s", cause)
        return
    log.error("unhandled error while handling an update", exc_info=error)
    desk = get_desk(context)
    if isinstance(update, Update) and update.effective_chat is not None:
        texts = await _texts_for(update, context)
        if answered:  # the update's transaction was committed: something may well have changed
            apology = texts.gettext(
                "Something went wrong while answering you. Check My bookings to see where things stand."
            )
        else:
            apology = texts.gettext("Something went wrong. Nothing was changed; please try again.")
        try:
            query = update.callback_query
            if query is not None and not answered and not desk.presses.answered_early(query.id):
                await query.answer(apology, show_alert=True)
            else:
                await context.bot.send_message(update.effective_chat.id, apology)
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
    report = f"⚠️ fabdesk error{where}: {type(cause).__name__}: {str(cause)[:300]}"
    for chat_id in desk.settings.manager_ids:
        try:
            await context.bot.send_message(chat_id, report)
        except TelegramError:
            log.info("could not send the error report to %s", chat_id)
