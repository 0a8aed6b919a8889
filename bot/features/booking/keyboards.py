"""The booking's keyboards: pure functions from what the screen shows to the buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.booking import routes
from bot.features.keyboards import MAX_LENGTH_BUTTONS, Back, button, machine_title, menu_button, nav_row, rows
from bot.features.menu import routes as menu
from bot.features.my_bookings import routes as my_bookings
from bot.features.on_behalf import keyboards as on_behalf
from models.bookings import DayAvailability
from models.machines import Machine

# Telegram takes at most 100 buttons a keyboard; a day with more free starts is shown hour by hour.
MAX_START_BUTTONS = 48


def machines(texts: Texts, entries: Sequence[tuple[Machine, bool]]) -> InlineKeyboardMarkup:
    """One button per machine, kind after kind; `entries` pairs a machine with "member is authorized"."""
    keyboard = [[button(machine_label(texts, m, ok), routes.MachineChosen(m.id))] for m, ok in entries]
    keyboard.append(nav_row(texts, menu.MainMenu()))
    return InlineKeyboardMarkup(keyboard)


def days(texts: Texts, machine: Machine, availability: Sequence[DayAvailability]) -> InlineKeyboardMarkup:
    """Open days of the horizon; a full day says so."""
    day_buttons = []
    for entry in availability:
        if not entry.open:
            continue
        label = texts.short_day(entry.day)
        if not entry.free_starts:
            label += " · " + texts.gettext("full")
        day_buttons.append(button(label, routes.DayChosen(machine.id, entry.day)))
    keyboard = rows(day_buttons, 2)
    keyboard.append(nav_row(texts, routes.MachineList()))
    return InlineKeyboardMarkup(keyboard)


def start_times(
    texts: Texts, machine: Machine, starts: Sequence[datetime], back: Back = None
) -> InlineKeyboardMarkup:
    """Free starts of a day; too many of them are grouped by hour first."""
    if len(starts) > MAX_START_BUTTONS:
        return start_hours(texts, machine, starts)
    keyboard = rows([button(texts.time(s), routes.StartChosen(machine.id, s)) for s in starts], 4)
    keyboard.append(nav_row(texts, back or routes.MachineChosen(machine.id)))
    return InlineKeyboardMarkup(keyboard)


def full_day(texts: Texts, machine: Machine, day: date, waitable: bool = True) -> InlineKeyboardMarkup:
    """A full day: wait for a slot to free up (when some are still ahead), or go back to the days."""
    keyboard = [nav_row(texts, routes.MachineChosen(machine.id))]
    if waitable:
        wait = routes.WaitForSlot(machine.id, day)
        keyboard.insert(0, [button("🔔 " + texts.gettext("Tell me if a slot frees up"), wait)])
    return InlineKeyboardMarkup(keyboard)


def start_hours(texts: Texts, machine: Machine, starts: Sequence[datetime]) -> InlineKeyboardMarkup:
    """One button per hour holding free starts ("14:00…"), for fine slot grids."""
    hours: dict[datetime, None] = {}
    for start in starts:
        local = start.astimezone(texts.tz)
        hours.setdefault(local.replace(minute=0, second=0, microsecond=0), None)
    keyboard = rows([button(texts.time(h) + "…", routes.HourChosen(machine.id, h)) for h in hours], 4)
    keyboard.append(nav_row(texts, routes.MachineChosen(machine.id)))
    return InlineKeyboardMarkup(keyboard)


# The whole hours kept when a machine offers too many (an unattended run of up to a day).
ROUND_HOURS = (1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24)


def pick_lengths(lengths: Sequence[int], limit: int = MAX_LENGTH_BUTTONS) -> list[int]:
    """Keep a readable set of lengths: all when few, else the first ones and whole hours (round
    ones only when even those are too many); the longest is always offered."""
    if len(lengths) <= limit:
        return list(lengths)
    kept = [m for i, m in enumerate(lengths) if i < 4 or m % 60 == 0]
    if len(kept) > limit:
        kept = [m for i, m in enumerate(lengths) if i < 4 or (m % 60 == 0 and m // 60 in ROUND_HOURS)]
    if kept[-1] != lengths[-1]:  # up to the next booking: the longest possible, however odd
        kept.append(lengths[-1])
    return [*kept[: limit - 1], lengths[-1]] if len(kept) > limit else kept


def lengths(texts: Texts, machine: Machine, start: datetime, options: Sequence[int]) -> InlineKeyboardMarkup:
    buttons = [
        button(
            f"{texts.duration(m)} → {_end_label(texts, start, start + timedelta(minutes=m))}",
            routes.LengthChosen(machine.id, start, m),
        )
        for m in pick_lengths(options)
    ]
    keyboard = rows(buttons, 2)
    keyboard.append(nav_row(texts, routes.DayChosen(machine.id, start.astimezone(texts.tz).date())))
    return InlineKeyboardMarkup(keyboard)


def _end_label(texts: Texts, start: datetime, end: datetime) -> str:
    """The end's time, with its day when the booking runs past midnight: « 16:00 », « mer. 25 nov. 04:00 »."""
    if start.astimezone(texts.tz).date() == end.astimezone(texts.tz).date():
        return texts.time(end)
    return texts.moment(end)


def confirm(
    texts: Texts, machine: Machine, start: datetime, minutes: int, manager: bool = False
) -> InlineKeyboardMarkup:
    """Confirm; a fab manager may also book it for someone else, or every week."""
    keyboard = [[button("✅ " + texts.gettext("Confirm"), routes.Confirmed(machine.id, start, minutes))]]
    if manager:
        keyboard += on_behalf.manager_rows(texts, machine.id, start, minutes)
    keyboard.append(nav_row(texts, routes.StartChosen(machine.id, start)))
    return InlineKeyboardMarkup(keyboard)


def alternatives(
    texts: Texts, machine: Machine, starts: Sequence[datetime], minutes: int
) -> InlineKeyboardMarkup:
    """The next free slots of the same length, one tap from the confirmation."""
    keyboard = [[button(texts.moment(s), routes.LengthChosen(machine.id, s, minutes))] for s in starts]
    keyboard.append(nav_row(texts, routes.MachineChosen(machine.id)))
    return InlineKeyboardMarkup(keyboard)


def nearest(
    texts: Texts, machine: Machine, starts: Sequence[datetime], minutes: int | None
) -> InlineKeyboardMarkup:
    """Free starts near a typed one that cannot be booked: to the lengths, or (a length typed) to
    the confirmation; back to that day's start times."""
    keyboard = [
        [
            button(
                texts.moment(s),
                routes.LengthChosen(machine.id, s, minutes) if minutes else routes.StartChosen(machine.id, s),
            )
        ]
        for s in starts
    ]
    keyboard.append(nav_row(texts, routes.DayChosen(machine.id, starts[0].astimezone(texts.tz).date())))
    return InlineKeyboardMarkup(keyboard)


def ask_training(texts: Texts, machine: Machine) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button("🎓 " + texts.gettext("Ask for a training"), routes.AskTraining(machine.id))],
            nav_row(texts, routes.MachineList()),
        ]
    )


def machine_label(texts: Texts, machine: Machine, authorized: bool) -> str:
    label = machine_title(machine)
    if not machine.bookable:
        return "⛔ " + label + " — " + texts.gettext("out of service")
    if not authorized:
        return label + " 🎓"
    return label


def booked(texts: Texts) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [
                button("🗂 " + _("My bookings"), my_bookings.BookingList()),
                menu_button(texts),
            ]
        ]
    )
