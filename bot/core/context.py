"""What a handler works with: the application's state, one transaction per update, and the reply.

A screen is an async function `(Turn) -> Reply`. `screen()` turns it into a PTB callback that opens
the update's transaction, registers the member, turns domain refusals into friendly answers (after
rolling back, so a refusal changes nothing) and delivers the reply once the transaction is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot, InputFile, InputMediaPhoto, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.core import routes
from bot.core.i18n import Texts, pick_language
from bot.core.presses import PressAnswers
from bot.core.reply import Reply
from bot.core.settings import Settings
from bot.features.refusals import refusal_reply
from models import members
from models.bookings import BookingRules
from models.errors import DomainError, NotFound
from models.maintenance import DOCUMENT_PREFIX
from models.members import Member

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
DESK_KEY = "fabdesk"
MAX_MESSAGE_LENGTH = 4096  # Telegram's limit, in characters


def worker_name() -> str:
    """Who this process is in the database's records: host, process id, and a few random letters
    (two applications in one process, as in the tests, are two workers). The host part names the
    PID namespace too: two containers with the same host name cannot see each other's processes, so
    neither may take the other for dead (see worker_alive)."""
    host = socket.gethostname()[:40]
    with contextlib.suppress(OSError):  # not Linux: the host name alone
        host += f"/{os.stat('/proc/self/ns/pid').st_ino}"
    return f"{host}:{os.getpid()}:{secrets.token_hex(3)}"


def worker_alive(worker: str) -> bool:
    """Whether the process named `worker` (see worker_name) still runs; only asked about workers of
    this host. Anything unreadable counts as alive: its lease will run out anyway."""
    try:
        pid = int(worker.split(":")[1])
        os.kill(pid, 0)
    except (IndexError, ValueError, PermissionError):
        return True
    except ProcessLookupError:
        return False
    return True


class AnswerFailed(Exception):
    """Delivering a reply failed after the update's transaction was committed (the cause is chained)."""


@dataclass
class FabDesk:
    """The application's state, kept in bot_data: settings, database, clock and booking rules."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    rules: BookingRules
    # Sends the outbox soon after an update queued messages (set by the app factory).
    wake_outbox: Callable[[Context], None] = lambda _context: None
    outbox_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # This process, in the claims it makes on shared work (the outbox) and the record of what it sent.
    worker: str = field(default_factory=lambda: worker_name())
    # This lab's name in calendar event ids (set from the bot's username at start-up).
    calendar_domain: str = "fabdesk"
    # Presses answered before their screen under a rush (bot/core/presses.py; set by the app factory).
    presses: PressAnswers = field(default_factory=lambda: PressAnswers(deadline_s=None))

    def texts(self, member: Member | None = None, telegram_language: str | None = None) -> Texts:
        language = pick_language(
            member.language if member else None,
            member.telegram_language if member else telegram_language,
            self.settings.default_language,
        )
        return Texts(language, self.settings.tz)


def get_desk(context: Context) -> FabDesk:
    desk: FabDesk = context.bot_data[DESK_KEY]
    return desk


@dataclass
class Turn:
    """One update being handled: its transaction, its member, its time, its language."""

    desk: FabDesk
    session: AsyncSession
    member: Member
    now: datetime
    texts: Texts
    update: Update
    # The button pressed, typed (bot/core/routes.py); None for a command or a typed message.
    press: routes.Button | None = None

    def _(self, message: str) -> str:
        return self.texts.gettext(message)

    def pressed(self, button: type[routes.B]) -> routes.B:
        """The press, as the button class this screen is routed from. A screen reached some other
        way (a command, another button) has no such press: NotFound, answered as a stale button."""
        if not isinstance(self.press, button):
            raise NotFound(f"not a {button.__name__} press")
        return self.press

    async def texts_of(self, member: Member) -> Texts:
        """The texts to use when writing to another member."""
        return self.desk.texts(member)


@asynccontextmanager
async def open_turn(update: Update, context: Context) -> AsyncIterator[Turn]:
    """Open the update's transaction and register (or refresh) the member who sent it."""
    desk = get_desk(context)
    user = update.effective_user
    if user is None:  # pragma: no cover - screens are only registered for updates with a user
        raise RuntimeError("update without a user")
    now = desk.clock()
    query = update.callback_query
    async with desk.sessions.begin() as session:
        member = await members.register_profile(session, user, desk.settings.manager_ids, now)
        yield Turn(
            desk=desk,
            session=session,
            member=member,
            now=now,
            texts=desk.texts(member),
            update=update,
            press=routes.parse(query.data) if query else None,
        )


Screen = Callable[[Turn], Awaitable[Reply]]


def screen(render: Screen) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """Make a PTB callback from a screen function (see the module docstring)."""

    async def callback(update: Update, context: Context) -> None:
        turn: Turn | None = None
        try:
            async with open_turn(update, context) as turn:
                if update.callback_query is not None and turn.press is None:
                    reply = Reply(toast=turn._("This button is no longer valid."), alert=True)
                else:
                    reply = await render(turn)
        except DomainError as refusal:
            if turn is None:
                raise
            reply = refusal_reply(turn.texts, refusal)
        if turn is not None and turn.session.info.get("outbox"):
            turn.desk.wake_outbox(context)
        try:
            await deliver(update, context, reply)
        except Exception as exc:
            raise AnswerFailed("the reply could not be delivered") from exc

    callback.__name__ = getattr(render, "__name__", "screen")
    callback.__doc__ = render.__doc__
    return callback


async def deliver(update: Update, context: Context, reply: Reply) -> None:
    """Show the reply: answer the button press, then edit or send the screen."""
    query = update.callback_query
    if query is not None and get_desk(context).presses.answered_early(query.id):
        reply = toast_in_chat(reply)
    elif query is not None:
        try:
            await query.answer(reply.toast, show_alert=reply.alert)
        except BadRequest as exc:  # "query is too old": the screen below still updates
            log.info("could not answer callback query: %s", exc.message)
    if reply.text is not None:
        reply.text = fit_message(reply.text)
        message = query.message if query is not None else None
        edited = False
        # A photo message has a caption, no text: a screen replacing it is a new message.
        if isinstance(message, Message) and not reply.new_message and message.text is not None:
            try:
                await context.bot.edit_message_text(
                    reply.text,
                    chat_id=message.chat.id,
                    message_id=message.message_id,
                    reply_markup=reply.markup,
                )
                edited = True
            except BadRequest as exc:
                # "not modified": the screen is already right. Anything else (a message too old to
                # edit, deleted meanwhile...): show the screen as a new message instead.
                edited = "not modified" in exc.message.lower()
                if not edited:
                    log.info("could not edit the pressed message (%s); sending a new one", exc.message)
        if not edited and (chat := update.effective_chat) is not None:
            await context.bot.send_message(chat.id, reply.text, reply_markup=reply.markup)
    elif reply.toast and query is None and (chat := update.effective_chat) is not None:
        await context.bot.send_message(chat.id, reply.toast)
    if reply.document is not None and (chat := update.effective_chat) is not None:
        name, content = reply.document
        await context.bot.send_document(chat.id, InputFile(content, filename=name))
    if reply.photos and (chat := update.effective_chat) is not None:
        await send_pictures(context.bot, chat.id, reply.photos)
    if reply.image is not None and (chat := update.effective_chat) is not None:
        await context.bot.send_photo(chat.id, InputFile(reply.image, filename="chart.png"))


def toast_in_chat(reply: Reply) -> Reply:
    """The reply to a press that was answered before its screen (bot/core/presses.py): the toast can
    no longer be shown over the button, so a dialog's text (a refusal) comes in the chat, as a
    message or above the screen; a passing toast beside a screen ("Recorded.") is left out, the
    screen shows what happened."""
    if not reply.toast:
        return reply
    if reply.text is None and (reply.alert or not (reply.photos or reply.document or reply.image)):
        return replace(reply, text=reply.toast, toast=None, alert=False, new_message=True)
    if reply.text is not None and reply.alert:
        return replace(reply, text=f"⚠️ {reply.toast}\n\n{reply.text}", toast=None, alert=False)
    return replace(reply, toast=None, alert=False)


async def send_pictures(bot: Bot, chat_id: int, references: list[str], caption: str | None = None) -> None:
    """Send report pictures: photos as one album (or one photo), pictures sent as files as files."""
    photos = [r for r in references if not r.startswith(DOCUMENT_PREFIX)]
    documents = [r.removeprefix(DOCUMENT_PREFIX) for r in references if r.startswith(DOCUMENT_PREFIX)]
    if len(photos) == 1:
        await bot.send_photo(chat_id, photos[0], caption=caption)
        caption = None
    else:
        for first in range(0, len(photos), 10):  # an album holds ten photos at most
            album = photos[first : first + 10]
            if len(album) == 1:
                await bot.send_photo(chat_id, album[0])
            else:
                await bot.send_media_group(chat_id, [InputMediaPhoto(p) for p in album])
    for document in documents:
        await bot.send_document(chat_id, document, caption=caption)
        caption = None


def clip(text: str, limit: int) -> str:
    """The text, or its first `limit` characters and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fit_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """Cut a text to Telegram's message limit at a line break, saying that more was left out.

    Telegram counts UTF-16 code units (an emoji may count twice).
    """
    if _utf16_length(text) <= limit:
        return text
    cut = text[: limit - 1]
    while _utf16_length(cut) > limit - 2 or (cut and text[len(cut)] != "\n" and "\n" in cut):
        cut = cut[: cut.rfind("\n")] if "\n" in cut else cut[: len(cut) // 2]
    return cut + "\n…"


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
