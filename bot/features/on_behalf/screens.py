"""Booking on behalf, for the fab managers: a slot's confirmation offers « For someone else… » and
« Every week… »; the manager types a member's name (or a guest's, a workshop's) and picks who it is
for; the result says what was booked and, for a series, what was skipped and why."""

from __future__ import annotations

from datetime import timedelta

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.i18n import N_
from bot.core.inputs import typed_answer
from bot.core.reply import Reply
from bot.features import keyboards
from bot.features.booking import keyboards as booking_keyboards
from bot.features.on_behalf import keyboards as on_behalf_keyboards
from bot.features.on_behalf import routes
from models import authorizations, booked_for, errors, machines, members
from models.booked_for import BookedFor, OnBehalfAsk, Series
from models.bookings import GUEST_LABEL_LENGTH

SHOWN = 8  # members matching the words typed, shown as buttons
# Why an occurrence of a series was skipped, in a word or two (any other refusal: « not bookable »).
SKIP_REASONS = {
    errors.SlotTaken: N_("already booked"),
    errors.OutsideOpeningHours: N_("the lab is closed"),
    errors.InMaintenance: N_("maintenance planned"),
    errors.MachineReserved: N_("reserved for a session"),
    errors.MachineUnavailable: N_("machine out of service"),
    errors.TrainingRequired: N_("training required"),
    errors.InThePast: N_("already passed"),
    booked_for.AlreadyHeld: N_("already theirs"),
}


def _slot(turn: Turn, machine: machines.Machine, ask: OnBehalfAsk | routes.ForWhomAsked) -> str:
    start = ask.start_at if isinstance(ask, OnBehalfAsk) else ask.start
    end = start + timedelta(minutes=ask.minutes)
    line = f"{keyboards.machine_title(machine)}\n🗓 {turn.texts.when(start, end)}"
    if ask.weeks > 1:
        line += "\n🔁 " + turn._("every week, {count} weeks").format(count=ask.weeks)
    return line


async def ask_weeks(turn: Turn) -> Reply:
    """How many weeks, for a series starting with the slot."""
    members.require_manager(turn.member)
    press = turn.pressed(routes.WeeksAsked)
    machine = await machines.get_machine(turn.session, press.machine)
    end = press.start + timedelta(minutes=press.minutes)
    text = "\n".join(
        [
            "🔁 " + turn._("Every week at this time, for how many weeks?"),
            "",
            f"{keyboards.machine_title(machine)}\n🗓 {turn.texts.when(press.start, end)}",
        ]
    )
    return Reply(
        text=text, markup=on_behalf_keyboards.weeks(turn.texts, machine.id, press.start, press.minutes)
    )


async def ask_for_whom(turn: Turn) -> Reply:
    """Remember the slot; the manager's next message names who it is for."""
    press = turn.pressed(routes.ForWhomAsked)
    machine = await machines.get_machine(turn.session, press.machine)
    await booked_for.ask_for_whom(
        turn.session, turn.member, machine.id, press.start, press.minutes, press.weeks, turn.now
    )
    text = "\n".join(
        [
            "👥 "
            + turn._(
                "Who is it for? Send the member's name or @username, or the name of a guest or a "
                "workshop (« Club robotique »)."
            ),
            "",
            _slot(turn, machine, press),
        ]
    )
    return Reply(
        text=text, markup=on_behalf_keyboards.ask(turn.texts, machine.id, press.start, press.minutes)
    )


async def took_name(turn: Turn, text: str) -> Reply:
    """The words typed: the members they match, and the words as a guest's label."""
    ask = await booked_for.pending_ask(turn.session, turn.member, turn.now)
    assert ask is not None  # typed_answer found it
    words = " ".join(text.split())[:GUEST_LABEL_LENGTH]
    ask.label = words
    people, _total = await authorizations.search(turn.session, turn.member, words, limit=SHOWN)
    machine = await machines.get_machine(turn.session, ask.machine_id)
    lines = [_slot(turn, machine, ask), ""]
    lines.append(
        turn._("Book it for:")
        if people
        else turn._("No member matches « {search} ». Book it for:").format(search=words)
    )
    return Reply(
        text="\n".join(lines),
        markup=on_behalf_keyboards.for_whom(turn.texts, people, words),
        new_message=True,
    )


async def for_member(turn: Turn) -> Reply:
    return await _book(turn, BookedFor(member_id=turn.pressed(routes.ForMember).member))


async def for_guest(turn: Turn) -> Reply:
    turn.pressed(routes.ForGuest)
    return await _book(turn, BookedFor())


async def _book(turn: Turn, target: BookedFor) -> Reply:
    """Book what was asked, for whom was picked, and say what was done."""
    _ = turn._
    ask, made = await booked_for.answer(turn.session, turn.member, target, turn.desk.rules, turn.now)
    machine = await machines.get_machine(turn.session, ask.machine_id)
    if target.member_id is not None:
        who = (await members.get_member(turn.session, target.member_id)).display_name
    else:
        who = f"« {booked_for.clean_label(ask.label or '')} »"
    if isinstance(made, Series):
        lines = _series_lines(turn, who, machine, ask, made)
        told = bool(made.booked)
    else:
        lines = ["✅ " + _("Booked for {who}:").format(who=who), _slot(turn, machine, ask)]
        told = True
    if told and target.member_id is not None:
        lines += ["", _("They are told in their chat.")]
    return Reply(text="\n".join(lines), markup=booking_keyboards.booked(turn.texts), toast=_("Booked!"))


def _series_lines(
    turn: Turn, who: str, machine: machines.Machine, ask: OnBehalfAsk, series: Series
) -> list[str]:
    """What a series booked, and what it skipped and why."""
    _ = turn._
    end = ask.start_at + timedelta(minutes=ask.minutes)
    lines = [
        "🔁 "
        + _("Every week for {who}: {booked} of {weeks} booked.").format(
            who=who, booked=len(series.booked), weeks=ask.weeks
        ),
        f"{keyboards.machine_title(machine)}, {turn.texts.time(ask.start_at)}–{turn.texts.time(end)}",
    ]
    if series.booked:
        lines += ["", _("Booked:")] + [f"• {turn.texts.day(b.start_at)}" for b in series.booked]
    if series.skipped:
        lines += ["", _("Skipped:")]
        for skipped in series.skipped:
            reason = SKIP_REASONS.get(type(skipped.reason), N_("not bookable"))
            lines.append(f"• {turn.texts.day(skipped.start)} — {_(reason)}")
    return lines


FEATURE = Feature(
    name="on_behalf",
    presses={
        routes.WeeksAsked: ask_weeks,
        routes.ForWhomAsked: ask_for_whom,
        routes.ForMember: for_member,
        routes.ForGuest: for_guest,
    },
    awaits=[
        typed_answer(lambda turn: booked_for.pending_ask(turn.session, turn.member, turn.now), took_name)
    ],
)
