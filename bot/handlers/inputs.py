"""Typed messages and photos: a note a manager was asked for, a report being written, or chatter."""

from __future__ import annotations

from bot.context import Turn
from bot.handlers import menu, report, tickets
from bot.reply import Reply
from models import maintenance


async def message(turn: Turn) -> Reply:
    """Route a message to what is waiting for it: a ticket note first, then a report, else the menu."""
    incoming = turn.update.effective_message
    if incoming is None:  # pragma: no cover - registered for messages only
        return await menu.plain_text(turn)
    text = incoming.text
    if text and await maintenance.pending_note(turn.session, turn.member) is not None:
        return await tickets.took_note(turn, text)
    if await maintenance.current_draft(turn.session, turn.member) is not None:
        if incoming.photo:
            return await report.took_photo(turn, incoming.photo[-1].file_id, incoming.caption)
        if text:
            return await report.took_text(turn, text)
        return Reply(text=turn._("Send text or photos for your report, or /cancel."))
    return await menu.plain_text(turn)
