"""/stats for the fab managers: the lab's use over a period, a chart, and the bookings as CSV."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.reply import Reply
from bot.features.keyboards import KIND_NAMES
from bot.features.sessions.keyboards import AGE_BRACKET_NAMES, SESSION_KIND_NAMES, SITUATION_NAMES
from bot.features.stats import charts, routes
from bot.features.stats import keyboards as stats_keyboards
from bot.features.stats.routes import PERIODS
from models import members, session_report, stats
from models.errors import NotFound
from models.machines import MachineKind
from models.opening import local_datetime
from models.session_guests import AgeBracket, Situation


def _period(turn: Turn, days: int) -> tuple[datetime, datetime]:
    """The last `days` days up to the end of today; NotFound for a period not offered."""
    if days not in PERIODS:
        raise NotFound(f"period {days}")
    today = turn.desk.rules.today(turn.now)
    end = local_datetime(today, 24 * 60, turn.texts.tz)
    return end - timedelta(days=days), end


PeriodPress = (
    routes.PeriodChosen
    | routes.CsvAsked
    | routes.MembersAsked
    | routes.ActivityReportAsked
    | routes.ActivityCsvAsked
)


def _pressed_period(turn: Turn, press: type[PeriodPress]) -> tuple[int, datetime, datetime]:
    """The days of the period pressed, and its start and end (managers only)."""
    members.require_manager(turn.member)
    days = turn.pressed(press).days
    start, end = _period(turn, days)
    return days, start, end


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
    days, start, end = _pressed_period(turn, routes.PeriodChosen)
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
    days, start, end = _pressed_period(turn, routes.MembersAsked)
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
    days, start, end = _pressed_period(turn, routes.CsvAsked)
    content = await stats.bookings_csv(turn.session, start, end, turn.texts.tz)
    return Reply(
        text="🧾 " + turn._("The bookings of the last {count} days, for your records.").format(count=days),
        document=(f"fabdesk-bookings-{days}d.csv", content),
        new_message=True,
    )


async def activity(turn: Turn) -> Reply:
    """The funders' activity report over the last days pressed."""
    days, start, end = _pressed_period(turn, routes.ActivityReportAsked)
    return await _activity(turn, start, end, days)


def _calendar_period(turn: Turn, period: routes.CalendarPeriod) -> tuple[datetime, datetime]:
    """This month or this year up to the end of today, or the whole of last month, in the lab's zone."""
    today = turn.desk.rules.today(turn.now)
    tz = turn.texts.tz
    end = local_datetime(today, 24 * 60, tz)
    if period is routes.CalendarPeriod.THIS_YEAR:
        return local_datetime(today.replace(month=1, day=1), 0, tz), end
    first = today.replace(day=1)
    if period is routes.CalendarPeriod.THIS_MONTH:
        return local_datetime(first, 0, tz), end
    last_month = (first - timedelta(days=1)).replace(day=1)
    return local_datetime(last_month, 0, tz), local_datetime(first, 0, tz)


async def activity_calendar(turn: Turn) -> Reply:
    """The funders' activity report for this month, last month or this year (or it as CSV)."""
    members.require_manager(turn.member)
    press = turn.pressed(routes.ActivityCalendarAsked)
    start, end = _calendar_period(turn, press.period)
    if press.csv:
        return await _activity_csv(turn, start, end, press.period.value)
    return await _activity(turn, start, end, 30, press.period)


async def _activity(
    turn: Turn, start: datetime, end: datetime, days: int, shown: routes.CalendarPeriod | None = None
) -> Reply:
    """The funders' activity report: the sessions held by type, their hours, participants and
    attendance, guests by age bracket and situation; no name."""
    _ = turn._
    texts = turn.texts
    report = await session_report.activity_report(turn.session, start, end, turn.now)
    total = report.total
    lines = [
        "📋 "
        + _("Activity report, {first} – {last}").format(
            first=texts.day(start), last=texts.day(end - timedelta(seconds=1))
        ),
        "",
        _("Sessions held: {count} ({hours}); cancelled: {cancelled}.").format(
            count=total.sessions, hours=texts.hours(total.hours), cancelled=report.cancelled
        ),
    ]
    for kind, figures in report.by_kind.items():
        lines.append(
            "• "
            + _("{kind}: {sessions} — {hours}, {participants}, {attended} came ({rate})").format(
                kind=_(SESSION_KIND_NAMES[kind]),
                sessions=texts.ngettext("{count} session", "{count} sessions", figures.sessions).format(
                    count=figures.sessions
                ),
                hours=texts.hours(figures.hours),
                participants=_rate_people(turn, figures.participants),
                attended=figures.attended,
                rate=_rate(turn, figures.attendance_rate),
            )
        )
    lines += [
        "",
        _(
            "Participants: {count} ({members} members, {guests} guests signed up, {walk_ins} walk-ins)."
        ).format(
            count=total.participants, members=total.members, guests=total.guests, walk_ins=total.walk_ins
        ),
        _("Came: {attended} ({rate}).").format(
            attended=total.attended, rate=_rate(turn, total.attendance_rate)
        ),
    ]
    if turn.desk.settings.session_guest_profile or report.ages or report.situations:
        lines += ["", _("Guests by age bracket:")]
        lines += [_count_line(turn, _(AGE_BRACKET_NAMES[a]), report.ages[a]) for a in AgeBracket]
        lines += ["", _("Guests by situation:")]
        lines += [_count_line(turn, _(SITUATION_NAMES[s]), report.situations[s]) for s in Situation]
    lines += ["", _("No name in this report: it can be sent to your funders as it is.")]
    return Reply(text="\n".join(lines), markup=stats_keyboards.activity_report(texts, days, shown))


def _count_line(turn: Turn, name: str, count: int) -> str:
    return "• " + turn._("{name}: {count}").format(name=name, count=count)


def _rate_people(turn: Turn, count: int) -> str:
    return turn.texts.ngettext("{count} participant", "{count} participants", count).format(count=count)


def _rate(turn: Turn, rate: float | None) -> str:
    return turn.texts.percent(rate) if rate is not None else "—"


async def activity_csv(turn: Turn) -> Reply:
    """The funders' activity report as a CSV file."""
    days, start, end = _pressed_period(turn, routes.ActivityCsvAsked)
    return await _activity_csv(turn, start, end, f"{days}d")


async def _activity_csv(turn: Turn, start: datetime, end: datetime, label: str) -> Reply:
    report = await session_report.activity_report(turn.session, start, end, turn.now)
    texts = turn.texts
    return Reply(
        text="🧾 "
        + turn._("The activity report, {first} – {last}, without names.").format(
            first=texts.day(start), last=texts.day(end - timedelta(seconds=1))
        ),
        document=(f"fabdesk-activity-{label}.csv", session_report.report_csv(report)),
        new_message=True,
    )


FEATURE = Feature(
    name="stats",
    commands={"stats": choose},
    presses={
        routes.PeriodChosen: show_or_choose,
        routes.CsvAsked: csv_file,
        routes.MembersAsked: per_member,
        routes.ActivityReportAsked: activity,
        routes.ActivityCsvAsked: activity_csv,
        routes.ActivityCalendarAsked: activity_calendar,
    },
)
