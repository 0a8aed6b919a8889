"""/stats for the fab managers: the lab's use over a period, a chart, and the bookings as CSV."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.reply import Reply
from bot.features.keyboards import KIND_NAMES
from bot.features.stats import charts, routes
from bot.features.stats import keyboards as stats_keyboards
from bot.features.stats.routes import PERIODS
from models import members, stats
from models.errors import NotFound
from models.machines import MachineKind
from models.opening import local_datetime


def _period(turn: Turn, days: int) -> tuple[datetime, datetime]:
    """The last `days` days up to the end of today; NotFound for a period not offered."""
    if days not in PERIODS:
        raise NotFound(f"period {days}")
    today = turn.desk.rules.today(turn.now)
    end = local_datetime(today, 24 * 60, turn.texts.tz)
    return end - timedelta(days=days), end


async def choose(turn: Turn) -> Reply:
    """Ask over which period."""
    members.require_manager(turn.member)
    return Reply(
        text="📊 " + turn._("Statistics — over which period?"), markup=stats_keyboards.periods(turn.texts)
    )


async def show(turn: Turn) -> Reply:
    """The period's figures as text, and the hours per machine as a chart."""
    _ = turn._
    texts = turn.texts
    members.require_manager(turn.member)
    days = turn.pressed(routes.PeriodChosen).days
    start, end = _period(turn, days)
    figures = await stats.usage(turn.session, start, end, texts.tz)
    lines = [
        "📊 "
        + _("The lab, {first} – {last}").format(
            first=texts.day(start), last=texts.day(end - timedelta(seconds=1))
        ),
        "",
        _("Hours booked: {hours}").format(hours=texts.hours(figures.hours)),
    ]
    booked = [(name, hours) for name, hours in figures.hours_by_machine.items() if hours]
    lines += [f"• {name} — {texts.hours(hours)}" for name, hours in booked[:10]]
    if figures.idle:
        lines.append(_("Not booked: {machines}").format(machines=", ".join(figures.idle)))
    if figures.hours_by_kind:
        lines += ["", _("By kind:")]
        lines += [
            f"• {_(KIND_NAMES[MachineKind(kind)])} — {texts.hours(hours)}"
            for kind, hours in figures.hours_by_kind.items()
        ]
    if figures.busiest:
        weekdays = [texts.weekday(day) for day, _hour, _h in figures.busiest]
        lines += ["", _("Busiest hours:")]
        lines += [
            f"• {name} {hour:02d}:00 — {texts.hours(hours)}"
            for name, (_d, hour, hours) in zip(weekdays, figures.busiest, strict=True)
        ]
    rate = figures.cancellation_rate
    lines += [
        "",
        _("Bookings: {count}, of which cancelled: {cancelled} ({rate}).").format(
            count=figures.bookings,
            cancelled=figures.cancelled,
            rate=texts.percent(rate) if rate is not None else "—",
        ),
        _("Checked in: {checked_in}; no-shows released: {no_shows}.").format(
            checked_in=figures.checked_in, no_shows=figures.no_shows
        ),
        _("Tickets opened: {opened}, resolved: {resolved}.").format(
            opened=figures.tickets_opened, resolved=figures.tickets_resolved
        ),
    ]
    if figures.mean_time_to_repair is not None:
        lines.append(
            _("Mean time to repair: {duration}.").format(
                duration=texts.duration(int(figures.mean_time_to_repair.total_seconds() // 60))
            )
        )
    attendance = sorted(set(figures.checked_in_by_machine) | set(figures.no_shows_by_machine))
    if attendance:
        lines += ["", _("Check-ins and no-shows:")]
        lines += [
            "• "
            + _("{machine}: {checked_in} checked in, {no_shows} no-shows").format(
                machine=name,
                checked_in=figures.checked_in_by_machine.get(name, 0),
                no_shows=figures.no_shows_by_machine.get(name, 0),
            )
            for name in attendance
        ]
    if figures.used:
        lines += ["", _("Consumables used:")]
        lines += [
            f"• {name} — {texts.quantity(amount, unit)}"
            for name, (amount, unit) in list(figures.used.items())[:10]
        ]
    chart = charts.hours_chart(
        _("Hours booked per machine ({count} days)").format(count=days),
        figures.hours_by_machine,
        _("hours"),
        value_label=texts.hours,
        tick_label=texts.number,
    )
    markup = stats_keyboards.figures(texts, days)
    return Reply(text="\n".join(lines), markup=markup, image=chart, new_message=True)


async def show_or_choose(turn: Turn) -> Reply:
    """A period's figures, or (0) the choice of a period."""
    return await show(turn) if turn.pressed(routes.PeriodChosen).days else await choose(turn)


async def per_member(turn: Turn) -> Reply:
    """Check-ins and no-shows per member over the period: for the managers only."""
    _ = turn._
    members.require_manager(turn.member)
    days = turn.pressed(routes.MembersAsked).days
    start, end = _period(turn, days)
    rows = await stats.attendance_by_member(turn.session, start, end)
    lines = [
        "👥 "
        + _("Check-ins and no-shows per member, {first} – {last}").format(
            first=turn.texts.day(start), last=turn.texts.day(end - timedelta(seconds=1))
        ),
        "",
    ]
    if not rows:
        lines.append(_("Nobody checked in nor missed a booking in this period."))
    lines += [
        "• "
        + _("{member} — checked in: {checked_in}, no-shows: {no_shows}").format(
            member=row.name, checked_in=row.checked_in, no_shows=row.no_shows
        )
        for row in rows
    ]
    return Reply(text="\n".join(lines), markup=stats_keyboards.per_member(turn.texts, days))


async def csv_file(turn: Turn) -> Reply:
    """The period's bookings as a CSV file."""
    members.require_manager(turn.member)
    days = turn.pressed(routes.CsvAsked).days
    start, end = _period(turn, days)
    content = await stats.bookings_csv(turn.session, start, end, turn.texts.tz)
    return Reply(
        text="🧾 " + turn._("The bookings of the last {count} days, for your records.").format(count=days),
        document=(f"fabdesk-bookings-{days}d.csv", content),
        new_message=True,
    )


FEATURE = Feature(
    name="stats",
    commands={"stats": choose},
    presses={routes.PeriodChosen: show_or_choose, routes.CsvAsked: csv_file, routes.MembersAsked: per_member},
)
