"""How an outbox notice becomes a message: the registry every feature's messages.py fills.

Each feature renders the notices it owns in bot/features/<feature>/messages.py, registering a
function by the notice's class with `@renders(Kind)` (a message to send) or `@acts(Kind)` (something
to do in a group, which may also return a message). The sender (bot/core/outbox.py) imports them all
through bot/features/messages.py, so the registry is full wherever a message can be sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardMarkup

from bot.core.i18n import Texts
from models.notices import Notice

CAPTION_LIMIT = 1024  # Telegram's limit for a photo caption


@dataclass(frozen=True)
class Outgoing:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a Telegram file id, sent with the text as its caption
    chat: str | None = None  # another chat than the row's: a channel's @username (an announcement)


N = TypeVar("N", bound=Notice)
Render = Callable[[Texts, N], Outgoing]
Act = Callable[[Bot, Texts, N], Awaitable[Outgoing | None]]

# How each kind of notice reads (RENDERERS) or what it does in a group (ACTIONS), by its class: the
# decorators below check, for mypy, that a renderer takes the notice it is registered for.
RENDERERS: dict[type[Notice], Render[Any]] = {}
ACTIONS: dict[type[Notice], Act[Any]] = {}


def renders(kind: type[N]) -> Callable[[Render[N]], Render[N]]:
    """Register the function as the way `kind` reads."""

    def register(render: Render[N]) -> Render[N]:
        return _register(RENDERERS, kind, render)

    return register


def acts(kind: type[N]) -> Callable[[Act[N]], Act[N]]:
    """Register the function as what `kind` does (it may also return a message to send)."""

    def register(act: Act[N]) -> Act[N]:
        return _register(ACTIONS, kind, act)

    return register


F = TypeVar("F", bound=Callable[..., Any])


def _register(table: dict[type[Notice], Any], kind: type[Notice], function: F) -> F:
    """One way per kind: a second feature registering the same notice is refused at import."""
    for known in (RENDERERS.get(kind), ACTIONS.get(kind)):
        if known is not None and _name(known) != _name(function):
            raise TypeError(f"{kind.__name__} is already rendered by {_name(known)}")
    table[kind] = function
    return function


def _name(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def and_more(texts: Texts, hidden: int, command: str) -> list[str]:
    """ "… and 60 more: /stock", when a list was shortened."""
    if hidden <= 0:
        return []
    return ["… " + texts.gettext("and {count} more: {command}").format(count=hidden, command=command)]
