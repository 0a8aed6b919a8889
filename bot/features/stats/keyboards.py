"""The statistics' keyboards: the periods to choose from, and what to do with a period's figures."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
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


def activity_report(texts: Texts, days: int) -> InlineKeyboardMarkup:
    """Under the activity report: it as CSV, or back to the period's figures."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("🧾 " + _("Activity report as CSV"), routes.ActivityCsvAsked(days))],
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
