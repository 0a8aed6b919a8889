"""Why a booking (or a place on a day's waitlist) was refused, by the refusal's exact class."""

from __future__ import annotations

from bot.core.i18n import N_, Texts
from bot.core.refusals import Refusals
from models import errors, schedule, waitlist
from models.errors import DomainError


def _lapsed(texts: Texts, error: DomainError) -> str:
    assert isinstance(error, errors.TrainingLapsed)
    return texts.gettext(
        "Your training on {machine} lapsed on {day}: ask for a refresher training. Nothing was booked."
    ).format(machine=error.machine, day=texts.day(error.on))


REFUSALS: Refusals = {
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
