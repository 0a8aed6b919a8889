"""Typed messages in a private chat: the answer to a question a feature asked, or chatter.

Each feature declares the messages it may be waiting for (`Feature.awaits`): a ticket note, an
amount, a version, a member's name, a project's text, a report's text and photos, a forwarded
channel. A member owes at most one such answer at a time (asking a question drops the others:
models/base.clear_pending), so the features are simply tried in their registration order; the
first that was waiting answers, and a message nobody waited for gets the menu's "I work with
buttons" (`otherwise`). An answer that takes any message while it waits (a report's text and
photos: `catch_all`) is tried after the others, so that, should a race ever leave two questions
open, the narrow answer (an amount, a version) is not swallowed by the broad one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Message, Update

from bot.core.context import Context, Turn, screen
from bot.core.reply import Reply

# What the feature answers, or None when it waited for nothing from this member.
Took = Callable[[Turn, Message, Any], Awaitable[Reply | None]]
# Asked of Telegram before the update's transaction opens (no call to Telegram holds a transaction):
# its result is `took`'s third argument.
Before = Callable[[Bot, Message, int], Awaitable[Any]]


@dataclass(frozen=True)
class Awaited:
    """A message a feature may be waiting for."""

    took: Took
    before: Before | None = None
    catch_all: bool = False


def answer_order(awaited: Sequence[Awaited]) -> list[Awaited]:
    """The order answers are tried in: registration order, the catch-alls last."""
    return sorted(awaited, key=lambda waiting: waiting.catch_all)


def typed_answer(
    pending: Callable[[Turn], Awaitable[object | None]], took: Callable[[Turn, str], Awaitable[Reply]]
) -> Awaited:
    """A text the feature asked for: `took(turn, text)` when `pending(turn)` finds the question."""

    async def took_text(turn: Turn, incoming: Message, _: Any) -> Reply | None:
        if not incoming.text or await pending(turn) is None:
            return None
        return await took(turn, incoming.text)

    return Awaited(took_text)


def message_router(
    awaited: Sequence[Awaited], otherwise: Callable[[Turn], Awaitable[Reply]]
) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """The handler of every non-command message in a private chat."""
    awaited = answer_order(awaited)

    async def private_message(update: Update, context: Context) -> None:
        incoming, user = update.effective_message, update.effective_user
        prepared: list[Any] = [None] * len(awaited)
        if incoming is not None and user is not None:
            for index, waiting in enumerate(awaited):
                if waiting.before is not None:
                    prepared[index] = await waiting.before(context.bot, incoming, user.id)

        async def route(turn: Turn) -> Reply:
            if incoming is not None:
                for waiting, ready in zip(awaited, prepared, strict=True):
                    if (reply := await waiting.took(turn, incoming, ready)) is not None:
                        return reply
            return await otherwise(turn)

        await screen(route)(update, context)

    return private_message
