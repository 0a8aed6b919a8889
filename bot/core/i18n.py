"""Translations (gettext catalogs kept as .po files, compiled in memory by Babel) and formatting."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "fabdesk"
LANGUAGES = ("fr", "en")


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (English msgids are the source, so English may have none)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        messages = read_po(handle, locale=language, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, messages, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def pick_language(chosen: str | None, telegram_language: str | None, default: str) -> str:
    """The member's choice, else their Telegram language if fabdesk speaks it, else the lab default."""
    if chosen in LANGUAGES:
        return chosen
    if telegram_language:
        base = telegram_language.split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return default


@dataclass(frozen=True)
class Texts:
    """Everything needed to talk to one person: their language and the lab's time zone."""

    language: str
    tz: ZoneInfo

    def gettext(self, message: str) -> str:
        return catalog(self.language).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return catalog(self.language).ngettext(singular, plural, n)

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language)

    def day(self, value: date | datetime) -> str:
        """The day in full: « mardi 24 novembre », "Tuesday 24 November"."""
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        return self._date(value, "EEEE", "MMMM")

    def short_day(self, value: date) -> str:
        """The day for a button: « mar. 24 nov. », "Tue 24 Nov"."""
        return self._date(value, "EEE", "MMM")

    def _date(self, value: date, weekday: str, month: str) -> str:
        # French writes the first day of a month as an ordinal: « lundi 1er avril ».
        number = "1er" if self.language == "fr" and value.day == 1 else str(value.day)
        weekday_name = format_date(value, weekday, locale=self.locale)
        month_name = format_date(value, month, locale=self.locale)
        return f"{weekday_name} {number} {month_name}"

    def weekday(self, number: int) -> str:
        """The name of a weekday (0 = Monday), capitalised for a list: "Tuesday", « Mardi »."""
        monday = date(2024, 1, 1)
        return format_date(monday + timedelta(days=number), "EEEE", locale=self.locale).capitalize()

    def time(self, value: datetime) -> str:
        """24-hour local time, "14:30"."""
        return format_time(value.astimezone(self.tz), "HH:mm", locale=self.locale)

    def when(self, start: datetime, end: datetime) -> str:
        """A slot: « mardi 24 novembre, 14:00–16:00 »; one that runs overnight (an unattended run)
        names both days: « mardi 24 novembre 18:00 – mercredi 25 novembre 04:00 »."""
        if start.astimezone(self.tz).date() != (end - timedelta(microseconds=1)).astimezone(self.tz).date():
            return f"{self.day_time(start)} – {self.day_time(end)}"
        return f"{self.day(start)}, {self.time(start)}–{self.time(end)}"

    def day_time(self, value: datetime) -> str:
        """A day in full and a time: « mardi 24 novembre 14:00 »."""
        return f"{self.day(value)} {self.time(value)}"

    def moment(self, value: datetime) -> str:
        """A short day and time, for lists and buttons: « mar. 24 nov. 14:00 »."""
        return f"{self.short_day(value.astimezone(self.tz).date())} {self.time(value)}"

    def quantity(self, value: Decimal, unit: str) -> str:
        """An amount and its unit: « 1,5 kg », "1,250 g" (the language's separators, no trailing zeros)."""
        return f"{format_decimal(value, format='#,##0.###', locale=self.locale)} {unit}".strip()

    def hours(self, value: float) -> str:
        """Hours with one decimal: « 12,5 h », "1,234.5 h"."""
        return f"{format_decimal(value, format='#,##0.0', locale=self.locale)} h"

    def number(self, value: float) -> str:
        """A plain number in the language's way: « 0,5 », "0.5"."""
        return format_decimal(value, format="#,##0.##", locale=self.locale)

    def percent(self, rate: float) -> str:
        """A rate as a percentage: « 12 % », "12%"."""
        return format_percent(rate, locale=self.locale)

    def span(self, start: datetime, end: datetime) -> str:
        """A window that may cross midnight: « mardi 24 novembre 14:00 – mercredi 25 novembre 14:00 »."""
        return self.when(start, end)

    def duration(self, minutes: int) -> str:
        """A length: « 1 h 30 », "45 min"."""
        hours, rest = divmod(minutes, 60)
        if not hours:
            return self.gettext("{minutes} min").format(minutes=rest)
        if not rest:
            return self.gettext("{hours} h").format(hours=hours)
        return self.gettext("{hours} h {minutes} min").format(hours=hours, minutes=f"{rest:02d}")
