"""The buttons of today's overview of the machines: its first page and the others."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import Between, Button


class MachinesToday(Button, action="mg"):
    """Every machine with today's bookings, first page."""


class MachinesTodayPage(Button, action="mg:p"):
    """Another page of the machines today."""

    page: Annotated[int, Between(0, 9999)]
