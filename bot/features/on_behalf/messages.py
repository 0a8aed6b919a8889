"""Booking on behalf's message to a member: a fab manager booked a machine for them."""

from __future__ import annotations

from bot.core.i18n import Texts
from bot.core.messages import Outgoing, renders
from bot.features import keyboards
from bot.features.booking import keyboards as booking_keyboards
from bot.features.booking.messages import confirmed_text
from models.booked_for import BookedForYou


@renders(BookedForYou)
def _booked_for_you(texts: Texts, p: BookedForYou) -> Outgoing:
    _ = texts.gettext
    title = f"{keyboards.KIND_ICONS[p.machine_kind]} {p.machine}"
    text = "👥 " + _("{by}, a fab manager, booked a machine for you.").format(by=p.by)
    if p.weeks > 1:
        text += " " + _("Every week at the same time: {count} bookings in all (see My bookings).").format(
            count=p.weeks
        )
    text += "\n\n" + confirmed_text(texts, title, p.start, p.end, p.reminder_minutes)
    return Outgoing(text, booking_keyboards.booked(texts))
