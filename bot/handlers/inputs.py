"""Typed messages and photos: an answer the bot asked for (a ticket note, an amount, a version),
a report being written, or chatter."""

from __future__ import annotations

from telegram import MessageOriginChannel, Update

from bot.context import Context, Turn, screen
from bot.features.authorizations import screens as authorizations_screens
from bot.features.maintenance import report, tickets
from bot.features.menu import screens as menu
from bot.features.projects import drafts, groups, meetings
from bot.features.stock import screens as stock
from bot.features.updates import screens as updates
from bot.reply import Reply
from models import authorizations, maintenance
from models import projects as projects_domain
from models import stock as stock_domain
from models import updates as updates_domain


async def private_message(update: Update, context: Context) -> None:
    """A message in a private chat. One forwarded from a channel may be the channel its owner is
    linking: Telegram is asked about both rights there first, outside the update's transaction."""
    incoming, user = update.effective_message, update.effective_user
    check = None
    if (
        incoming is not None
        and user is not None
        and isinstance(incoming.forward_origin, MessageOriginChannel)
    ):
        check = await groups.check_channel(context.bot, incoming.forward_origin.chat, user.id)

    async def route(turn: Turn) -> Reply:
        return await message(turn, check)

    await screen(route)(update, context)


async def message(turn: Turn, channel: groups.ChannelCheck | None = None) -> Reply:
    """Route a message to what is waiting for it: a ticket note first, then a report, else the menu."""
    incoming = turn.update.effective_message
    if incoming is None:  # pragma: no cover - registered for messages only
        return await menu.plain_text(turn)
    text = incoming.text
    if channel is not None and await projects_domain.awaits_channel(turn.session, turn.member):
        return await groups.took_channel(turn, channel)
    if text and await maintenance.pending_note(turn.session, turn.member) is not None:
        return await tickets.took_note(turn, text)
    if text and await stock_domain.pending_amount(turn.session, turn.member) is not None:
        return await stock.took_amount(turn, text)
    if text and await updates_domain.pending_version(turn.session, turn.member) is not None:
        return await updates.took_version(turn, text)
    if text and await projects_domain.pending_project_input(turn.session, turn.member) is not None:
        return await meetings.took_project_input(turn, text)
    if text and await projects_domain.current_project_draft(turn.session, turn.member) is not None:
        return await drafts.took_draft_text(turn, text)
    if text and await authorizations.pending_search(turn.session, turn.member, turn.now) is not None:
        return await authorizations_screens.took_search(turn, text)
    if await maintenance.current_draft(turn.session, turn.member) is not None:
        album = incoming.media_group_id
        if incoming.photo:
            return await report.took_photo(turn, incoming.photo[-1].file_id, incoming.caption, album)
        document = incoming.document
        if document is not None and (document.mime_type or "").startswith("image/"):
            # A picture sent as a file (Telegram Desktop, "send without compression").
            return await report.took_photo(turn, document.file_id, incoming.caption, album, as_document=True)
        if text:
            return await report.took_text(turn, text)
        return Reply(text=turn._("Send text or photos for your report, or /cancel."))
    return await menu.plain_text(turn)
