"""Check-in: I'm here, pressed in a reminder or on a machine's page; the machine's page itself,
opened by scanning the QR code stuck on the machine (/start m<id>: check in, book the next free
slot, report a problem on it, who can help)."""

from __future__ import annotations

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.reply import Reply
from bot.features.booking import keyboards as booking_keyboards
from bot.features.checkin import keyboards, routes
from models import authorizations, bookings, checkin
from models.machines import Machine, get_machine, is_authorized

# A deep link's payload naming a machine: "m" and its id (t.me/<bot>?start=m12).
MACHINE_PAYLOAD = "m"


async def check_in(turn: Turn) -> Reply:
    """Check the member in to their booking; a second press says so."""
    _ = turn._
    done = await checkin.check_in(turn.session, turn.member, turn.pressed(routes.CheckIn).booking, turn.now)
    booking = done.booking
    text = "📍 " + _("You are checked in: {machine}, {when}. Have a good session!").format(
        machine=booking.machine.name, when=turn.texts.when(booking.start_at, booking.end_at)
    )
    toast = _("Checked in.") if done.newly else _("You were already checked in.")
    return Reply(text=text, markup=booking_keyboards.booked(turn.texts), toast=toast)


def machine_payload(payload: str) -> int | None:
    """The machine id of a deep link's payload ("m12"), or None for anything else."""
    digits = payload.removeprefix(MACHINE_PAYLOAD)
    if payload[:1] != MACHINE_PAYLOAD or not digits.isdigit() or len(digits) > 9:
        return None
    return int(digits)


async def machine_page(turn: Turn, machine_id: int) -> Reply:
    """The machine's page, as its QR code opens it: my booking to check in to now, the next free
    slot to book, and reporting a problem with this machine."""
    _ = turn._
    machine = await get_machine(turn.session, machine_id)
    lines = [f"🏷 {machine.name}" + (f" — {machine.location}" if machine.location else "")]
    now_booking = await checkin.booking_to_check_in(turn.session, turn.member, machine.id, turn.now)
    if now_booking is not None:
        lines.append(
            _("Your booking: {when}.").format(when=turn.texts.when(now_booking.start_at, now_booking.end_at))
        )
    next_start = None
    trained = await is_authorized(turn.session, turn.member, machine, now=turn.now)
    if machine.bookable and not trained:  # no slot to offer: Confirm would refuse it
        lines.append(
            _(
                "This machine needs a training before you can book it. "
                "Ask for one and a fab manager will get back to you."
            )
        )
    elif machine.bookable:
        # Past the machine's notice: a start it would refuse at Confirm is no slot to offer.
        after = await bookings.earliest_start(turn.session, turn.member, machine, turn.now)
        free = await bookings.next_free_starts(
            turn.session, machine, machine.slot_minutes, after, turn.desk.rules, turn.now, limit=1
        )
        next_start = free[0] if free else None
        if next_start is None:
            lines.append(_("No free slot in the coming days."))
        else:
            lines.append(_("Next free slot: {moment}.").format(moment=turn.texts.moment(next_start)))
    else:
        lines.append(_("This machine is out of service for now."))
    lines.append(await _helpers_line(turn, machine))
    markup = keyboards.machine_page(turn.texts, machine, now_booking, next_start, ask_training=not trained)
    return Reply(text="\n".join(lines), markup=markup, new_message=True)


async def _helpers_line(turn: Turn, machine: Machine) -> str:
    """Who can help on the machine, among those who agreed to be named; else the fab manager."""
    helpers = await authorizations.helpers_for(turn.session, machine, besides=turn.member)
    if not helpers:
        return "🙋 " + turn._("Need help with this machine? Ask the fab manager.")
    names = ", ".join(m.display_name + (f" (@{m.username})" if m.username else "") for m in helpers)
    return "🙋 " + turn._("They can help you with this machine: {names}.").format(names=names)


FEATURE = Feature(name="checkin", presses={routes.CheckIn: check_in})
