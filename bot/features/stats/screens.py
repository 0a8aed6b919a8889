"""/stats for the fab managers: the lab's use over a period, a chart, and the bookings as CSV."""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardMarkup

from bot import charts, keyboards
from bot.context import Turn
from bot.keyboards import KIND_NAMES
from bot.reply import Reply
from models import members, stats
from models.errors import NotFound
from models.machines import MachineKind
from models.opening import local_datetime

PERIODS = (7, 30, 90)


def _period(turn: Turn, days: int) -> tuple:  # type: ignore[type-arg]
    if days not in PERIODS:
        raise NotFound(f"period {days}")
    today = turn.desk.rules.today(turn.now)
    end = local_datetime(today, 24 * 60, turn.texts.tz)
    return end - timedelta(days=days), end


def _periods(turn: Turn) -> InlineKeyboardMarkup:
    _ = turn._
    return InlineKeyboardMarkup(
        [
            [
                keyboards.button(
                    turn.texts.ngettext("{count} day", "{count} days", d).format(count=d), "ss", d
                )
                for d in PERIODS
            ],
            [keyboards.button("🏠 " + _("Main menu"), "menu")],
        ]
    )


async def choose(turn: Turn) -> Reply:
    members.require_manager(turn.member)
    return Reply(text="📊 " + turn._("Statistics — over which period?"), markup=_periods(turn))


async def show(turn: Turn) -> Reply:
    """The period's figures as text, and the hours per machine as a chart."""
    _ = turn._
    texts = turn.texts
    members.require_manager(turn.member)
    days = turn.args[0]
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
        _("No-shows are not counted: the bot does not know who came."),
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
    keyboard = InlineKeyboardMarkup(
        [
            [keyboards.button("🧾 " + _("Bookings as CSV"), "ss:c", days)],
            [keyboards.button("⬅️ " + _("Other period"), "ss", 0)],
        ]
    )
    return Reply(text="\n".join(lines), markup=keyboard, image=chart, new_message=True)


async def show_or_choose(turn: Turn) -> Reply:
    """A period's figures, or (0) the choice of a period."""
    return await show(turn) if turn.args[0] else await choose(turn)


async def csv_file(turn: Turn) -> Reply:
    members.require_manager(turn.member)
    days = turn.args[0]
    start, end = _period(turn, days)
    content = await stats.bookings_csv(turn.session, start, end, turn.texts.tz)
    return Reply(
        text="🧾 " + turn._("The bookings of the last {count} days, for your records.").format(count=days),
        document=(f"fabdesk-bookings-{days}d.csv", content),
        new_message=True,
    )
