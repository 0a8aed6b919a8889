"""Quotas in the inventory file: a machine's own, each kind's, read with their lines when wrong,
applied by name and left alone when the file does not say them."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.inventory_file import InventoryError, import_inventory, parse_inventory
from models import quotas
from models.machines import MachineKind
from models.quotas import QuotaValues
from tests.factories import make_machine

FILE = """\
quotas:
  3d_printer: {max_hours_per_week: 8, max_upcoming_bookings: 3}
machines:
  - name: Prusa MK4
    kind: 3d_printer
    quotas:
      max_hours_per_day: 1.5
      min_notice_minutes: 120
      cancel_deadline_minutes: 1440
  - name: Bambu X1
    kind: 3d_printer
"""


async def test_the_file_sets_a_machines_limits_and_its_kinds(session: AsyncSession) -> None:
    report = await import_inventory(session, parse_inventory(FILE))
    assert report.kind_quotas_changed == ["3d_printer"]
    prusa = await quotas.values_of(session, machine_id=1)
    assert prusa == QuotaValues(max_minutes_per_day=90, notice_minutes=120, cancel_deadline_minutes=1440)
    assert await quotas.kind_values(session) == {
        MachineKind.PRINTER_3D: QuotaValues(max_minutes_per_week=480, max_upcoming=3)
    }
    again = await import_inventory(session, parse_inventory(FILE))
    assert not again.changed  # twice changes nothing


async def test_a_file_without_quotas_leaves_them_and_a_kind_left_out_has_none(session: AsyncSession) -> None:
    machine = await make_machine(session, "Prusa MK4")
    await quotas.set_values(session, QuotaValues(max_upcoming=2), machine_id=machine.id)
    await quotas.set_values(session, QuotaValues(max_upcoming=5), kind=MachineKind.LASER_CUTTER)
    await import_inventory(session, parse_inventory("machines:\n  - {name: Prusa MK4, kind: 3d_printer}\n"))
    assert await quotas.values_of(session, machine_id=machine.id) == QuotaValues(max_upcoming=2)
    assert MachineKind.LASER_CUTTER in await quotas.kind_values(session)
    await import_inventory(session, parse_inventory("quotas: {3d_printer: {max_hours_per_day: 2}}\n"))
    assert await quotas.kind_values(session) == {MachineKind.PRINTER_3D: QuotaValues(max_minutes_per_day=120)}
    await import_inventory(
        session, parse_inventory("machines:\n  - {name: Prusa MK4, kind: 3d_printer, quotas: {}}\n")
    )
    assert await quotas.values_of(session, machine_id=machine.id) == QuotaValues()


def test_wrong_limits_are_refused_with_their_line() -> None:
    text = (
        FILE.replace("max_hours_per_day: 1.5", "max_hours_per_day: -1").replace(
            "max_upcoming_bookings: 3", "max_upcoming_booking: 3"
        )
        + "  - {name: Laser, kind: laser_cutter, quotas: {min_notice_minutes: 1.5}}\n"
    )
    with pytest.raises(InventoryError) as refused:
        parse_inventory(text, "inventory.yaml")
    problems = "\n".join(refused.value.problems)
    assert (
        "line 2, quotas.3d_printer.max_upcoming_booking: unknown key (did you mean 'max_upcoming_bookings'?)"
        in problems
    )
    assert "line 7, machines[0].quotas.max_hours_per_day: must be a number of hours above 0" in problems
    assert (
        "line 12, machines[2].quotas.min_notice_minutes: must be a positive whole number of minutes"
        in problems
    )
