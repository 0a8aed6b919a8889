"""Days and times typed in a chat, read on a fixed today (Monday 4 March 2030): a table of French and
English texts and what each reads as, or precisely why it is not understood."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, time
from pathlib import Path

import pytest

from models.typed_time import MAX_TYPED, NotUnderstood, TypedTime, Unclear, read_typed_time

TODAY = date(2030, 3, 4)  # a Monday
FR, EN = ("fr", "en"), ("en", "fr")


def _d(day: int, month: int = 3, year: int = 2030) -> date:
    return date(year, month, day)


READ = [
    # French: a day and a start, a range, the day alone, the time alone.
    ("demain 15h", FR, TypedTime(_d(5), time(15))),
    ("Demain 15H", FR, TypedTime(_d(5), time(15))),
    ("demain à 15 h 30", FR, TypedTime(_d(5), time(15, 30))),
    ("vendredi 14h-17h", FR, TypedTime(_d(8), time(14), time(17))),
    ("vendredi 14h–17h", FR, TypedTime(_d(8), time(14), time(17))),  # an en dash
    ("vendredi 8/3 de 14h à 17h", FR, TypedTime(_d(8), time(14), time(17))),
    ("mercredi de 9h à 11h", FR, TypedTime(_d(6), time(9), time(11))),
    ("jeudi entre 14h et 16h", FR, TypedTime(_d(7), time(14), time(16))),
    ("12/3 14h-16h30", FR, TypedTime(_d(12), time(14), time(16, 30))),
    ("demain de 14 à 17h", FR, TypedTime(_d(5), time(14), time(17))),
    ("demain 14-17h", FR, TypedTime(_d(5), time(14), time(17))),
    ("demain de 18h à 8h", FR, TypedTime(_d(5), time(18), time(8))),  # overnight: the booking judges
    ("lundi 9h30", FR, TypedTime(_d(4), time(9, 30))),  # today is a Monday: today
    ("lundi prochain", FR, TypedTime(_d(11))),  # « prochain »: after today
    ("jeudi prochain", FR, TypedTime(_d(7))),
    ("ce jeudi", FR, TypedTime(_d(7))),
    ("mardi 5 mars à 10h30", FR, TypedTime(_d(5), time(10, 30))),
    ("après-demain 18h", FR, TypedTime(_d(6), time(18))),
    ("aujourd'hui 14h", FR, TypedTime(_d(4), time(14))),
    ("demain midi", FR, TypedTime(_d(5), time(12))),
    ("le 8 à 15h", FR, TypedTime(_d(8), time(15))),  # the 8th at 15:00, not 8:00–15:00
    ("4/3", FR, TypedTime(_d(4))),  # day first: today
    ("4/12", FR, TypedTime(_d(4, 12))),  # the 4th of December, not the 12th of April
    ("3/3", FR, TypedTime(_d(3, 3, 2031))),  # passed this year: next year's
    ("4/3/31", FR, TypedTime(_d(4, 3, 2031))),  # a year given is kept
    ("15h", FR, TypedTime(None, time(15))),
    ("14:30", FR, TypedTime(None, time(14, 30))),
    ("de 14 à 17h", FR, TypedTime(None, time(14), time(17))),
    # English, read with the same rules (and by a French member too).
    ("tomorrow 3pm", EN, TypedTime(_d(5), time(15))),
    ("tomorrow 3pm", FR, TypedTime(_d(5), time(15))),
    ("friday 2-5pm", EN, TypedTime(_d(8), time(14), time(17))),
    ("from 2pm to 5", EN, TypedTime(None, time(14), time(17))),
    ("between 11 and 1pm", EN, TypedTime(None, time(11), time(13))),
    ("thursday 9:30am", EN, TypedTime(_d(7), time(9, 30))),
    ("sunday noon", EN, TypedTime(_d(10), time(12))),
    ("next friday", EN, TypedTime(_d(8))),
    ("4/12", EN, TypedTime(_d(4, 12))),  # day first in English too
    ("monday 9h30", EN, TypedTime(_d(4), time(9, 30))),
    ("vendredi 15h", EN, TypedTime(_d(8), time(15))),  # an English member writing French
]


@pytest.mark.parametrize(("text", "languages", "expected"), READ)
def test_a_typed_day_and_time_is_read(text: str, languages: tuple[str, ...], expected: TypedTime) -> None:
    assert read_typed_time(text, TODAY, languages) == expected


NOT_UNDERSTOOD = [
    ("15", NotUnderstood(Unclear.BARE_NUMBER, "15")),  # a day of the month, or 15:00?
    ("next week", NotUnderstood(Unclear.VAGUE_DAY, "next week")),
    ("la semaine prochaine", NotUnderstood(Unclear.VAGUE_DAY, "la semaine prochaine")),
    ("mars", NotUnderstood(Unclear.VAGUE_DAY, "mars")),
    ("bonjour", NotUnderstood(Unclear.NOTHING, "bonjour")),
    ("", NotUnderstood(Unclear.NOTHING, "")),
    ("truc 15h", NotUnderstood(Unclear.NO_DAY, "truc")),
    ("demain 15h 16h", NotUnderstood(Unclear.SEVERAL_TIMES, "16h")),
    ("25h", NotUnderstood(Unclear.BAD_TIME, "25h")),
    ("13pm", NotUnderstood(Unclear.BAD_TIME, "13pm")),
    ("9h75", NotUnderstood(Unclear.BAD_TIME, "9h75")),
    ("14h-14h", NotUnderstood(Unclear.END_NOT_AFTER_START, "14h-14h")),
    ("mardi 4/3", NotUnderstood(Unclear.WEEKDAY_MISMATCH, "mardi 4/3", _d(4))),  # the 4th is a Monday
    ("x" * (MAX_TYPED + 1), NotUnderstood(Unclear.NOTHING, "x" * MAX_TYPED)),
]


@pytest.mark.parametrize(("text", "expected"), NOT_UNDERSTOOD)
def test_what_is_not_understood_says_why(text: str, expected: NotUnderstood) -> None:
    assert read_typed_time(text, TODAY, FR) == expected


def test_the_bot_starts_without_loading_dateparser() -> None:
    """dateparser is heavy (about 8 MB, up to half a second): only the first typed text loads it."""
    code = (
        "import sys, bot.core.app, bot.features.registry, models.typed_time;"
        "assert 'dateparser' not in sys.modules, 'imported at start-up'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
