"""The friendly answer to each domain refusal, in the member's language."""

from __future__ import annotations

from bot.i18n import Texts
from bot.reply import Reply
from models import authorizations, errors, maintenance, projects, stock, updates, waitlist


def refusal_text(texts: Texts, refusal: errors.DomainError) -> str:
    """One short sentence saying why nothing happened."""
    _ = texts.gettext
    match refusal:
        # Project refusals first: some are kinds of NotAllowed with their own reason.
        case projects.OwnersOnly():
            return _("Only the project's owners can do that.")
        case projects.LastOwner():
            return _("You are the project's last owner: make someone a co-owner (or archive it) first.")
        case projects.NotGroupAdmin():
            return _("Only an administrator of this group can link it to a project.")
        case projects.GroupTaken(args=(name, *_rest)):
            return _(
                "This group already belongs to the project {project}: only its owners can move it."
            ).format(project=name)
        case projects.AlreadyDecided():
            return _("This request was already answered.")
        case projects.ForwardExpected():
            return _("Forward me a message from the channel to link it (or /cancel).")
        case projects.MeetingStarted():
            return _("That meeting has already started. Nothing was changed.")
        case projects.NeedsLink():
            return _("A remote meeting needs its link: send the subject with the video link (https://…).")
        case errors.NotFound():
            return _("This is no longer available. Nothing was changed.")
        case errors.NotAllowed():
            return _("Only the fab managers can do that.")
        case errors.MachineUnavailable():
            return _("This machine is out of service for now. Nothing was booked.")
        case errors.TrainingRequired():
            return _("This machine needs a training first. Nothing was booked.")
        case errors.OutsideOpeningHours():
            return _("The lab is not open at that time. Nothing was booked.")
        case errors.InThePast():
            return _("That time has already passed. Nothing was booked.")
        case errors.BeyondHorizon():
            return _("That day is too far ahead to book yet. Nothing was booked.")
        case errors.BadLength() | errors.Misaligned():
            return _("That slot does not fit this machine's booking grid. Nothing was booked.")
        case errors.SlotTaken():
            return _("Sorry, that slot was just taken by someone else.")
        case errors.OverlapsOwnBooking():
            return _("You already booked this machine for part of that time: see My bookings.")
        case errors.InMaintenance():
            return _("The machine is planned out of service (maintenance) at that time. Nothing was booked.")
        case errors.AlreadyCancelled():
            return _("This booking was already cancelled.")
        case errors.AlreadyStarted():
            return _("This booking has already started; it can no longer be cancelled.")
        case maintenance.TicketNotActive(status=status) if status in maintenance.ACTIVE_STATUSES:
            return _("That cannot be done in the ticket's present state. Nothing was changed.")
        case maintenance.TicketNotActive():
            return _("This ticket is already closed. Nothing was changed.")
        case maintenance.NoDraft():
            return _("There is no report being written any more. Start again with Report a problem.")
        case maintenance.EmptyText():
            return _("That message is empty. Nothing was changed.")
        case maintenance.TooManyPhotos():
            return _("A report holds at most {count} photos.").format(count=maintenance.MAX_PHOTOS)
        case maintenance.BadWindow():
            return _("That downtime window is not possible (in the past or too long). Nothing was changed.")
        case maintenance.DowntimeOver():
            return _("That downtime is already over. Nothing was changed.")
        case stock.BadQuantity():
            return _(
                "That is not an amount I can read: send a number like 250 or 1,5 "
                "(a unit may follow if it converts, like 120 ml). Nothing was changed."
            )
        case waitlist.SlotsAvailable():
            return _("There are still free slots that day: book one!")
        case waitlist.NothingToWaitFor():
            return _("No slot left that day: pick another day.")
        case stock.AlreadyRecorded():
            return _("That is already recorded for this booking. Nothing was changed.")
        case updates.BadVersion():
            return _("Send the version as a short text, like 2.8.1. Nothing was changed.")
        case projects.BadProjectText():
            return _("I cannot use that text: keep it short and simple (a link starts with https://).")
        case projects.DuplicateName():
            return _("A project already has that name: choose another one.")
        case projects.AlreadyMember():
            return _("You are already in this project, or your request is waiting.")
        case projects.NoGroup():
            return _("The bot cannot manage this group yet: it needs to be an administrator.")
        case authorizations.AlreadyRevoked():
            return _("This authorization was already withdrawn. Nothing was changed.")
        case errors.AlreadyAuthorized():
            return _("You are already authorized on this machine: you can book it.")
    return _("That cannot be done. Nothing was changed.")


def refusal_reply(texts: Texts, refusal: errors.DomainError) -> Reply:
    """A refusal shown as a dialog on a button press, or as a message to a command."""
    return Reply(toast=refusal_text(texts, refusal), alert=True)
