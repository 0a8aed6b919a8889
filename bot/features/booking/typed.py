"""What the booking answers to a day or time typed mid-booking: what it read, and why that cannot
be booked (models/typed_time.py reads the text, models/typed_booking.py applies the rules)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.i18n import LANGUAGES, N_, Texts
from models.free_text import one_line
from models.machines import Machine
from models.typed_booking import Refusal, Refused
from models.typed_time import MAX_TYPED, NotUnderstood, Unclear

NOT_UNDERSTOOD = {
    Unclear.NOTHING: N_(
        "I did not understand “{text}” as a day or a time. "
        "Use the buttons, or write for example “tomorrow 3pm” or “friday 2-5pm”."
    ),
    Unclear.NO_DAY: N_("I could not read a day in “{text}”. Write for example “tomorrow 3pm” or “4/12 2pm”."),
    Unclear.BARE_NUMBER: N_(
        "Is “{text}” a day of the month or a time? "
        "Write “the {text}” for the day, or “{text}:00” for the time."
    ),
    Unclear.VAGUE_DAY: N_("I read “{text}” as a week or a month, not a day: which day?"),
    Unclear.SEVERAL_TIMES: N_(
        "I read more than one time (“{text}”…): write one start time, or a range such as “2-5pm”."
    ),
    Unclear.BAD_TIME: N_("“{text}” is not a time of day."),
    Unclear.END_NOT_AFTER_START: N_("In “{text}”, the end is not after the start."),
    Unclear.WEEKDAY_MISMATCH: N_(
        "In “{text}”, the weekday does not match the date: that date is {day}. Which day did you mean?"
    ),
}

REFUSED = {
    Refusal.NEED_DAY: N_(
        "Which day? Pick one below, or write the day with the time, for example “tomorrow 3pm”."
    ),
    Refusal.PASSED_DAY: N_("That day has passed."),
    Refusal.BEYOND_HORIZON: N_("That is too far ahead: bookings open {days} days in advance."),
    Refusal.CLOSED: N_("The lab is closed that day."),
    Refusal.PASSED_TIME: N_("That time has already passed."),
    Refusal.NOT_OPEN: N_("The lab is not open at that time. Its hours that day: {hours}."),
    Refusal.OFF_GRID: N_("Bookings of {machine} start every {step}: that is not one of its start times."),
    Refusal.IN_MAINTENANCE: N_("{machine} is planned for maintenance at that time."),
    Refusal.RESERVED: N_("{machine} is reserved for the session « {title} » until {time}."),
    Refusal.TAKEN: N_("That slot is already taken."),
    Refusal.TOO_LONG: N_("{machine} can be booked for {longest} at most."),
    Refusal.BAD_LENGTH: N_("{machine} is booked by steps of {step}."),
    Refusal.OVERNIGHT: N_("The end is before the start: {machine} cannot be booked overnight."),
}


def languages_for(texts: Texts) -> tuple[str, ...]:
    """The languages a typed day may be in: the member's first (a French member may write "tomorrow")."""
    return (texts.language, *(language for language in LANGUAGES if language != texts.language))


def not_understood(texts: Texts, unclear: NotUnderstood, typed: str) -> str:
    fragment = one_line(unclear.fragment or typed, MAX_TYPED)
    day = texts.day(unclear.day) if unclear.day is not None else ""
    return "🤔 " + texts.gettext(NOT_UNDERSTOOD[unclear.reason]).format(text=fragment, day=day)


def read_as(texts: Texts, start: datetime, minutes: int | None) -> str:
    """What was read, as the confirmation would say it: « J'ai compris : vendredi 4 décembre, 14:00. »"""
    when = (
        texts.when(start, start + timedelta(minutes=minutes))
        if minutes
        else f"{texts.day(start)}, {texts.time(start)}"
    )
    return texts.gettext("I read: {when}.").format(when=when)


def refused(texts: Texts, refusal: Refused, machine: Machine, horizon_days: int) -> str:
    """What was read and why it cannot be booked."""
    _ = texts.gettext
    lines = []
    if refusal.start is not None:
        lines.append(read_as(texts, refusal.start, refusal.minutes))
    elif refusal.day is not None:
        lines.append(_("I read: {when}.").format(when=texts.day(refusal.day)))
    why = _(REFUSED[refusal.refusal]).format(
        days=horizon_days,
        hours=", ".join(f"{texts.time(opens)}–{texts.time(closes)}" for opens, closes in refusal.hours),
        machine=machine.name,
        step=texts.duration(machine.slot_minutes),
        longest=texts.duration(machine.longest_booking),
        title=refusal.reserved[0] if refusal.reserved else "",
        time=texts.time(refusal.reserved[1]) if refusal.reserved else "",
    )
    if refusal.refusal is Refusal.CLOSED and refusal.reason:
        why += " " + _("Reason: {reason}").format(reason=refusal.reason)
    lines.append(why)
    return "⚠️ " + "\n".join(lines)
