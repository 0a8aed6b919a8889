"""Inventory import: the example file, idempotent re-imports, updates, and bad files refused whole."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.inventory import (
    MAX_MACHINES,
    ImportReport,
    Inventory,
    InventoryError,
    apply_inventory,
    parse_inventory,
)
from models.machines import Machine, MachineKind, MachineStatus
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
    }


async def machine_named(session: AsyncSession, name: str) -> Machine:
    machine = await session.scalar(select(Machine).where(Machine.name == name))
    assert machine is not None, name
    return machine


async def import_text(sessions: async_sessionmaker[AsyncSession], text: str) -> ImportReport:
    """Import in a transaction of its own, as the CLI does."""
    async with sessions.begin() as session:
        return await apply_inventory(session, parse_inventory(text))


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


async def test_importing_the_example_creates_machines_hours_and_closures(session: AsyncSession) -> None:
    report = await apply_inventory(session, parse_inventory(example_text()))

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


async def test_importing_twice_changes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    await import_text(sessions, example_text())
    async with sessions() as session:
        before = await snapshot(session)

    report = await import_text(sessions, example_text())

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
