"""A feature's entry points, as the app factory registers them (see bot/features/__init__.py).

A feature is a folder under bot/features/: its buttons (routes.py: typed presses, the contract with
every screen that links to it), its screens, its keyboards. It hands the app factory one `Feature`:
the commands it answers in a private chat, the screen of each of its buttons, and any other Telegram
handler it needs (a group command, join requests). Nothing else registers handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import BaseHandler

from bot.core.inputs import Awaited
from bot.core.routes import Button

if TYPE_CHECKING:
    from bot.core.context import Turn
    from bot.core.reply import Reply

Screen = Callable[["Turn"], Awaitable["Reply"]]


@dataclass(frozen=True)
class Feature:
    """What one feature answers: its commands, its buttons' screens, and other handlers."""

    name: str
    commands: Mapping[str, Screen] = field(default_factory=dict)  # in a private chat: /name
    presses: Mapping[type[Button], Screen] = field(default_factory=dict)
    # Telegram events other than private commands and presses (group commands, chat members…),
    # registered before every feature's commands and presses.
    handlers: Sequence[BaseHandler[Any, Any, Any]] = ()
    # Typed messages the feature may be waiting for in a private chat (bot/core/inputs.py), in order.
    awaits: Sequence[Awaited] = ()
