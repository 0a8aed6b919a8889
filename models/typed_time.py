"""A day and times typed in a chat (« demain 15h », « vendredi 4/12 de 14h à 17h », "friday 2-5pm"),
read into a day, a start and an end — or a precise reason why not.

Pure: no database, no Telegram, no clock (the caller gives the lab's today). The words of a day
(demain, vendredi, 8 décembre, tomorrow, next friday, 4/12) are read by dateparser, imported on
first use only: about 8 MB of RSS and 0.15–0.5 s, paid by the first typed text, not by every start
of the bot (then about 1 ms a text). Times and ranges are read by the small grammar below first, because
dateparser reads « 15h » as "in 15 hours" and knows no ranges (« 14h-17h », "2-5pm").

Numeric dates are day first (4/12 is the 4th of December) in every language: the labs this bot
serves write them so, and the answer always says which day was read, so nothing is guessed silently.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

# A typed text longer than this is no day and time (and is not worth parsing).
MAX_TYPED = 80


class Unclear(enum.StrEnum):
    """Why a typed text gives no day or time to book."""

    NOTHING = "nothing"  # no day nor time in it (« bonjour »)
    NO_DAY = "no_day"  # a time, but the rest is no day (« truc 15h »)
    BARE_NUMBER = "bare_number"  # « 15 »: a day of the month, or a time?
    VAGUE_DAY = "vague_day"  # a week or a month, not a day ("next week")
    SEVERAL_TIMES = "several_times"  # two times that are no range (« 15h 16h »)
    BAD_TIME = "bad_time"  # « 25h », "13pm"
    END_NOT_AFTER_START = "end_not_after_start"  # « 14h-14h »
    WEEKDAY_MISMATCH = "weekday_mismatch"  # « lundi 4/12 » when the 4th is a Friday


@dataclass(frozen=True)
class TypedTime:
    """What was read: a day (None: none was typed), a start and an end (local wall-clock times;
    an end before the start is the next day's, « de 18h à 8h », which only an unattended machine
    allows: models/typed_booking.py says so)."""

    day: date | None
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True)
class NotUnderstood:
    """Why the text gives nothing to book; `fragment` is the part meant (« 15 », "next week"),
    `day` the date read when the text contradicts itself (WEEKDAY_MISMATCH)."""

    reason: Unclear
    fragment: str = ""
    day: date | None = None


# --------------------------------------------------------------------------- times and ranges


def _time_pattern(name: str) -> str:
    """One time: 15h, 15 h 30, 15:30, 9h30, 3pm, 3:30 p.m., or a bare hour (only inside a range)."""
    return (
        rf"(?<![\d/.:])(?P<{name}h>\d{{1,2}})"
        rf"(?:\s*(?P<{name}u>h(?:eures?)?)(?:\s*(?P<{name}hm>\d{{2}})(?!\s*h))?|:(?P<{name}cm>\d{{2}}))?"
        rf"(?:\s*(?P<{name}ap>[ap]\.?m\b\.?))?(?![\d/])"
    )


_SINGLE = re.compile(_time_pattern("t"))
# A range: « de 14h à 17h », « 14h-17h », « 14-17h », « entre 14h et 17h », "from 2 to 5pm", "2-5pm".
_RANGE = re.compile(
    r"(?:(?P<lead>\b(?:de|from|entre|between)\s+))?"
    + _time_pattern("a")
    + r"\s*(?P<sep>-|\bà\b|\ba\b|\bto\b|\btill\b|\buntil\b|\bjusqu'à\b|\bet\b|\band\b)\s*"
    + _time_pattern("b")
)
_WORDS = {
    "midi": "12h",
    "minuit": "0h",
    "noon": "12pm",
    "midnight": "12am",
}
_DASHES = str.maketrans({"–": "-", "—": "-", "’": "'", "\u00a0": " "})


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    unit: bool  # written with h, a colon or am/pm (a bare number is only an hour inside a range)
    meridiem: str | None  # "am", "pm" or None


def _clock(match: re.Match[str], name: str) -> _Clock:
    minute = match.group(f"{name}hm") or match.group(f"{name}cm")
    meridiem = match.group(f"{name}ap")
    unit = bool(match.group(f"{name}u") or match.group(f"{name}cm") or meridiem)
    return _Clock(
        int(match.group(f"{name}h")),
        int(minute or 0),
        unit,
        meridiem.replace(".", "")[:2] if meridiem else None,
    )


def _wall_time(clock: _Clock, meridiem: str | None) -> time | None:
    """The clock as a time of day, None when no such time exists (25h, 13pm, 9h75)."""
    hour = clock.hour
    if clock.minute > 59:
        return None
    if meridiem is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23:
        return None
    return time(hour, clock.minute)


def _range_times(first: _Clock, second: _Clock) -> tuple[time, time] | Unclear:
    """Start and end of a range; a bare side takes the other's am/pm ("2-5pm"), the morning when
    the afternoon would put it after the end ("11-1pm")."""
    second_meridiem = second.meridiem or (first.meridiem if not second.unit else None)
    first_meridiem = first.meridiem or (second.meridiem if not first.unit else None)
    if first.meridiem is None and second.meridiem == "pm" and not first.unit:
        as_pm = _wall_time(first, "pm")
        end = _wall_time(second, "pm")
        if as_pm is not None and end is not None and as_pm >= end:
            first_meridiem = "am"
    start, end = _wall_time(first, first_meridiem), _wall_time(second, second_meridiem)
    if start is None or end is None:
        return Unclear.BAD_TIME
    if end == start:
        return Unclear.END_NOT_AFTER_START
    return start, end  # an end before the start is the next morning's (an overnight run)


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end() :]


def _read_times(text: str) -> tuple[str, time | None, time | None] | NotUnderstood:
    """The text without its times, and the start and end read in it."""
    start: time | None = None
    end: time | None = None
    for match in _RANGE.finditer(text):
        first, second = _clock(match, "a"), _clock(match, "b")
        # « le 8 à 15h » is the 8th at 15:00, not 8:00–15:00: a bare first hour needs « de » or a dash.
        if not (first.unit or second.unit) or (
            not (first.unit and second.unit) and not match.group("lead") and match.group("sep") != "-"
        ):
            continue
        times = _range_times(first, second)
        if isinstance(times, Unclear):
            return NotUnderstood(times, match.group(0).strip())
        start, end = times
        text = _cut(text, match)
        break
    for match in _SINGLE.finditer(text):
        clock = _clock(match, "t")
        if not clock.unit:
            continue
        if start is not None:
            return NotUnderstood(Unclear.SEVERAL_TIMES, match.group(0).strip())
        start = _wall_time(clock, clock.meridiem)
        if start is None:
            return NotUnderstood(Unclear.BAD_TIME, match.group(0).strip())
        text = _cut(text, match)
        break
    if start is not None:
        for match in _SINGLE.finditer(text):
            if _clock(match, "t").unit:
                return NotUnderstood(Unclear.SEVERAL_TIMES, match.group(0).strip())
    return text, start, end


# --------------------------------------------------------------------------- days

# Words joining a day and a time, left over once the times are cut out.
_JOINS = r"(?:\s|,|-|\b(?:à|a|at|de|from|vers|around|on|entre|between)\b)+"
_FILLERS = re.compile(rf"^{_JOINS}|{_JOINS}$")
_WEEKDAYS = {
    **dict.fromkeys(("lundi", "lun", "monday", "mon"), 0),
    **dict.fromkeys(("mardi", "tuesday", "tue", "tues"), 1),
    **dict.fromkeys(("mercredi", "mer", "wednesday", "wed"), 2),
    **dict.fromkeys(("jeudi", "jeu", "thursday", "thu", "thurs"), 3),
    **dict.fromkeys(("vendredi", "ven", "friday", "fri"), 4),
    **dict.fromkeys(("samedi", "sam", "saturday", "sat"), 5),
    **dict.fromkeys(("dimanche", "dim", "sunday", "sun"), 6),
}
_WORD = re.compile(r"[^\W\d_]+")
_YEAR = re.compile(r"(?<!\d)\d{1,2}/\d{1,2}/\d{2,4}(?!\d)|\b\d{4}\b")
_WEEKDAY_NAMES = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
# « lundi prochain », « ce vendredi »: dateparser's French knows neither. « prochain » is the coming
# one after today; « ce vendredi » is simply Friday.
_NEXT = re.compile(rf"\b({_WEEKDAY_NAMES})\s+prochain\b")
_THIS = re.compile(rf"\b(?:ce|cette)\s+(?=(?:{_WEEKDAY_NAMES})\b)")
_VAGUE_PERIODS = {"week", "month", "year"}


@lru_cache(maxsize=8)
def _parser(languages: tuple[str, ...], prefer: str, base: date) -> DateDataParser:
    from dateparser.date import DateDataParser  # heavy: only once a typed text needs it

    settings: dict[str, Any] = {
        "RELATIVE_BASE": datetime(base.year, base.month, base.day),
        "PREFER_DATES_FROM": prefer,
        "DATE_ORDER": "DMY",
        "RETURN_TIME_AS_PERIOD": True,
        "PREFER_DAY_OF_MONTH": "first",
    }
    return DateDataParser(languages=list(languages), settings=settings)


def _date_of(text: str, languages: tuple[str, ...], today: date, prefer: str) -> tuple[date, str] | None:
    data = _parser(languages, prefer, today).get_date_data(text)
    if data.date_obj is None:
        return None
    return data.date_obj.date(), data.period or "day"


def _read_day(text: str, today: date, languages: tuple[str, ...]) -> date | NotUnderstood:
    """The day a text names, the coming one when it names no year (« lundi », « 4/12 »)."""
    coming_only = bool(_NEXT.search(text))
    text = " ".join(_THIS.sub("", _NEXT.sub(r"\1", text)).split())
    if re.fullmatch(r"\d{1,2}", text):
        return NotUnderstood(Unclear.BARE_NUMBER, text)
    read = _date_of(text, languages, today, "current_period")
    # This week's Monday, this year's 4/11 may have passed: then the next one is meant.
    passed = read is not None and (coming_only or read[0] < today)
    if read is not None and passed and read[1] not in _VAGUE_PERIODS and not _YEAR.search(text):
        read = _date_of(text, languages, today, "future")
        if read is not None and coming_only and read[0] <= today:
            read = read[0] + timedelta(days=7), read[1]
    if read is None:
        return NotUnderstood(Unclear.NO_DAY, text)
    day, period = read
    if period in _VAGUE_PERIODS:
        return NotUnderstood(Unclear.VAGUE_DAY, text)
    named = {_WEEKDAYS[w] for w in _WORD.findall(text) if w in _WEEKDAYS}
    if named and day.weekday() not in named:
        return NotUnderstood(Unclear.WEEKDAY_MISMATCH, text, day)
    return day


def read_typed_time(text: str, today: date, languages: Sequence[str]) -> TypedTime | NotUnderstood:
    """Read a day and times in `text`, the lab's `today` being the day of reference and
    `languages` ("fr", "en": the member's first) those its words may be in."""
    text = " ".join(text.lower().translate(_DASHES).split())
    if not text or len(text) > MAX_TYPED:
        return NotUnderstood(Unclear.NOTHING, text[:MAX_TYPED])
    for word, clock in _WORDS.items():
        text = re.sub(rf"\b{word}\b", clock, text)
    read = _read_times(text)
    if isinstance(read, NotUnderstood):
        return read
    rest, start, end = read
    rest = " ".join(_FILLERS.sub("", rest.strip()).split())
    if not rest:
        if start is None:
            return NotUnderstood(Unclear.NOTHING, text)
        return TypedTime(None, start, end)
    day = _read_day(rest, today, tuple(languages))
    if isinstance(day, NotUnderstood):
        if day.reason is Unclear.NO_DAY and start is None:
            return NotUnderstood(Unclear.NOTHING, text)
        return day
    return TypedTime(day, start, end)
