"""The managers' endpoints of the Mini App (each an `Endpoint` with managers_only = True).

The same domain functions as the chat (which check the role again), and every change that did
something recorded with who and when (models/audit.py). Bad input answers 400 and changes nothing;
a domain refusal answers 409 with the chat's sentence.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from bot.core.i18n import N_
from bot.features.keyboards import KIND_NAMES, SEVERITY_ICONS, SEVERITY_NAMES
from bot.features.maintenance.tickets import EVENT_NAMES, STATUS_NAMES
from bot.features.refusals import refusal_text
from bot.web import manage_texts
from bot.web.api import ApiError, Call, Endpoint
from models import audit, authorizations, machines, maintenance, members, quotas, schedule
from models.audit import ChangeKind
from models.errors import NotFound
from models.machines import TRAINING_MONTHS_MAX as TRAINING_MONTHS
from models.machines import Authorization, Machine, MachineKind, MachineStatus
from models.opening import MINUTES_PER_DAY, weekly_hours

PAGE = 20  # members listed at a time
# The title of a kind's limits box in the machines tab.
KIND_LIMIT_TITLES = {
    MachineKind.PRINTER_3D: N_("Limits for all 3D printers"),
    MachineKind.LASER_CUTTER: N_("Limits for all laser cutters"),
    MachineKind.CNC: N_("Limits for all CNC machines"),
    MachineKind.PC: N_("Limits for all computers"),
    MachineKind.ELECTRONICS_BENCH: N_("Limits for all electronics benches"),
    MachineKind.OTHER: N_("Limits for all other equipment"),
}
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def _bad(name: str, what: str) -> ApiError:
    return ApiError(400, "bad_argument", f"{name}: {what}")


def _day(call: Call, name: str) -> date:
    value = call.body.get(name, call.query.get(name))
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise _bad(name, "a day as YYYY-MM-DD")


def _moment(call: Call, name: str) -> datetime:
    """A time as the page sends it: ISO 8601, in the lab's zone unless it says its offset."""
    value = call.body.get(name)
    try:
        if isinstance(value, str) and len(value) <= 40:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=call.desk.settings.tz)
            if 2000 <= moment.year <= 2200:  # near year 1 or 9999, adding a length overflows
                return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        pass
    raise _bad(name, "a time as YYYY-MM-DDTHH:MM")


def _minute(text: object) -> int | None:
    match = _CLOCK.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _intervals(call: Call) -> list[tuple[int, int]]:
    """["09:00", "12:30"] pairs; the domain checks their order."""
    value = call.body.get("intervals")
    if not isinstance(value, list) or len(value) > schedule.MAX_INTERVALS_PER_DAY:
        raise _bad("intervals", f"a list of at most {schedule.MAX_INTERVALS_PER_DAY} [opens, closes] pairs")
    intervals = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            raise _bad("intervals", 'pairs like ["09:00", "12:30"]')
        opens, closes = _minute(pair[0]), _minute(pair[1])
        if opens is None or closes is None:
            raise _bad("intervals", 'pairs like ["09:00", "12:30"]')
        intervals.append((opens, closes))
    return intervals


def _limits(call: Call) -> dict[str, int | None] | None:
    """The machine's limits the page sends, {field: minutes or count, or null for none}; None: not sent."""
    value = call.body.get("quotas")
    if value is None:
        return None
    if not isinstance(value, dict) or not set(value) <= set(quotas.LIMIT_FIELDS):
        raise _bad("quotas", "an object of " + ", ".join(quotas.LIMIT_FIELDS))
    for name, limit in value.items():
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise _bad(f"quotas.{name}", "a whole number, or null for no limit")
    try:
        quotas.check_values(quotas.QuotaValues(**value))
    except quotas.BadQuota as refused:  # out of range: said as the chat says it, and a 400
        raise ApiError(400, "bad_quota", str(refused), said=refusal_text(call.texts, refused)) from None
    return value


async def _save_limits(call: Call, machine_id: int, sent: dict[str, int | None]) -> dict[str, object]:
    """Set the limits sent (the others stay); return those that changed, as edit_machine does."""
    kept = (await quotas.values_of(call.session, machine_id=machine_id)).as_dict()
    values = quotas.QuotaValues(**(kept | sent))
    return dict(await quotas.set_values(call.session, values, machine_id=machine_id))


def _machine_json(
    call: Call, machine: Machine, downtimes: list[Any], limits: tuple[quotas.QuotaValues, quotas.QuotaValues]
) -> dict[str, object]:
    own, of_kind = limits
    return {
        "id": machine.id,
        "name": machine.name,
        "kind": machine.kind.value,
        "location": machine.location,
        "grid_minutes": machine.slot_minutes,
        "max_minutes": machine.max_booking_minutes,
        "unattended_max_minutes": machine.unattended_max_minutes,  # 0: bookings end by closing time
        "checkin_minutes": machine.checkin_minutes,  # 0: no check-in asked
        "training_required": machine.requires_training,
        "training_valid_months": machine.training_valid_months,  # null: never
        "training_lapse_months": machine.training_lapse_months,
        "out_of_service": machine.status is MachineStatus.OUT_OF_SERVICE,
        # Its own limits (null: none of its own), and its kind's, which apply where it has none.
        "quotas": own.as_dict(),
        "kind_quotas": of_kind.as_dict(),
        "downtimes": [
            {
                "id": d.id,
                "start": d.start_at.astimezone(call.desk.settings.tz).isoformat(),
                "end": d.end_at.astimezone(call.desk.settings.tz).isoformat(),
                "reason": d.reason,
                "label": call.texts.span(d.start_at, d.end_at),  # « mardi 5 mars, 09:00–12:00 »
            }
            for d in downtimes
        ],
    }


class ManagerEndpoint(Endpoint):
    managers_only = True


class Texts(ManagerEndpoint):
    """The words of the managers' tabs, in the manager's language."""

    async def show(self, call: Call) -> object:
        return manage_texts.translated(call.texts)


class MachineList(ManagerEndpoint):
    """Every machine (retired ones aside) with its editable fields and planned downtimes."""

    async def show(self, call: Call) -> object:
        listed = await machines.list_machines(call.session)
        downtimes = await maintenance.upcoming_downtimes_of(call.session, [m.id for m in listed], call.now)
        own = await quotas.machine_values(call.session, [m.id for m in listed])
        kinds = await quotas.kind_values(call.session)
        none = quotas.QuotaValues()
        limits = {m.id: (own.get(m.id, none), kinds.get(m.kind, none)) for m in listed}
        return {
            "machines": [_machine_json(call, m, downtimes[m.id], limits[m.id]) for m in listed],
            "kinds": [{"value": kind.value, "label": call._(KIND_NAMES[kind])} for kind in MachineKind],
            # The limits of each kind the lab has a machine of (or has limits for).
            "kind_limits": [
                _kind_limits_json(call, kind, kinds.get(kind, none))
                for kind in MachineKind
                if kind in kinds or any(m.kind is kind for m in listed)
            ],
        }


def _kind_limits_json(call: Call, kind: MachineKind, values: quotas.QuotaValues) -> dict[str, object]:
    return {"kind": kind.value, "title": call._(KIND_LIMIT_TITLES[kind]), "quotas": values.as_dict()}


class KindLimits(ManagerEndpoint):
    """Set a machine kind's limits {kind, quotas: {max_minutes_per_day, ...: number or null}}: a field
    left out stays, null is no limit. They apply to each machine of the kind without its own value.
    The inventory file's `quotas:` section, when it has one, sets them again at its next import."""

    async def change(self, call: Call) -> object:
        sent_kind = call.body.get("kind")
        kind = next((k for k in MachineKind if k.value == sent_kind), None)
        if kind is None:
            raise _bad("kind", ", ".join(k.value for k in MachineKind))
        sent = _limits(call)
        if sent is None:
            raise _bad("quotas", "an object of " + ", ".join(quotas.LIMIT_FIELDS))
        changed = await quotas.edit_kind_values(call.session, call.member, kind, sent)
        if changed:
            details = {"kind": kind.value} | changed
            audit.record(
                call.session, call.member, ChangeKind.KIND_LIMITS, quotas.kind_target(kind), details, call.now
            )
        values = await quotas.values_of(call.session, kind=kind)
        return {"kind_limits": _kind_limits_json(call, kind, values), "changed": sorted(changed)}


class MachineEdit(ManagerEndpoint):
    """Change a machine's fields: {id, name?, kind?, location?, grid_minutes?, max_minutes?,
    unattended_max_minutes? (0: no unattended runs), checkin_minutes? (0: off), training_required?,
    training_valid_months?, training_lapse_months?, out_of_service?, quotas?}. A field left out or null
    stays as it is (an empty location clears it; 0 training months: never); in `quotas`
    ({max_minutes_per_day, ...: number or null}), null is no limit."""

    async def change(self, call: Call) -> object:
        body = call.body
        machine_id = call.row_id("id")
        kind = None
        if body.get("kind") is not None:
            try:
                kind = MachineKind(body["kind"])
            except ValueError:
                raise _bad("kind", ", ".join(k.value for k in MachineKind)) from None

        def given(name: str, read: Any) -> Any:
            return read(name) if body.get(name) is not None else None

        def months(name: str) -> int:
            return call.integer(name, 0, TRAINING_MONTHS)

        held = body.get("out_of_service") is False and await maintenance.held_down(call.session, machine_id)
        former_name = (await machines.get_machine(call.session, machine_id)).name
        changed = await machines.edit_machine(
            call.session,
            call.member,
            machine_id,
            name=given("name", lambda n: call.text(n, 200)),
            kind=kind,
            location=given("location", lambda n: call.text(n, machines.LOCATION_MAX, required=False)),
            slot_minutes=given("grid_minutes", lambda n: call.integer(n, 1, MINUTES_PER_DAY)),
            max_booking_minutes=given("max_minutes", lambda n: call.integer(n, 1, MINUTES_PER_DAY)),
            unattended_max_minutes=given(
                "unattended_max_minutes", lambda n: call.integer(n, 0, MINUTES_PER_DAY)
            ),
            checkin_minutes=given("checkin_minutes", lambda n: call.integer(n, 0, MINUTES_PER_DAY)),
            requires_training=given("training_required", call.flag),
            training_valid_months=given(
                "training_valid_months", lambda n: call.integer(n, 0, TRAINING_MONTHS)
            ),
            training_lapse_months=given(
                "training_lapse_months", lambda n: call.integer(n, 0, TRAINING_MONTHS)
            ),
            out_of_service=given("out_of_service", call.flag),
            held_down=held,
        )
        if (sent := _limits(call)) is not None:
            changed |= await _save_limits(call, machine_id, sent)
        if changed:
            # The import follows a rename made here (models/inventory.py, _follow_renames).
            renamed = {"former_name": former_name} if "name" in changed else {}
            audit.record(
                call.session,
                call.member,
                ChangeKind.MACHINE,
                machine_id,
                changed | renamed,
                call.now,
                texts=("location",),
            )
        machine = await machines.get_machine(call.session, machine_id)
        downtimes = await maintenance.upcoming_downtimes(call.session, machine_id, call.now)
        limits = (
            await quotas.values_of(call.session, machine_id=machine_id),
            (await quotas.kind_values(call.session)).get(machine.kind, quotas.QuotaValues()),
        )
        return {"machine": _machine_json(call, machine, downtimes, limits), "changed": sorted(changed)}


class DowntimePlan(ManagerEndpoint):
    """Plan a downtime {machine, start, end, reason?}: members with a booking in it are warned."""

    async def change(self, call: Call) -> object:
        machine_id = call.row_id("machine")
        start, end = _moment(call, "start"), _moment(call, "end")
        reason = call.text("reason", 200, required=False)
        downtime, warned = await maintenance.plan_downtime(
            call.session, call.member, machine_id, start, end, reason, call.now
        )
        if warned or downtime.created_at == call.now:
            details = {"downtime": downtime.id, "start": start, "end": end, "reason": reason}
            audit.record(
                call.session,
                call.member,
                ChangeKind.DOWNTIME,
                machine_id,
                details,
                call.now,
                texts=("reason",),
            )
        return {"downtime": downtime.id, "warned": warned}


class Hours(ManagerEndpoint):
    """The week's opening hours and the closure days ahead; POST sets one weekday's hours
    {weekday, intervals: [["09:00", "12:30"], ...]} (none: closed that weekday)."""

    async def show(self, call: Call) -> object:
        hours = await weekly_hours(call.session)
        today = call.now.astimezone(call.desk.settings.tz).date()
        closures = await schedule.closures_from(call.session, today)
        return {
            "hours": [
                {
                    "weekday": day,
                    "label": call.texts.weekday(day),
                    "intervals": [[_clock(o), _clock(c)] for o, c in hours[day]],
                }
                for day in range(7)
            ],
            "closures": [
                {"day": c.day.isoformat(), "label": call.texts.day(c.day), "reason": c.reason}
                for c in closures
            ],
        }

    async def change(self, call: Call) -> object:
        weekday = call.integer("weekday", 0, 6)
        intervals = _intervals(call)
        changed = await schedule.set_day_hours(call.session, call.member, weekday, intervals)
        if changed:
            shown = [[_clock(o), _clock(c)] for o, c in sorted(intervals)]
            audit.record(call.session, call.member, ChangeKind.HOURS, weekday, {"intervals": shown}, call.now)
        return {"weekday": weekday, "intervals": [[_clock(o), _clock(c)] for o, c in sorted(intervals)]}


class ClosureAdd(ManagerEndpoint):
    """Close the lab one day {day, reason?}: members with a booking that day are warned."""

    async def change(self, call: Call) -> object:
        day = _day(call, "day")
        reason = call.text("reason", schedule.REASON_MAX, required=False)
        _closure, warned = await schedule.add_closure(
            call.session, call.member, day, reason, call.now, call.desk.settings.tz
        )
        details = {"day": day, "reason": reason, "warned": warned}
        audit.record(
            call.session,
            call.member,
            ChangeKind.CLOSURE_ADDED,
            day.toordinal(),
            details,
            call.now,
            texts=("reason",),
        )
        return {"day": day.isoformat(), "warned": warned}


class ClosureRemove(ManagerEndpoint):
    """Open the lab again on a closure day {day}."""

    async def change(self, call: Call) -> object:
        day = _day(call, "day")
        await schedule.remove_closure(call.session, call.member, day)
        audit.record(
            call.session, call.member, ChangeKind.CLOSURE_REMOVED, day.toordinal(), {"day": day}, call.now
        )
        return {"day": day.isoformat(), "removed": True}


class MemberList(ManagerEndpoint):
    """Members by name or @username (?q=, ?offset=), 20 at a time, with their authorizations."""

    async def show(self, call: Call) -> object:
        search = call.text("q", 100, required=False)
        offset = call.integer("offset", 0, 1_000_000, default=0)
        found, total = await members.find_members(
            call.session, search=search or None, offset=offset, limit=PAGE
        )
        configured = set(call.desk.settings.manager_ids)
        names = {m.id: m.name for m in await machines.list_machines(call.session, include_retired=True)}
        held: dict[int, list[Authorization]] = {m.id: [] for m in found}
        if found:
            rows = await call.session.scalars(
                select(Authorization)
                .where(Authorization.member_id.in_(list(held)), Authorization.revoked_at.is_(None))
                .order_by(Authorization.granted_at, Authorization.id)
            )
            for row in rows:
                held[row.member_id].append(row)
        trained = await machines.machines_needing_training(call.session)
        return {
            "members": [
                {
                    "id": m.id,
                    "name": m.display_name,
                    "username": m.username,
                    "manager": m.is_manager,
                    "configured_manager": m.telegram_id in configured,
                    "authorizations": [
                        {
                            "id": a.id,
                            "machine": a.machine_id,
                            "label": names.get(a.machine_id, "")
                            if a.machine_id is not None
                            else call._(KIND_NAMES[a.machine_kind])  # type: ignore[index]
                            if a.machine_kind is not None
                            else "",
                        }
                        for a in held[m.id]
                    ],
                }
                for m in found
            ],
            "total": total,
            "offset": offset,
            "limit": PAGE,
            "machines": [{"id": m.id, "name": m.name} for m in trained],
        }


async def _target(call: Call) -> members.Member:
    member = await members.get_member(call.session, call.row_id("member"))
    if member.erased_at is not None:
        raise NotFound(f"member {member.id}")  # 404 with the chat's sentence
    return member


class Authorize(ManagerEndpoint):
    """Authorize a member on a machine {member, machine}."""

    async def change(self, call: Call) -> object:
        member = await _target(call)
        machine = await machines.get_machine(call.session, call.row_id("machine"))
        added = await machines.authorize(call.session, call.member, member, machine=machine, now=call.now)
        if added:
            details = {"machine": machine.id, "name": machine.name}
            audit.record(call.session, call.member, ChangeKind.AUTHORIZED, member.id, details, call.now)
        return {"member": member.id, "machine": machine.id, "authorized": added}


class Revoke(ManagerEndpoint):
    """Withdraw a member's authorization {member, authorization, reason?} (or {member, machine}: the
    one on that machine); their bookings that needed it are cancelled and they are told, with the
    reason when one is given, as in the chat."""

    async def change(self, call: Call) -> object:
        member = await _target(call)
        reason = call.text("reason", machines.REASON_MAX, required=False) or None
        if "authorization" in call.body:
            authorization_id = call.row_id("authorization")
        else:
            machine_id = call.row_id("machine")
            found = await call.session.scalar(
                select(Authorization.id).where(
                    Authorization.member_id == member.id,
                    Authorization.machine_id == machine_id,
                    Authorization.revoked_at.is_(None),
                )
            )
            if found is None:
                raise ApiError(404, "not_found", call._("That authorization is not there any more."))
            authorization_id = found
        authorization = await authorizations.get_authorization(call.session, call.member, authorization_id)
        if authorization.member_id != member.id:
            raise ApiError(404, "not_found", call._("That authorization is not there any more."))
        revoked = await authorizations.revoke(
            call.session, call.member, authorization_id, call.now, call.desk.settings.tz, reason=reason
        )
        details = {"authorization": authorization_id, "machine": authorization.machine_id}
        details["cancelled"] = len(revoked.cancelled)
        audit.record(call.session, call.member, ChangeKind.REVOKED, member.id, details, call.now)
        return {"member": member.id, "revoked": authorization_id, "cancelled": len(revoked.cancelled)}


class Role(ManagerEndpoint):
    """Promote a member to fab manager or demote them {member, manager: bool}; those the settings
    name (FABDESK_MANAGER_IDS) stay managers (409)."""

    async def change(self, call: Call) -> object:
        member = await _target(call)
        if not isinstance(call.body.get("manager"), bool):
            raise _bad("manager", "true or false")
        promote = call.flag("manager")
        changed = await members.set_manager(
            call.session,
            call.member,
            member,
            promote,
            manager_ids=call.desk.settings.manager_ids,
            now=call.now,
        )
        if changed:
            what = ChangeKind.PROMOTED if promote else ChangeKind.DEMOTED
            audit.record(call.session, call.member, what, member.id, {"manager": promote}, call.now)
        return {"member": member.id, "manager": member.is_manager, "changed": changed}


def _ticket_json(call: Call, ticket: maintenance.Ticket) -> dict[str, object]:
    tz = call.desk.settings.tz
    return {
        "id": ticket.id,
        "machine": ticket.machine.name,
        "machine_id": ticket.machine_id,
        "title": ticket.title,
        "severity": ticket.severity.value,
        "severity_label": call._(SEVERITY_NAMES[ticket.severity.value]),
        "severity_icon": SEVERITY_ICONS[ticket.severity.value],
        "status": ticket.status.value,
        "status_label": call._(STATUS_NAMES[ticket.status]),
        "opened": ticket.created_at.astimezone(tz).isoformat(),
        "age_hours": int((call.now - ticket.created_at).total_seconds() // 3600),
        "assignee": ticket.assignee.display_name if ticket.assignee is not None else None,
        # What may be done to it now (the domain checks again), and which of those need a note.
        "actions": [a.value for a in maintenance.Action if ticket.status in maintenance.TRANSITIONS[a][0]],
        "note_actions": [a.value for a in maintenance.NOTE_ACTIONS],
    }


class Tickets(ManagerEndpoint):
    """The maintenance queue: active tickets, most urgent first then the oldest (?offset=), 20 at a
    time; with ?id=, one ticket with its reports and history."""

    async def show(self, call: Call) -> object:
        if "id" in call.query:
            ticket = await maintenance.get_ticket(call.session, call.row_id("id"), full=True)
            tz = call.desk.settings.tz
            return {
                "ticket": _ticket_json(call, ticket)
                | {
                    "reports": [
                        {
                            "by": r.reporter.display_name if r.reporter is not None else None,
                            "at": r.created_at.astimezone(tz).isoformat(),
                            "at_label": call.texts.moment(r.created_at),
                            "text": r.description,
                            "photos": len(r.photo_ids),
                        }
                        for r in ticket.reports
                    ],
                    "history": [
                        {
                            "at": e.at.astimezone(tz).isoformat(),
                            "at_label": call.texts.moment(e.at),
                            "what": call._(EVENT_NAMES[e.kind]),
                            "by": e.actor.display_name if e.actor is not None else None,
                            "note": e.note,
                        }
                        for e in ticket.events
                    ],
                }
            }
        offset = call.integer("offset", 0, 1_000_000, default=0)
        tickets, total = await maintenance.queue(call.session, offset=offset, limit=PAGE)
        return {"tickets": [_ticket_json(call, t) for t in tickets], "total": total, "offset": offset}


class TicketAct(ManagerEndpoint):
    """Act on a ticket as the chat's queue does {id, action: take|resolve|escalate|reject, note?}:
    the reporters are told, the machine comes back when nothing else keeps it down."""

    async def change(self, call: Call) -> object:
        ticket_id = call.row_id("id")
        actions = {a.value: a for a in maintenance.Action}
        action = actions.get(call.text("action", 16))
        if action is None:
            raise _bad("action", ", ".join(actions))
        note = call.text("note", maintenance.MAX_NOTE, required=False) or None
        ticket = await maintenance.act(
            call.session, call.member, ticket_id, action, call.now, note, call.desk.settings.tz
        )
        return {"ticket": _ticket_json(call, ticket)}


class Changes(ManagerEndpoint):
    """The latest changes made from the app, newest first: who, when, what."""

    async def show(self, call: Call) -> object:
        changes = await audit.recent_changes(call.session, limit=50)
        ids = {c.manager_id for c in changes if c.manager_id is not None}
        who = {}
        if ids:
            who = {
                m.id: m.display_name
                for m in await call.session.scalars(select(members.Member).where(members.Member.id.in_(ids)))
            }
        return {
            "changes": [
                {
                    "at": c.at.astimezone(call.desk.settings.tz).isoformat(),
                    "manager": c.manager_id,
                    "manager_name": who.get(c.manager_id) if c.manager_id else None,
                    "what": c.what.value,
                    "target": c.target_id,
                    "details": c.details,
                }
                for c in changes
            ]
        }


# (path under /app/api/, endpoint), as in bot/web/member_api.py.
ENDPOINTS: list[tuple[str, Any]] = [
    ("manage/texts", Texts),
    ("manage/machines", MachineList),
    ("manage/machine", MachineEdit),
    ("manage/kind_limits", KindLimits),
    ("manage/downtime", DowntimePlan),
    ("manage/hours", Hours),
    ("manage/closure", ClosureAdd),
    ("manage/closure/remove", ClosureRemove),
    ("manage/members", MemberList),
    ("manage/authorize", Authorize),
    ("manage/revoke", Revoke),
    ("manage/role", Role),
    ("manage/tickets", Tickets),
    ("manage/ticket", TicketAct),
    ("manage/changes", Changes),
]
