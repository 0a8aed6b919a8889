"""The trainings' messages: a member's request to the managers, and to the member the news that
they are authorized, or that an authorization was withdrawn (with the bookings it cancelled)."""

from __future__ import annotations

from bot.core.i18n import Texts
from bot.core.messages import Outgoing, renders
from bot.features import keyboards
from bot.features.authorizations.reasons import reason_text
from bot.features.booking import routes as booking
from bot.features.my_bookings import routes as my_bookings
from bot.features.training_requests import keyboards as request_keyboards
from models.authorizations import AuthorizationRevoked
from models.machines import Authorized, MachineKind, TrainingRequested
from models.notices import UnreadablePayload


@renders(TrainingRequested)
def _training_request(texts: Texts, p: TrainingRequested) -> Outgoing:
    text = "🎓 " + texts.gettext("{member} asks for a training on {machine}.").format(
        member=p.member, machine=p.machine
    )
    markup = request_keyboards.request_answers(
        texts, p.request_id, p.machine_id, p.member_id, p.member_first_name
    )
    return Outgoing(text, markup)


def _kind_name(texts: Texts, kind: MachineKind | None) -> str:
    if kind is None:
        raise UnreadablePayload("neither a machine nor a kind of machine")
    return texts.gettext(keyboards.KIND_NAMES[kind])


@renders(Authorized)
def _authorized(texts: Texts, p: Authorized) -> Outgoing:
    what = p.machine or _kind_name(texts, p.machine_kind)
    text = "🎓 " + texts.gettext("You are now authorized on {machine}: you can book it.").format(machine=what)
    return Outgoing(text, keyboards.single(texts, "📅", "Book a machine", booking.MachineList()))


@renders(AuthorizationRevoked)
def _authorization_revoked(texts: Texts, p: AuthorizationRevoked) -> Outgoing:
    _ = texts.gettext
    what = p.machine or _("{kind} (whole category)").format(kind=_kind_name(texts, p.machine_kind))
    lines = ["🎓 " + _("Your authorization on {machine} was withdrawn.").format(machine=what)]
    cancelled = p.cancelled
    if cancelled:
        lines.append(
            texts.ngettext(
                "This booking, which needs that training, is cancelled:",
                "These bookings, which need that training, are cancelled:",
                len(cancelled),
            )
        )
        lines += [f"• {b.machine}, {texts.span(b.start, b.end)}" for b in cancelled]
    if p.reason:
        lines.append(_("Reason: {reason}").format(reason=reason_text(texts, p.reason)))
    lines.append(_("Ask the lab's team if you think this is a mistake."))
    return Outgoing("\n".join(lines), keyboards.single(texts, "🗂", "My bookings", my_bookings.BookingList()))
