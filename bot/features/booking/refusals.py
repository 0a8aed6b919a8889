"""Why a booking (or a place on a day's waitlist) was refused, by the refusal's exact class."""

from __future__ import annotations

from bot.core.i18n import N_, Texts
from bot.core.refusals import Refusals
from models import errors, quotas, schedule, waitlist
from models.errors import DomainError
from models.machines import MachineKind


def _lapsed(texts: Texts, error: DomainError) -> str:
    assert isinstance(error, errors.TrainingLapsed)
    return texts.gettext(
        "Your training on {machine} lapsed on {day}: ask for a refresher training. Nothing was booked."
    ).format(machine=error.machine, day=texts.day(error.on))


def _reserved(texts: Texts, error: DomainError) -> str:
    assert isinstance(error, errors.MachineReserved)
    return texts.gettext(
        "The machine is reserved for the session « {title} » until {time}. Nothing was booked."
    ).format(title=error.title, time=texts.time(error.until))


_BOOKING_REFUSALS: Refusals = {
    errors.MachineUnavailable: N_("This machine is out of service for now. Nothing was booked."),
    errors.TrainingRequired: N_("This machine needs a training first. Nothing was booked."),
    errors.TrainingLapsed: _lapsed,
    errors.OutsideOpeningHours: N_("The lab is not open at that time. Nothing was booked."),
    errors.InThePast: N_("That time has already passed. Nothing was booked."),
    errors.BeyondHorizon: N_("That day is too far ahead to book yet. Nothing was booked."),
    errors.BadLength: N_("That slot does not fit this machine's booking grid. Nothing was booked."),
    errors.Misaligned: N_("That slot does not fit this machine's booking grid. Nothing was booked."),
    errors.SlotTaken: N_("Sorry, that slot was just taken by someone else."),
    errors.OverlapsOwnBooking: N_("You already booked this machine for part of that time: see My bookings."),
    errors.InMaintenance: N_(
        "The machine is planned out of service (maintenance) at that time. Nothing was booked."
    ),
    errors.MachineReserved: _reserved,
    # models/waitlist.py
    waitlist.SlotsAvailable: N_("There are still free slots that day: book one!"),
    waitlist.NothingToWaitFor: N_("No slot left that day: pick another day."),
    # models/schedule.py (the Mini App's opening hours and closures)
    schedule.BadHours: N_(
        "Each opening must start before it ends, within the day, without overlapping another. "
        "Nothing was changed."
    ),
    schedule.BadClosureDay: N_(
        "A closure day must be today or later, within two years. Nothing was changed."
    ),
    schedule.AlreadyClosed: N_("The lab is already closed that day. Nothing was changed."),
}


# --- models/quotas.py: which limit, and when it frees up. ---

# What a kind-wide limit counts, as a sentence says it: « sur les imprimantes 3D ».
SCOPE_NAMES = {
    MachineKind.PRINTER_3D: N_("on the 3D printers"),
    MachineKind.LASER_CUTTER: N_("on the laser cutters"),
    MachineKind.CNC: N_("on the CNC machines"),
    MachineKind.PC: N_("on the computers"),
    MachineKind.ELECTRONICS_BENCH: N_("on the electronics benches"),
    MachineKind.OTHER: N_("on this kind of equipment"),
}


def _scope(texts: Texts, scope: quotas.Scope) -> str:
    if scope.machine is not None:
        return texts.gettext("on {machine}").format(machine=scope.machine)
    return texts.gettext(SCOPE_NAMES[scope.kind])


def _hours_over(
    texts: Texts, refusal: quotas.QuotaRefusal, when: str, per: str, frees_on: str | None, elsewhere: str
) -> str:
    """A day's or a week's hours: what is booked, the maximum, what is left, and when it frees up
    (`frees_on`: today's day or this week) or else that another day or week is bookable (`elsewhere`)."""
    values = {
        "used": texts.duration(refusal.used),
        "limit": texts.duration(refusal.limit),
        "left": texts.duration(refusal.limit - refusal.used),
        "scope": _scope(texts, refusal.scope),
        "when": when,
        "frees_on": frees_on,
    }
    if not refusal.used:
        sentence = per.format(**values)
    elif frees_on is None:
        if refusal.used >= refusal.limit:
            booked = texts.gettext("You have already booked {used} {scope} {when} (maximum {limit}).")
        else:
            booked = texts.gettext(
                "You have already booked {used} {scope} {when} (maximum {limit}): only {left} left."
            )
        sentence = booked.format(**values) + " " + elsewhere
    elif refusal.used >= refusal.limit:
        sentence = texts.gettext(
            "You have already booked {used} {scope} {when} (maximum {limit}). "
            "You can book again from {frees_on}."
        ).format(**values)
    else:
        sentence = texts.gettext(
            "You have already booked {used} {scope} {when} (maximum {limit}): only {left} left. "
            "You can book more from {frees_on}."
        ).format(**values)
    return f"{sentence} " + texts.gettext("Nothing was booked.")


def _daily(texts: Texts, refusal: errors.DomainError) -> str:
    assert isinstance(refusal, quotas.DailyQuotaReached)
    when = texts.gettext("on {day}").format(day=texts.day(refusal.day))
    per = texts.gettext("That is more than the {limit} a day you may book {scope}.")
    frees_on = texts.day(refusal.frees_on) if refusal.today else None
    return _hours_over(texts, refusal, when, per, frees_on, texts.gettext("You can book on another day."))


def _weekly(texts: Texts, refusal: errors.DomainError) -> str:
    assert isinstance(refusal, quotas.WeeklyQuotaReached)
    if refusal.this_week:
        when = texts.gettext("this week")
    else:
        when = texts.gettext("in the week of {monday}").format(monday=texts.day(refusal.monday))
    per = texts.gettext("That is more than the {limit} a week you may book {scope}.")
    frees_on = texts.day(refusal.frees_on) if refusal.this_week else None
    return _hours_over(texts, refusal, when, per, frees_on, texts.gettext("You can book in another week."))


def _upcoming(texts: Texts, refusal: errors.DomainError) -> str:
    assert isinstance(refusal, quotas.UpcomingLimitReached)
    return texts.ngettext(
        "You already have {count} upcoming booking {scope} (maximum {limit}). "
        "You can make another once it is over: {frees_at}. Nothing was booked.",
        "You already have {count} upcoming bookings {scope} (maximum {limit}). "
        "You can make another once the next one is over: {frees_at}. Nothing was booked.",
        refusal.used,
    ).format(
        count=refusal.used,
        scope=_scope(texts, refusal.scope),
        limit=refusal.limit,
        frees_at=texts.day_time(refusal.frees_at),
    )


def _notice(texts: Texts, refusal: errors.DomainError) -> str:
    assert isinstance(refusal, quotas.TooShortNotice)
    first = texts.time(refusal.first_start) if refusal.today else texts.day_time(refusal.first_start)
    return texts.gettext(
        "This machine must be booked at least {notice} ahead. First possible slot: {first}."
    ).format(notice=texts.duration(refusal.minutes), first=first)


def _late(texts: Texts, refusal: errors.DomainError) -> str:
    assert isinstance(refusal, quotas.LateCancellation)
    return (
        late_cancellation_warning(texts, refusal.minutes) + " " + texts.gettext("Confirm to cancel anyway.")
    )


def late_cancellation_warning(texts: Texts, minutes: int) -> str:
    """What cancelling past the machine's deadline means, said before the member confirms."""
    return texts.gettext(
        "This machine must be cancelled at least {deadline} before the start: "
        "cancelling now counts as a no-show."
    ).format(deadline=texts.duration(minutes))


REFUSALS: Refusals = {
    **_BOOKING_REFUSALS,
    **{
        quotas.QuotaRefusal: N_("That is over one of your booking limits. Nothing was booked."),
        quotas.DailyQuotaReached: _daily,
        quotas.WeeklyQuotaReached: _weekly,
        quotas.UpcomingLimitReached: _upcoming,
        quotas.TooShortNotice: _notice,
        quotas.LateCancellation: _late,
        quotas.BadQuota: N_(
            "Each limit is a whole number above 0 (minutes up to four weeks, at most 100 bookings), "
            "or empty for no limit. Nothing was changed."
        ),
    },
}
