"""The Mini App page's words, by key, for `GET /app/api/texts` in the member's language.

The page (bot/web/static/app.js) asks for them once and shows `t(key)`; they are marked here so
`pybabel extract` puts them in the same catalogs as the chat's. Dates and times are written by the
browser (Intl, in the member's language); machine kinds come with the week.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.i18n import LANGUAGES, N_, Texts
from bot.web.api import Call, Endpoint

PAGE_TEXTS: dict[str, str] = {
    "app_title": N_("Planning"),
    "tab_week": N_("Week"),
    "tab_find": N_("Find a time"),
    "tab_mine": N_("My bookings"),
    "tab_hours": N_("Opening hours"),
    "all_kinds": N_("All"),
    "previous_week": N_("Previous week"),
    "next_week": N_("Next week"),
    "today": N_("Today"),
    "now": N_("Now"),
    "free": N_("Free"),
    "booked": N_("Booked"),
    "mine": N_("Mine"),
    "downtime": N_("Planned downtime"),
    "out_of_service": N_("Out of service"),
    "closed": N_("Closed"),
    "runs_until": N_("until {when}"),
    "training_required": N_("Training required"),
    "not_authorized": N_("You need the training for this machine."),
    "tap_free_time": N_("Tap a free time to book it."),
    "kind": N_("Machine"),
    "day": N_("Day"),
    "time": N_("Time"),
    "length": N_("Length"),
    "search": N_("Find free machines"),
    "free_machines": N_("Free then"),
    "no_free_machine": N_("No machine is free then. Try another time."),
    "book": N_("Book"),
    "confirm": N_("Confirm"),
    "close": N_("Close"),
    "choose_length": N_("How long?"),
    "booked_ok": N_("Your booking is confirmed."),
    "cancel_booking": N_("Cancel"),
    "cancel_as_no_show": N_("Cancel anyway"),  # under the sentence saying it counts as a no-show
    "cancel_confirm": N_("Cancel this booking?"),
    "cancelled_ok": N_("Your booking is cancelled."),
    "change_booking": N_("Change"),
    "change_title": N_("Change this booking"),
    "other_length": N_("Another length"),
    "other_time": N_("Another time, same length"),
    "no_change": N_("No other length or time is free for this booking."),
    "changed_ok": N_("Your booking is changed."),
    "no_bookings": N_("You have no booking to come."),
    "weekly_hours": N_("Every week"),
    "closures": N_("Closure days"),
    "no_closures": N_("No closure day planned."),
    "loading": N_("Loading…"),
    "error": N_("Something went wrong. Please try again."),
    "unauthorized": N_(
        "Please reopen the app from the 📅 Planning button in the chat: this page was open too long "
        "or was not opened from Telegram."
    ),
    "network": N_("The server could not be reached. Try again."),
    "retry": N_("Try again"),
    "legend": N_("Legend"),
    "past": N_("Past"),
    "keep_booking": N_("No, keep it"),
    "yes_cancel": N_("Yes, cancel it"),
    "any_kind": N_("Any machine"),
    "book_this": N_("Book {machine}"),
    "week_of": N_("Week of {day}"),
    "minutes": N_("{m} min"),
    "hours": N_("{h} h"),
    "hours_minutes": N_("{h} h {m}"),
}


# What the page must be able to say before (or without) any API answer: written into the page
# itself in every language, so a refused launch or a server out of reach still reads as words.
OFFLINE_KEYS = ("loading", "error", "network", "unauthorized", "retry")


def page_texts(texts: Texts) -> dict[str, str]:
    """Every page text, translated for one member."""
    return {key: texts.gettext(message) for key, message in PAGE_TEXTS.items()}


def offline_texts(default_language: str, tz: ZoneInfo) -> dict[str, object]:
    """The page's offline words in every language, and which to use when the user's is not one."""
    languages: dict[str, object] = {
        language: {key: Texts(language, tz).gettext(PAGE_TEXTS[key]) for key in OFFLINE_KEYS}
        for language in LANGUAGES
    }
    return {"default": default_language, **languages}


class PageTexts(Endpoint):
    """The page's words in the member's language."""

    async def show(self, call: Call) -> object:
        return page_texts(call.texts)
