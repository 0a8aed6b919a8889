"""The statistics' buttons: a period's figures (or the choice of a period) and its bookings as CSV."""

from __future__ import annotations

import enum
from typing import Annotated

from bot.core.routes import Between, Button, Flag, OneOf

PERIODS = (7, 30, 90)  # the periods offered, in days
# The days of a period as a button carries them: one of PERIODS, or 0 for "choose a period"; any
# other number in range is refused by the screen, as before.
Days = Annotated[int, Between(0, max(PERIODS))]


class PeriodChosen(Button, action="ss"):
    """The figures of the last `days` days, or (0) the choice of a period."""

    days: Days


class CsvAsked(Button, action="ss:c"):
    """The bookings of the last `days` days as a CSV file."""

    days: Days


class MembersAsked(Button, action="ss:m"):
    """Check-ins and no-shows per member over the last `days` days (managers only)."""

    days: Days


class ActivityReportAsked(Button, action="ss:r"):
    """The funders' activity report over the last `days` days: sessions held, participants (managers only)."""

    days: Days


class ActivityCsvAsked(Button, action="ss:rc"):
    """The funders' activity report as a CSV file."""

    days: Days


class CalendarPeriod(enum.StrEnum):
    """The calendar periods the activity report is also given for (funders count in months and years)."""

    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    THIS_YEAR = "this_year"


CALENDAR_PERIODS = (CalendarPeriod.THIS_MONTH, CalendarPeriod.LAST_MONTH, CalendarPeriod.THIS_YEAR)


class ActivityCalendarAsked(Button, action="ss:rm"):
    """The activity report for this month, last month or this year (as CSV with `csv`)."""

    period: Annotated[CalendarPeriod, OneOf(CALENDAR_PERIODS)]
    csv: Flag
