"""The statistics' keyboards: the periods to choose from, and what to do with a period's figures."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.core.i18n import N_, Texts
from bot.features.keyboards import button, menu_button
from bot.features.stats import routes
from bot.features.stats.routes import PERIODS


def periods(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(
                    texts.ngettext("{count} day", "{count} days", d).format(count=d), routes.PeriodChosen(d)
                )
                for d in PERIODS
            ],
            [menu_button(texts)],
        ]
    )


def figures(texts: Texts, days: int) -> InlineKeyboardMarkup:
    """Under a period's figures: its bookings as CSV, or another period."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("🧾 " + _("Bookings as CSV"), routes.CsvAsked(days))],
            [button("👥 " + _("Check-ins per member"), routes.MembersAsked(days))],
            [button("📋 " + _("Activity report for funders"), routes.ActivityReportAsked(days))],
            [button("⬅️ " + _("Other period"), routes.PeriodChosen(0))],
        ]
    )


CALENDAR_NAMES = {
    routes.CalendarPeriod.THIS_MONTH: N_("This month"),
    routes.CalendarPeriod.LAST_MONTH: N_("Last month"),
    routes.CalendarPeriod.THIS_YEAR: N_("This year"),
}


def activity_report(
    texts: Texts, days: int, shown: routes.CalendarPeriod | None = None
) -> InlineKeyboardMarkup:
    """Under the activity report (of the last `days` days, or of the calendar period `shown`): it as
    CSV, the calendar periods, or back to the period's figures."""
    _ = texts.gettext
    as_csv = routes.ActivityCalendarAsked(shown, True) if shown else routes.ActivityCsvAsked(days)
    return InlineKeyboardMarkup(
        [
            [button("🧾 " + _("Activity report as CSV"), as_csv)],
            [
                button("📅 " + _(CALENDAR_NAMES[p]), routes.ActivityCalendarAsked(p, False))
                for p in routes.CALENDAR_PERIODS
                if p is not shown
            ],
            [button("⬅️ " + _("Back to the figures"), routes.PeriodChosen(days))],
            [menu_button(texts)],
        ]
    )


def per_member(texts: Texts, days: int) -> InlineKeyboardMarkup:
    """Under the figures per member: back to the period's figures."""
    return InlineKeyboardMarkup(
        [
            [button("⬅️ " + texts.gettext("Back to the figures"), routes.PeriodChosen(days))],
            [menu_button(texts)],
        ]
    )
