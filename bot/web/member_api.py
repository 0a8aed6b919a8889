"""The members' endpoints of the Mini App: who I am, the lab's week, booking, my bookings.

Every answer is JSON; times go out in ISO 8601 in the lab's time zone, with its offset, and come in
the same way (an offset is required: a bare local time is ambiguous around a change of time). The
week never names another member: their bookings are "booked", as in the chat (« Réservé »).

    GET  me                                       {id, name, language, manager}
    GET  week?start=YYYY-MM-DD&kind=K             the week's grid (see Week)
    GET  free?start=ISO&minutes=N&kind=K          {machines: [machine]} free for that whole time
    GET  lengths?machine=ID&start=ISO             {lengths: [minutes]} or 409 with the refusal
    POST book {machine, start, minutes}           {booking: {id, machine, name, start, end, guest}}
    GET  mine                                     {bookings: [{id, machine, name, start, end, can_cancel}]}
    POST cancel {booking, no_show_accepted?}      {cancelled: id}; past the deadline, 409 LateCancellation
    GET  change_options?booking=ID                {booking, lengths: [minutes], starts: [ISO]} (same length)
    POST change {booking, start, minutes}         {booking: {id, machine, name, start, end, guest}}
    GET  hours                                    {hours: [weekday], closures: [{day, reason}]}
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.features.keyboards import KIND_ICONS, KIND_NAMES
from bot.features.refusals import refusal_text
from bot.web.api import ApiError, Call, Endpoint
from bot.web.page_texts import PageTexts
from models import booking_edits, bookings, instructors, machines, planning, quotas, waitlist
from models.bookings import Booking
from models.errors import AlreadyCancelled, AlreadyStarted, NotFound, SlotTaken
from models.machines import KIND_ORDER, Machine, MachineKind
from models.opening import LabCalendar, weekly_hours

MAX_MINUTES = 24 * 60  # no booking is longer than a day (models/bookings.py: MAX_BOOKING_SPAN)
MOVE_STARTS = 24  # free starts a booking could move to, offered at once


# --- reading the arguments -------------------------------------------------------------------


def _moment(call: Call, name: str) -> datetime:
    """An ISO 8601 date and time with its offset, in UTC; 400 otherwise."""
    value = call.text(name, 40)
    if "T" in value and " " in value:  # a "+01:00" sent unescaped in a query reads as " 01:00"
        value = value.replace(" ", "+")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "bad_argument", f"{name}: an ISO 8601 date and time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ApiError(400, "bad_argument", f"{name}: the time needs its offset (+01:00)")
    if not 2000 <= moment.year <= 2200:  # near year 1 or 9999, adding a length overflows
        raise ApiError(400, "bad_argument", f"{name}: a time between 2000 and 2200")
    return moment.astimezone(UTC)


def _day(call: Call, name: str) -> date | None:
    value = call.text(name, 10, required=False)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "bad_argument", f"{name}: a date, YYYY-MM-DD") from None


def _kind(call: Call) -> MachineKind | None:
    value = call.text("kind", 40, required=False)
    if not value:
        return None
    try:
        return MachineKind(value)
    except ValueError:
        raise ApiError(400, "bad_argument", "kind: one of " + ", ".join(KIND_ORDER)) from None


# --- writing the answers ---------------------------------------------------------------------


def _iso(call: Call, moment: datetime) -> str:
    return moment.astimezone(call.desk.rules.tz).isoformat()


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _interval(opens: int, closes: int) -> dict[str, str]:
    return {"open": _clock(opens), "close": _clock(closes)}


def _hours_of(calendar: LabCalendar, day: date) -> list[dict[str, str]]:
    if day in calendar.closures:
        return []
    return [_interval(o, c) for o, c in calendar.hours[day.weekday()]]


def _machine(machine: Machine, authorized: set[int]) -> dict[str, Any]:
    return {
        "id": machine.id,
        "name": machine.name,
        "kind": machine.kind.value,
        "icon": KIND_ICONS[machine.kind],
        "location": machine.location,
        "out_of_service": not machine.bookable,
        "training_required": machine.requires_training,
        "authorized": machine.id in authorized,
        "slot_minutes": machine.slot_minutes,
        "max_minutes": machine.longest_booking,  # an unattended run's maximum where it has one
    }


def _booking(call: Call, booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.id,
        "machine": booking.machine_id,
        "name": booking.machine.name,
        "start": _iso(call, booking.start_at),
        "end": _iso(call, booking.end_at),
        "guest": booking.guest_label,  # a fab manager's booking for a guest or a workshop
    }


# --- the endpoints ---------------------------------------------------------------------------


class Me(Endpoint):
    """The member, their language and what they may see (the managers' tabs); the machines and kinds
    they instruct (models/instructors.py)."""

    async def show(self, call: Call) -> object:
        member = call.member
        return {
            "id": member.id,
            "name": member.display_name,
            "language": call.texts.language,
            "manager": member.is_manager,
            "instructor_roles": (await instructors.export_of(call.session, member))["instructor_roles"],
        }


class Week(Endpoint):
    """Seven days of every machine from `start` (this week's Monday by default)."""

    async def show(self, call: Call) -> object:
        rules = call.desk.rules
        first, last = planning.week_starts_allowed(rules, call.now)
        start = _day(call, "start") or first
        if not first <= start <= last:
            raise ApiError(400, "bad_argument", f"start: from {first} to {last}")
        plan = await planning.week(call.session, call.member, start, rules, _kind(call))
        earliest = await quotas.earliest_starts(call.session, call.member, plan.machines, call.now)
        kinds = [k for k in KIND_ORDER if any(m.kind is k for m in plan.machines)]
        grid = min((m.slot_minutes for m in plan.machines), default=30)
        return {
            "start": start.isoformat(),
            "days": [d.isoformat() for d in plan.days],
            "today": rules.today(call.now).isoformat(),
            "timezone": rules.tz.key,
            "now": _iso(call, call.now),
            "horizon_end": _iso(call, rules.horizon_end(call.now)),
            "grid_minutes": grid,
            "kinds": [
                {"kind": k.value, "label": call._(KIND_NAMES[k]), "icon": KIND_ICONS[k]} for k in kinds
            ],
            "hours": {d.isoformat(): _hours_of(plan.calendar, d) for d in plan.days},
            "closures": [
                {"day": d.isoformat(), "reason": reason}
                for d, reason in sorted(plan.calendar.closures.items())
            ],
            # Each machine's first start the member may book (its minimum notice; managers: now).
            "machines": [
                _machine(m, plan.authorized) | {"earliest": _iso(call, earliest[m.id])} for m in plan.machines
            ],
            "busy": [
                {
                    "machine": b.machine_id,
                    "start": _iso(call, b.start),
                    "end": _iso(call, b.end),
                    "state": b.state.value,
                    **({"booking": b.booking} if b.booking is not None else {}),
                }
                for b in plan.busy
            ],
        }


class Free(Endpoint):
    """The machines the member could book for a whole time: "any 3D printer tomorrow at 15:00, 2 h"."""

    async def show(self, call: Call) -> object:
        start = _moment(call, "start")
        minutes = call.integer("minutes", 1, MAX_MINUTES)
        found = await planning.free_machines(
            call.session, call.member, start, minutes, call.desk.rules, call.now, _kind(call)
        )
        return {"machines": [_machine(m, {m.id for m in found}) for m in found]}


class Lengths(Endpoint):
    """How long the member can book a machine from a start: the chat's length buttons."""

    async def show(self, call: Call) -> object:
        machine = await machines.get_machine(call.session, call.row_id("machine"))
        start = _moment(call, "start")
        rules = call.desk.rules
        await machines.check_bookable(call.session, call.member, machine, now=call.now)
        # The shortest booking from there, checked as Confirm would: the reason when none fits.
        await bookings.validate_slot(call.session, machine, start, machine.slot_minutes, rules, call.now)
        lengths = await bookings.free_lengths(call.session, machine, start, rules, call.now)
        if not lengths:
            raise SlotTaken([])
        # Only those within the member's hours (none: 409 with which limit, when it frees up).
        return {
            "lengths": await bookings.lengths_within_limits(
                call.session, call.member, machine, start, lengths, rules, call.now
            )
        }


class Book(Endpoint):
    """Book a slot, as the chat's Confirm does; the chat then confirms it as usual."""

    async def change(self, call: Call) -> object:
        machine_id = call.row_id("machine")
        start = _moment(call, "start")
        minutes = call.integer("minutes", 1, MAX_MINUTES)
        rules = call.desk.rules
        booking = await bookings.book(call.session, call.member, machine_id, start, minutes, rules, call.now)
        if booking.created_at == call.now:  # not the member's same booking made before
            bookings.confirm_in_chat(call.session, booking, rules, call.now)
        return {"booking": _booking(call, booking)}


class Mine(Endpoint):
    """The member's upcoming bookings, soonest first."""

    async def show(self, call: Call) -> object:
        upcoming, _total = await bookings.upcoming_for_member(call.session, call.member, call.now, limit=200)
        return {"bookings": [{**_booking(call, b), "can_cancel": b.cancellable(call.now)} for b in upcoming]}


class Cancel(Endpoint):
    """Cancel one of the member's bookings, as My bookings does (the waitlist hears of the slot)."""

    async def change(self, call: Call) -> object:
        booking_id = call.row_id("booking")
        # Past the machine's cancellation deadline, a first call is refused (409 LateCancellation,
        # saying it counts as a no-show); the page asks, then calls again with no_show_accepted.
        accepted = call.flag("no_show_accepted")
        try:
            await waitlist.cancel_booking(
                call.session, call.member, booking_id, call.now, call.desk.rules, no_show_accepted=accepted
            )
        except NotFound as missing:  # another member's booking reads exactly like a missing one
            raise ApiError(404, "not_found", refusal_text(call.texts, missing)) from None
        return {"cancelled": booking_id}


class ChangeOptions(Endpoint):
    """How one of the member's bookings can change, as My bookings' Change offers: its other lengths
    from its start, and the free starts of the same length (the first ones, day after day)."""

    async def show(self, call: Call) -> object:
        booking = await _own_upcoming(call)
        rules = booking_edits.reaching(call.desk.rules, booking, call.now)
        lengths = await booking_edits.lengths_from_start(
            call.session, booking, booking.machine, rules, call.now
        )
        found = await booking_edits.starts_to_move_to(
            call.session, booking, booking.machine, rules.bookable_days(call.now), rules, call.now
        )
        # Its own day first, then the days after it, then those before.
        day = booking.start_at.astimezone(rules.tz).date()
        days = sorted(found, key=lambda d: (d < day, d))
        starts = [s for d in days for s in found[d]][:MOVE_STARTS]
        return {
            "booking": _booking(call, booking),
            "lengths": [m for m in lengths if m != booking.minutes],
            "starts": [_iso(call, s) for s in starts],
        }


class Change(Endpoint):
    """Change one of the member's bookings in place (another length, another start), as My bookings does."""

    async def change(self, call: Call) -> object:
        booking_id = call.row_id("booking")
        start = _moment(call, "start")
        minutes = call.integer("minutes", 1, MAX_MINUTES)
        try:
            edited = await booking_edits.edit_booking(
                call.session, call.member, booking_id, start, minutes, call.desk.rules, call.now
            )
        except NotFound as missing:  # another member's booking reads exactly like a missing one
            raise ApiError(404, "not_found", refusal_text(call.texts, missing)) from None
        return {"booking": _booking(call, edited.booking)}


async def _own_upcoming(call: Call) -> Booking:
    try:
        booking = await bookings.get_own_booking(call.session, call.member, call.row_id("booking"))
    except NotFound as missing:
        raise ApiError(404, "not_found", refusal_text(call.texts, missing)) from None
    if booking.status is bookings.BookingStatus.CANCELLED:
        raise AlreadyCancelled(str(booking.id))
    if not booking_edits.editable(booking, call.now):
        raise AlreadyStarted(str(booking.id))
    return booking


class Hours(Endpoint):
    """The lab's weekly opening hours and its coming closure days."""

    async def show(self, call: Call) -> object:
        rules = call.desk.rules
        calendar = LabCalendar(
            await weekly_hours(call.session),
            await planning.upcoming_closures(call.session, rules, call.now),
            rules.tz,
        )
        return {
            "hours": [
                {
                    "weekday": weekday,
                    "label": call.texts.weekday(weekday),
                    "intervals": [_interval(o, c) for o, c in calendar.hours[weekday]],
                }
                for weekday in range(7)
            ],
            "closures": [{"day": d.isoformat(), "reason": r} for d, r in sorted(calendar.closures.items())],
        }


# (path under /app/api/, endpoint), the path a regular expression whose groups reach the endpoint.
ENDPOINTS: list[tuple[str, Any]] = [
    ("me", Me),
    ("week", Week),
    ("free", Free),
    ("lengths", Lengths),
    ("book", Book),
    ("mine", Mine),
    ("cancel", Cancel),
    ("change_options", ChangeOptions),
    ("change", Change),
    ("hours", Hours),
    ("texts", PageTexts),
]
