"""Maintenance's refusals (reports, tickets, downtimes), by the refusal's exact class."""

from __future__ import annotations

from bot.core.i18n import N_, Texts
from bot.core.refusals import Refusals
from models import errors, machines, maintenance


def _ticket_not_active(texts: Texts, refusal: errors.DomainError) -> str:
    assert isinstance(refusal, maintenance.TicketNotActive)
    if refusal.status in maintenance.ACTIVE_STATUSES:
        return texts.gettext("That cannot be done in the ticket's present state. Nothing was changed.")
    return texts.gettext("This ticket is already closed. Nothing was changed.")


def _too_many_photos(texts: Texts, refusal: errors.DomainError) -> str:
    return texts.gettext("A report holds at most {count} photos.").format(count=maintenance.MAX_PHOTOS)


REFUSALS: Refusals = {
    maintenance.TicketNotActive: _ticket_not_active,
    maintenance.NoDraft: N_("There is no report being written any more. Start again with Report a problem."),
    maintenance.EmptyText: N_("That message is empty. Nothing was changed."),
    maintenance.TooManyPhotos: _too_many_photos,
    maintenance.BadWindow: N_(
        "That downtime window is not possible (in the past or too long). Nothing was changed."
    ),
    maintenance.DowntimeOver: N_("That downtime is already over. Nothing was changed."),
    # Editing a machine (the Mini App's Machines tab)
    machines.BadMachineName: N_("A machine's name is 1 to 100 characters. Nothing was changed."),
    machines.HiddenCharacters: N_(
        "A machine's name and location cannot hold control or invisible characters. Nothing was changed."
    ),
    machines.MachineNameTaken: N_("Another machine already has that name. Nothing was changed."),
    machines.BadMachineMinutes: N_(
        "The slot must be 1 to 1,440 minutes, and the longest booking (and the longest unattended run) a "
        "whole number of slots within a day. Nothing was changed."
    ),
    machines.BadCheckinMinutes: N_(
        "Check-in is asked 0 (never) to 1,440 minutes after the start. Nothing was changed."
    ),
    machines.BadTrainingMonths: N_(
        "A training lasts 1 to 120 months (0 or empty: it never lapses). Nothing was changed."
    ),
    machines.MachineHeldDown: N_(
        "An open maintenance ticket keeps this machine out of service: it comes back when the ticket is "
        "resolved. Nothing was changed."
    ),
}
