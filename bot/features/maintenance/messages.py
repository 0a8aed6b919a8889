"""Maintenance's messages: to the managers, a ticket's alert and a preventive plan falling due; to a
reporter, what became of their ticket; to the members with a booking, the machine out of service or
back, and a planned downtime (or its calling off)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.core.context import MAX_MESSAGE_LENGTH, clip
from bot.core.i18n import Texts
from bot.core.messages import CAPTION_LIMIT, Outgoing, renders
from bot.features import keyboards
from bot.features.maintenance import keyboards as maintenance_keyboards
from bot.features.my_bookings import routes as my_bookings
from models.maintenance import (
    BookingAffected,
    DowntimeCalledOff,
    DowntimeWarning,
    MachineBack,
    PlanDue,
    TicketAlert,
    TicketUpdate,
)
from models.maintenance.notices import SessionReserves


@renders(TicketAlert)
def _ticket_alert(texts: Texts, p: TicketAlert) -> Outgoing:
    _ = texts.gettext
    severity = maintenance_keyboards.severity_label(texts, p.severity)
    if p.attached:
        head = _("New report on ticket #{ticket} — {machine}").format(ticket=p.ticket_id, machine=p.machine)
    else:
        head = _("Ticket #{ticket} opened — {machine}").format(ticket=p.ticket_id, machine=p.machine)
    before = [f"🛠 {head}", severity, "", _("Reported by {name}:").format(name=p.reporter)]
    after = []
    if p.affected:
        after += [
            "",
            texts.ngettext(
                "The machine is out of service; {count} member with a booking was told.",
                "The machine is out of service; {count} members with a booking were told.",
                p.affected,
            ).format(count=p.affected),
        ]
    photos = p.photo_ids
    if len(photos) > 1:
        after += ["", _("{count} photos: see the ticket.").format(count=len(photos))]
    # With a photo the text is a caption (1,024 characters): the description gives way, not the rest.
    room = (CAPTION_LIMIT if photos else MAX_MESSAGE_LENGTH) - len("\n".join([*before, "", *after])) - 2
    text = "\n".join([*before, clip(p.description, max(room, 40)), *after])
    markup = maintenance_keyboards.ticket_actions(texts, p.ticket_id, p.status)
    return Outgoing(text, markup, photos[0] if photos else None)


@renders(TicketUpdate)
def _ticket_update(texts: Texts, p: TicketUpdate) -> Outgoing:
    _ = texts.gettext
    messages = {
        "take": _("Your report on {machine} (ticket #{ticket}) was taken in hand by {by}."),
        "resolve": _("Ticket #{ticket} on {machine} is resolved ({by})."),
        "escalate": _("Ticket #{ticket} on {machine} was passed on to a specialist or the vendor ({by})."),
        "reject": _("Ticket #{ticket} on {machine} was closed without repair ({by})."),
    }
    text = "🛠 " + messages[p.action].format(machine=p.machine, ticket=p.ticket_id, by=p.by)
    if p.note:
        text += "\n\n" + _("Note: {note}").format(note=p.note)
    if not p.machine_back:
        return Outgoing(text)
    # The machine is back in service: said here, in the reporter's one message about the outcome.
    text += "\n\n✅ " + _("{machine} is back in service.").format(machine=p.machine)
    for booking in p.bookings:
        text += "\n" + _("Your booking stands: {machine}, {when}.").format(
            machine=p.machine, when=texts.span(booking.start, booking.end)
        )
    markup = _my_bookings(texts) if p.bookings else None
    return Outgoing(text, markup)


@renders(BookingAffected)
def _booking_affected(texts: Texts, p: BookingAffected) -> Outgoing:
    text = "⚠️ " + texts.gettext(
        "{machine} was reported unusable and is out of service. Your booking on {when} is kept for now, "
        "but the machine may not be repaired by then."
    ).format(machine=p.machine, when=texts.span(p.start, p.end))
    return Outgoing(text, maintenance_keyboards.rebook(texts, p.machine_kind, p.booking_id))


@renders(MachineBack)
def _machine_back(texts: Texts, p: MachineBack) -> Outgoing:
    text = "✅ " + texts.gettext("{machine} is back in service. Your booking on {when} stands.").format(
        machine=p.machine, when=texts.span(p.start, p.end)
    )
    return Outgoing(text, _my_bookings(texts))


@renders(DowntimeWarning)
def _downtime_warning(texts: Texts, p: DowntimeWarning) -> Outgoing:
    _ = texts.gettext
    lines = [
        "🗓 "
        + _("{machine} will be out of service for maintenance: {window}.").format(
            machine=p.machine, window=texts.span(p.window_start, p.window_end)
        )
    ]
    if p.reason:
        lines.append(_("Reason: {reason}").format(reason=p.reason))
    # What plan_downtime does: the booking is kept (marked affected), the member decides.
    kept = _(
        "It is not cancelled, but the machine cannot be used during the maintenance: cancel it, "
        "or book another time. If the maintenance is called off, I will tell you."
    )
    return booking_in_window(texts, lines, p, kept)


def booking_in_window(
    texts: Texts, head: list[str], p: DowntimeWarning | SessionReserves, kept: str
) -> Outgoing:
    """A warning that the machine is taken over a member's booking (a downtime, a session reserving
    it): what takes it, their booking, that it is `kept`; cancel it or book another time."""
    lines = [
        *head,
        "",
        texts.gettext("Your booking: {machine}, {when}.").format(
            machine=p.machine, when=texts.span(p.start, p.end)
        ),
        kept,
    ]
    return Outgoing("\n".join(lines), keyboards.booking_in_downtime(texts, p.booking_id, p.machine_id))


@renders(DowntimeCalledOff)
def _downtime_called_off(texts: Texts, p: DowntimeCalledOff) -> Outgoing:
    text = "✅ " + texts.gettext(
        "The maintenance of {machine} planned for {window} is called off. Your booking on {when} stands."
    ).format(
        machine=p.machine,
        window=texts.span(p.window_start, p.window_end),
        when=texts.span(p.start, p.end),
    )
    return Outgoing(text, _my_bookings(texts))


@renders(PlanDue)
def _plan_due(texts: Texts, p: PlanDue) -> Outgoing:
    text = "🧰 " + texts.gettext(
        "Preventive maintenance due on {machine}: {task} (ticket #{ticket})."
    ).format(machine=p.machine, task=p.task, ticket=p.ticket_id)
    return Outgoing(text, maintenance_keyboards.ticket_actions(texts, p.ticket_id, "open"))


def _my_bookings(texts: Texts) -> InlineKeyboardMarkup:
    """The member's way to their bookings, under news about one of them."""
    return keyboards.single(texts, "🗂", "My bookings", my_bookings.BookingList())
