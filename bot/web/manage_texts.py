"""The words of the managers' tabs (bot/web/static/manage.js), by key, translated for the manager
by GET manage/texts. The keys are the page's; the sentences are in the gettext catalogs."""

from __future__ import annotations

from bot.core.i18n import N_, Texts

TEXTS: dict[str, str] = {
    "tab.machines": N_("Machines"),
    "tab.hours": N_("Hours & closures"),
    "tab.members": N_("Members"),
    "machine.name": N_("Name"),
    "machine.kind": N_("Kind"),
    "machine.location": N_("Location"),
    "machine.grid": N_("Slot grid (minutes)"),
    "machine.max": N_("Longest booking (minutes)"),
    "machine.training": N_("Training required"),
    "machine.out_of_service": N_("Out of service"),
    "machine.save": N_("Save"),
    "machine.saved": N_("Saved."),
    "machine.unchanged": N_("Nothing to change."),
    "downtime.title": N_("Plan a downtime"),
    "downtime.start": N_("From"),
    "downtime.end": N_("Until"),
    "downtime.reason": N_("Reason"),
    "downtime.add": N_("Plan it"),
    "downtime.planned": N_("Downtime planned; members with a booking in it were warned: {count}."),
    "downtime.upcoming": N_("Planned downtimes"),
    "hours.title": N_("Opening hours"),
    "hours.closed": N_("Closed"),
    "hours.hint": N_("Times like 09:00-12:30, 14:00-19:00; empty: closed all day."),
    "hours.save": N_("Save"),
    "hours.saved": N_("Opening hours saved."),
    "closure.title": N_("Closure days"),
    "closure.day": N_("Day"),
    "closure.reason": N_("Reason"),
    "closure.add": N_("Close the lab that day"),
    "closure.added": N_("Closure added; members with a booking that day were warned: {count}."),
    "closure.remove": N_("Open again"),
    "closure.none": N_("No closure day ahead."),
    "members.search": N_("Name or @username"),
    "members.find": N_("Search"),
    "members.none": N_("Nobody found."),
    "members.more": N_("More"),
    "members.manager": N_("Fab manager"),
    "members.configured": N_("Fab manager (settings)"),
    "members.promote": N_("Make fab manager"),
    "members.demote": N_("Remove fab manager"),
    "members.trained": N_("Authorized on"),
    "members.revoke": N_("Withdraw"),
    "members.authorize": N_("Authorize on…"),
    "members.done": N_("Done."),
    "error.network": N_("The server could not be reached. Try again."),
    "error.input": N_("Please check what you typed."),
}


def translated(texts: Texts) -> dict[str, str]:
    """Every text of the managers' tabs in the manager's language."""
    return {key: texts.gettext(message) for key, message in TEXTS.items()}
