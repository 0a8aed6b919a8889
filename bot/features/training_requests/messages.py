"""Training requests' messages to members: a session proposed (sign up in one tap), a decline with
its reason."""

from __future__ import annotations

from bot.core.i18n import Texts
from bot.core.messages import Outgoing, renders
from bot.features import keyboards as shared
from bot.features.booking import routes as booking
from bot.features.training_requests import keyboards
from bot.features.training_requests.reasons import REASON_TEXTS
from models.session_requests import TrainingDeclined, TrainingSessionProposed


@renders(TrainingSessionProposed)
def _proposed(texts: Texts, p: TrainingSessionProposed) -> Outgoing:
    _ = texts.gettext
    text = "🎓 " + _(
        "About your training on {machine}: the lab's team suggests « {title} » ({when})."
    ).format(machine=p.machine, title=p.title, when=texts.when(p.start, p.end))
    text += "\n\n" + _("Sign up in one tap; coming to it authorizes you on the machine.")
    return Outgoing(text, keyboards.proposed(texts, p.session_id))


@renders(TrainingDeclined)
def _declined(texts: Texts, p: TrainingDeclined) -> Outgoing:
    _ = texts.gettext
    reason = _(REASON_TEXTS[p.code]) if p.code in REASON_TEXTS else p.reason
    text = "🎓 " + _("Your request for a training on {machine} was declined.").format(machine=p.machine)
    if reason:
        text += "\n" + _("Reason: {reason}").format(reason=reason)
    text += "\n\n" + _("You can ask again later.")
    return Outgoing(text, shared.single(texts, "📅", "Book a machine", booking.MachineList()))
