"""A member's trainings (/mytrainings): what they are authorized on, since when, and until when.

A training lapsed, or lapsing within 30 days, has its refresher button: the training request a
machine needing a training offers (bot/features/booking: AskTraining)."""

from __future__ import annotations

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.reply import Reply
from bot.features.trainings import keyboards as training_keyboards
from bot.features.trainings import routes
from bot.features.trainings.messages import long_day, training_name
from models import trainings


async def my_trainings(turn: Turn) -> Reply:
    """List the member's trainings, each with its expiry."""
    _ = turn._
    texts = turn.texts
    seen = await trainings.member_trainings(turn.session, turn.member, turn.now)
    if not seen:
        return Reply(
            text="🎓 "
            + _("You have no training on record. A machine that needs one says so when you book it."),
            markup=training_keyboards.my_trainings(texts, seen),
        )
    lines = ["🎓 " + _("Your trainings:")]
    for training in seen:
        authorization = training.authorization
        name = training_name(
            texts, training.machine.name if training.machine is not None else None, authorization.machine_kind
        )
        since = long_day(texts, authorization.granted_at)
        if training.expires is None:
            state = _("since {day}, no expiry").format(day=since)
        elif training.lapsed:
            state = "❌ " + _("lapsed on {day}").format(day=long_day(texts, training.expires))
        else:
            state = _("since {day}, valid until {until}").format(
                day=since, until=long_day(texts, training.expires)
            )
            if training.refresher is not None:
                state = "⏳ " + state
        lines.append("• " + _("{machine}: {state}").format(machine=name, state=state))
    if any(t.refresher is not None for t in seen):
        lines += ["", _("Tap 🎓 to ask for a refresher training.")]
    return Reply(text="\n".join(lines), markup=training_keyboards.my_trainings(texts, seen))


FEATURE = Feature(
    name="trainings",
    commands={"mytrainings": my_trainings},
    presses={routes.MyTrainings: my_trainings},
)
