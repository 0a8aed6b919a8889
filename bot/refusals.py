"""The friendly answer to each domain refusal, in the member's language.

One entry per refusal class, looked up by the refusal's exact class: a new subclass of NotAllowed
does not silently borrow "Only the fab managers can do that.", and the order of the table does not
matter. tests/test_refusals.py walks every DomainError subclass and fails on one without its entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.i18n import N_, Texts
from bot.reply import Reply
from models import authorizations, errors, maintenance, projects, stock, updates, waitlist

log = logging.getLogger(__name__)

# A message id (translated when shown), or a function writing the sentence from the refusal's details.
Refusal = str | Callable[[Texts, errors.DomainError], str]

GENERIC = N_("That cannot be done. Nothing was changed.")


def _ticket_not_active(texts: Texts, refusal: errors.DomainError) -> str:
    assert isinstance(refusal, maintenance.TicketNotActive)
    if refusal.status in maintenance.ACTIVE_STATUSES:
        return texts.gettext("That cannot be done in the ticket's present state. Nothing was changed.")
    return texts.gettext("This ticket is already closed. Nothing was changed.")


def _group_taken(texts: Texts, refusal: errors.DomainError) -> str:
    name = refusal.args[0] if refusal.args else ""
    return texts.gettext(
        "This group already belongs to the project {project}: only its owners can move it."
    ).format(project=name)


def _too_many_photos(texts: Texts, refusal: errors.DomainError) -> str:
    return texts.gettext("A report holds at most {count} photos.").format(count=maintenance.MAX_PHOTOS)


REFUSALS: dict[type[errors.DomainError], Refusal] = {
    # models/errors.py: bookings, machines, members
    errors.DomainError: GENERIC,
    errors.NotFound: N_("This is no longer available. Nothing was changed."),
    errors.NotAllowed: N_("Only the fab managers can do that."),
    errors.MachineUnavailable: N_("This machine is out of service for now. Nothing was booked."),
    errors.TrainingRequired: N_("This machine needs a training first. Nothing was booked."),
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
    errors.AlreadyCancelled: N_("This booking was already cancelled."),
    errors.AlreadyStarted: N_("This booking has already started; it can no longer be cancelled."),
    errors.AlreadyAuthorized: N_("You are already authorized on this machine: you can book it."),
    # models/authorizations.py
    authorizations.AlreadyRevoked: N_("This authorization was already withdrawn. Nothing was changed."),
    # models/maintenance.py
    maintenance.TicketNotActive: _ticket_not_active,
    maintenance.NoDraft: N_("There is no report being written any more. Start again with Report a problem."),
    maintenance.EmptyText: N_("That message is empty. Nothing was changed."),
    maintenance.TooManyPhotos: _too_many_photos,
    maintenance.BadWindow: N_(
        "That downtime window is not possible (in the past or too long). Nothing was changed."
    ),
    maintenance.DowntimeOver: N_("That downtime is already over. Nothing was changed."),
    # models/stock.py
    stock.BadQuantity: N_(
        "That is not an amount I can read: send a number like 250 or 1,5 "
        "(a unit may follow if it converts, like 120 ml). Nothing was changed."
    ),
    stock.AlreadyRecorded: N_("That is already recorded for this booking. Nothing was changed."),
    # models/waitlist.py
    waitlist.SlotsAvailable: N_("There are still free slots that day: book one!"),
    waitlist.NothingToWaitFor: N_("No slot left that day: pick another day."),
    # models/updates.py
    updates.BadVersion: N_("Send the version as a short text, like 2.8.1. Nothing was changed."),
    # models/projects.py
    projects.OwnersOnly: N_("Only the project's owners can do that."),
    projects.LastOwner: N_(
        "You are the project's last owner: make someone a co-owner (or archive it) first."
    ),
    projects.NotGroupAdmin: N_("Only an administrator of this group can link it to a project."),
    projects.GroupTaken: _group_taken,
    projects.AlreadyDecided: N_("This request was already answered."),
    projects.RequestWithdrawn: N_("The member withdrew this request. Nothing was changed."),
    projects.ForwardExpected: N_("Forward me a message from the channel to link it (or /cancel)."),
    projects.MeetingStarted: N_("That meeting has already started. Nothing was changed."),
    projects.NeedsLink: N_(
        "A remote meeting needs its link: send the subject with the video link (https://…)."
    ),
    projects.BadProjectText: N_(
        "I cannot use that text: keep it short and simple (a link starts with https://)."
    ),
    projects.DuplicateName: N_("A project already has that name: choose another one."),
    projects.AlreadyMember: N_("You are already in this project, or your request is waiting."),
    projects.NoGroup: N_("The bot cannot manage this group yet: it needs to be an administrator."),
}


def refusal_text(texts: Texts, refusal: errors.DomainError) -> str:
    """One short sentence saying why nothing happened."""
    entry = REFUSALS.get(type(refusal))
    if entry is None:  # a refusal class added without its sentence: tests/test_refusals.py catches it
        log.warning("no refusal text for %s", type(refusal).__name__)
        entry = GENERIC
    if isinstance(entry, str):
        return texts.gettext(entry)
    return entry(texts, refusal)


def refusal_reply(texts: Texts, refusal: errors.DomainError) -> Reply:
    """A refusal shown as a dialog on a button press, or as a message to a command."""
    return Reply(toast=refusal_text(texts, refusal), alert=True)
