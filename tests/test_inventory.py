"""Inventory import: the example file, idempotent re-imports, updates, maintenance plans, consumables,
the update register, bad files."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.core.inventory_file import (
    MAX_MACHINES,
    InventoryError,
    InventoryFile,
    import_inventory,
    parse_inventory,
)
from models import machines
from models.base import utcnow
from models.inventory import (
    IMPORT_NOTE,
    ConsumableEntry,
    ImportReport,
    Inventory,
    InventoryRefused,
    MachineEntry,
    UnknownMachine,
    apply_inventory,
)
from models.machines import Machine, MachineKind, MachineStatus
from models.maintenance import MaintenancePlan, Severity, Ticket, TicketOrigin, TicketStatus
from models.opening import Closure, OpeningHours, weekly_hours
from models.outbox import OutboxMessage
from models.stock import Consumable, MovementReason, StockMovement, consumable_machines, move
from models.updates import CheckAction, UpdateCheck, UpdateItem, mark_done
from tests.factories import make_machine, make_member, open_every_day

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
EXAMPLE_CONSUMABLES = [
    "PLA noir 1,75 mm",
    "PLA blanc 1,75 mm",
    "PETG noir 1,75 mm",
    "Résine Standard grise (Grey V4)",
    "Contreplaqué peuplier 3 mm 600 × 300",
    "PMMA transparent 3 mm 600 × 300",
    "Fraise 3,175 mm 2 dents",
    "Papier A4 80 g",
]
EXAMPLE_UPDATES = [
    "PrusaSlicer — Poste CAO 1",
    "PrusaSlicer — Poste CAO 2",
    "Fusion 360 — Poste CAO 1",
    "Fusion 360 — Poste CAO 2",
    "PreForm — Poste CAO 1",
    "PreForm — Poste CAO 2",
    "Windows 11 — Poste CAO 1",
    "Windows 11 — Poste CAO 2",
    "Firmware Prusa MK4 #1",
    "Firmware Prusa MK4 #2",
    "Firmware Formlabs Form 3",
    "LightBurn (laser)",
    "Universal Gcode Sender (CNC)",
]
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
    consumables = await session.scalars(select(Consumable).order_by(Consumable.id))
    links = await session.execute(select(consumable_machines))
    movements = await session.scalars(select(StockMovement).order_by(StockMovement.id))
    items = await session.scalars(select(UpdateItem).order_by(UpdateItem.id))
    checks = await session.scalars(select(UpdateCheck).order_by(UpdateCheck.id))
    outbox = await session.scalar(select(func.count()).select_from(OutboxMessage))
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
        "consumables": [
            (
                c.id,
                c.name,
                c.unit,
                c.quantity_milli,
                c.minimum_milli,
                c.supplier,
                c.reorder_url,
                c.low_alert_at,
                c.active,
                c.created_at,
            )
            for c in consumables
        ],
        "links": sorted(tuple(row) for row in links),
        "movements": [
            (
                m.id,
                m.consumable_id,
                m.delta_milli,
                m.quantity_after_milli,
                m.reason,
                m.member_id,
                m.note,
                m.at,
            )
            for m in movements
        ],
        "items": [
            (
                i.id,
                i.name,
                i.machine_id,
                i.current_version,
                i.check_every_days,
                i.last_checked_at,
                i.snoozed_until,
                i.not_applicable,
                i.reminded_for,
                i.created_at,
            )
            for i in items
        ],
        "checks": [
            (c.id, c.item_id, c.at, c.member_id, c.action, c.version_before, c.version_after) for c in checks
        ],
        "outbox": [outbox],
    }


async def machine_named(session: AsyncSession, name: str) -> Machine:
    machine = await session.scalar(select(Machine).where(Machine.name == name))
    assert machine is not None, name
    return machine


async def consumable_named(session: AsyncSession, name: str) -> Consumable:
    consumable = await session.scalar(
        select(Consumable).options(selectinload(Consumable.machines)).where(Consumable.name == name)
    )
    assert consumable is not None, name
    return consumable


async def item_named(session: AsyncSession, name: str) -> UpdateItem:
    item = await session.scalar(select(UpdateItem).where(UpdateItem.name == name))
    assert item is not None, name
    return item


async def import_text(
    sessions: async_sessionmaker[AsyncSession], text: str, now: datetime = NOW
) -> ImportReport:
    """Import in a transaction of its own, as the CLI does."""
    async with sessions.begin() as session:
        return await import_inventory(session, parse_inventory(text), now=now)


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
    assert [c.name for c in inventory.consumables] == EXAMPLE_CONSUMABLES
    assert [u.name for u in inventory.updates] == EXAMPLE_UPDATES
    pla = inventory.consumables[0]
    assert (pla.unit, pla.minimum_milli, pla.quantity_milli, pla.machines) == (
        "g",
        1_000_000,
        4_000_000,
        ("Prusa MK4 #1", "Prusa MK4 #2"),
    )
    assert inventory.consumables[3].machines == ("Formlabs Form 3",), "one machine needs no list"
    assert all(30 <= u.check_every_days <= 90 and u.version and u.machine for u in inventory.updates)
    nozzle = prusa_plans[1]
    assert (nozzle.task, nozzle.every_days, nozzle.every_hours, nozzle.active) == (
        "Vérifier la buse et le tube PTFE",
        None,
        200,
        True,
    )


async def test_importing_the_example_creates_machines_hours_closures_and_plans(session: AsyncSession) -> None:
    report = await import_inventory(session, parse_inventory(example_text()), now=NOW)

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

    assert report.consumables_created == EXAMPLE_CONSUMABLES
    assert report.updates_created == EXAMPLE_UPDATES
    assert f"Consumables: {len(EXAMPLE_CONSUMABLES)} created." in report.summary()
    assert f"Update register: {len(EXAMPLE_UPDATES)} created." in report.summary()
    resin = await consumable_named(session, "Résine Standard grise (Grey V4)")
    assert (resin.unit, resin.quantity, resin.minimum, [m.name for m in resin.machines]) == (
        "ml",
        Decimal(2000),
        Decimal(1000),
        ["Formlabs Form 3"],
    )
    # Every starting stock came through one count movement.
    movements = list(await session.scalars(select(StockMovement)))
    assert len(movements) == len(EXAMPLE_CONSUMABLES)
    assert {(m.reason, m.member_id, m.note) for m in movements} == {(MovementReason.COUNT, None, IMPORT_NOTE)}
    slicer = await item_named(session, "PrusaSlicer — Poste CAO 2")
    assert (slicer.machine_id, slicer.current_version, slicer.check_every_days, slicer.last_checked_at) == (
        (await machine_named(session, "Poste CAO 2")).id,
        "2.8.1",
        30,
        NOW,
    )
    assert await session.scalar(select(func.count()).select_from(UpdateCheck)) == 0


async def test_importing_twice_changes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    await import_text(sessions, example_text())
    async with sessions() as session:
        before = await snapshot(session)
    assert len(before["plans"]) == EXAMPLE_PLAN_COUNT

    report = await import_text(sessions, example_text(), now=NOW + timedelta(days=3))

    async with sessions() as session:
        assert await snapshot(session) == before
    assert report == ImportReport(
        unchanged=EXAMPLE_NAMES,
        consumables_unchanged=EXAMPLE_CONSUMABLES,
        updates_unchanged=EXAMPLE_UPDATES,
    )
    assert not report.changed
    assert (
        report.summary()
        == "Nothing to change: 7 machines, 8 consumables and 13 update items already up to date."
    )


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

    report = await import_inventory(session, parse_inventory(text))

    assert report.updated == ["Laser"]
    assert machine.status is MachineStatus.AVAILABLE


async def test_a_machine_edited_in_the_app_keeps_what_the_file_does_not_name(session: AsyncSession) -> None:
    """The app and the import do not fight: the file changes only the fields it names."""
    manager = await make_member(session, "Morgane", manager=True)
    await import_inventory(session, parse_inventory("machines:\n  - {name: Prusa, kind: 3d_printer}\n"))
    printer = await machine_named(session, "Prusa")
    await machines.edit_machine(
        session,
        manager,
        printer.id,
        location="Atelier 2",
        slot_minutes=15,
        max_booking_minutes=90,
        requires_training=True,
    )
    # The file names the kind (it always does) and the description, nothing else.
    text = "machines:\n  - {name: Prusa, kind: 3d_printer, description: PLA et PETG}\n"
    report = await import_inventory(session, parse_inventory(text))
    assert report.updated == ["Prusa"]
    assert (printer.location, printer.slot_minutes, printer.max_booking_minutes) == ("Atelier 2", 15, 90)
    assert printer.requires_training and printer.description == "PLA et PETG"
    # What it names wins; a longest booking it leaves out stays while it is whole slots.
    text = "machines:\n  - {name: Prusa, kind: 3d_printer, slot_minutes: 30, requires_training: false}\n"
    await import_inventory(session, parse_inventory(text))
    assert (printer.slot_minutes, printer.max_booking_minutes, printer.requires_training) == (30, 90, False)
    assert printer.location == "Atelier 2"
    # A slot the kept longest booking does not fit: the file's default for that slot.
    await import_inventory(session, parse_inventory(text.replace("slot_minutes: 30", "slot_minutes: 60")))
    assert (printer.slot_minutes, printer.max_booking_minutes) == (60, 120)


async def test_a_longest_booking_that_does_not_fit_the_kept_slot_is_refused(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    printer = await make_machine(session, "Prusa", slot_minutes=30, max_booking_minutes=240)
    await machines.edit_machine(session, manager, printer.id, slot_minutes=45, max_booking_minutes=90)
    with pytest.raises(InventoryError) as refused:
        text = "machines:\n  - {name: Prusa, kind: 3d_printer, max_booking_minutes: 120}\n"
        await import_inventory(session, parse_inventory(text))
    assert refused.value.problems == [
        "machines[0].max_booking_minutes: must be a multiple of the machine's slot_minutes (45), not 120"
    ]
    assert (printer.slot_minutes, printer.max_booking_minutes) == (45, 90)


async def test_machines_not_in_file_and_sections_left_out_are_untouched(session: AsyncSession) -> None:
    await open_every_day(session)
    session.add(Closure(day=date(2030, 1, 1), reason="Jour de l'an"))
    await make_machine(session, "Vieille Ultimaker")
    await make_machine(session, "Ancienne découpe vinyle", status=MachineStatus.RETIRED)
    before = await snapshot(session)

    report = await import_inventory(
        session, parse_inventory("machines:\n  - {name: Poste CAO 1, kind: pc}\n")
    )

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

    report = await import_inventory(session, parse_inventory(text))

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

    report = await import_inventory(session, parse_inventory(text))

    assert report.closures_added == [date(2027, 1, 1)]
    assert report.closures_removed == [date(2026, 5, 1)]
    assert report.closures_updated == [date(2026, 12, 25)]
    rows = await session.scalars(select(Closure).order_by(Closure.day))
    assert [(c.day, c.reason) for c in rows] == [(date(2026, 12, 25), "Noël"), (date(2027, 1, 1), "")]
    assert "Closure days: 1 added, 1 removed, 1 with a new reason." in report.summary()

    report = await import_inventory(session, parse_inventory("closures: []\n"))
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
        await import_inventory(session, inventory)

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
        await import_inventory(session, parse_inventory(BAD_FILE, "inventory.yaml"))

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
            "line 1: the file must be a mapping with opening_hours, closures, machines, consumables, "
            "updates, quotas and/or trainings",
        ),
        (
            "just text\n",
            "line 1: the file must be a mapping with opening_hours, closures, machines, consumables",
        ),
        (
            "{}\n",
            "line 1, the file has none of the sections opening_hours, closures, machines, consumables, "
            "updates",
        ),
        (
            "consumables:\n",
            "line 1, consumables: is empty; write `[]` for no consumables, or remove the section",
        ),
        ("updates:\n", "line 1, updates: is empty; write `[]` for no update items, or remove the section"),
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
    assert (
        "line 1, defaults: unknown key "
        "(expected one of: opening_hours, closures, machines, consumables, updates, quotas, trainings)"
        in problems
    )
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
        InventoryFile.model_validate(
            {"machines": [{"name": "Prusa", "kind": "3d_printer"}, {"name": "PRUSA", "kind": "3d_printer"}]}
        )
    with pytest.raises(ValidationError, match="'monday' and 'lundi' are the same day"):
        InventoryFile.model_validate({"opening_hours": {"monday": [], "lundi": []}})


async def test_file_without_machines_section_reports_nothing_to_change(session: AsyncSession) -> None:
    await make_machine(session)
    report = await import_inventory(session, parse_inventory("opening_hours: {}\n"))
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

    report = await import_inventory(session, parse_inventory(PRUSA_PLANS), now=NOW)

    assert report.updated == ["Prusa MK4 #1"]
    assert report.plans_created == [f"Prusa MK4 #1: {AXES}", f"Prusa MK4 #1: {NOZZLE}"]
    assert report.changed
    plans = await plans_of(session, "Prusa MK4 #1")
    assert {p.machine_id for p in plans} == {machine.id}
    assert plan_rows(plans) == [(AXES, 30, None, True, NOW), (NOZZLE, None, 200, True, NOW)]
    assert "Maintenance plans: 2 created." in report.summary()


async def test_the_clock_defaults_to_the_current_time(session: AsyncSession) -> None:
    before = utcnow()
    await import_inventory(session, parse_inventory(PRUSA_PLANS))
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
    await import_inventory(session, parse_inventory(PRUSA_PLANS), now=NOW)
    text = 'machines:\n  - {name: "Prusa MK4 #1", kind: 3d_printer, maintenance: []}\n'

    report = await import_inventory(session, parse_inventory(text), now=NOW)

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
        await import_inventory(session, parse_inventory(PRUSA_PLANS), now=NOW)

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
        await import_inventory(session, parse_inventory(BAD_PLANS, "inventory.yaml"), now=NOW)

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
        InventoryFile.model_validate(
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
        InventoryFile.model_validate(
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


# --- Consumables ---

STOCK = """\
machines:
  - name: "Prusa MK4 #1"
    kind: 3d_printer
  - name: "Prusa MK4 #2"
    kind: 3d_printer
consumables:
  - name: PLA noir 1,75 mm
    unit: g
    minimum: 1000
    quantity: 4000
    machines: ["Prusa MK4 #1", "prusa mk4 #2"]
    supplier: Filament Shop
    reorder_url: https://filament.example/pla-noir
  - name: Fraise 3,175 mm 2 dents
    unit: pièces
    minimum: "2,5"
    machines: Fraiseuse CNC
"""
PLA = "PLA noir 1,75 mm"
MILL = "Fraise 3,175 mm 2 dents"


async def movements_of(session: AsyncSession, name: str) -> list[StockMovement]:
    consumable = await consumable_named(session, name)
    rows = await session.scalars(
        select(StockMovement).where(StockMovement.consumable_id == consumable.id).order_by(StockMovement.id)
    )
    return list(rows)


async def add_cnc(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        await make_machine(session, "Fraiseuse CNC", kind=MachineKind.CNC)  # only in the database


async def test_consumables_are_created_with_an_opening_count_movement(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_cnc(sessions)

    report = await import_text(sessions, STOCK)

    assert report.consumables_created == [PLA, MILL]
    assert report.changed and "Consumables: 2 created." in report.summary()
    async with sessions() as session:
        pla = await consumable_named(session, PLA)
        assert (pla.unit, pla.quantity, pla.minimum, pla.supplier, pla.reorder_url, pla.active) == (
            "g",
            Decimal(4000),
            Decimal(1000),
            "Filament Shop",
            "https://filament.example/pla-noir",
            True,
        )
        assert pla.created_at == NOW and pla.low_alert_at is None
        assert sorted(m.name for m in pla.machines) == ["Prusa MK4 #1", "Prusa MK4 #2"]
        (opening,) = await movements_of(session, PLA)
        assert (
            opening.delta_milli,
            opening.quantity_after_milli,
            opening.reason,
            opening.member_id,
            opening.booking_id,
            opening.note,
            opening.at,
        ) == (4_000_000, 4_000_000, MovementReason.COUNT, None, None, "inventory import", NOW)
        # No quantity: an empty stock, and no movement of 0. Low from the start, yet no alert from an import.
        mill = await consumable_named(session, MILL)
        assert (mill.quantity_milli, mill.minimum_milli, mill.unit) == (0, 2500, "pièces")
        assert [m.name for m in mill.machines] == ["Fraiseuse CNC"]
        assert mill.low and mill.low_alert_at is None
        assert await movements_of(session, MILL) == []
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_the_next_movement_alerts_on_a_consumable_imported_low(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_cnc(sessions)
    await import_text(sessions, STOCK)
    async with sessions.begin() as session:
        manager = await make_member(session, "Camille", manager=True)
        mill = await consumable_named(session, MILL)
        managers = [manager.telegram_id, 999]
        await move(session, manager, mill.id, Decimal(1), MovementReason.RESTOCK, managers, NOW)
        assert mill.low_alert_at == NOW
        # Camille sees the minimum on her screen; the other manager is alerted.
        assert list(await session.scalars(select(OutboxMessage.chat_id))) == [999]


async def test_importing_consumables_twice_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_cnc(sessions)
    await import_text(sessions, STOCK)
    async with sessions() as session:
        before = await snapshot(session)

    report = await import_text(sessions, STOCK, now=NOW + timedelta(days=5))

    async with sessions() as session:
        assert await snapshot(session) == before
    assert report == ImportReport(
        unchanged=["Prusa MK4 #1", "Prusa MK4 #2"],
        consumables_unchanged=[PLA, MILL],
        not_in_file=["Fraiseuse CNC"],
    )
    assert report.summary() == (
        "Nothing to change: 2 machines and 2 consumables already up to date. "
        "Not in the file, left as they are: Fraiseuse CNC."
    )


async def test_a_new_count_in_the_file_is_one_count_movement_of_the_difference(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_cnc(sessions)
    await import_text(sessions, STOCK)
    async with sessions.begin() as session:
        # Between two imports, a manager corrects the stock from the bot.
        manager = await make_member(session, "Camille", manager=True)
        pla = await consumable_named(session, PLA)
        await move(session, manager, pla.id, Decimal(-250), MovementReason.CORRECTION, [], NOW)

    recount = STOCK.replace("quantity: 4000", 'quantity: "3500,5"')
    report = await import_text(sessions, recount, now=NOW + timedelta(days=1))

    assert report.consumables_updated == [PLA] and report.consumables_unchanged == [MILL]
    assert f"Consumables: 1 updated ({PLA}), 1 unchanged." in report.summary()
    async with sessions() as session:
        pla = await consumable_named(session, PLA)
        movements = await movements_of(session, PLA)
    assert pla.quantity == Decimal("3500.5")
    assert [(m.delta_milli, m.quantity_after_milli, m.reason, m.member_id) for m in movements] == [
        (4_000_000, 4_000_000, MovementReason.COUNT, None),
        (-250_000, 3_750_000, MovementReason.CORRECTION, manager.id),
        (-249_500, 3_500_500, MovementReason.COUNT, None),
    ]
    assert (movements[-1].note, movements[-1].at) == (IMPORT_NOTE, NOW + timedelta(days=1))
    # The stock is exactly what its movements add up to: never written without one.
    assert sum(m.delta_milli for m in movements) == pla.quantity_milli

    # The same count again, or no count at all: the stock is left alone.
    async with sessions() as session:
        before = await snapshot(session)
    for text in (recount, STOCK.replace("    quantity: 4000\n", "")):
        report = await import_text(sessions, text, now=NOW + timedelta(days=2))
        assert report.consumables_unchanged == [PLA, MILL] and not report.changed
        async with sessions() as session:
            assert await snapshot(session) == before


async def test_fields_and_machine_links_are_plain_updates(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_cnc(sessions)
    await import_text(sessions, STOCK)
    async with sessions() as session:
        pla_id = (await consumable_named(session, PLA)).id
    edited = (
        STOCK.replace("name: PLA noir 1,75 mm", "name: pla NOIR 1,75 mm")  # the file's spelling wins
        # (a unit change needs a count in the new unit: see test_review_stock.py)
        .replace('machines: ["Prusa MK4 #1", "prusa mk4 #2"]', 'machines: ["Prusa MK4 #2"]')
        .replace("    supplier: Filament Shop\n    reorder_url: https://filament.example/pla-noir\n", "")
        .replace("    quantity: 4000\n", "")
    )

    report = await import_text(sessions, edited)

    assert report.consumables_updated == ["pla NOIR 1,75 mm"]
    async with sessions() as session:
        pla = await consumable_named(session, "pla NOIR 1,75 mm")
        assert len(await movements_of(session, "pla NOIR 1,75 mm")) == 1, "no quantity, no movement"
    assert (pla.id, pla.unit, pla.quantity_milli, pla.supplier, pla.reorder_url) == (
        pla_id,
        "g",
        4_000_000,
        "",
        None,
    )
    assert [m.name for m in pla.machines] == ["Prusa MK4 #2"]


@pytest.mark.parametrize(
    ("minimum", "alert_kept"),
    [
        (3000, False),  # 3500 in stock, no longer low: re-armed
        (4000, True),  # still low: the alert already sent stands
    ],
)
async def test_a_new_minimum_clears_the_low_alert_only_when_no_longer_low(
    sessions: async_sessionmaker[AsyncSession], minimum: int, alert_kept: bool
) -> None:
    await add_cnc(sessions)
    low = STOCK.replace("minimum: 1000", "minimum: 5000").replace("quantity: 4000", "quantity: 3500")
    await import_text(sessions, low)
    async with sessions.begin() as session:
        pla = await consumable_named(session, PLA)
        assert pla.low and pla.low_alert_at is None
        pla.low_alert_at = NOW  # the alert the next movement sent

    report = await import_text(sessions, low.replace("minimum: 5000", f"minimum: {minimum}"))

    assert report.consumables_updated == [PLA]
    async with sessions() as session:
        pla = await consumable_named(session, PLA)
        assert pla.minimum == minimum and pla.quantity == 3500
        assert pla.low_alert_at == (NOW if alert_kept else None)
        assert len(await movements_of(session, PLA)) == 1
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_a_higher_minimum_sends_no_alert_from_the_import(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_cnc(sessions)
    await import_text(sessions, STOCK)

    report = await import_text(sessions, STOCK.replace("minimum: 1000", "minimum: 9000"))

    assert report.consumables_updated == [PLA]
    async with sessions() as session:
        pla = await consumable_named(session, PLA)
        assert pla.low and pla.low_alert_at is None, "left for the next movement to alert"
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_consumables_not_in_the_file_are_left_alone(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_cnc(sessions)
    await import_text(sessions, STOCK)
    async with sessions() as session:
        before = await snapshot(session)

    report = await import_text(sessions, "consumables: []\n")

    assert report.consumables_not_in_file == [PLA, MILL] and not report.changed
    assert (
        report.summary()
        == f"Nothing to change. Consumables not in the file, left as they are: {PLA}, {MILL}."
    )
    async with sessions() as session:
        assert await snapshot(session) == before


UNKNOWN_MACHINES = """\
machines:
  - name: "Prusa MK4 #1"
    kind: 3d_printer
consumables:
  - name: PLA noir
    unit: g
    minimum: 1000
    machines:
      - Prusa MK4 #1
      - "Prusa MK4 #3"
      - Fraiseuse CNC
  - name: Papier A4
    unit: ramettes
    minimum: 2
    machines: Imprimante laser
updates:
  - name: PrusaSlicer
    machine: Poste CAO 1
    check_every_days: 30
"""


async def test_unknown_machine_names_are_refused_with_their_lines_and_nothing_is_written(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_cnc(sessions)  # "Fraiseuse CNC" exists in the database: known
    async with sessions() as session:
        before = await snapshot(session)
    inventory = parse_inventory(UNKNOWN_MACHINES, "inventory.yaml")

    with pytest.raises(InventoryError) as caught:
        async with sessions.begin() as session:
            await import_inventory(session, inventory, now=NOW)

    assert caught.value.problems == [
        "line 9, consumables[0].machines[0]: no machine named 'Prusa MK4' in the file or the database "
        "(a ' #' starts a comment: put the name in quotes)",
        "line 10, consumables[0].machines[1]: no machine named 'Prusa MK4 #3' in the file or the database "
        "(did you mean 'Prusa MK4 #1'?)",
        "line 15, consumables[1].machines[0]: no machine named 'Imprimante laser' "
        "in the file or the database",
        "line 18, updates[0].machine: no machine named 'Poste CAO 1' in the file or the database",
    ]
    assert str(caught.value).startswith("inventory.yaml: 4 problems, nothing was imported:")
    async with sessions() as session:
        assert await snapshot(session) == before


async def test_database_problems_are_all_reported_together(session: AsyncSession) -> None:
    await make_machine(session, "laser")
    await make_machine(session, "LASER")
    for name in ("pla", "PLA"):
        session.add(
            Consumable(name=name, unit="g", minimum_milli=0, quantity_milli=0, supplier="", created_at=NOW)
        )
    await session.flush()
    before = await snapshot(session)
    text = (
        "consumables:\n"
        "  - {name: Pla, unit: g, minimum: 0}\n"
        "  - {name: Plywood, unit: sheets, minimum: 0, machines: [Laser]}\n"
    )

    with pytest.raises(InventoryError) as caught:
        await import_inventory(session, parse_inventory(text), now=NOW)

    assert caught.value.problems == [
        "line 2, consumables[0].name: 'Pla' could be any of 'pla', 'PLA' in the database",
        "line 3, consumables[1].machines[0]: 'Laser' could be any of 'laser', 'LASER' in the database",
    ]
    assert await snapshot(session) == before


BAD_STOCK = """\
consumables:
  - name: PLA noir
    unit: g
    minimum: -5
    quantity: 1.2345
    reorder_url: ftp://filament.example/pla
  - name: Résine
    unit: millilitres de résine
    minimum: "4 kg"
    quantiy: 10
  - name: pla NOIR
    unit: g
    minimum: abc
    machines: [Laser, laser]
updates:
  - name: PrusaSlicer
    version: 2.10
    check_every_days: 0
  - name: Windows 11
    every_days: 30
"""


def test_bad_consumables_and_items_are_each_reported_with_line_and_field() -> None:
    assert problems_of(BAD_STOCK) == [
        "line 4, consumables[0].minimum: must not be negative, not -5",
        "line 5, consumables[0].quantity: has more than 3 decimals: 1.2345",
        "line 6, consumables[0].reorder_url: must be a web address starting with http:// or https://, "
        "not 'ftp://filament.example/pla'",
        "line 8, consumables[1].unit: is too long (21 characters, at most 16)",
        "line 9, consumables[1].minimum: must be a number like 250 or \"1,5\", not '4 kg' "
        "(give the unit in `unit`, not here)",
        "line 10, consumables[1].quantiy: unknown key (did you mean 'quantity'?)",
        "line 11, consumables[2].name: 'pla NOIR' is already the name on line 2, ignoring case",
        "line 13, consumables[2].minimum: must be a number like 250 or \"1,5\", not 'abc'",
        "line 14, consumables[2].machines[1]: 'laser' is already listed on line 14, ignoring case",
        "line 17, updates[0].version: must be text, not 2.1 (put it in quotes)",
        "line 18, updates[0].check_every_days: must be a positive whole number of days, at most 3650, not 0",
        "line 19, updates[1].check_every_days: is required",
        "line 20, updates[1].every_days: unknown key (did you mean 'check_every_days'?)",
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("minimum: 1", None),
        ("minimum: '1,5'", None),
        ("minimum: 1_000", None),
        ("minimum: 0.125", None),
        ("minimum: ' 2.5 '", None),
        ("minimum: 1, quantity: 0", None),
        ("minimum: 1, reorder_url: 'HTTPS://example.org/a?b=1'", None),
        ("minimum: 1, reorder_url: ''", None),
        ("unit: g", "[0].minimum: is required"),
        ("minimum: 1, unit: ''", "[0].unit: must not be empty"),
        ("minimum: 1, unit: 5", "[0].unit: must be text, not 5"),
        ("minimum: 1, unit: abcdefghijklmnopq", "[0].unit: is too long (17 characters, at most 16)"),
        ("minimum: '-0,5'", "[0].minimum: must not be negative"),
        ("minimum: 1, quantity: -1", "[0].quantity: must not be negative, not -1"),
        ("minimum: '1,2345'", "[0].minimum: has more than 3 decimals: '1,2345'"),
        ("minimum: 1.0e-4", "[0].minimum: has more than 3 decimals: 0.0001"),
        ("minimum: 1e3", "[0].minimum: must be a number like 250 or \"1,5\", not '1e3'"),
        ("minimum: 10000000000", "[0].minimum: is too large: 10000000000 (at most 1000000000)"),
        ("minimum: .inf", "[0].minimum: must be a number"),
        ("minimum: true", '[0].minimum: must be a number like 250 or "1,5", not True'),
        ("minimum: [1]", "[0].minimum: must be a number"),
        ("minimum: 1,5", "[0][5]: 5 is not a key (in {...}, quote numbers with a comma"),
        ("minimum: '1.5.2'", "[0].minimum: must be a number"),
        (
            "minimum: 1, quantity: '500g'",
            "[0].quantity: must be a number like 250 or \"1,5\", not '500g' (give",
        ),
        ("minimum: 1, reorder_url: www.example.org", "[0].reorder_url: must be a web address starting"),
        ("minimum: 1, reorder_url: 'https://'", "[0].reorder_url: must be a web address starting"),
        (
            "minimum: 1, reorder_url: 'https://exa mple.org'",
            "[0].reorder_url: must be a web address starting",
        ),
        ("minimum: 1, reorder_url: 'javascript:alert(1)'", "[0].reorder_url: must be a web address starting"),
        (f"minimum: 1, reorder_url: 'https://{'x' * 500}'", "[0].reorder_url: is too long"),
        (f"minimum: 1, supplier: {'x' * 101}", "[0].supplier: is too long (101 characters, at most 100)"),
        ("minimum: 1, machines: ", "[0].machines: is empty; write `[]` for none"),
        ("minimum: 1, machines: [3018]", "[0].machines[0]: must be text, not 3018"),
        ("minimum: 1, machines: {a: 1}", "[0].machines: must be a list"),
        ("minimum: 1, active: false", "[0].active: unknown key"),
    ],
)
def test_each_kind_of_consumable_mistake_is_named(fields: str, expected: str | None) -> None:
    text = f"consumables:\n  - {{name: PLA, unit: g, {fields}}}\n"
    if expected is None:
        (entry,) = parse_inventory(text).consumables
        assert entry.minimum >= 0
        return
    problems = problems_of(text)
    assert any(p.startswith(f"line 2, consumables{expected}") for p in problems), problems


def test_amounts_are_read_like_parse_quantity() -> None:
    text = (
        "consumables:\n"
        "  - {name: a, unit: g, minimum: '1,5', quantity: 2.25}\n"
        "  - {name: b, unit: g, minimum: 1.0e+3, quantity: '0,001'}\n"
        "  - {name: c, unit: g, minimum: 0, reorder_url: ' https://example.org/c '}\n"
    )
    a, b, c = parse_inventory(text).consumables
    assert (a.minimum_milli, a.quantity_milli) == (1500, 2250)
    assert (b.minimum_milli, b.quantity_milli) == (1_000_000, 1)
    assert (c.quantity_milli, c.reorder_url) == (None, "https://example.org/c")


def test_consumables_built_in_code_are_checked_too() -> None:
    with pytest.raises(ValidationError, match="listed more than once: consumable pla"):
        InventoryFile.model_validate(
            {
                "consumables": [
                    {"name": "PLA", "unit": "g", "minimum": 0},
                    {"name": "pla", "unit": "g", "minimum": 1},
                ]
            }
        )
    with pytest.raises(ValidationError, match="listed more than once: PLA: machine prusa"):
        InventoryFile.model_validate(
            {"consumables": [{"name": "PLA", "unit": "g", "minimum": 0, "machines": ["Prusa", "PRUSA"]}]}
        )
    inventory = InventoryFile.model_validate(
        {"consumables": [{"name": "PLA", "unit": "g", "minimum": Decimal("1.5"), "quantity": 2}]}
    )
    assert inventory.consumables[0].minimum_milli == 1500


async def test_a_machine_only_in_the_code_built_inventory_is_refused_without_a_line(
    session: AsyncSession,
) -> None:
    inventory = InventoryFile.model_validate(
        {"consumables": [{"name": "PLA", "unit": "g", "minimum": 0, "machines": ["Prusa"]}]}
    )
    with pytest.raises(InventoryError) as caught:
        await import_inventory(session, inventory, now=NOW)
    assert caught.value.problems == [
        "consumables[0].machines[0]: no machine named 'Prusa' in the file or the database"
    ]


async def test_the_domain_applies_plain_entries_and_refuses_by_place(session: AsyncSession) -> None:
    """apply_inventory takes entries built in code, without a file: its refusal names places, not lines."""
    await make_machine(session, "Prusa MK4")
    laser = MachineEntry("Trotec", MachineKind.LASER_CUTTER, "", "", 30, 120, requires_training=True)
    typo = ConsumableEntry("PLA", "g", minimum_milli=500_000, machines=("Prusa MK4", "Prusa MK3"))
    inventory = Inventory(machines=(laser,), consumables=(typo,))

    with pytest.raises(InventoryRefused) as caught:
        await apply_inventory(session, inventory, now=NOW)

    missing = "no machine named 'Prusa MK3' in the file or the database"
    assert caught.value.problems == [UnknownMachine(("consumables", 0, "machines", 1), missing, "Prusa MK4")]
    assert str(caught.value) == f"consumables[0].machines[1]: {missing} (did you mean 'Prusa MK4'?)"
    pla = ConsumableEntry("PLA", "g", 500_000, 1_500_000, ("prusa mk4", "TROTEC"))
    report = await apply_inventory(session, replace(inventory, consumables=(pla,)), now=NOW)
    assert (report.created, report.consumables_created, report.not_in_file) == (
        ["Trotec"],
        ["PLA"],
        ["Prusa MK4"],
    )
    consumable = await session.scalar(select(Consumable).options(selectinload(Consumable.machines)))
    assert consumable is not None
    assert (consumable.quantity, sorted(m.name for m in consumable.machines)) == (
        Decimal("1500"),
        ["Prusa MK4", "Trotec"],
    )


# --- The update register ---

REGISTER = """\
machines:
  - {name: Poste CAO 1, kind: pc}
updates:
  - name: PrusaSlicer — Poste CAO 1
    machine: poste cao 1
    version: "2.8.1"
    check_every_days: 30
  - name: Firmware Fraiseuse
    machine: Fraiseuse CNC
    check_every_days: 90
"""
SLICER = "PrusaSlicer — Poste CAO 1"
FIRMWARE = "Firmware Fraiseuse"


async def checks_of(session: AsyncSession, name: str) -> list[UpdateCheck]:
    item = await item_named(session, name)
    rows = await session.scalars(
        select(UpdateCheck).where(UpdateCheck.item_id == item.id).order_by(UpdateCheck.id)
    )
    return list(rows)


async def test_update_items_are_created_checked_at_the_import(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_cnc(sessions)

    report = await import_text(sessions, REGISTER)

    assert report.updates_created == [SLICER, FIRMWARE]
    assert "Update register: 2 created." in report.summary()
    async with sessions() as session:
        slicer = await item_named(session, SLICER)
        pc = await machine_named(session, "Poste CAO 1")
        assert (
            slicer.machine_id,
            slicer.current_version,
            slicer.check_every_days,
            slicer.last_checked_at,
            slicer.created_at,
            slicer.snoozed_until,
            slicer.not_applicable,
            slicer.reminded_for,
        ) == (pc.id, "2.8.1", 30, NOW, NOW, None, False, None)
        assert slicer.due_at == NOW + timedelta(days=30)
        firmware = await item_named(session, FIRMWARE)
        cnc = await machine_named(session, "Fraiseuse CNC")
        assert (firmware.machine_id, firmware.current_version, firmware.check_every_days) == (cnc.id, "", 90)
        assert await session.scalar(select(func.count()).select_from(UpdateCheck)) == 0


async def test_importing_update_items_twice_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_cnc(sessions)
    await import_text(sessions, REGISTER)
    async with sessions() as session:
        before = await snapshot(session)

    report = await import_text(sessions, REGISTER, now=NOW + timedelta(days=10))

    async with sessions() as session:
        assert await snapshot(session) == before
    assert report.updates_unchanged == [SLICER, FIRMWARE] and not report.changed
    assert report.summary().startswith("Nothing to change: 1 machine and 2 update items already up to date.")


async def test_a_new_version_in_the_file_records_a_check_done(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_cnc(sessions)
    await import_text(sessions, REGISTER)
    later = NOW + timedelta(days=20)
    async with sessions.begin() as session:
        manager = await make_member(session, "Camille", manager=True)
        (await item_named(session, SLICER)).snoozed_until = NOW + timedelta(days=35)

    report = await import_text(sessions, REGISTER.replace('"2.8.1"', '"2.9.0"'), now=later)

    assert report.updates_updated == [SLICER] and report.updates_unchanged == [FIRMWARE]
    assert f"Update register: 1 updated ({SLICER}), 1 unchanged." in report.summary()
    async with sessions() as session:
        (check,) = await checks_of(session, SLICER)
        assert (check.action, check.member_id, check.version_before, check.version_after, check.at) == (
            CheckAction.DONE,
            None,
            "2.8.1",
            "2.9.0",
            later,
        )
        slicer = await item_named(session, SLICER)
        assert (slicer.current_version, slicer.last_checked_at, slicer.snoozed_until) == (
            "2.9.0",
            later,
            None,
        )
        assert slicer.due_at == later + timedelta(days=30)

    # A version the bot recorded since, then a file without versions: the versions are left alone.
    async with sessions.begin() as session:
        await mark_done(session, manager, (await item_named(session, SLICER)).id, "2.9.1", later)
    without_versions = REGISTER.replace('    version: "2.8.1"\n', "")
    report = await import_text(sessions, without_versions, now=later + timedelta(days=1))
    assert report.updates_unchanged == [SLICER, FIRMWARE]
    async with sessions() as session:
        assert (await item_named(session, SLICER)).current_version == "2.9.1"
        assert len(await checks_of(session, SLICER)) == 2


async def test_interval_and_machine_are_plain_updates(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_cnc(sessions)
    await import_text(sessions, REGISTER)
    edited = (
        REGISTER.replace("check_every_days: 30", "check_every_days: 60")
        .replace("    machine: Fraiseuse CNC\n", "")
        .replace("name: Firmware Fraiseuse", "name: FIRMWARE fraiseuse")
    )

    report = await import_text(sessions, edited, now=NOW + timedelta(days=3))

    assert report.updates_updated == [SLICER, "FIRMWARE fraiseuse"]
    async with sessions() as session:
        slicer = await item_named(session, SLICER)
        assert (slicer.check_every_days, slicer.last_checked_at, slicer.current_version) == (60, NOW, "2.8.1")
        assert (await item_named(session, "FIRMWARE fraiseuse")).machine_id is None
        assert await session.scalar(select(func.count()).select_from(UpdateCheck)) == 0


async def test_update_items_not_in_the_file_are_left_alone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_cnc(sessions)
    await import_text(sessions, REGISTER)

    report = await import_text(
        sessions, REGISTER.replace("  - name: Firmware Fraiseuse\n", "  - name: Autre\n")
    )

    assert report.updates_created == ["Autre"] and report.updates_not_in_file == [FIRMWARE]
    assert f"Update items not in the file, left as they are: {FIRMWARE}." in report.summary()
    async with sessions() as session:
        assert (await item_named(session, FIRMWARE)).check_every_days == 90


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("check_every_days: 30", None),
        ("check_every_days: 30, version: '  10.0   beta '", None),
        ("version: '1'", "[0].check_every_days: is required"),
        ("check_every_days: '30'", "[0].check_every_days: must be a positive whole number of days"),
        (
            "check_every_days: 3651",
            "[0].check_every_days: must be a positive whole number of days, at most 3650",
        ),
        ("check_every_days: 30, version: ''", "[0].version: must not be empty"),
        ("check_every_days: 30, version: 11", "[0].version: must be text, not 11 (put it in quotes)"),
        (
            f"check_every_days: 30, version: {'9' * 51}x",
            "[0].version: is too long (52 characters, at most 50)",
        ),
        ("check_every_days: 30, machine: ''", "[0].machine: must not be empty"),
        ("check_every_days: 30, machines: [a]", "[0].machines: unknown key (did you mean 'machine'?)"),
    ],
)
def test_each_kind_of_update_item_mistake_is_named(fields: str, expected: str | None) -> None:
    text = f"updates:\n  - {{name: PrusaSlicer, {fields}}}\n"
    if expected is None:
        (item,) = parse_inventory(text).updates
        assert item.version in (None, "10.0 beta")
        return
    problems = problems_of(text)
    assert any(p.startswith(f"line 2, updates{expected}") for p in problems), problems


def test_update_items_given_twice_are_refused() -> None:
    text = (
        "updates:\n  - {name: LightBurn, check_every_days: 90}\n  - {name: lightburn, check_every_days: 30}\n"
    )
    (problem,) = problems_of(text)
    assert problem == "line 3, updates[1].name: 'lightburn' is already the name on line 2, ignoring case"


async def test_the_example_file_imports_again_after_use(sessions: async_sessionmaker[AsyncSession]) -> None:
    await import_text(sessions, example_text())
    async with sessions.begin() as session:
        manager = await make_member(session, "Camille", manager=True)
        pla = await consumable_named(session, "PLA noir 1,75 mm")
        await move(session, manager, pla.id, Decimal(-500), MovementReason.CORRECTION, [], NOW)

    # The manager counted 3 000 g of black PLA and updated PrusaSlicer on one PC.
    edited = (
        example_text()
        .replace("quantity: 4000", "quantity: 3000", 1)
        .replace('machine: Poste CAO 2\n    version: "2.8.1"', 'machine: Poste CAO 2\n    version: "2.9.0"')
    )
    report = await import_text(sessions, edited, now=NOW + timedelta(days=7))

    assert report.consumables_updated == ["PLA noir 1,75 mm"]
    assert report.updates_updated == ["PrusaSlicer — Poste CAO 2"]
    assert report.unchanged == EXAMPLE_NAMES and not report.created
    assert report.summary().startswith(
        "Machines: 7 unchanged. Consumables: 1 updated (PLA noir 1,75 mm), 7 unchanged."
    )
    async with sessions() as session:
        movements = await movements_of(session, "PLA noir 1,75 mm")
        assert [(m.delta_milli, m.quantity_after_milli, m.reason) for m in movements] == [
            (4_000_000, 4_000_000, MovementReason.COUNT),
            (-500_000, 3_500_000, MovementReason.CORRECTION),
            (-500_000, 3_000_000, MovementReason.COUNT),
        ]
        (check,) = await checks_of(session, "PrusaSlicer — Poste CAO 2")
        assert (check.version_before, check.version_after) == ("2.8.1", "2.9.0")


async def test_checkin_minutes_come_from_the_file_and_are_kept_when_it_leaves_them_out(
    session: AsyncSession,
) -> None:
    await import_inventory(
        session, parse_inventory("machines:\n  - {name: Prusa, kind: 3d_printer, checkin_minutes: 15}\n")
    )
    assert (await machine_named(session, "Prusa")).checkin_minutes == 15
    await import_inventory(session, parse_inventory("machines:\n  - {name: Prusa, kind: 3d_printer}\n"))
    assert (await machine_named(session, "Prusa")).checkin_minutes == 15
    await import_inventory(
        session, parse_inventory("machines:\n  - {name: Prusa, kind: 3d_printer, checkin_minutes: 0}\n")
    )
    assert (await machine_named(session, "Prusa")).checkin_minutes == 0
    for bad in ("-5", "1441", "'soon'", "true"):
        with pytest.raises(InventoryError, match="checkin_minutes"):
            parse_inventory(f"machines:\n  - {{name: Prusa, kind: 3d_printer, checkin_minutes: {bad}}}\n")


async def test_unattended_runs_come_from_the_file_with_a_day_by_default(session: AsyncSession) -> None:
    line = "machines:\n  - {{name: Prusa XL, kind: 3d_printer, slot_minutes: 60{extra}}}\n"
    await import_inventory(session, parse_inventory(line.format(extra=", unattended: true")))
    printer = await machine_named(session, "Prusa XL")
    assert (printer.unattended_max_minutes, printer.max_booking_minutes) == (1440, 120)
    await import_inventory(session, parse_inventory(line.format(extra="")))  # left out: kept
    assert (await machine_named(session, "Prusa XL")).unattended_max_minutes == 1440
    extra = ", unattended: true, unattended_max_minutes: 600"
    await import_inventory(session, parse_inventory(line.format(extra=extra)))
    assert (await machine_named(session, "Prusa XL")).unattended_max_minutes == 600
    await import_inventory(session, parse_inventory(line.format(extra=", unattended: false")))
    assert (await machine_named(session, "Prusa XL")).unattended_max_minutes == 0
    for bad in (
        ", unattended: true, unattended_max_minutes: 90",  # not whole slots
        ", unattended: true, unattended_max_minutes: 1500",
        ", unattended_max_minutes: 600",  # without unattended: true
        ", unattended: 'yes'",
    ):
        with pytest.raises(InventoryError, match="unattended"):
            parse_inventory(line.format(extra=bad))


async def test_training_months_come_from_the_machine_or_its_kind_and_are_kept_when_the_file_leaves_them_out(
    session: AsyncSession,
) -> None:
    async def months(name: str) -> tuple[int | None, int | None]:
        machine = await machine_named(session, name)
        return machine.training_valid_months, machine.training_lapse_months

    await import_inventory(
        session,
        parse_inventory(
            "trainings:\n"
            "  laser_cutter: {valid_months: 24, lapse_months: 6}\n"
            "machines:\n"
            "  - {name: Trotec, kind: laser_cutter, requires_training: true}\n"
            "  - {name: Epilog, kind: laser_cutter, requires_training: true, training_valid_months: 12}\n"
            "  - {name: Shaper, kind: cnc, requires_training: true, training_lapse_months: 3}\n"
            "  - {name: Prusa, kind: 3d_printer}\n"
        ),
    )
    assert await months("Trotec") == (24, 6)
    assert await months("Epilog") == (12, 6)  # its own validity, its kind's lapse
    assert await months("Shaper") == (None, 3)
    assert await months("Prusa") == (None, None)
    # Left out (a manager changed them in the app meanwhile): kept. Null: never.
    await import_inventory(
        session,
        parse_inventory(
            "machines:\n"
            "  - {name: Trotec, kind: laser_cutter, requires_training: true}\n"
            "  - {name: Shaper, kind: cnc, requires_training: true, training_lapse_months: null}\n"
        ),
    )
    assert await months("Trotec") == (24, 6)
    assert await months("Shaper") == (None, None)
    for bad in ("0", "121", "'a year'", "true", "1.5"):
        with pytest.raises(InventoryError, match="training_valid_months"):
            parse_inventory(
                f"machines:\n  - {{name: Prusa, kind: 3d_printer, training_valid_months: {bad}}}\n"
            )
    with pytest.raises(InventoryError, match="valid_months"):
        parse_inventory("trainings:\n  laser_cutter: {valid_months: 0}\nmachines: []\n")
    with pytest.raises(InventoryError, match="lasers"):
        parse_inventory("trainings:\n  lasers: {valid_months: 12}\nmachines: []\n")
    with pytest.raises(InventoryError, match="expires"):
        parse_inventory("trainings:\n  cnc: {expires: 12}\nmachines: []\n")
