"""Callback data as it travels, for tests that forge presses: every action and how many numbers it
carries, built and split without the typed buttons' meaning (the fuzz sends out-of-range values)."""

from __future__ import annotations

from dataclasses import dataclass

import bot.core.app  # noqa: F401  (imports every feature, so every button is declared)
from bot.core import routes

MAX_ARG = 2**31 - 1


@dataclass(frozen=True)
class Callback:
    action: str
    args: tuple[int, ...]


def _arities() -> dict[str, int]:
    typed = {
        action: len(button.longest().split(":")) - len(action.split(":"))
        for action, button in routes.declared().items()
    }
    return typed


ACTIONS: dict[str, int] = _arities()


def build(action: str, *args: int) -> str:
    """The data of a press of `action` (ValueError for what no button of ours carries)."""
    if routes.lookup(action) is None:
        raise ValueError(f"no button of ours has the action {action!r}")
    return routes.from_args(action, *args).data()


def parse(data: str | None) -> Callback | None:
    """The action and numbers a press carries, or None for what no button of ours carries."""
    press = routes.parse(data)
    if press is not None:
        raw = press.data().split(":")[len(press.action.split(":")) :]
        return Callback(press.action, tuple(int(n) for n in raw))
    return None
