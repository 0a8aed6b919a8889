"""The menu's buttons: the main menu, help, closing a screen, the language and the opening hours."""

from __future__ import annotations

from typing import ClassVar

from bot.core.routes import Button


class MainMenu(Button, action="menu"):
    """The main menu, in place of the current screen."""


class Closed(Button, action="close"):
    """Cancel pressed: leave the current screen, nothing changed."""


class Help(Button, action="help"):
    """What the bot does and its commands."""


class OpeningHours(Button, action="hours"):
    """The week's opening hours and the closure days ahead."""


class LanguageList(Button, action="lang"):
    """The languages the bot speaks, to pick one."""


class LanguageChosen:
    """What a language button sets: a language, or None to follow the member's Telegram language."""

    language: ClassVar[str | None]


class FrenchChosen(LanguageChosen, Button, action="lang:fr"):
    """Français picked."""

    language = "fr"


class EnglishChosen(LanguageChosen, Button, action="lang:en"):
    """English picked."""

    language = "en"


class TelegramLanguageChosen(LanguageChosen, Button, action="lang:auto"):
    """Follow my Telegram language picked."""

    language = None
