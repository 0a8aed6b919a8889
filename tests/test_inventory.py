"""Inventory import: the example file, idempotent re-imports, updates, maintenance plans, bad files."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.base import utcnow
from models.inventory import (
    MAX_MACHINES,
    ImportReport,
    Inventory,
    InventoryError,
    apply_inventory,
    parse_inventory,
)
from models.machines import Machine, MachineKind, MachineStatus
from models.maintenance import MaintenancePlan, Severity, Ticket, TicketOrigin, TicketStatus
from models.opening import Closure, OpeningHours, weekly_hours
from tests.factories import make_machine, open_every_day

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "inventory.yaml"
EXAMPLE_NAMES = [
    "Prusa MK4 #1",
    "Prusa MK4 #2",
    "Formlabs Form 3",
    "Trotec Speedy 100",
    "Fraiseuse CNC Stepcraft D.840",
    "Poste CAO 1",
    "Poste CAO 2",
]
EXAMPLE_PLAN_COUNT = 19
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def hhmm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


async def snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the import may touch, ids included, so a rewrite of identical rows shows."""
    machines = await session.scalars(select(Machine).order_by(Machine.id))
    hours = await session.scalars(select(OpeningHours).order_by(OpeningHours.id))
    closures = await session.scalars(select(Closure).order_by(Closure.id))
    plans = await session.scalars(select(MaintenancePlan).order_by(MaintenancePlan.id))
    return {
        "machines": [
            (
                m.id,
                m.name,
                m.kind,
                m.location,
                m.description,
                m.status,
                m.slot_minutes,
                m.max_booking_minutes,
                m.requires_training,
            )
            for m in machines
        ],
        "hours": [(h.id, h.weekday, h.opens_minute, h.closes_minute) for h in hours],
        "closures": [(c.id, c.day, c.reason) for c in closures],
        "plans": [
            (p.id, p.machine_id, p.task, p.every_days, p.every_hours, p.active, p.clock_started_at)
            for p in plans
        ],
    }


async def machine_named(session: AsyncSession, name: str) -> Machine:
    machine = await session.scalar(select(Machine).where(Machine.name == name))
    assert machine is not None, name
    return machine


async def import_text(
    sessions: async_sessionmaker[AsyncSession], text: str, now: datetime = NOW
) -> ImportReport:
    """Import in a transaction of its own, as the CLI does."""
    async with sessions.begin() as session:
        return await apply_inventory(session, parse_inventory(text), now=now)


def problems_of(text: str) -> list[str]:
    with pytest.raises(InventoryError) as caught:
        parse_inventory(text, "inventory.yaml")
    return caught.value.problems


# --- The example file ---


def test_example_file_parses() -> None:
    inventory = parse_inventory(example_text(), "inventory.yaml")

    assert [m.name for m in inventory.machines] == EXAMPLE_NAMES
    laser = inventory.machines[3]
    assert (laser.kind, laser.slot_minutes, laser.booking_limit, laser.requires_training) == (
        MachineKind.LASER_CUTTER,
        30,
        120,
        True,
    )
    pc = inventory.machines[5]
    assert (pc.slot_minutes, pc.booking_limit, pc.status) == (60, 120, None)
    hours = inventory.hours_by_weekday()
    assert hours is not None
    assert hours[0] == hours[6] == []
    assert hours[2] == [(hhmm("14:00"), hhmm("18:00")), (hhmm("19:00"), hhmm("22:00"))]
    assert hours[5] == [(hhmm("10:00"), hhmm("18:00"))]
    assert inventory.closures is not None
    assert date(2026, 12, 25) in {c.day for c in inventory.closures}
    assert sum(len(m.maintenance or ()) for m in inventory.machines) == EXAMPLE_PLAN_COUNT
    assert all(m.maintenance for m in inventory.machines), "every machine of the example has plans"
    prusa_plans = inventory.machines[0].maintenance
    assert prusa_plans is not None
    nozzle = prusa_plans[1]
    assert (nozzle.task, nozzle.every_days, nozzle.every_hours, nozzle.active) == (
        "Vérifier la buse et le tube PTFE",
        None,
        200,
        True,
    )


async def test_importing_the_example_creates_machines_hours_closures_and_plans(session: AsyncSession) -> None:
    report = await apply_inventory(session, parse_inventory(example_text()), now=NOW)

    assert report.created == EXAMPLE_NAMES
    assert report.updated == report.unchanged == report.not_in_file == []
    assert report.opening_hours_changed and report.changed
    assert report.closures_added == [
        date(2026, 11, 11),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2027, 1, 1),
    ]
    assert report.closures_removed == []

    cnc = await machine_named(session, "Fraiseuse CNC Stepcraft D.840")
    assert (cnc.kind, cnc.slot_minutes, cnc.max_booking_minutes, cnc.requires_training, cnc.status) == (
        MachineKind.CNC,
        60,
        240,
        True,
        MachineStatus.AVAILABLE,
    )
    assert (await machine_named(session, "Prusa MK4 #1")).location == "Atelier impression 3D"
    hours = await weekly_hours(session)
    assert hours[1] == [(hhmm("14:00"), hhmm("19:00"))]
    assert hours[2] == [(hhmm("14:00"), hhmm("18:00")), (hhmm("19:00"), hhmm("22:00"))]
    assert hours[0] == hours[6] == []
    noel = await session.scalar(select(Closure).where(Closure.day == date(2026, 12, 25)))
    assert noel is not None and noel.reason == "Noël"
    assert "created 7 machines" in report.summary()

    assert len(report.plans_created) == EXAMPLE_PLAN_COUNT
    assert "Prusa MK4 #1: Nettoyer et lubrifier les axes" in report.plans_created
    assert report.plans_updated == report.plans_deactivated == []
    assert f"Maintenance plans: {EXAMPLE_PLAN_COUNT} created." in report.summary()
    laser = await machine_named(session, "Trotec Speedy 100")
    plans = await session.scalars(
        select(MaintenancePlan).where(MaintenancePlan.machine_id == laser.id).order_by(MaintenancePlan.id)
    )
    assert [(p.task, p.every_days, p.every_hours, p.active, p.clock_started_at) for p in plans] == [
        ("Nettoyer les miroirs et la lentille", None, 40, True, NOW),
        ("Vider le bac de récupération et nettoyer la table de découpe", 7, None, True, NOW),
        ("Contrôler l'aspiration et le filtre à fumées", 30, None, True, NOW),
    ]


async def test_importing_twice_changes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    await import_text(sessions, example_text())
    async with sessions() as session:
        before = await snapshot(session)
    assert len(before["plans"]) == EXAMPLE_PLAN_COUNT

    report = await import_text(sessions, example_text(), now=NOW + timedelta(days=3))

    async with sessions() as session:
        assert await snapshot(session) == before
    assert report == ImportReport(unchanged=EXAMPLE_NAMES)
    assert not report.changed
    assert report.summary() == "Nothing to change: 7 machines already up to date."


async def test_update_changes_only_what_changed_and_keeps_out_of_service(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await import_text(sessions, example_text())
    async with sessions.begin() as session:
        # A manager takes the laser out of service from the bot.
        (await machine_named(session, "Trotec Speedy 100")).status = MachineStatus.OUT_OF_SERVICE
        before = await snapshot(session)

    edited = (
        example_text()
        .replace("name: Formlabs Form 3", "name: formlabs form 3")  # the file's spelling wins
        .replace("Salle laser", "Salle laser (sous-sol)")
        .replace(
            '"Prusa MK4 #2"\n    kind: 3d_printer',
            '"Prusa MK4 #2"\n    kind: 3d_printer\n    status: retired',
        )
    )
    report = await import_text(sessions, edited)

    assert report.updated == ["Prusa MK4 #2", "formlabs form 3", "Trotec Speedy 100"]
    assert report.created == []
    assert len(report.unchanged) == 4
    assert not report.opening_hours_changed
    assert report.closures_added == report.closures_removed == report.closures_updated == []
    async with sessions() as session:
        after = await snapshot(session)
        laser = await machine_named(session, "Trotec Speedy 100")
        assert laser.status is MachineStatus.OUT_OF_SERVICE
        assert laser.location == "Salle laser (sous-sol)"
        assert (await machine_named(session, "Prusa MK4 #2")).status is MachineStatus.RETIRED
        assert (await machine_named(session, "formlabs form 3")).requires_training
    # Same rows, same ids: only the three machines differ, and only in the edited columns.
    assert after["hours"] == before["hours"] and after["closures"] == before["closures"]
    changed = {row[1] for row in after["machines"]} ^ {row[1] for row in before["machines"]}
    assert changed == {"Formlabs Form 3", "formlabs form 3"}
    assert len([a for a, b in zip(after["machines"], before["machines"], strict=True) if a != b]) == 3


async def test_status_given_in_the_file_is_applied(session: AsyncSession) -> None:
    machine = await make_machine(
        session, "Laser", kind=MachineKind.LASER_CUTTER, status=MachineStatus.RETIRED
    )
    text = "machines:\n  - {name: Laser, kind: laser_cutter, status: available, max_booking_minutes: 240}\n"

    report = await apply_inventory(session, parse_inventory(text))

    assert report.updated == ["Laser"]
    assert machine.status is MachineStatus.AVAILABLE


async def test_machines_not_in_file_and_sections_left_out_are_untouched(session: AsyncSession) -> None:
    await open_every_day(session)
    session.add(Closure(day=date(2030, 1, 1), reason="Jour de l'an"))
    await make_machine(session, "Vieille Ultimaker")
    await make_machine(session, "Ancienne découpe vinyle", status=MachineStatus.RETIRED)
    before = await snapshot(session)

    report = await apply_inventory(session, parse_inventory("machines:\n  - {name: Poste CAO 1, kind: pc}\n"))

    assert report.created == ["Poste CAO 1"]
    assert report.not_in_file == ["Vieille Ultimaker"]
    assert not report.opening_hours_changed and report.closures_removed == []
    after = await snapshot(session)
    assert after["hours"] == before["hours"] and after["closures"] == before["closures"]
    assert after["machines"][:2] == before["machines"]
    assert "Not in the file, left as they are: Vieille Ultimaker." in report.summary()


async def test_opening_hours_section_replaces_the_week_keeping_identical_rows(session: AsyncSession) -> None:
    await open_every_day(session, "09:00", "19:00")
    kept = {
        row.weekday: row.id for row in await session.scalars(select(OpeningHours)) if row.weekday in (0, 1)
    }
    text = "opening_hours:\n  lundi: ['09:00-19:00']\n  Tuesday: 09:00-19:00\n  samedi: ['20:00-24:00']\n"

    report = await apply_inventory(session, parse_inventory(text))

    assert report.opening_hours_changed
    rows = list(await session.scalars(select(OpeningHours).order_by(OpeningHours.weekday)))
    assert [(r.weekday, r.opens_minute, r.closes_minute) for r in rows] == [
        (0, 540, 1140),
        (1, 540, 1140),
        (5, 1200, 1440),
    ]
    assert {r.weekday: r.id for r in rows if r.weekday in (0, 1)} == kept


async def test_closures_section_is_the_full_list(session: AsyncSession) -> None:
    await make_machine(session)
    session.add_all(
        [
            Closure(day=date(2026, 5, 1), reason="Fête du travail"),
            Closure(day=date(2026, 12, 25), reason="Noel"),
        ]
    )
    await session.flush()
    text = "closures:\n  - {date: 2026-12-25, reason: Noël}\n  - date: '2027-01-01'\n"

    report = await apply_inventory(session, parse_inventory(text))

    assert report.closures_added == [date(2027, 1, 1)]
    assert report.closures_removed == [date(2026, 5, 1)]
    assert report.closures_updated == [date(2026, 12, 25)]
    rows = await session.scalars(select(Closure).order_by(Closure.day))
    assert [(c.day, c.reason) for c in rows] == [(date(2026, 12, 25), "Noël"), (date(2027, 1, 1), "")]
    assert "Closure days: 1 added, 1 removed, 1 with a new reason." in report.summary()

    report = await apply_inventory(session, parse_inventory("closures: []\n"))
    assert report.closures_removed == [date(2026, 12, 25), date(2027, 1, 1)]
    assert report.not_in_file == []  # no machines section, so no machine is "missing"
    assert await session.scalar(select(func.count()).select_from(Closure)) == 0


async def test_ambiguous_name_in_database_is_refused_before_writing(session: AsyncSession) -> None:
    await make_machine(session, "laser")
    await make_machine(session, "LASER")
    before = await snapshot(session)
    inventory = parse_inventory(
        "opening_hours: {monday: ['10:00-12:00']}\n"
        "machines:\n  - {name: Poste CAO 1, kind: pc}\n  - {name: Laser, kind: laser_cutter}\n"
    )

    with pytest.raises(
        InventoryError, match=r"machines\[1\]\.name: 'Laser' could be any of 'laser', 'LASER'"
    ):
        await apply_inventory(session, inventory)

    assert await snapshot(session) == before


# --- Bad files ---

BAD_FILE = """\
opening_hours:
  tuesday: ["14:00-19:00"]
  wednesday: ["10:00-12:30", "12:00-14:00"]
  thursday: ["14:00-25:00"]
machines:
  - name: Poste CAO 1
    kind: pc
  - name: Scie à ruban
    kind: band_saw
  - name: Prusa MK4
    kind: 3d_printer
    slot_minutes: 0
  - name: poste cao 1
    kind: pc
  - name: Trotec Speedy 100
    kind: laser_cutter
    requires_trainig: true
"""


async def test_bad_file_reports_every_problem_with_line_and_field_and_writes_nothing(
    session: AsyncSession,
) -> None:
    await make_machine(session, "Vieille Ultimaker")
    before = await snapshot(session)

    with pytest.raises(InventoryError) as caught:
        await apply_inventory(session, parse_inventory(BAD_FILE, "inventory.yaml"))

    assert caught.value.problems == [
        "line 3, opening_hours.wednesday: time ranges 10:00-12:30 and 12:00-14:00 overlap",
        "line 4, opening_hours.thursday[0]: 25:00 is not a time of day (00:00 to 24:00)",
        "line 9, machines[1].kind: unknown value 'band_saw'; expected one of: "
        "3d_printer, laser_cutter, cnc, pc, electronics_bench, other",
        "line 12, machines[2].slot_minutes: "
        "must be a positive number of minutes, at most 1440 (24 hours), not 0",
        "line 13, machines[3].name: 'poste cao 1' is already the name on line 6, ignoring case",
        "line 17, machines[4].requires_trainig: unknown key (did you mean 'requires_training'?)",
    ]
    message = str(caught.value)
    assert message.startswith("inventory.yaml: 6 problems, nothing was imported:\n")
    assert all(problem in message for problem in caught.value.problems)
    assert await snapshot(session) == before


def test_yaml_syntax_error_names_the_line() -> None:
    text = "machines:\n  - name: Poste CAO 1\n    kind: pc\n   - name: Poste CAO 2\n"
    (problem,) = problems_of(text)
    assert problem.startswith("line 4, column 4: YAML syntax error:")


def test_tab_indentation_names_the_line() -> None:
    (problem,) = problems_of("machines:\n  - name: a\n\tkind: pc\n")
    assert problem.startswith("line 3, column 1: YAML syntax error: found character '\\t'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("# rien\n\n", "the file is empty"),
        (
            "- Prusa\n- Laser\n",
            "line 1: the file must be a mapping with opening_hours, closures and/or machines",
        ),
        ("just text\n", "line 1: the file must be a mapping with opening_hours, closures and/or machines"),
        ("{}\n", "line 1, the file has none of the sections opening_hours, closures, machines"),
        ("opening_hours:\n", "line 1, opening_hours: is empty; write `opening_hours: {}` to close every day"),
        ("closures:\n", "line 1, closures: is empty; write `[]` for no closure days, or remove the section"),
        ("x: \x00\n", "line 1: character U+0000 is not allowed"),
    ],
)
def test_empty_or_shapeless_files_are_refused_clearly(text: str, expected: str) -> None:
    (problem,) = problems_of(text)
    assert problem.startswith(expected)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "opening_hours: {lundy: []}",
            "line 1, opening_hours.lundy: unknown weekday 'lundy' (did you mean 'lundi'?)",
        ),
        (
            "opening_hours: {monday: [], lundi: []}",
            "line 1, opening_hours.lundi: same day as 'monday' on line 1",
        ),
        (
            "opening_hours: {sunday: ['24:00-24:00']}",
            "line 1, opening_hours.sunday[0]: '24:00-24:00' cannot start",
        ),
        (
            "opening_hours: {friday: ['19:00-14:00']}",
            "line 1, opening_hours.friday[0]: '19:00-14:00' must start before",
        ),
        ("opening_hours: {friday: [600]}", "line 1, opening_hours.friday[0]: must be a time range in quotes"),
        (
            "opening_hours: {friday: ['14h-19h']}",
            "line 1, opening_hours.friday[0]: '14h-19h' is not a time range",
        ),
        ("closures: [{date: 2026-02-30}]", "line 1, closures[0].date: '2026-02-30' is not a real day"),
        (
            "closures: [{date: 20261225}]",
            "line 1, closures[0].date: must be a day like 2026-12-25, not 20261225",
        ),
        ("closures: [{reason: Noël}]", "line 1, closures[0].date: is required"),
        (
            "closures: [{date: 2026-12-25}, {date: '2026-12-25'}]",
            "line 1, closures[1].date: 2026-12-25 is already",
        ),
        ("machines: [{kind: pc}]", "line 1, machines[0].name: is required"),
        (
            "machines: [{name: 3018, kind: cnc}]",
            "line 1, machines[0].name: must be text, not 3018 (put it in quotes)",
        ),
        ("machines: [{name: '  ', kind: cnc}]", "line 1, machines[0].name: must not be empty"),
        (
            f"machines: [{{name: {'x' * 101}, kind: cnc}}]",
            "line 1, machines[0].name: is too long (101 characters",
        ),
        ("machines: [Prusa]", "line 1, machines[0]: must be a mapping of keys to values"),
        ("machines: {name: a}", "line 1, machines: must be a list"),
        (
            "machines: [{name: a, kind: pc, status: broken}]",
            "line 1, machines[0].status: unknown value 'broken'",
        ),
        (
            "machines: [{name: a, kind: pc, slot_minutes: 30.5}]",
            "line 1, machines[0].slot_minutes: must be a positive",
        ),
        (
            "machines: [{name: a, kind: pc, slot_minutes: 1441}]",
            "line 1, machines[0].slot_minutes: must be a positive",
        ),
        (
            "machines: [{name: a, kind: pc, slot_minutes: true}]",
            "line 1, machines[0].slot_minutes: must be a positive",
        ),
        (
            "machines: [{name: a, kind: pc, slot_minutes: 60, max_booking_minutes: 90}]",
            "line 1, machines[0].max_booking_minutes: must be a multiple of slot_minutes (60), not 90",
        ),
        (
            "machines: [{name: a, kind: pc, slot_minutes: 60, max_booking_minutes: 30}]",
            "line 1, machines[0].max_booking_minutes: must be a multiple of slot_minutes (60), not 30",
        ),
        (
            "machines: [{name: a, kind: pc, requires_training: oui}]",
            "line 1, machines[0].requires_training: must be",
        ),
        ("machine: []", "line 1, machine: unknown key (did you mean 'machines'?)"),
    ],
)
def test_each_kind_of_mistake_is_named(line: str, expected: str) -> None:
    problems = problems_of(line + "\n")
    assert any(problem.startswith(expected) for problem in problems), problems


def test_unquoted_hash_in_a_name_gets_a_hint() -> None:
    text = (
        "machines:\n"
        "  - name: Prusa MK4 #1\n    kind: 3d_printer\n"
        "  - name: Prusa MK4 #2\n    kind: 3d_printer\n"
    )
    (problem,) = problems_of(text)
    assert problem.startswith("line 4, machines[1].name: 'Prusa MK4' is already the name on line 2")
    assert "put the name in quotes" in problem


def test_key_given_twice_is_an_error_not_a_silent_override() -> None:
    (problem,) = problems_of("machines:\n  - name: a\n    kind: pc\n    kind: cnc\n")
    assert problem == "line 4, key 'kind' is given twice (also on line 3)"


def test_problems_in_merged_defaults_point_at_the_anchor() -> None:
    text = (
        "defaults: &printer {kind: 3d_printer, slot_minutes: 0}\n"
        "machines:\n  - {<<: *printer, name: a}\n  - {<<: *printer, name: b, slot_minutes: 30}\n"
    )
    problems = problems_of(text)
    assert "line 1, defaults: unknown key (expected one of: opening_hours, closures, machines)" in problems
    assert any(p.startswith("line 1, machines[0].slot_minutes: must be a positive") for p in problems)
    assert not any("machines[1]" in p for p in problems)


def test_merge_keys_share_settings() -> None:
    text = (
        "machines:\n"
        "  - &prusa {name: 'Prusa MK4 #1', kind: 3d_printer, slot_minutes: 30, max_booking_minutes: 240}\n"
        "  - {<<: *prusa, name: 'Prusa MK4 #2'}\n"
    )
    inventory = parse_inventory(text)
    assert [(m.name, m.booking_limit) for m in inventory.machines] == [
        ("Prusa MK4 #1", 240),
        ("Prusa MK4 #2", 240),
    ]


@pytest.mark.parametrize(("slot", "limit"), [(15, 120), (30, 120), (45, 90), (50, 100), (90, 90), (180, 180)])
def test_default_booking_limit_is_whole_slots_within_two_hours(slot: int, limit: int) -> None:
    inventory = parse_inventory(f"machines: [{{name: a, kind: other, slot_minutes: {slot}}}]\n")
    assert inventory.machines[0].booking_limit == limit


# --- Limits ---


def test_huge_text_is_refused_before_parsing() -> None:
    (problem,) = problems_of("machines: []\n" + "#" * 1_000_001)
    assert problem == "the file is larger than 1 MB"


def test_too_many_machines_are_refused() -> None:
    rows = "".join(f"  - {{name: m{i}, kind: other}}\n" for i in range(MAX_MACHINES + 1))
    (problem,) = problems_of("machines:\n" + rows)
    assert problem == f"line 1, machines: has too many entries (at most {MAX_MACHINES})"


def test_alias_bomb_is_refused() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (problem,) = problems_of("\n".join(levels) + "\n")
    assert re.fullmatch(r"the file expands to more than \d+ values", problem)


def test_deep_nesting_is_refused() -> None:
    (problem,) = problems_of("machines: " + "[" * 5000 + "]" * 5000 + "\n")
    assert problem == "the file is nested too deeply"


# --- Inventories built in code ---


def test_inventory_built_in_code_is_checked_too() -> None:
    with pytest.raises(ValidationError, match="listed more than once: prusa"):
        Inventory.model_validate(
            {"machines": [{"name": "Prusa", "kind": "3d_printer"}, {"name": "PRUSA", "kind": "3d_printer"}]}
        )
    with pytest.raises(ValidationError, match="'monday' and 'lundi' are the same day"):
        Inventory.model_validate({"opening_hours": {"monday": [], "lundi": []}})


async def test_file_without_machines_section_reports_nothing_to_change(session: AsyncSession) -> None:
    await make_machine(session)
    report = await apply_inventory(session, parse_inventory("opening_hours: {}\n"))
    assert report == ImportReport()
    assert report.summary() == "Nothing to change."


# --- Maintenance plans ---

PRUSA_PLANS = """\
machines:
  - name: "Prusa MK4 #1"
    kind: 3d_printer
    maintenance:
      - task: Nettoyer et lubrifier les axes
        every_days: 30
      - task: Vérifier la buse et le tube PTFE
        every_hours: 200
"""
AXES = "Nettoyer et lubrifier les axes"
NOZZLE = "Vérifier la buse et le tube PTFE"


async def plans_of(session: AsyncSession, machine_name: str) -> list[MaintenancePlan]:
    machine = await machine_named(session, machine_name)
    rows = await session.scalars(
        select(MaintenancePlan).where(MaintenancePlan.machine_id == machine.id).order_by(MaintenancePlan.id)
    )
    return list(rows)


def plan_rows(plans: list[MaintenancePlan]) -> list[tuple[Any, ...]]:
    return [(p.task, p.every_days, p.every_hours, p.active, p.clock_started_at) for p in plans]


async def test_plans_are_created_with_their_interval_and_the_import_time(session: AsyncSession) -> None:
    machine = await make_machine(session, "prusa mk4 #1")  # an existing machine, matched ignoring case

    report = await apply_inventory(session, parse_inventory(PRUSA_PLANS), now=NOW)

    assert report.updated == ["Prusa MK4 #1"]
    assert report.plans_created == [f"Prusa MK4 #1: {AXES}", f"Prusa MK4 #1: {NOZZLE}"]
    assert report.changed
    plans = await plans_of(session, "Prusa MK4 #1")
    assert {p.machine_id for p in plans} == {machine.id}
    assert plan_rows(plans) == [(AXES, 30, None, True, NOW), (NOZZLE, None, 200, True, NOW)]
    assert "Maintenance plans: 2 created." in report.summary()


async def test_the_clock_defaults_to_the_current_time(session: AsyncSession) -> None:
    before = utcnow()
    await apply_inventory(session, parse_inventory(PRUSA_PLANS))
    plans = await plans_of(session, "Prusa MK4 #1")
    assert all(before <= p.clock_started_at <= utcnow() for p in plans)


async def test_importing_plans_twice_changes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    await import_text(sessions, PRUSA_PLANS)
    async with sessions() as session:
        before = await snapshot(session)

    report = await import_text(sessions, PRUSA_PLANS, now=NOW + timedelta(days=40))

    async with sessions() as session:
        assert await snapshot(session) == before
    assert report == ImportReport(unchanged=["Prusa MK4 #1"])
    assert report.summary() == "Nothing to change: 1 machine already up to date."


async def test_changing_an_interval_updates_the_plan_without_restarting_its_clock(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await import_text(sessions, PRUSA_PLANS)
    async with sessions() as session:
        ids = [p.id for p in await plans_of(session, "Prusa MK4 #1")]
    edited = (
        PRUSA_PLANS.replace("every_days: 30", "every_days: 45")
        .replace("every_hours: 200", "every_days: 60")  # from hours of use to days
        .replace(AXES, AXES.upper())  # the file's spelling wins
    )

    report = await import_text(sessions, edited, now=NOW + timedelta(days=10))

    assert report.plans_updated == [f"Prusa MK4 #1: {AXES.upper()}", f"Prusa MK4 #1: {NOZZLE}"]
    assert report.plans_created == report.plans_deactivated == []
    assert report.unchanged == ["Prusa MK4 #1"]
    assert report.changed
    assert f"2 updated (Prusa MK4 #1: {AXES.upper()}; Prusa MK4 #1: {NOZZLE})" in report.summary()
    async with sessions() as session:
        plans = await plans_of(session, "Prusa MK4 #1")
    assert [p.id for p in plans] == ids
    assert plan_rows(plans) == [(AXES.upper(), 45, None, True, NOW), (NOZZLE, 60, None, True, NOW)]


async def test_a_plan_left_out_of_the_list_is_deactivated_not_deleted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await import_text(sessions, PRUSA_PLANS)
    async with sessions.begin() as session:
        (_, nozzle) = await plans_of(session, "Prusa MK4 #1")
        ticket = Ticket(
            machine_id=nozzle.machine_id,
            origin=TicketOrigin.PLAN,
            plan_id=nozzle.id,
            severity=Severity.MINOR,
            status=TicketStatus.RESOLVED,
            title=nozzle.task,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(ticket)
    without_nozzle = PRUSA_PLANS.replace(f"      - task: {NOZZLE}\n        every_hours: 200\n", "")

    report = await import_text(sessions, without_nozzle, now=NOW + timedelta(days=1))

    assert report.plans_deactivated == [f"Prusa MK4 #1: {NOZZLE}"]
    assert report.plans_created == report.plans_updated == []
    assert f"Maintenance plans: 1 deactivated (Prusa MK4 #1: {NOZZLE})." in report.summary()
    async with sessions() as session:
        assert plan_rows(await plans_of(session, "Prusa MK4 #1")) == [
            (AXES, 30, None, True, NOW),
            (NOZZLE, None, 200, False, NOW),
        ]
        kept = await session.get(Ticket, ticket.id)
        assert kept is not None and kept.plan_id == nozzle.id

    # Already inactive: nothing more to do. Listed again: active again, its clock kept.
    assert not (await import_text(sessions, without_nozzle)).changed
    report = await import_text(sessions, PRUSA_PLANS, now=NOW + timedelta(days=2))
    assert report.plans_updated == [f"Prusa MK4 #1: {NOZZLE}"]
    async with sessions() as session:
        assert plan_rows(await plans_of(session, "Prusa MK4 #1"))[1] == (NOZZLE, None, 200, True, NOW)


async def test_an_empty_maintenance_list_deactivates_every_plan_of_the_machine(session: AsyncSession) -> None:
    await apply_inventory(session, parse_inventory(PRUSA_PLANS), now=NOW)
    text = 'machines:\n  - {name: "Prusa MK4 #1", kind: 3d_printer, maintenance: []}\n'

    report = await apply_inventory(session, parse_inventory(text), now=NOW)

    assert report.plans_deactivated == [f"Prusa MK4 #1: {AXES}", f"Prusa MK4 #1: {NOZZLE}"]
    assert [p.active for p in await plans_of(session, "Prusa MK4 #1")] == [False, False]


async def test_a_machine_without_maintenance_key_keeps_its_plans(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    two_printers = PRUSA_PLANS + (
        '  - name: "Prusa MK4 #2"\n    kind: 3d_printer\n    maintenance:\n'
        "      - {task: Nettoyer le plateau, every_days: 7}\n"
    )
    await import_text(sessions, two_printers)
    async with sessions() as session:
        before = await snapshot(session)
    # #1 loses its maintenance key, #2 keeps its list: only #2's plans follow the file.
    text = (
        'machines:\n  - {name: "Prusa MK4 #1", kind: 3d_printer}\n'
        '  - name: "Prusa MK4 #2"\n    kind: 3d_printer\n    maintenance:\n'
        "      - {task: Nettoyer le plateau, every_days: 7}\n"
    )

    report = await import_text(sessions, text, now=NOW + timedelta(days=1))

    assert not report.changed
    async with sessions() as session:
        assert await snapshot(session) == before


async def test_a_task_ambiguous_in_the_database_is_refused_before_writing(session: AsyncSession) -> None:
    machine = await make_machine(session, "Prusa MK4 #1")
    for task in ("nettoyer et lubrifier les axes", "NETTOYER ET LUBRIFIER LES AXES"):
        session.add(
            MaintenancePlan(
                machine_id=machine.id, task=task, every_days=30, clock_started_at=NOW, active=True
            )
        )
    await session.flush()
    before = await snapshot(session)

    with pytest.raises(InventoryError, match=r"machines\[0\]\.maintenance\[0\]\.task: .* could be any of"):
        await apply_inventory(session, parse_inventory(PRUSA_PLANS), now=NOW)

    assert await snapshot(session) == before


BAD_PLANS = """\
machines:
  - name: Prusa
    kind: 3d_printer
    maintenance:
      - task: Nettoyer les axes
        every_days: 30
        every_hours: 200
      - task: Vérifier la buse
      - task: Graisser les axes
        every_days: 0
      - task: NETTOYER LES AXES
        every_days: 10
      - task: Contrôler les courroies
        every_hours: 500
        priority: high
  - name: Laser
    kind: laser_cutter
    maintenance:
"""


async def test_bad_plans_are_each_reported_with_line_and_field_and_nothing_is_written(
    session: AsyncSession,
) -> None:
    await make_machine(session, "Prusa")
    before = await snapshot(session)

    with pytest.raises(InventoryError) as caught:
        await apply_inventory(session, parse_inventory(BAD_PLANS, "inventory.yaml"), now=NOW)

    assert caught.value.problems == [
        "line 7, machines[0].maintenance[0].every_hours: cannot be given with every_days (line 6): "
        "give only one of them",
        "line 8, machines[0].maintenance[1]: needs every_days or every_hours",
        "line 10, machines[0].maintenance[2].every_days: must be a positive whole number of days, "
        "at most 3650, not 0",
        "line 11, machines[0].maintenance[3].task: 'NETTOYER LES AXES' is already a task of this machine "
        "on line 5, ignoring case",
        "line 15, machines[0].maintenance[4].priority: unknown key "
        "(expected one of: task, every_days, every_hours, active)",
        "line 18, machines[1].maintenance: is empty; write `[]` for no maintenance plans, "
        "or remove the section",
    ]
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "{task: a, every_days: 1, every_hours: 1}",
            "[0].every_hours: cannot be given with every_days: give",
        ),
        ("{task: a}", "[0]: needs every_days or every_hours"),
        ("{task: a, every_days: null}", "[0]: needs every_days or every_hours"),
        ("{task: a, every_hours: 0}", "[0].every_hours: must be a positive whole number of hours"),
        ("{task: a, every_days: -3}", "[0].every_days: must be a positive whole number of days"),
        (
            "{task: a, every_days: 3651}",
            "[0].every_days: must be a positive whole number of days, at most 3650",
        ),
        (
            "{task: a, every_hours: 100001}",
            "[0].every_hours: must be a positive whole number of hours, at most",
        ),
        ("{task: a, every_days: 1.5}", "[0].every_days: must be a positive whole number"),
        ("{task: a, every_days: '30'}", "[0].every_days: must be a positive whole number"),
        ("{task: a, every_days: true}", "[0].every_days: must be a positive whole number"),
        ("{every_days: 1}", "[0].task: is required"),
        ("{task: '  ', every_days: 1}", "[0].task: must not be empty"),
        (f"{{task: {'x' * 201}, every_days: 1}}", "[0].task: is too long (201 characters, at most 200)"),
        ("{task: a, every_days: 1, active: oui}", "[0].active: must be true or false"),
        ("{task: a, every_day: 1}", "[0].every_day: unknown key (did you mean 'every_days'?)"),
        ("{task: a, every_days: 1}, {task: A, every_days: 2}", "[1].task: 'A' is already a task"),
        ("Nettoyer", "[0]: must be a mapping of keys to values"),
    ],
)
def test_each_kind_of_plan_mistake_is_named(entry: str, expected: str) -> None:
    problems = problems_of(f"machines:\n  - {{name: a, kind: pc, maintenance: [{entry}]}}\n")
    assert any(p.startswith(f"line 2, machines[0].maintenance{expected}") for p in problems), problems


def test_maintenance_must_be_a_list() -> None:
    (problem,) = problems_of("machines:\n  - {name: a, kind: pc, maintenance: {task: a, every_days: 1}}\n")
    assert problem == "line 2, machines[0].maintenance: must be a list"


def test_plans_built_in_code_are_checked_too() -> None:
    with pytest.raises(ValidationError, match="give exactly one of every_days and every_hours"):
        Inventory.model_validate(
            {
                "machines": [
                    {
                        "name": "a",
                        "kind": "pc",
                        "maintenance": [{"task": "t", "every_days": 1, "every_hours": 1}],
                    }
                ]
            }
        )
    with pytest.raises(ValidationError, match="tasks listed more than once: t"):
        Inventory.model_validate(
            {
                "machines": [
                    {
                        "name": "a",
                        "kind": "pc",
                        "maintenance": [{"task": "t", "every_days": 1}, {"task": "T", "every_hours": 1}],
                    }
                ]
            }
        )
