"""My bookings' keyboards: the list with Change and Cancel per booking, the confirmations, the changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.booking import routes as booking_routes
from bot.features.booking.keyboards import pick_lengths
from bot.features.keyboards import button, menu_button, nav_row, rows
from bot.features.my_bookings import routes
from bot.features.trainings import routes as trainings_routes
from models.bookings import Booking


def pages(texts: Texts, page: int, has_next: bool) -> list[InlineKeyboardButton]:
    """Previous / Next, where there is another page."""
    row = []
    if page > 0:
        row.append(button("◀️ " + texts.gettext("Previous"), routes.BookingPage(page - 1)))
    if has_next:
        row.append(button(texts.gettext("Next") + " ▶️", routes.BookingPage(page + 1)))
    return row


def my_bookings(
    texts: Texts, bookings: Sequence[Booking], page: int = 0, has_next: bool = False, feeds: bool = False
) -> InlineKeyboardMarkup:
    keyboard = []
    for b in bookings:
        what = f" · {b.machine.name}, {texts.moment(b.start_at)}"
        keyboard.append([button("✏️ " + texts.gettext("Change") + what, routes.EditAsked(b.id))])
        keyboard.append([button("❌ " + texts.gettext("Cancel") + what, routes.CancelAsked(b.id))])
    if row := pages(texts, page, has_next):
        keyboard.append(row)
    if bookings:
        keyboard.append([button("📆 " + texts.gettext("Add to my calendar (.ics)"), routes.CalendarFile())])
    if feeds:
        keyboard.append([button("🔗 " + texts.gettext("Calendar link"), routes.CalendarLink())])
    keyboard.append(
        [
            button("📅 " + texts.gettext("Book a machine"), booking_routes.MachineList()),
            button("🎓 " + texts.gettext("My trainings"), trainings_routes.MyTrainings()),
        ]
    )
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)


def confirm_cancel(texts: Texts, booking: Booking, *, as_no_show: bool = False) -> InlineKeyboardMarkup:
    """Yes or no; past the machine's cancellation deadline, the yes says it counts as a no-show."""
    _ = texts.gettext
    yes = (
        button("🗑 " + _("Cancel anyway (counts as a no-show)"), routes.CancelAsNoShow(booking.id))
        if as_no_show
        else button("🗑 " + _("Yes, cancel it"), routes.CancelConfirmed(booking.id))
    )
    return InlineKeyboardMarkup(
        [
            [yes],
            [button("⬅️ " + _("No, keep it"), routes.BookingList())],
        ]
    )


def calendar_link(texts: Texts, linked: bool) -> InlineKeyboardMarkup:
    """Create the link (none yet), or renew it or turn it off; back to my bookings."""
    _ = texts.gettext
    if linked:
        rows = [
            [button("🔄 " + _("New link (the old one stops working)"), routes.CalendarLinkRenewed())],
            [button("🚫 " + _("Turn the link off"), routes.CalendarLinkTurnedOff())],
        ]
    else:
        rows = [[button("✨ " + _("Create my link"), routes.CalendarLinkRenewed())]]
    rows.append(nav_row(texts, routes.BookingList()))
    return InlineKeyboardMarkup(rows)


def edit(texts: Texts, booking: Booking, lengths: Sequence[int]) -> InlineKeyboardMarkup:
    """The booking's other lengths from its start (« 3 h → 13:00 »), then Move, then back."""
    _ = texts.gettext
    start = booking.start_at
    buttons = [
        button(
            f"{texts.duration(m)} → {texts.time(start + timedelta(minutes=m))}",
            routes.EditChosen(booking.id, start, m),
        )
        for m in pick_lengths(lengths)
        if m != booking.minutes
    ]
    keyboard = rows(buttons, 2)
    day = start.astimezone(texts.tz).date()
    keyboard.append([button("🕑 " + _("Move to another time"), routes.MoveDayChosen(booking.id, day))])
    keyboard.append(nav_row(texts, routes.BookingList()))
    return InlineKeyboardMarkup(keyboard)


def move(
    texts: Texts, booking: Booking, starts: Sequence[datetime], days: Sequence[date]
) -> InlineKeyboardMarkup:
    """Free starts of the day shown (same length), then the other days with some, then back."""
    keyboard = rows(
        [button(texts.time(s), routes.EditChosen(booking.id, s, booking.minutes)) for s in starts], 4
    )
    keyboard += rows([button(texts.short_day(d), routes.MoveDayChosen(booking.id, d)) for d in days], 3)
    keyboard.append(nav_row(texts, routes.EditAsked(booking.id)))
    return InlineKeyboardMarkup(keyboard)


def confirm_edit(texts: Texts, booking: Booking, start: datetime, minutes: int) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("✅ " + _("Yes, change it"), routes.EditConfirmed(booking.id, start, minutes))],
            [button("⬅️ " + _("No, keep it"), routes.EditAsked(booking.id))],
        ]
    )
