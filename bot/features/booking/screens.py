"""Booking a machine in a few taps: machine → day → start → length → confirm."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.inputs import typed_answer
from bot.core.reply import Reply
from bot.features import keyboards
from bot.features.booking import keyboards as booking_keyboards
from bot.features.booking import messages, routes, typed
from bot.features.keyboards import KIND_NAMES
from bot.features.refusals import refusal_text
from bot.features.training_requests import screens as training_requests
from models import bookings, machines, quotas, typed_booking, waitlist
from models.errors import SlotTaken
from models.typed_time import NotUnderstood, read_typed_time


async def machine_list(turn: Turn) -> Reply:
    """Show every machine, kind by kind, marking those out of service or needing a training."""
    _ = turn._
    listed = await machines.list_machines(turn.session)
    if isinstance(turn.press, routes.KindList):  # rebooking: one kind only
        listed = [m for m in listed if m.kind is turn.press.kind]
    if not listed:
        return Reply(
            text=_("No machine is set up yet. The fab manager loads them with the fabdesk import command."),
            markup=keyboards.back_to_menu(turn.texts),
        )
    authorized = await machines.authorized_machines(turn.session, turn.member, listed, now=turn.now)
    entries = [(m, m.id in authorized) for m in listed]
    kinds = []
    for machine in listed:
        name = f"{keyboards.KIND_ICONS[machine.kind]} {_(KIND_NAMES[machine.kind])}"
        if name not in kinds:
            kinds.append(name)
    legend = [_("Which machine would you like to book?"), " · ".join(kinds)]
    if not all(ok for _m, ok in entries):
        legend.append("🎓 " + _("needs a training"))
    return Reply(text="\n".join(legend), markup=booking_keyboards.machines(turn.texts, entries))


async def _machine_header(turn: Turn, machine: machines.Machine) -> str:
    lines = [keyboards.machine_title(machine)]
    if machine.location:
        lines.append("📍 " + machine.location)
    if machine.description:
        lines.append(machine.description)
    return "\n".join(lines)


async def choose_day(turn: Turn) -> Reply:
    """Show the days of the horizon for the chosen machine (or why it cannot be booked)."""
    machine = await machines.get_machine(turn.session, turn.pressed(routes.MachineChosen).machine)
    return await _day_screen(turn, machine)


async def _day_screen(turn: Turn, machine: machines.Machine) -> Reply:
    _ = turn._
    if not machine.bookable:
        return Reply(toast=_("{machine} is out of service for now.").format(machine=machine.name), alert=True)
    header = await _machine_header(turn, machine)
    if not await machines.is_authorized(turn.session, turn.member, machine, now=turn.now):
        if (lapsed := await machines.lapsed_on(turn.session, turn.member, machine)) is not None:
            why = _(
                "Your training on this machine lapsed on {day}. "
                "Ask for a refresher and a fab manager will get back to you."
            ).format(day=turn.texts.day(lapsed))
        else:
            why = _(
                "This machine needs a training before you can book it. "
                "Ask for one and a fab manager will get back to you."
            )
        return Reply(text=header + "\n\n" + why, markup=booking_keyboards.ask_training(turn.texts, machine))
    days = await bookings.availability(
        turn.session, machine, turn.desk.rules, turn.now, not_before=await _earliest(turn, machine)
    )
    await typed_booking.remember_step(turn.session, turn.member, machine.id, None, turn.now)
    if not any(d.open for d in days):
        text = header + "\n\n" + _("The lab has no opening hours in the coming days.")
    else:
        text = header + "\n\n" + _("Which day?")
    return Reply(text=text, markup=booking_keyboards.days(turn.texts, machine, days))


async def _earliest(turn: Turn, machine: machines.Machine) -> datetime:
    """The first start offered to the member: none within the machine's minimum notice (managers are
    exempt); Confirm still refuses one pressed from an older screen or forged."""
    return await bookings.earliest_start(turn.session, turn.member, machine, turn.now)


async def _passed(turn: Turn, machine: machines.Machine, day: date, *, start: bool = True) -> Reply:
    """A button of a screen left open since (yesterday's start times...): say that its time has
    passed, and show in its place what can be booked now: for a start, today's free starts (when
    there are some); for a day, the days."""
    _ = turn._
    today = turn.desk.rules.today(turn.now)
    reason = _("That day has passed.") if day < today else _("That start time has passed.")
    reply: Reply | None = None
    if (
        start
        and machine.bookable
        and await machines.is_authorized(turn.session, turn.member, machine, now=turn.now)
    ):
        availability = await bookings.day_availability(
            turn.session, machine, today, turn.desk.rules, turn.now, not_before=await _earliest(turn, machine)
        )
        if availability.free_starts:
            reply = await _start_screen(turn, machine, availability)
    if reply is None:
        reply = await _day_screen(turn, machine)
    if reply.text is None:  # the machine cannot be booked now: say that too
        return Reply(toast=reason + " " + (reply.toast or ""), alert=True)
    reply.text = "⏰ " + reason + "\n\n" + reply.text
    reply.toast = reason
    return reply


async def choose_start(turn: Turn) -> Reply:
    """Show the free start times of the chosen day."""
    press = turn.pressed(routes.DayChosen)
    machine = await machines.get_machine(turn.session, press.machine)
    day = press.day
    if day < turn.desk.rules.today(turn.now):
        return await _passed(turn, machine, day, start=False)
    await machines.check_bookable(turn.session, turn.member, machine, now=turn.now)
    availability = await bookings.day_availability(
        turn.session, machine, day, turn.desk.rules, turn.now, not_before=await _earliest(turn, machine)
    )
    return await _start_screen(turn, machine, availability)


async def _start_screen(
    turn: Turn, machine: machines.Machine, availability: bookings.DayAvailability
) -> Reply:
    _ = turn._
    day = availability.day
    await typed_booking.remember_step(turn.session, turn.member, machine.id, day, turn.now)
    header = f"{keyboards.machine_title(machine)} — {turn.texts.day(day)}"
    if availability.worth_waiting:
        text = (
            header
            + "\n\n"
            + _(
                "No free slot left that day. Pick another day, or wait for a slot to free up: "
                "I will tell you at once."
            )
        )
        return Reply(text=text, markup=booking_keyboards.full_day(turn.texts, machine, day))
    if not availability.free_starts:
        text = header + "\n\n" + _("No slot left that day: pick another day.")
        return Reply(text=text, markup=booking_keyboards.full_day(turn.texts, machine, day, waitable=False))
    text = header + "\n\n" + _("Free start times:")
    return Reply(
        text=text, markup=booking_keyboards.start_times(turn.texts, machine, availability.free_starts)
    )


async def wait_for_slot(turn: Turn) -> Reply:
    """Put the member on the waitlist of a full day."""
    _ = turn._
    press = turn.pressed(routes.WaitForSlot)
    day = press.day
    if day < turn.desk.rules.today(turn.now):
        return await _passed(turn, await machines.get_machine(turn.session, press.machine), day, start=False)
    _entry, added = await waitlist.join(
        turn.session, turn.member, press.machine, day, turn.desk.rules, turn.now
    )
    toast = (
        _("You are on the waitlist: I will tell you as soon as a slot frees up.")
        if added
        else _("You are already on the waitlist for that day.")
    )
    return Reply(toast=toast, alert=True)


async def choose_start_in_hour(turn: Turn) -> Reply:
    """Show the free starts within the chosen hour (machines with a fine slot grid)."""
    _ = turn._
    press = turn.pressed(routes.HourChosen)
    machine = await machines.get_machine(turn.session, press.machine)
    hour = press.hour
    day = hour.astimezone(turn.texts.tz).date()
    # The hour's last start on the grid is over: the screen was left open since.
    if hour + timedelta(hours=1) - timedelta(minutes=machine.slot_minutes) < turn.now:
        return await _passed(turn, machine, day)
    await machines.check_bookable(turn.session, turn.member, machine, now=turn.now)
    availability = await bookings.day_availability(
        turn.session, machine, day, turn.desk.rules, turn.now, not_before=await _earliest(turn, machine)
    )
    starts = [s for s in availability.free_starts if hour <= s < hour + timedelta(hours=1)]
    if not starts:
        return Reply(toast=_("That start time is no longer free. Pick another one."), alert=True)
    await typed_booking.remember_step(turn.session, turn.member, machine.id, day, turn.now)
    text = f"{keyboards.machine_title(machine)} — {turn.texts.day(day)}" + "\n\n" + _("Free start times:")
    back = routes.DayChosen(machine.id, day)
    return Reply(text=text, markup=booking_keyboards.start_times(turn.texts, machine, starts, back))


async def choose_length(turn: Turn) -> Reply:
    """Show how long the member can book from the chosen start."""
    _ = turn._
    press = turn.pressed(routes.StartChosen)
    machine = await machines.get_machine(turn.session, press.machine)
    start = press.start
    if start < turn.now:
        return await _passed(turn, machine, start.astimezone(turn.texts.tz).date())
    await machines.check_bookable(turn.session, turn.member, machine, now=turn.now)
    return await _length_screen(turn, machine, start)


async def _length_screen(turn: Turn, machine: machines.Machine, start: datetime) -> Reply:
    _ = turn._
    # A start within the machine's notice: said now (with the first possible slot), not after a length.
    if start < await bookings.earliest_start(turn.session, turn.member, machine, turn.now):
        end = start + timedelta(minutes=machine.slot_minutes)
        try:
            await bookings.check_limits(
                turn.session, turn.member, machine, start, end, turn.desk.rules, turn.now
            )
        except quotas.TooShortNotice as over:  # the first possible start: to its lengths
            return Reply(
                text="⛔️ " + refusal_text(turn.texts, over),
                markup=booking_keyboards.nearest(turn.texts, machine, [over.first_start], None),
                toast=_("Not booked: a booking limit."),
            )
    options = await bookings.free_lengths(turn.session, machine, start, turn.desk.rules, turn.now)
    if not options:
        return Reply(toast=_("That start time is no longer free. Pick another one."), alert=True)
    try:  # only the lengths within the member's hours; none: which limit, and when it frees up
        options = await bookings.lengths_within_limits(
            turn.session, turn.member, machine, start, options, turn.desk.rules, turn.now
        )
    except quotas.QuotaRefusal as over:
        return _over_a_limit(turn, machine, options[0], over)
    day = start.astimezone(turn.texts.tz).date()
    await typed_booking.remember_step(turn.session, turn.member, machine.id, day, turn.now)
    text = (
        f"{keyboards.machine_title(machine)} — {turn.texts.day(start)}, {turn.texts.time(start)}"
        + "\n\n"
        + _("For how long?")
    )
    return Reply(text=text, markup=booking_keyboards.lengths(turn.texts, machine, start, options))


def _summary(turn: Turn, machine: machines.Machine, start: datetime, minutes: int) -> str:
    end = start + timedelta(minutes=minutes)
    return f"{keyboards.machine_title(machine)}\n🗓 {turn.texts.when(start, end)}"


async def confirm(turn: Turn) -> Reply:
    """Show the booking about to be made, with Confirm."""
    press = turn.pressed(routes.LengthChosen)
    machine = await machines.get_machine(turn.session, press.machine)
    start, minutes = press.start, press.minutes
    if start < turn.now:
        return await _passed(turn, machine, start.astimezone(turn.texts.tz).date())
    await machines.check_bookable(turn.session, turn.member, machine, now=turn.now)
    return await _confirm_screen(turn, machine, start, minutes)


async def _confirm_screen(
    turn: Turn, machine: machines.Machine, start: datetime, minutes: int, *, typed_as: str = ""
) -> Reply:
    """Book this slot? Or the limit it is over (`typed_as`: what was read of a typed slot, said
    above a refusal, the confirmation itself saying the slot)."""
    await bookings.validate_slot(turn.session, machine, start, minutes, turn.desk.rules, turn.now)
    day = start.astimezone(turn.texts.tz).date()
    await typed_booking.remember_step(turn.session, turn.member, machine.id, day, turn.now)
    end = start + timedelta(minutes=minutes)
    try:  # said before Confirm; Confirm checks again, with the member's bookings taking turns
        await bookings.check_limits(turn.session, turn.member, machine, start, end, turn.desk.rules, turn.now)
    except (quotas.QuotaRefusal, quotas.TooShortNotice) as over:
        reply = _over_a_limit(turn, machine, minutes, over)
        return _above("📅 " + typed_as, reply) if typed_as else reply
    text = turn._("Book this slot?") + "\n\n" + _summary(turn, machine, start, minutes)
    markup = booking_keyboards.confirm(turn.texts, machine, start, minutes, manager=turn.member.is_manager)
    return Reply(text=text, markup=markup)


def _over_a_limit(
    turn: Turn, machine: machines.Machine, minutes: int, over: quotas.QuotaRefusal | quotas.TooShortNotice
) -> Reply:
    """A sentence longer than a dialog holds (which limit, when it frees up): the screen says it,
    with the first possible slot one tap away when the notice is what refused."""
    sooner = [over.first_start] if isinstance(over, quotas.TooShortNotice) else []
    return Reply(
        text="⛔️ " + refusal_text(turn.texts, over),
        markup=booking_keyboards.alternatives(turn.texts, machine, sooner, minutes),
        toast=turn._("Not booked: a booking limit."),
    )


async def book(turn: Turn) -> Reply:
    """Book the slot; if someone was faster, say so and offer the next free slots."""
    _ = turn._
    press = turn.pressed(routes.Confirmed)
    machine_id, start, minutes = press.machine, press.start, press.minutes
    if start < turn.now:  # a Confirm (or a waitlist's Book it) left unpressed until it was too late
        machine = await machines.get_machine(turn.session, machine_id)
        return await _passed(turn, machine, start.astimezone(turn.texts.tz).date())
    try:
        booking = await bookings.book(
            turn.session, turn.member, machine_id, start, minutes, turn.desk.rules, turn.now
        )
    except SlotTaken as taken:
        machine = await machines.get_machine(turn.session, machine_id)
        text = _("Sorry, that slot was just taken by someone else.")
        if taken.alternatives:
            text += "\n\n" + _("The next free slots of the same length:")
        else:
            text += "\n\n" + _("No other slot of that length is free in the coming days.")
        return Reply(
            text=text,
            markup=booking_keyboards.alternatives(turn.texts, machine, taken.alternatives, minutes),
            toast=_("That slot was just taken."),
        )
    except (quotas.QuotaRefusal, quotas.TooShortNotice) as over:
        return _over_a_limit(turn, await machines.get_machine(turn.session, machine_id), minutes, over)
    await typed_booking.forget_step(turn.session, turn.member)
    title = keyboards.machine_title(booking.machine)
    lead = turn.desk.rules.reminder_minutes(booking)
    text = messages.confirmed_text(turn.texts, title, booking.start_at, booking.end_at, lead)
    return Reply(text=text, markup=booking_keyboards.booked(turn.texts), toast=_("Booked!"))


async def request_training(turn: Turn) -> Reply:
    """The machine's next training sessions first, then the request (bot/features/training_requests)."""
    machine = await machines.get_machine(turn.session, turn.pressed(routes.AskTraining).machine)
    return await training_requests.ask_training(turn, machine)


async def _step_screen(turn: Turn, machine: machines.Machine, day: date | None) -> Reply:
    """The booking screen the member was at: the day's starts, or the machine's days."""
    rules = turn.desk.rules
    if day is not None and day in rules.bookable_days(turn.now):
        availability = await bookings.day_availability(turn.session, machine, day, rules, turn.now)
        if availability.open:
            return await _start_screen(turn, machine, availability)
    return await _day_screen(turn, machine)


def _above(note: str, reply: Reply) -> Reply:
    """The screen, with a note above it (what was typed, read, refused)."""
    if reply.text is None:  # no screen (the machine went out of service): the note and the toast
        return Reply(text=note + ("\n\n" + reply.toast if reply.toast else ""))
    reply.text = note + "\n\n" + reply.text
    return reply


async def _step_of(turn: Turn) -> typed_booking.BookingStep | None:
    return await typed_booking.current_step(turn.session, turn.member)


async def typed_day_or_time(turn: Turn, text: str) -> Reply:
    """A day or time typed at a booking's day or start step (« demain 15h »): the screen the buttons
    would have led to; else what was read and why it cannot be booked, with the booking screen."""
    step = await typed_booking.current_step(turn.session, turn.member)
    assert step is not None  # typed_answer only calls this when a step is pending
    machine = await machines.get_machine(turn.session, step.machine_id)
    await machines.check_bookable(turn.session, turn.member, machine, now=turn.now)
    rules = turn.desk.rules
    reading = read_typed_time(text, rules.today(turn.now), typed.languages_for(turn.texts))
    if isinstance(reading, NotUnderstood):
        return _above(
            typed.not_understood(turn.texts, reading, text), await _step_screen(turn, machine, step.day)
        )
    outcome = await typed_booking.where_typed_leads(turn.session, machine, step.day, reading, rules, turn.now)
    if isinstance(outcome, typed_booking.ShowStarts):
        availability = await bookings.day_availability(turn.session, machine, outcome.day, rules, turn.now)
        note = turn._("I read: {when}.").format(when=turn.texts.day(outcome.day))
        return _above("📅 " + note, await _start_screen(turn, machine, availability))
    if isinstance(outcome, typed_booking.ShowLengths):
        note = typed.read_as(turn.texts, outcome.start, None)
        return _above("📅 " + note, await _length_screen(turn, machine, outcome.start))
    if isinstance(outcome, typed_booking.ShowConfirm):
        typed_as = typed.read_as(turn.texts, outcome.start, outcome.minutes)
        return await _confirm_screen(turn, machine, outcome.start, outcome.minutes, typed_as=typed_as)
    note = typed.refused(turn.texts, outcome, machine, rules.horizon_days)
    if outcome.refusal in (typed_booking.Refusal.TOO_LONG, typed_booking.Refusal.BAD_LENGTH):
        assert outcome.start is not None  # a free start: the lengths it allows
        return _above(note, await _length_screen(turn, machine, outcome.start))
    if not outcome.nearest:
        return _above(note, await _step_screen(turn, machine, step.day))
    assert outcome.day is not None  # nearest starts are on the day read
    await typed_booking.remember_step(turn.session, turn.member, machine.id, outcome.day, turn.now)
    note += "\n\n" + turn._("The nearest free start times:")
    markup = booking_keyboards.nearest(turn.texts, machine, outcome.nearest, outcome.nearest_minutes)
    return Reply(text=note, markup=markup)


FEATURE = Feature(
    name="booking",
    commands={"book": machine_list},
    presses={
        routes.MachineList: machine_list,
        routes.KindList: machine_list,
        routes.MachineChosen: choose_day,
        routes.DayChosen: choose_start,
        routes.HourChosen: choose_start_in_hour,
        routes.StartChosen: choose_length,
        routes.LengthChosen: confirm,
        routes.Confirmed: book,
        routes.WaitForSlot: wait_for_slot,
        routes.AskTraining: request_training,
    },
    awaits=[typed_answer(_step_of, typed_day_or_time)],
)
