"""The fab manager's maintenance queue: tickets, their history, and what to do with them."""

from __future__ import annotations

from datetime import datetime

from bot.core.context import Turn, clip
from bot.core.i18n import N_, Texts
from bot.core.reply import Reply
from bot.features import keyboards
from bot.features.maintenance import keyboards as maintenance_keyboards
from bot.features.maintenance import routes
from bot.features.refusals import refusal_text
from models import maintenance, members
from models.errors import NotFound
from models.maintenance import Action, EventKind, Ticket, TicketStatus

PAGE_SIZE = 8
REPORT_CLIP = 500  # characters of each report shown in a ticket's detail

STATUS_NAMES = {
    TicketStatus.OPEN: N_("open"),
    TicketStatus.IN_PROGRESS: N_("in progress"),
    TicketStatus.ESCALATED: N_("escalated"),
    TicketStatus.RESOLVED: N_("resolved"),
    TicketStatus.REJECTED: N_("rejected"),
}
EVENT_NAMES = {
    EventKind.OPENED: N_("opened"),
    EventKind.REPORT_ADDED: N_("new report"),
    EventKind.TAKEN: N_("taken in hand"),
    EventKind.RESOLVED: N_("resolved"),
    EventKind.ESCALATED: N_("escalated"),
    EventKind.REJECTED: N_("rejected"),
    EventKind.MACHINE_OUT_OF_SERVICE: N_("machine out of service"),
    EventKind.MACHINE_BACK: N_("machine back in service"),
}
NOTE_PROMPTS = {
    Action.RESOLVE: N_("What was done? Send the resolution note for ticket #{ticket} in one message."),
    Action.ESCALATE: N_(
        "Who takes it over, and why? Send the escalation note for ticket #{ticket} in one message."
    ),
    Action.REJECT: N_(
        "Why is it not a fault (or a duplicate of which ticket)? Send the reason for #{ticket}."
    ),
}
NOTE_ACTIONS: dict[type[routes.Button], Action] = {
    routes.ResolveAsked: Action.RESOLVE,
    routes.EscalateAsked: Action.ESCALATE,
    routes.RejectAsked: Action.REJECT,
}


def age(texts: Texts, since: datetime, now: datetime) -> str:
    """How long ago, shortly: "45 min", "3 h", "2 d"."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return texts.gettext("{minutes} min").format(minutes=minutes)
    if minutes < 48 * 60:
        return texts.gettext("{hours} h").format(hours=minutes // 60)
    return texts.gettext("{days} d").format(days=minutes // (24 * 60))


def _label(turn: Turn, ticket: Ticket) -> str:
    icon = (
        "🧰" if ticket.origin is maintenance.TicketOrigin.PLAN else keyboards.SEVERITY_ICONS[ticket.severity]
    )
    status = "" if ticket.status is TicketStatus.OPEN else f" · {turn._(STATUS_NAMES[ticket.status])}"
    return (
        f"{icon} #{ticket.id} {ticket.machine.name} — {age(turn.texts, ticket.created_at, turn.now)}{status}"
    )


async def show_queue(turn: Turn) -> Reply:
    """Open tickets, most urgent first (severity, then age), a page at a time."""
    _ = turn._
    members.require_manager(turn.member)
    page = turn.press.page if isinstance(turn.press, routes.QueuePage) else 0  # /queue: the first page
    tickets, total = await maintenance.queue(turn.session, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    if not total:
        return Reply(
            text="✅ " + _("The maintenance queue is empty."), markup=keyboards.back_to_menu(turn.texts)
        )
    text = turn.texts.ngettext(
        "{count} open ticket, most urgent first:", "{count} open tickets, most urgent first:", total
    ).format(count=total)
    entries = [(t.id, _label(turn, t)) for t in tickets]
    has_next = total > (page + 1) * PAGE_SIZE
    return Reply(text=text, markup=maintenance_keyboards.queue(turn.texts, entries, page, has_next))


def render_ticket(turn: Turn, ticket: Ticket) -> str:
    """A ticket with its reports and its whole history."""
    _ = turn._
    texts = turn.texts
    lines = [
        f"🛠 #{ticket.id} — {ticket.machine.name}",
        f"{maintenance_keyboards.severity_label(texts, ticket.severity)} · {_(STATUS_NAMES[ticket.status])}",
    ]
    if ticket.assignee is not None:
        lines.append(_("Taken by {name}").format(name=ticket.assignee.first_name))
    if ticket.origin is maintenance.TicketOrigin.PLAN:
        lines += ["", "🧰 " + _("Preventive maintenance: {task}").format(task=ticket.title)]
    for report in ticket.reports:
        who = report.reporter.display_name if report.reporter else _("a former member")
        when = texts.moment(report.created_at)
        photos = f" · 📷 {len(report.photo_ids)}" if report.photo_ids else ""
        # Each report is clipped so that several long ones still leave room for the history.
        lines += ["", f"💬 {who}, {when}{photos}", clip(report.description, REPORT_CLIP)]
    lines += ["", _("History:")]
    for event in ticket.events:
        when = texts.moment(event.at)
        who = f" — {event.actor.first_name}" if event.actor else ""
        lines.append(f"• {when} {_(EVENT_NAMES[event.kind])}{who}")
        if event.note:
            lines.append(f"  « {event.note} »")
    return "\n".join(lines)


async def _ticket_screen(turn: Turn, ticket_id: int) -> Reply:
    ticket = await maintenance.get_ticket(turn.session, ticket_id, full=True)
    photo_count = sum(len(r.photo_ids) for r in ticket.reports)
    return Reply(
        text=render_ticket(turn, ticket),
        markup=maintenance_keyboards.ticket_actions(turn.texts, ticket.id, ticket.status.value, photo_count),
    )


async def show_ticket(turn: Turn) -> Reply:
    """A ticket's detail, with the actions its state allows."""
    members.require_manager(turn.member)
    return await _ticket_screen(turn, turn.pressed(routes.TicketChosen).ticket)


async def take(turn: Turn) -> Reply:
    """Take the ticket in hand; the reporters are told."""
    ticket_id = turn.pressed(routes.TicketTaken).ticket
    ticket = await maintenance.act(
        turn.session, turn.member, ticket_id, Action.TAKE, turn.now, tz=turn.texts.tz
    )
    reply = await _ticket_screen(turn, ticket.id)
    reply.toast = turn._("Ticket #{ticket} is yours.").format(ticket=ticket.id)
    return reply


async def ask_note(turn: Turn) -> Reply:
    """Ask for the note the action needs; the manager's next message is it."""
    press = turn.press
    if not isinstance(press, routes.ResolveAsked | routes.EscalateAsked | routes.RejectAsked):
        raise NotFound("not a ticket action press")
    action = NOTE_ACTIONS[type(press)]
    ticket = await maintenance.ask_note(turn.session, turn.member, press.ticket, action, turn.now)
    text = turn._(NOTE_PROMPTS[action]).format(ticket=ticket.id) + "\n" + turn._("/cancel to stop.")
    return Reply(text=text, new_message=True)


async def took_note(turn: Turn, note: str) -> Reply:
    """The manager's message is the note asked for: apply the action (if it still applies)."""
    given = await maintenance.give_note(turn.session, turn.member, note, turn.now, turn.texts.tz)
    ticket, action = given.ticket, given.action
    if given.refused is not None:
        return Reply(text=refusal_text(turn.texts, given.refused), markup=keyboards.back_to_menu(turn.texts))
    done = {
        Action.RESOLVE: turn._("Ticket #{ticket} is resolved."),
        Action.ESCALATE: turn._("Ticket #{ticket} is escalated."),
        Action.REJECT: turn._("Ticket #{ticket} is rejected."),
    }[action].format(ticket=ticket.id)
    full = await maintenance.get_ticket(turn.session, ticket.id, full=True)
    return Reply(
        text=f"✅ {done}\n\n{render_ticket(turn, full)}",
        markup=maintenance_keyboards.back_to_queue(turn.texts),
    )


async def photos(turn: Turn) -> Reply:
    """Send the ticket's photos (an album of up to ten)."""
    members.require_manager(turn.member)
    ticket = await maintenance.get_ticket(turn.session, turn.pressed(routes.TicketPhotos).ticket, full=True)
    file_ids = [f for report in ticket.reports for f in report.photo_ids][:10]  # an album holds ten
    if not file_ids:
        return Reply(toast=turn._("This ticket has no photo."), alert=True)
    return Reply(toast=turn._("Photos of ticket #{ticket}").format(ticket=ticket.id), photos=file_ids)
