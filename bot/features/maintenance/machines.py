"""Fab manager: one machine's status, maintenance log and plans; planned downtime."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import web
from bot.core.context import Turn
from bot.core.reply import Reply
from bot.features import keyboards
from bot.features.maintenance import keyboards as maintenance_keyboards
from bot.features.maintenance import routes
from bot.features.maintenance.routes import PLAN_PRESETS
from bot.features.maintenance.tickets import EVENT_NAMES, STATUS_NAMES
from bot.web import ical
from models import bookings, feeds, machines, maintenance, members
from models.downtime import Downtime
from models.errors import NotFound
from models.opening import local_datetime

DOWNTIME_LENGTHS = [60, 120, 240, 480, 24 * 60]


async def machine_command(turn: Turn) -> Reply:
    """/machine NAME: the machine's screen; without a name (or an ambiguous one), pick it."""
    members.require_manager(turn.member)
    incoming = turn.update.effective_message
    name = " ".join((incoming.text or "").split()[1:]) if incoming else ""
    found = await maintenance.find_machine(turn.session, name) if name else []
    if len(found) == 1:
        return await _machine_screen(turn, found[0].id)
    listed = found or await machines.list_machines(turn.session)
    text = (
        turn._("Which machine?") if not name or found else turn._("No machine is called that. Which machine?")
    )
    buttons = [[keyboards.button(keyboards.machine_title(m), routes.MachineShown(m.id))] for m in listed]
    buttons.append([keyboards.menu_button(turn.texts)])
    return Reply(text=text, markup=keyboards.InlineKeyboardMarkup(buttons))


async def schedule_file(turn: Turn) -> Reply:
    """The machine's bookings over the booking horizon as an .ics file: slots marked "Booked", no names."""
    members.require_manager(turn.member)
    machine = await machines.get_any_machine(turn.session, turn.pressed(routes.ScheduleFile).machine)
    booked = await bookings.bookings_between(turn.session, turn.now, turn.desk.rules.horizon_end(turn.now))
    content = ical.bookings_calendar(
        [b for b in booked if b.machine_id == machine.id],
        name=machine.name,
        now=turn.now,
        summary=f"{machine.name} — " + turn._("Booked"),
        domain=turn.desk.calendar_domain,
    )
    text = "📆 " + turn._("The schedule of {machine}, for your calendar.").format(machine=machine.name)
    if turn.desk.settings.web_base_url is not None:
        # A manager's own link opens the machines' schedules too; it is renewed or turned off
        # from My bookings › Calendar link.
        feed = await feeds.feed_of(turn.session, turn.member) or await feeds.new_feed(
            turn.session, turn.member, turn.now
        )
        text += "\n\n" + turn._(
            "To subscribe, so it stays up to date (your private link, keep it to yourself):"
        )
        text += "\n" + (web.feed_url(turn.desk.settings, feed.token, machine.id) or "")
    return Reply(
        text=text,
        document=(f"fabdesk-{machine.id}.ics", content),
        new_message=True,
    )


async def machine_screen(turn: Turn) -> Reply:
    members.require_manager(turn.member)
    return await _machine_screen(turn, turn.pressed(routes.MachineShown).machine)


async def _machine_screen(turn: Turn, machine_id: int) -> Reply:
    """Status, open tickets, planned downtime, plans, and the maintenance log of one machine."""
    _ = turn._
    texts = turn.texts
    machine = await machines.get_any_machine(turn.session, machine_id)
    status = {
        machines.MachineStatus.AVAILABLE: _("available"),
        machines.MachineStatus.OUT_OF_SERVICE: _("out of service"),
        machines.MachineStatus.RETIRED: _("retired"),
    }[machine.status]
    lines = [f"{keyboards.machine_title(machine)} — {status}"]
    if machine.location:
        lines.append("📍 " + machine.location)
    downtimes = await maintenance.upcoming_downtimes(turn.session, machine.id, turn.now)
    if downtimes:
        lines += ["", _("Planned downtime:")]
        lines += [
            f"• {texts.span(d.start_at, d.end_at)} {d.reason or _('planned maintenance')}" for d in downtimes
        ]
    plans = await maintenance.machine_plans(turn.session, machine.id, turn.now)
    if plans:
        lines += ["", _("Preventive maintenance:")]
        lines += [f"• {_plan_line(turn, p)}" for p in plans]
    log = await maintenance.machine_log(turn.session, machine.id)
    lines += ["", _("Maintenance log:")]
    if not log:
        lines.append("• " + _("nothing yet"))
    for ticket in log:
        lines.append(
            f"• #{ticket.id} {texts.short_day(ticket.created_at.astimezone(texts.tz).date())} "
            f"{ticket.title} — {_(STATUS_NAMES[ticket.status])}"
        )
        for event in ticket.events:
            if event.note:
                lines.append(f"  {_(EVENT_NAMES[event.kind])} — « {event.note} »")
    keyboard = [
        [keyboards.button("🗓 " + _("Plan a downtime"), routes.DowntimeAsked(machine.id))],
        *(
            [
                keyboards.button(
                    "✖ " + _("Call off {when}").format(when=_short_span(turn, d)), routes.CallOffAsked(d.id)
                )
            ]
            for d in downtimes
        ),
        [keyboards.button("📆 " + _("Schedule (.ics)"), routes.ScheduleFile(machine.id))],
    ]
    keyboard += [[keyboards.button("🧰 " + p.plan.task, routes.PlanShown(p.plan.id))] for p in plans]
    keyboard.append([keyboards.menu_button(texts)])
    return Reply(text="\n".join(lines), markup=keyboards.InlineKeyboardMarkup(keyboard))


def _short_span(turn: Turn, downtime: Downtime) -> str:
    """A downtime's window for a button: "Sat 9 Mar 09:00–18:00", or both ends when it spans days."""
    texts, start, end = turn.texts, downtime.start_at, downtime.end_at
    if start.astimezone(texts.tz).date() == (end - timedelta(microseconds=1)).astimezone(texts.tz).date():
        return f"{texts.moment(start)}–{texts.time(end)}"
    return f"{texts.moment(start)} – {texts.moment(end)}"


def _interval(turn: Turn, days: int | None, hours: int | None) -> str:
    if days is not None:
        return turn.texts.ngettext("every {count} day", "every {count} days", days).format(count=days)
    return turn.texts.ngettext("every {count} hour of use", "every {count} hours of use", hours or 0).format(
        count=hours
    )


def _plan_line(turn: Turn, state: maintenance.PlanState) -> str:
    _ = turn._
    plan = state.plan
    line = f"{plan.task} ({_interval(turn, plan.every_days, plan.every_hours)})"
    if not plan.active:
        return line + " — " + _("paused")
    if state.due:
        return line + " — " + _("due now")
    if state.due_at is not None:
        return line + " — " + _("next: {day}").format(day=turn.texts.day(state.due_at))
    return (
        line
        + " — "
        + _("{used} h of {total} h used").format(used=int(state.used_hours or 0), total=plan.every_hours)
    )


async def plan_screen(turn: Turn) -> Reply:
    """A maintenance plan: its interval presets and pause/resume."""
    members.require_manager(turn.member)
    return await _plan_screen(turn, turn.pressed(routes.PlanShown).plan)


async def _plan_screen(turn: Turn, plan_id: int) -> Reply:
    _ = turn._
    plan = await maintenance.get_plan(turn.session, plan_id)
    state = await maintenance.plan_state(turn.session, plan, turn.now)
    text = f"🧰 {plan.machine.name}\n{_plan_line(turn, state)}\n\n" + _("Change how often it falls due:")
    presets = [
        keyboards.button(
            ("✓ " if (d, h) == (plan.every_days, plan.every_hours) else "") + _interval(turn, d, h),
            routes.PlanIntervalChosen(plan.id, i),
        )
        for i, (d, h) in enumerate(PLAN_PRESETS)
    ]
    keyboard = keyboards.rows(presets, 2)
    keyboard.append(
        [
            keyboards.button(
                ("▶️ " + _("Resume")) if not plan.active else ("⏸ " + _("Pause")), routes.PlanToggled(plan.id)
            )
        ]
    )
    keyboard.append([keyboards.button("⬅️ " + _("Back"), routes.MachineShown(plan.machine_id))])
    return Reply(text=text, markup=keyboards.InlineKeyboardMarkup(keyboard))


async def set_plan_interval(turn: Turn) -> Reply:
    """Set the plan's interval to the preset picked."""
    press = turn.pressed(routes.PlanIntervalChosen)
    members.require_manager(turn.member)
    days, hours = PLAN_PRESETS[press.preset]
    await maintenance.edit_plan(turn.session, turn.member, press.plan, every_days=days, every_hours=hours)
    reply = await _plan_screen(turn, press.plan)
    reply.toast = turn._("Saved.")
    return reply


async def toggle_plan(turn: Turn) -> Reply:
    """Pause the plan, or resume it."""
    members.require_manager(turn.member)
    plan = await maintenance.get_plan(turn.session, turn.pressed(routes.PlanToggled).plan)
    await maintenance.edit_plan(turn.session, turn.member, plan.id, active=not plan.active)
    reply = await _plan_screen(turn, plan.id)
    reply.toast = turn._("Saved.")
    return reply


# --------------------------------------------------------------------------- planned downtime


async def downtime_day(turn: Turn) -> Reply:
    """Plan a downtime: which day (the booking horizon)."""
    members.require_manager(turn.member)
    machine = await machines.get_any_machine(turn.session, turn.pressed(routes.DowntimeAsked).machine)
    days = turn.desk.rules.bookable_days(turn.now)
    buttons = [
        keyboards.button(turn.texts.short_day(d), routes.DowntimeDayChosen(machine.id, d)) for d in days
    ]
    keyboard = keyboards.rows(buttons, 2)
    keyboard.append(keyboards.nav_row(turn.texts, routes.MachineShown(machine.id)))
    text = f"🗓 {machine.name}\n\n" + turn._("Out of service from which day?")
    return Reply(text=text, markup=keyboards.InlineKeyboardMarkup(keyboard))


async def downtime_start(turn: Turn) -> Reply:
    """Plan a downtime: from which hour (the whole day is offered, not only opening hours)."""
    members.require_manager(turn.member)
    press = turn.pressed(routes.DowntimeDayChosen)
    machine = await machines.get_any_machine(turn.session, press.machine)
    day = press.day
    if day not in turn.desk.rules.bookable_days(turn.now):  # only the days the previous screen offered
        raise NotFound(f"day {day}")
    starts = [local_datetime(day, hour * 60, turn.texts.tz) for hour in range(24)]
    starts = [s for s in starts if s >= turn.now - timedelta(hours=1)]
    buttons = [
        keyboards.button(turn.texts.time(s), routes.DowntimeStartChosen(machine.id, s)) for s in starts
    ]
    keyboard = keyboards.rows(buttons, 4)
    keyboard.append(keyboards.nav_row(turn.texts, routes.DowntimeAsked(machine.id)))
    text = f"🗓 {machine.name} — {turn.texts.day(day)}\n\n" + turn._("From what time?")
    return Reply(text=text, markup=keyboards.InlineKeyboardMarkup(keyboard))


async def downtime_length(turn: Turn) -> Reply:
    """Plan a downtime: for how long."""
    members.require_manager(turn.member)
    press = turn.pressed(routes.DowntimeStartChosen)
    machine = await machines.get_any_machine(turn.session, press.machine)
    start = press.start
    buttons = [
        keyboards.button(
            f"{turn.texts.duration(m)} → {turn.texts.time(start + timedelta(minutes=m))}",
            routes.DowntimeLengthChosen(machine.id, start, m),
        )
        for m in DOWNTIME_LENGTHS
    ]
    keyboard = keyboards.rows(buttons, 2)
    day = start.astimezone(turn.texts.tz).date()
    keyboard.append(keyboards.nav_row(turn.texts, routes.DowntimeDayChosen(machine.id, day)))
    text = f"🗓 {machine.name} — {turn.texts.day(start)}, {turn.texts.time(start)}\n\n" + turn._(
        "For how long?"
    )
    return Reply(text=text, markup=keyboards.InlineKeyboardMarkup(keyboard))


def _downtime_window(
    press: routes.DowntimeLengthChosen | routes.DowntimeConfirmed,
) -> tuple[datetime, datetime]:
    """The window of a downtime button (one of the lengths offered)."""
    if press.minutes not in DOWNTIME_LENGTHS:
        raise NotFound(f"length {press.minutes}")
    return press.start, press.start + timedelta(minutes=press.minutes)


async def downtime_summary(turn: Turn) -> Reply:
    """Plan a downtime: what it will do, before it is done (Confirm or Cancel)."""
    _ = turn._
    press = turn.pressed(routes.DowntimeLengthChosen)
    members.require_manager(turn.member)
    start, end = _downtime_window(press)
    machine = await machines.get_any_machine(turn.session, press.machine)
    affected = await maintenance.downtime_impact(turn.session, turn.member, machine.id, start, end, turn.now)
    lines = [
        _("Plan this downtime?"),
        "",
        keyboards.machine_title(machine),
        "⛔ " + turn.texts.span(start, end),
        "",
        _("Nobody can book the machine in that time.")
        + " "
        + (
            turn.texts.ngettext(
                "{count} booking falls in it: its member will be warned, and the booking kept "
                "(they can cancel it or book another time).",
                "{count} bookings fall in it: their members will be warned, and the bookings kept "
                "(they can cancel them or book another time).",
                affected,
            ).format(count=affected)
            if affected
            else _("No booking falls in it.")
        ),
    ]
    keyboard = [
        [
            keyboards.button(
                "✅ " + _("Confirm"), routes.DowntimeConfirmed(machine.id, press.start, press.minutes)
            )
        ],
        keyboards.nav_row(turn.texts, routes.DowntimeStartChosen(machine.id, press.start)),
    ]
    return Reply(text="\n".join(lines), markup=keyboards.InlineKeyboardMarkup(keyboard))


async def downtime_confirm(turn: Turn) -> Reply:
    """Plan the downtime; members whose bookings fall in it are warned (their bookings are kept)."""
    press = turn.pressed(routes.DowntimeConfirmed)
    members.require_manager(turn.member)
    start, end = _downtime_window(press)
    downtime, warned = await maintenance.plan_downtime(
        turn.session,
        turn.member,
        press.machine,
        start,
        end,
        "",  # no free-text reason yet: each warned member reads "maintenance" in their own language
        turn.now,
    )
    text = "✅ " + turn._("Downtime planned: {when}.").format(
        when=turn.texts.span(downtime.start_at, downtime.end_at)
    )
    if warned:
        text += "\n" + turn.texts.ngettext(
            "{count} member with a booking in that time was warned; the booking is kept.",
            "{count} members with a booking in that time were warned; their bookings are kept.",
            warned,
        ).format(count=warned)
    return Reply(text=text, markup=maintenance_keyboards.back_to_machine(turn.texts, press.machine))


async def ask_call_off(turn: Turn) -> Reply:
    """Call off a planned downtime? (Say what it does first.)"""
    members.require_manager(turn.member)
    downtime = await maintenance.get_downtime(turn.session, turn.pressed(routes.CallOffAsked).downtime)
    machine = await machines.get_any_machine(turn.session, downtime.machine_id)
    text = f"🗓 {machine.name} — {turn.texts.span(downtime.start_at, downtime.end_at)}\n\n" + turn._(
        "Call off this downtime? Its time can be booked again; members with a booking in it are told "
        "their booking stands, and those waiting for one of its days are told to have a look."
    )
    keyboard = [
        [keyboards.button("✖ " + turn._("Call it off"), routes.CallOffConfirmed(downtime.id))],
        keyboards.nav_row(turn.texts, routes.MachineShown(machine.id)),
    ]
    return Reply(text=text, markup=keyboards.InlineKeyboardMarkup(keyboard))


async def call_off(turn: Turn) -> Reply:
    """Call the downtime off; members whose bookings were in it are told they stand."""
    done = await maintenance.call_off_downtime(
        turn.session, turn.member, turn.pressed(routes.CallOffConfirmed).downtime, turn.now, turn.desk.rules
    )
    when = turn.texts.span(done.downtime.start_at, done.downtime.end_at)
    if done.already:
        text = turn._("This downtime was already called off: {when}.").format(when=when)
    else:
        text = "✅ " + turn._("Downtime called off: {when}.").format(when=when)
        text += "\n" + turn.texts.ngettext(
            "{count} member with a booking in that time was told it stands.",
            "{count} members with a booking in that time were told they stand.",
            done.told,
        ).format(count=done.told)
    return Reply(
        text=text, markup=maintenance_keyboards.back_to_machine(turn.texts, done.downtime.machine_id)
    )
