"""What a screen answers: the text and buttons shown, and a toast. (Messages to other people go
through the outbox, written by the domain.)"""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import InlineKeyboardMarkup


@dataclass
class Reply:
    """What to show the person: a screen (text + buttons) and/or a short toast."""

    text: str | None = None
    markup: InlineKeyboardMarkup | None = None
    toast: str | None = None
    alert: bool = False  # show the toast as a dialog the person must close
    new_message: bool = False  # send below instead of editing the pressed message
    photos: list[str] = field(default_factory=list)  # Telegram file ids, sent after the screen
    document: tuple[str, bytes] | None = None  # (file name, content), sent after the screen
    image: bytes | None = None  # a PNG, sent after the screen (a chart)
