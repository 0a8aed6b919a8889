"""Reporting a problem: machine → description (a message) → photos (optional) → severity → ticket."""

from __future__ import annotations

from telegram import Message

from bot.core.context import Turn
from bot.core.reply import Reply
from bot.features import keyboards
from bot.features.maintenance import keyboards as maintenance_keyboards
from bot.features.maintenance import routes
from models import machines, maintenance
from models.maintenance import MAX_PHOTOS


async def pick_machine(turn: Turn) -> Reply:
    """Ask which machine has a problem (out-of-service ones too: more can be said about them)."""
    listed = await machines.list_machines(turn.session)
    if not listed:
        return Reply(text=turn._("No machine is set up yet."), markup=keyboards.back_to_menu(turn.texts))
    return Reply(
        text=turn._("Which machine has a problem?"),
        markup=maintenance_keyboards.report_machines(turn.texts, listed),
    )


async def describe(turn: Turn) -> Reply:
    """Start the report on the chosen machine and ask for a description."""
    machine_id = turn.pressed(routes.ReportMachineChosen).machine
    draft = await maintenance.start_report(turn.session, turn.member, machine_id, turn.now)
    text = (
        f"{keyboards.machine_title(draft.machine)}\n\n"
        + turn._("Describe the problem in one message: what happened, what you saw or heard.")
        + "\n"
        + turn._("You can add photos afterwards.")
    )
    return Reply(text=text, markup=maintenance_keyboards.cancel_report(turn.texts))


def _ask_severity(turn: Turn, draft: maintenance.ReportDraft) -> str:
    _ = turn._
    lines = [keyboards.machine_title(draft.machine), ""]
    if draft.description:
        lines += [draft.description, ""]
    if draft.album:
        lines.append(_("Photos added (at most {count}).").format(count=MAX_PHOTOS))
    elif draft.photo_ids:
        lines.append(
            turn.texts.ngettext("{count} photo added.", "{count} photos added.", len(draft.photo_ids)).format(
                count=len(draft.photo_ids)
            )
        )
    if len(draft.photo_ids) < MAX_PHOTOS:
        lines.append(_("Send photos if they help, then choose how bad it is:"))
    else:
        lines.append(_("Choose how bad it is:"))
    return "\n".join(lines)


async def took_message(turn: Turn, incoming: Message, _: object) -> Reply | None:
    """A message while the member writes a report: its text, or a photo (or a picture sent as a file)."""
    if await maintenance.current_draft(turn.session, turn.member) is None:
        return None
    album = incoming.media_group_id
    if incoming.photo:
        return await took_photo(turn, incoming.photo[-1].file_id, incoming.caption, album)
    document = incoming.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        # A picture sent as a file (Telegram Desktop, "send without compression").
        return await took_photo(turn, document.file_id, incoming.caption, album, as_document=True)
    if incoming.text:
        return await took_text(turn, incoming.text)
    return Reply(text=turn._("Send text or photos for your report, or /cancel."))


async def took_text(turn: Turn, text: str) -> Reply:
    """The member's message is the description of their report."""
    draft = await maintenance.describe(turn.session, turn.member, text, turn.now)
    return Reply(
        text=_ask_severity(turn, draft), markup=maintenance_keyboards.severities(turn.texts), new_message=True
    )


async def took_photo(
    turn: Turn, file_id: str, caption: str | None, album: str | None = None, *, as_document: bool = False
) -> Reply:
    """The member's photo joins their report (an album gets a single answer)."""
    added = await maintenance.add_photo(
        turn.session, turn.member, file_id, caption, turn.now, album=album, document=as_document
    )
    if added.same_album:
        return Reply()  # the album's first photo was answered; its count shows on the next screen
    draft = added.draft
    if not draft.description:
        return Reply(
            text=turn._("Photo added. Now describe the problem in a message."),
            markup=maintenance_keyboards.cancel_report(turn.texts),
            new_message=True,
        )
    return Reply(
        text=_ask_severity(turn, draft), markup=maintenance_keyboards.severities(turn.texts), new_message=True
    )


async def submit(turn: Turn) -> Reply:
    """Send the report with the chosen severity: a ticket, the managers alerted."""
    _ = turn._
    severity = turn.pressed(routes.SeverityChosen).severity
    draft = await maintenance.current_draft(turn.session, turn.member)
    if draft is not None and not draft.description:
        return Reply(toast=_("Describe the problem in a message first."), alert=True)
    done = await maintenance.submit_report(
        turn.session, turn.member, severity, turn.desk.settings.manager_ids, turn.now
    )
    machine = done.ticket.machine.name
    if done.attached:
        text = _(
            "A ticket was already open for {machine} (#{ticket}): your report was added to it. Thank you!"
        ).format(machine=machine, ticket=done.ticket.id)
    else:
        text = _("Thank you! Ticket #{ticket} is open for {machine}; the fab managers are alerted.").format(
            ticket=done.ticket.id, machine=machine
        )
    if done.affected or done.ticket.took_machine_down:
        text += "\n\n" + _("The machine is now out of service so that nobody uses it.")
    for booking in done.own_bookings:
        text += "\n" + _(
            "Your booking on {when} is kept for now: I will tell you when the machine is back in service."
        ).format(when=turn.texts.when(booking.start_at, booking.end_at))
    text += "\n\n" + _("You will get a message when the ticket is taken in hand and when it is closed.")
    return Reply(text=text, markup=keyboards.back_to_menu(turn.texts), toast=_("Report sent."))


async def cancel(turn: Turn) -> Reply:
    """Drop the report being written."""
    await maintenance.cancel_report(turn.session, turn.member)
    return Reply(
        text=turn._("Report cancelled. Nothing was sent."), markup=keyboards.back_to_menu(turn.texts)
    )
