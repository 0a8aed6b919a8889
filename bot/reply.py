"""What a screen answers: the text and buttons shown, a toast, and messages for other people."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import InlineKeyboardMarkup


@dataclass
class Notice:
    """A message to someone else than the person who pressed (a manager, a member)."""

    chat_id: int
    text: str
    markup: InlineKeyboardMarkup | None = None


@dataclass
class Reply:
    """What to show the person: a screen (text + buttons), a short toast, messages for others."""

    text: str | None = None
    markup: InlineKeyboardMarkup | None = None
    toast: str | None = None
    alert: bool = False  # show the toast as a dialog the person must close
    new_message: bool = False  # send below instead of editing the pressed message
    notices: list[Notice] = field(default_factory=list)
