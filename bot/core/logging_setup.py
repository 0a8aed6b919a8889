"""What reaches the logs, at any level: no token, no secret, no member's personal data.

At DEBUG, PTB logs every Bot API call with its parameters and its answer (the texts the bot sends, a
calendar link among them; the updates with the members' names and what they wrote), and the webhook's
bodies; the database drivers log every statement with its parameters (tokens, names, everything).
The drivers are kept to warnings; PTB's records keep their shape with the parameters summed up
(`sendMessage` with `<chat_id, text, reply_markup>`); and every record, tracebacks included, has bot
tokens, calendar tokens and the configured secrets blotted out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from telegram import TelegramObject

# Loggers that print SQL parameters (or whole rows) as soon as the root logger is at INFO or DEBUG.
DRIVER_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy")

# A bot token as @BotFather gives it: the bot's id, a colon, 35 characters.
BOT_TOKEN = re.compile(r"\b\d{5,16}:[A-Za-z0-9_-]{30,}")
# A calendar link (bot/web/server.py): /calendar/<token>.ics or /calendar/<token>/machine/<id>.ics.
FEED_TOKEN = re.compile(r"(/calendar/)[A-Za-z0-9_-]{8,}")
# PTB's records whose only argument is a body as received: personal through and through.
WHOLE_BODIES = frozenset({"Webhook received data: %s"})
LONGEST_TEXT = 200  # a longer string argument of PTB's is somebody's text, not a name of PTB's


def redact(text: str, secrets: Mapping[str, str] | None = None) -> str:
    """The text without the secrets given (each replaced by its label), nor anything shaped like a
    bot token or a calendar link."""
    for secret, label in (secrets or {}).items():
        text = text.replace(secret, label)
    text = BOT_TOKEN.sub("<token>", text)
    return FEED_TOKEN.sub(r"\1<feed token>", text)


def summary(value: Any) -> Any:
    """A PTB log argument without what it carries: a request's parameter names, a result's type."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= LONGEST_TEXT else f"<{len(value)} characters>"
    if isinstance(value, dict):
        return "<" + ", ".join(str(key) for key in value) + ">"
    if isinstance(value, list | tuple):
        if all(isinstance(item, int) for item in value):
            return value  # update ids
        return f"<{len(value)} items>"
    if isinstance(value, TelegramObject):
        update_id = getattr(value, "update_id", None)
        return f"<{type(value).__name__}{'' if update_id is None else f' {update_id}'}>"
    return f"<{type(value).__name__}>"


class PrivateDataFilter(logging.Filter):
    """Rewrite each record (message, arguments, traceback) without tokens, secrets or personal data."""

    def __init__(self, secrets: Mapping[str | None, str] | None = None) -> None:
        super().__init__()
        # Longest first: a secret holding another one is blotted out whole.
        given = {value: label for value, label in (secrets or {}).items() if value}
        self.secrets = {value: given[value] for value in sorted(given, key=len, reverse=True)}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram") and isinstance(record.args, tuple) and record.args:
            if record.msg in WHOLE_BODIES:
                record.args = tuple(f"<{len(str(a))} characters>" for a in record.args)
            else:
                record.args = tuple(summary(a) for a in record.args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a library's malformed record: keep it as it is
            return True
        record.msg, record.args = redact(message, self.secrets), None
        if record.exc_info and record.exc_text is None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


def keep_logs_private(handler: logging.Handler, secrets: Mapping[str | None, str]) -> None:
    """Filter everything the handler writes ({secret: what to show instead}); keep the database
    drivers to warnings."""
    handler.addFilter(PrivateDataFilter(secrets))
    for name in DRIVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
