"""Check-in: I'm here, pressed in a reminder (or on a machine's page)."""

from __future__ import annotations

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.reply import Reply
from bot.features.booking import keyboards as booking_keyboards
from bot.features.checkin import routes
from models import checkin


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


FEATURE = Feature(name="checkin", presses={routes.CheckIn: check_in})
