"""Check-in's messages to a member: their booking starts (I'm here), or it was released, nobody having
checked in."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.core.messages import Outgoing, renders
from bot.features.booking import routes as booking
from bot.features.checkin import keyboards
from bot.features.keyboards import button, menu_button
from models.checkin import CheckInAsked, NoShowReleased


@renders(NoShowReleased)
def _no_show_released(texts: Texts, p: NoShowReleased) -> Outgoing:
    _ = texts.gettext
    text = "🕑 " + texts.ngettext(
        "Nobody checked in to your booking of {machine} ({when}) within {minutes} minute of its start: "
        "it was released for the others.",
        "Nobody checked in to your booking of {machine} ({when}) within {minutes} minutes of its start: "
        "it was released for the others.",
        p.minutes,
    ).format(machine=p.machine, when=texts.when(p.start, p.end), minutes=p.minutes)
    text += "\n\n" + _("Still need the machine? Book it again if a slot is free.")
    markup = InlineKeyboardMarkup(
        [[button("📅 " + _("Book again"), booking.MachineChosen(p.machine_id))], [menu_button(texts)]]
    )
    return Outgoing(text, markup)


@renders(CheckInAsked)
def _checkin_asked(texts: Texts, p: CheckInAsked) -> Outgoing:
    text = "📍 " + texts.ngettext(
        "Your slot on {machine} is starting ({when}). Press “I'm here” within {minutes} minute, "
        "or it will be released.",
        "Your slot on {machine} is starting ({when}). Press “I'm here” within {minutes} minutes, "
        "or it will be released.",
        p.minutes,
    ).format(machine=p.machine, when=texts.when(p.start, p.end), minutes=p.minutes)
    return Outgoing(text, keyboards.at_start(texts, p.booking_id))
