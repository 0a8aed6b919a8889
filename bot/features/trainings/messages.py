"""The trainings' messages: the warning, 30 and 7 days before, that a training lapses."""

from __future__ import annotations

from datetime import datetime

from bot.core.i18n import Texts
from bot.core.messages import Outgoing, renders
from bot.features import keyboards
from bot.features.trainings import keyboards as training_keyboards
from models.machines import MachineKind
from models.notices import UnreadablePayload
from models.trainings import TrainingLapsing


def training_name(texts: Texts, machine: str | None, kind: MachineKind | None) -> str:
    """What a training is on: the machine, or « Découpeuses laser (toute la catégorie) »."""
    if machine is not None:
        return machine
    if kind is None:
        raise UnreadablePayload("neither a machine nor a kind of machine")
    return texts.gettext("{kind} (whole category)").format(kind=texts.gettext(keyboards.KIND_NAMES[kind]))


def long_day(texts: Texts, moment: datetime) -> str:
    """A day with its year, as an expiry months away is told: « mardi 4 mars 2031 »."""
    return f"{texts.day(moment)} {moment.astimezone(texts.tz).year}"


@renders(TrainingLapsing)
def _training_lapsing(texts: Texts, p: TrainingLapsing) -> Outgoing:
    _ = texts.gettext
    what = training_name(texts, p.machine, p.machine_kind)
    left = p.days_left if p.days_left is not None else p.days
    lines = [
        "⏳ "
        + texts.ngettext(
            "Your training on {machine} lapses on {day}, in {days} day.",
            "Your training on {machine} lapses on {day}, in {days} days.",
            left,
        ).format(machine=what, day=long_day(texts, p.expires), days=left),
        _("After that date you will need a refresher training to book it."),
    ]
    if p.later:
        lines.append(
            texts.ngettext(
                "Your booking after that date is kept, but you will need the refresher before it:",
                "Your bookings after that date are kept, but you will need the refresher before them:",
                len(p.later),
            )
        )
        lines += [f"• {b.machine}, {texts.span(b.start, b.end)}" for b in p.later[:10]]
    if p.session_signed_up and p.session_start is not None and p.session_end is not None:
        lines.append(
            _("You are signed up to the training session « {title} », {when}: see you there.").format(
                title=p.session_title or "", when=texts.when(p.session_start, p.session_end)
            )
        )
    elif p.session_id is not None and p.session_start is not None and p.session_end is not None:
        lines.append(
            _(
                "Next training session: « {title} », {when}. Sign up in one tap "
                "(if it is full, you join its waitlist)."
            ).format(title=p.session_title or "", when=texts.when(p.session_start, p.session_end))
        )
    else:
        lines.append(_("Ask for one now and a fab manager will get back to you."))
    return Outgoing("\n".join(lines), training_keyboards.lapsing(texts, p))
