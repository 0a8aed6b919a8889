"""Bring the database in line with the lab's inventory: machines and their maintenance plans, opening
hours, closure days, consumables and the update register.

`apply_inventory` writes only what differs, by name, and checks every name against the database
before writing anything: one problem refuses the whole inventory. A stock quantity is never
overwritten: a different count is recorded as a stock movement. The inventory comes as plain typed
entries; reading it from a file (YAML, with its lines) is the job of the file's adapter
(bot/core/inventory_file.py).
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.audit import ChangeKind, ManagerChange
from models.base import utcnow
from models.machines import Machine, MachineKind, MachineStatus
from models.maintenance import MaintenancePlan
from models.opening import Closure, OpeningHours
from models.quotas import QuotaValues, set_values
from models.stock import Consumable, MovementReason, StockMovement
from models.updates import CheckAction, UpdateCheck, UpdateItem

# The note of the stock movements an import records (stock_movements.note).
IMPORT_NOTE = "inventory import"
# Where a value sits in an inventory, by section, index and field: ("consumables", 2, "machines", 0).
Loc = tuple[str | int, ...]
# Intervals of a day, in minutes after midnight: ((600, 720), (840, 1140)).
DayHours = Sequence[tuple[int, int]]


# --- The inventory: what the lab has, as the import takes it. ---


@dataclass(frozen=True)
class MaintenanceEntry:
    """One preventive task of a machine: every N days or every N hours of use (exactly one of them)."""

    task: str
    every_days: int | None
    every_hours: int | None
    active: bool = True


@dataclass(frozen=True)
class MachineEntry:
    """One machine, created or updated by name."""

    name: str
    kind: MachineKind
    location: str
    description: str
    slot_minutes: int
    max_booking_minutes: int  # a whole number of slots
    requires_training: bool
    # None keeps the status in the database: a machine a manager took out of service stays so.
    status: MachineStatus | None = None
    # None leaves the machine's plans alone; a tuple is all of them (the others are deactivated).
    maintenance: tuple[MaintenanceEntry, ...] | None = None
    # The optional fields the file names (of OPTIONAL_FIELDS); None: all of them. A machine in the
    # database keeps the others as they are (a manager changed them in the app): a new one gets the
    # values above, the file's defaults.
    named: frozenset[str] | None = None
    checkin_minutes: int = 0  # 0: no check-in asked (models/checkin.py)
    # The machine's own limits (models/quotas.py), all of them; None leaves them as they are.
    quotas: QuotaValues | None = None
    unattended_max_minutes: int = 0  # 0: bookings end by closing time (Machine.unattended_max_minutes)
    # Months a training on it is valid, and lasts without a booking of it (models/trainings.py); None: never.
    training_valid_months: int | None = None
    training_lapse_months: int | None = None

    def names(self, attribute: str) -> bool:
        return self.named is None or attribute in self.named


# What a machine's entry may leave out (name and kind it always gives).
OPTIONAL_FIELDS = (
    "location",
    "description",
    "slot_minutes",
    "max_booking_minutes",
    "requires_training",
    "checkin_minutes",
    "unattended_max_minutes",
    "training_valid_months",
    "training_lapse_months",
)
TRAINING_FIELDS = ("training_valid_months", "training_lapse_months")


@dataclass(frozen=True)
class ClosureEntry:
    """One day the lab is closed."""

    day: date
    reason: str = ""


@dataclass(frozen=True)
class ConsumableEntry:
    """One consumable, created or updated by name; amounts in thousandths of its unit."""

    name: str
    unit: str
    minimum_milli: int
    # The stock counted: the stock of a new consumable; for an existing one, a count recorded as a
    # movement when it differs. None leaves the stock alone (a new consumable starts at 0).
    quantity_milli: int | None = None
    # All the machines it feeds, by name: in the inventory or in the database.
    machines: tuple[str, ...] = ()
    supplier: str = ""
    reorder_url: str | None = None


@dataclass(frozen=True)
class UpdateEntry:
    """One item of the update register, created or updated by name: a software to check every N days."""

    name: str
    check_every_days: int
    machine: str | None = None  # by name: in the inventory or in the database
    # The version installed now; None leaves the recorded version alone.
    version: str | None = None


@dataclass(frozen=True)
class Inventory:
    """A whole inventory; a section left as None leaves that part of the database alone.

    Its reader has checked what the inventory alone shows: names unique in a section (and tasks
    in a machine) ignoring case, closure days given once, one interval per plan.
    """

    # By weekday (0 = Monday): all the week's hours, a day left out is closed.
    opening_hours: Mapping[int, DayHours] | None = None
    closures: tuple[ClosureEntry, ...] | None = None
    machines: tuple[MachineEntry, ...] | None = None
    # Created or updated by name; those in the database but not in the inventory are left alone.
    consumables: tuple[ConsumableEntry, ...] | None = None
    updates: tuple[UpdateEntry, ...] | None = None
    # The limits of each machine kind (models/quotas.py): all of them, a kind left out has none.
    kind_quotas: Mapping[MachineKind, QuotaValues] | None = None


# --- Refusals: what only the database shows, at its place in the inventory. ---


@dataclass(frozen=True)
class Problem:
    """Why the inventory cannot be applied, at `loc`."""

    loc: Loc
    message: str

    @property
    def text(self) -> str:
        return self.message


@dataclass(frozen=True)
class UnknownMachine(Problem):
    """A machine name neither the inventory nor the database has; `closest` is the nearest known one.

    A reader that knows the name's source may have a better hint than `closest` (a name cut short).
    """

    closest: str | None = None

    @property
    def text(self) -> str:
        return self.message + (f" (did you mean {self.closest!r}?)" if self.closest else "")


class InventoryRefused(Exception):
    """The inventory names what the database cannot take; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{place(problem.loc)}: {problem.text}" for problem in problems))


def place(loc: Loc) -> str:
    """machines[2].slot_minutes, from ('machines', 2, 'slot_minutes')."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


# --- Applying: compare first, then write only the differences. ---


@dataclass
class ImportReport:
    """What an import changed, by name (machine, consumable, update item), closure day and "machine: task"."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    opening_hours_changed: bool = False
    closures_added: list[date] = field(default_factory=list)
    closures_removed: list[date] = field(default_factory=list)
    closures_updated: list[date] = field(default_factory=list)  # same day, new reason
    not_in_file: list[str] = field(default_factory=list)  # machines left untouched (retired ones aside)
    # "file name → name given in the app": machines renamed in the app, found by their former name
    renamed_in_app: list[str] = field(default_factory=list)
    plans_created: list[str] = field(default_factory=list)
    plans_updated: list[str] = field(default_factory=list)
    plans_deactivated: list[str] = field(default_factory=list)  # on the machine, not in its list
    consumables_created: list[str] = field(default_factory=list)
    consumables_updated: list[str] = field(default_factory=list)  # a count in the file is a movement
    consumables_unchanged: list[str] = field(default_factory=list)
    consumables_not_in_file: list[str] = field(default_factory=list)  # active ones, left untouched
    updates_created: list[str] = field(default_factory=list)
    updates_updated: list[str] = field(default_factory=list)  # a new version is a check done
    updates_unchanged: list[str] = field(default_factory=list)
    updates_not_in_file: list[str] = field(default_factory=list)
    kind_quotas_changed: list[str] = field(default_factory=list)  # the kinds whose limits changed
    # Of those, the kinds a manager had set limits for in the app: the file's values replace them.
    kind_quotas_set_in_app: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.updated
            or self.kind_quotas_changed
            or self.opening_hours_changed
            or self.closures_added
            or self.closures_removed
            or self.closures_updated
            or self.plans_created
            or self.plans_updated
            or self.plans_deactivated
            or self.consumables_created
            or self.consumables_updated
            or self.updates_created
            or self.updates_updated
        )

    def summary(self) -> str:
        """One short paragraph for the command line."""
        sentences: list[str] = []
        up_to_date = [
            _plural(len(names), noun)
            for names, noun in (
                (self.unchanged, "machine"),
                (self.consumables_unchanged, "consumable"),
                (self.updates_unchanged, "update item"),
            )
            if names
        ]
        if not self.changed and up_to_date:
            listed = (
                ", ".join(up_to_date[:-1]) + " and " + up_to_date[-1]
                if len(up_to_date) > 1
                else up_to_date[0]
            )
            sentences.append(f"Nothing to change: {listed} already up to date.")
        elif not self.changed:
            sentences.append("Nothing to change.")
        else:
            machines = []
            if self.created:
                created = _plural(len(self.created), "machine")
                machines.append(f"created {created} ({', '.join(self.created)})")
            if self.updated:
                machines.append(f"updated {len(self.updated)} ({', '.join(self.updated)})")
            if self.unchanged:
                machines.append(f"{len(self.unchanged)} unchanged")
            if machines:
                text = "; ".join(machines)
                sentences.append(f"Machines: {text}.")
            if self.opening_hours_changed:
                sentences.append("Opening hours replaced.")
            if self.kind_quotas_changed:
                sentences.append(f"Limits of the kinds changed: {', '.join(self.kind_quotas_changed)}.")
            if self.kind_quotas_set_in_app:
                sentences.append(
                    "The file's limits replace those set in the app for: "
                    + ", ".join(self.kind_quotas_set_in_app)
                    + "."
                )
            days = [
                f"{len(items)} {verb}"
                for items, verb in (
                    (self.closures_added, "added"),
                    (self.closures_removed, "removed"),
                    (self.closures_updated, "with a new reason"),
                )
                if items
            ]
            if days:
                sentences.append(f"Closure days: {', '.join(days)}.")
            # Created plans are counted; the few updated or deactivated ones are worth naming.
            plans = [
                f"{len(items)} {verb}" + (f" ({'; '.join(items)})" if named else "")
                for items, verb, named in (
                    (self.plans_created, "created", False),
                    (self.plans_updated, "updated", True),
                    (self.plans_deactivated, "deactivated", True),
                )
                if items
            ]
            if plans:
                sentences.append(f"Maintenance plans: {', '.join(plans)}.")
            # Created ones are counted; the few updated ones are worth naming, as for plans.
            for title, (new, edited, same) in (
                (
                    "Consumables",
                    (self.consumables_created, self.consumables_updated, self.consumables_unchanged),
                ),
                ("Update register", (self.updates_created, self.updates_updated, self.updates_unchanged)),
            ):
                counts = [
                    f"{len(items)} {verb}" + (f" ({', '.join(items)})" if named else "")
                    for items, verb, named in (
                        (new, "created", False),
                        (edited, "updated", True),
                        (same, "unchanged", False),
                    )
                    if items
                ]
                if new or edited:
                    sentences.append(f"{title}: {', '.join(counts)}.")
        if self.renamed_in_app:
            sentences.append(
                "Renamed in the app, kept under their new name: " + ", ".join(self.renamed_in_app) + "."
            )
        for label, names in (
            ("Not in the file", self.not_in_file),
            ("Consumables not in the file", self.consumables_not_in_file),
            ("Update items not in the file", self.updates_not_in_file),
        ):
            if names:
                sentences.append(f"{label}, left as they are: {', '.join(names)}.")
        return " ".join(sentences)


async def apply_inventory(
    session: AsyncSession, inventory: Inventory, *, now: datetime | None = None
) -> ImportReport:
    """Create or update machines, consumables and update items by name, replace the sections the
    inventory gives; never commit.

    `now` starts the clock of new maintenance plans and update items, and dates the stock movements
    and update checks the import records (default: the current time). Every name is looked up in
    the database before anything is written: one problem refuses the whole inventory
    (InventoryRefused, listing them all).
    """
    now = now if now is not None else utcnow()
    report = ImportReport()
    problems: list[Problem] = []
    entries = inventory.machines or ()
    consumables = inventory.consumables or ()
    updates = inventory.updates or ()
    existing = list(await session.scalars(select(Machine).order_by(Machine.id)))
    matches = _match_by_name(existing, [entry.name for entry in entries], "machines", problems)
    renamed = await _follow_renames(session, existing, entries, matches)
    plan_matches = await _match_plans(session, entries, matches, problems)
    find_machine = _machine_finder(entries, existing, problems)
    feeds = [
        [
            find_machine(("consumables", index, "machines", number), name)
            for number, name in enumerate(c.machines)
        ]
        for index, c in enumerate(consumables)
    ]
    runs_on = [
        None if item.machine is None else find_machine(("updates", index, "machine"), item.machine)
        for index, item in enumerate(updates)
    ]
    stock: list[Consumable] = []
    if inventory.consumables is not None:
        query = select(Consumable).options(selectinload(Consumable.machines)).order_by(Consumable.id)
        stock = list(await session.scalars(query))
    stock_matches = _match_by_name(stock, [c.name for c in consumables], "consumables", problems)
    register: list[UpdateItem] = []
    if inventory.updates is not None:
        register = list(await session.scalars(select(UpdateItem).order_by(UpdateItem.id)))
    register_matches = _match_by_name(register, [u.name for u in updates], "updates", problems)
    for index, (wanted, held) in enumerate(zip(consumables, stock_matches, strict=True)):
        if held is not None and held.unit != wanted.unit and wanted.quantity_milli is None:
            # The stock is a number of units: read in a new unit it would be a different stock.
            problems.append(
                Problem(
                    ("consumables", index, "unit"),
                    f"changing the unit from {held.unit!r} to {wanted.unit!r} needs a quantity: "
                    "counted in the new unit",
                )
            )
    for index, (entry, held_machine) in enumerate(zip(entries, matches, strict=True)):
        if held_machine is not None:
            slot, longest = _booking_grid(held_machine, entry)
            if longest < slot or longest % slot:
                problems.append(
                    Problem(
                        ("machines", index, "max_booking_minutes"),
                        f"must be a multiple of the machine's slot_minutes ({slot}), not {longest}",
                    )
                )
            unattended = _unattended(held_machine, entry)
            if unattended % slot:
                problems.append(
                    Problem(
                        ("machines", index, "unattended_max_minutes"),
                        f"must be a multiple of the machine's slot_minutes ({slot}), not {unattended}",
                    )
                )
    if problems:
        raise InventoryRefused(problems)
    # Every check is done above; from here on nothing can be refused, so nothing is half written.
    machines: list[Machine] = []
    for entry, machine in zip(entries, matches, strict=True):
        if machine is None:
            machine = Machine(
                name=entry.name,
                kind=entry.kind,
                location=entry.location,
                description=entry.description,
                status=entry.status or MachineStatus.AVAILABLE,
                slot_minutes=entry.slot_minutes,
                max_booking_minutes=entry.max_booking_minutes,
                requires_training=entry.requires_training,
                checkin_minutes=entry.checkin_minutes,
                unattended_max_minutes=entry.unattended_max_minutes,
                training_valid_months=entry.training_valid_months,
                training_lapse_months=entry.training_lapse_months,
            )
            session.add(machine)
            report.created.append(entry.name)
        elif _update_machine(machine, entry, keep_name=machine in renamed):
            report.updated.append(entry.name)
        else:
            report.unchanged.append(entry.name)
        if machine in renamed:
            report.renamed_in_app.append(f"{entry.name} → {machine.name}")
        machines.append(machine)
    if plan_matches or consumables or updates or any(entry.quotas is not None for entry in entries):
        await session.flush()  # new plans, machine links and update items need their machine's id

    def machine_of(ref: MachineRef | None) -> Machine:
        assert ref is not None  # unknown names were refused above
        return machines[ref] if isinstance(ref, int) else ref

    for index, (planned, unlisted) in plan_matches.items():
        _apply_plans(session, entries[index], machines[index], planned, unlisted, now, report)
    await _apply_quotas(session, inventory, entries, machines, report)
    if inventory.machines is not None:
        # Worth a word only when the inventory lists machines: a forgotten one may have been meant.
        matched = {id(machine) for machine in matches if machine is not None}
        report.not_in_file = [
            m.name for m in existing if id(m) not in matched and m.status is not MachineStatus.RETIRED
        ]
    if inventory.opening_hours is not None:
        report.opening_hours_changed = await _replace_hours(session, inventory.opening_hours)
    if inventory.closures is not None:
        await _replace_closures(session, inventory.closures, report)
    fed = [[machine_of(ref) for ref in refs] for refs in feeds]
    await _apply_consumables(session, consumables, stock_matches, fed, now, report)
    machine_ids = [None if ref is None else machine_of(ref).id for ref in runs_on]
    _apply_update_items(session, updates, register_matches, machine_ids, now, report)
    for section, rows, row_matches, names in (
        (inventory.consumables, stock, stock_matches, report.consumables_not_in_file),
        (inventory.updates, register, register_matches, report.updates_not_in_file),
    ):
        if section is not None:
            listed = {id(row) for row in row_matches if row is not None}
            names.extend(row.name for row in rows if id(row) not in listed and _in_use(row))
    await session.flush()
    return report


_Named = TypeVar("_Named", Machine, Consumable, UpdateItem)
# A machine a consumable or an update item names: one of the inventory (its index), or one in the database.
MachineRef = int | Machine


def _match_by_name(
    existing: list[_Named], names: list[str], section: str, problems: list[Problem]
) -> list[_Named | None]:
    """The row each name updates (None: create it): the same name, else the same name ignoring case."""
    exact = {row.name: row for row in existing}
    folded: dict[str, list[_Named]] = {}
    for row in existing:
        folded.setdefault(row.name.strip().casefold(), []).append(row)
    matches: list[_Named | None] = []
    for index, name in enumerate(names):
        candidates = [exact[name]] if name in exact else folded.get(name.casefold(), [])
        if len(candidates) > 1:
            listed = ", ".join(repr(row.name) for row in candidates)
            problems.append(
                Problem((section, index, "name"), f"{name!r} could be any of {listed} in the database")
            )
        matches.append(candidates[0] if candidates else None)
    return matches


async def _follow_renames(
    session: AsyncSession,
    existing: list[Machine],
    entries: Sequence[MachineEntry],
    matches: list[Machine | None],
) -> set[Machine]:
    """Match the file's names no machine has to the machines renamed from them in the app; return those.

    A manager who renames "Prusa" to "Prusa #1" in the app has not edited the file: the next import
    of it updates "Prusa #1" (keeping the app's name) rather than creating a second "Prusa". The
    latest rename from a name wins; a machine matched by its present name is not taken twice.
    """
    if all(match is not None for match in matches):
        return set()
    by_id = {machine.id: machine for machine in existing}
    former: dict[str, Machine] = {}
    changes = await session.scalars(
        select(ManagerChange)
        .where(ManagerChange.what == ChangeKind.MACHINE)
        .order_by(ManagerChange.at, ManagerChange.id)
    )
    for change in changes:
        name = change.details.get("former_name")
        if isinstance(name, str) and change.target_id in by_id:
            former[name.strip().casefold()] = by_id[change.target_id]
    taken = {id(match) for match in matches if match is not None}
    followed: set[Machine] = set()
    for index, entry in enumerate(entries):
        machine = former.get(entry.name.strip().casefold())
        if matches[index] is None and machine is not None and id(machine) not in taken:
            matches[index] = machine
            taken.add(id(machine))
            followed.add(machine)
    return followed


def _machine_finder(
    entries: tuple[MachineEntry, ...], existing: list[Machine], problems: list[Problem]
) -> Callable[[Loc, str], MachineRef | None]:
    """Look machine names up in the inventory, then in the database (ignoring case); record unknown ones."""
    in_file = {entry.name.casefold(): index for index, entry in enumerate(entries)}
    exact = {machine.name: machine for machine in existing}
    folded: dict[str, list[Machine]] = {}
    for machine in existing:
        folded.setdefault(machine.name.strip().casefold(), []).append(machine)
    known = list(dict.fromkeys([entry.name for entry in entries] + [m.name for m in existing]))

    def find(loc: Loc, name: str) -> MachineRef | None:
        if (index := in_file.get(name.casefold())) is not None:
            return index
        candidates = [exact[name]] if name in exact else folded.get(name.casefold(), [])
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            listed = ", ".join(repr(machine.name) for machine in candidates)
            problems.append(Problem(loc, f"{name!r} could be any of {listed} in the database"))
            return None
        close = difflib.get_close_matches(name, known, n=1)
        message = f"no machine named {name!r} in the file or the database"
        problems.append(UnknownMachine(loc, message, close[0] if close else None))
        return None

    return find


def _in_use(row: Consumable | UpdateItem) -> bool:
    return row.active if isinstance(row, Consumable) else not row.not_applicable


async def _apply_consumables(
    session: AsyncSession,
    entries: tuple[ConsumableEntry, ...],
    matches: list[Consumable | None],
    feeds: list[list[Machine]],
    now: datetime,
    report: ImportReport,
) -> None:
    """Create or update consumables; a stock that differs from the file's count changes by a movement."""
    opening: list[tuple[Consumable, int]] = []  # new consumables and their stock: a movement needs an id
    for entry, consumable, machines in zip(entries, matches, feeds, strict=True):
        counted = entry.quantity_milli
        if consumable is None:
            consumable = Consumable(
                name=entry.name,
                unit=entry.unit,
                quantity_milli=0,
                minimum_milli=entry.minimum_milli,
                supplier=entry.supplier,
                reorder_url=entry.reorder_url,
                low_alert_at=None,
                active=True,
                created_at=now,
                machines=machines,
            )
            session.add(consumable)
            if counted:
                opening.append((consumable, counted))
            report.consumables_created.append(entry.name)
            continue
        changed = _update_consumable(consumable, entry, machines)
        if counted is not None and counted != consumable.quantity_milli:
            _record_count(session, consumable, counted, now)
            changed = True
        # No alert from an import (the next movement sends it); a stock no longer low re-arms it.
        if consumable.low_alert_at is not None and not consumable.low:
            consumable.low_alert_at = None
            changed = True
        (report.consumables_updated if changed else report.consumables_unchanged).append(entry.name)
    if opening:
        await session.flush()
    for consumable, counted in opening:
        _record_count(session, consumable, counted, now)


def _update_consumable(consumable: Consumable, entry: ConsumableEntry, machines: list[Machine]) -> bool:
    """Set the fields and machine links that differ, never the quantity; return whether any did."""
    changed = False
    for attribute, value in (
        ("name", entry.name),
        ("unit", entry.unit),
        ("minimum_milli", entry.minimum_milli),
        ("supplier", entry.supplier),
        ("reorder_url", entry.reorder_url),
    ):
        if getattr(consumable, attribute) != value:
            setattr(consumable, attribute, value)
            changed = True
    if {machine.id for machine in consumable.machines} != {machine.id for machine in machines}:
        consumable.machines = machines
        changed = True
    return changed


def _record_count(session: AsyncSession, consumable: Consumable, counted_milli: int, now: datetime) -> None:
    """Bring the stock to the count the file gives, through the movement that records the difference."""
    delta_milli = counted_milli - consumable.quantity_milli
    consumable.quantity_milli = counted_milli
    session.add(
        StockMovement(
            consumable_id=consumable.id,
            delta_milli=delta_milli,
            quantity_after_milli=counted_milli,
            reason=MovementReason.COUNT,
            member_id=None,
            booking_id=None,
            note=IMPORT_NOTE,
            at=now,
        )
    )


def _apply_update_items(
    session: AsyncSession,
    entries: tuple[UpdateEntry, ...],
    matches: list[UpdateItem | None],
    machine_ids: list[int | None],
    now: datetime,
    report: ImportReport,
) -> None:
    """Create or update the register's items; a new version in the file is recorded as a check done."""
    for entry, item, machine_id in zip(entries, matches, machine_ids, strict=True):
        if item is None:
            session.add(
                UpdateItem(
                    name=entry.name,
                    machine_id=machine_id,
                    current_version=entry.version or "",
                    check_every_days=entry.check_every_days,
                    last_checked_at=now,
                    snoozed_until=None,
                    not_applicable=False,
                    reminded_for=None,
                    created_at=now,
                )
            )
            report.updates_created.append(entry.name)
            continue
        changed = False
        for attribute, value in (
            ("name", entry.name),
            ("machine_id", machine_id),
            ("check_every_days", entry.check_every_days),
        ):
            if getattr(item, attribute) != value:
                setattr(item, attribute, value)
                changed = True
        if entry.version is not None and entry.version != item.current_version:
            session.add(
                UpdateCheck(
                    item_id=item.id,
                    at=now,
                    member_id=None,
                    action=CheckAction.DONE,
                    version_before=item.current_version,
                    version_after=entry.version,
                )
            )
            # As when a manager marks it done with this version: the check's clock starts again.
            item.current_version = entry.version
            item.last_checked_at, item.snoozed_until, item.reminded_for = now, None, None
            item.not_applicable = False
            changed = True
        (report.updates_updated if changed else report.updates_unchanged).append(entry.name)


PlanMatch = tuple[list[MaintenancePlan | None], list[MaintenancePlan]]


async def _match_plans(
    session: AsyncSession,
    entries: tuple[MachineEntry, ...],
    machines: list[Machine | None],
    problems: list[Problem],
) -> dict[int, PlanMatch]:
    """By machine entry with a maintenance list: the plan each item updates (None: create it), and the rest.

    A plan matches the same task, else the same task ignoring case; several candidates are refused.
    """
    listed = [
        (i, e, m) for i, (e, m) in enumerate(zip(entries, machines, strict=True)) if e.maintenance is not None
    ]
    ids = [machine.id for _, _, machine in listed if machine is not None]
    by_machine: dict[int, list[MaintenancePlan]] = {}
    if ids:
        rows = await session.scalars(
            select(MaintenancePlan).where(MaintenancePlan.machine_id.in_(ids)).order_by(MaintenancePlan.id)
        )
        for plan in rows:
            by_machine.setdefault(plan.machine_id, []).append(plan)
    result: dict[int, PlanMatch] = {}
    for index, entry, machine in listed:
        existing = by_machine.get(machine.id, []) if machine is not None else []
        exact = {plan.task: plan for plan in existing}
        folded: dict[str, list[MaintenancePlan]] = {}
        for plan in existing:
            folded.setdefault(plan.task.strip().casefold(), []).append(plan)
        planned: list[MaintenancePlan | None] = []
        for number, item in enumerate(entry.maintenance or ()):
            candidates = [exact[item.task]] if item.task in exact else folded.get(item.task.casefold(), [])
            if len(candidates) > 1:
                tasks = ", ".join(repr(plan.task) for plan in candidates)
                loc: Loc = ("machines", index, "maintenance", number, "task")
                problems.append(Problem(loc, f"{item.task!r} could be any of {tasks} in the database"))
            planned.append(candidates[0] if candidates else None)
        kept = {id(plan) for plan in planned if plan is not None}
        result[index] = (planned, [plan for plan in existing if id(plan) not in kept])
    return result


def _apply_plans(
    session: AsyncSession,
    entry: MachineEntry,
    machine: Machine,
    planned: list[MaintenancePlan | None],
    unlisted: list[MaintenancePlan],
    now: datetime,
    report: ImportReport,
) -> None:
    """Create or update the machine's listed plans and deactivate the others (their tickets keep them)."""
    for item, plan in zip(entry.maintenance or (), planned, strict=True):
        label = f"{entry.name}: {item.task}"
        if plan is None:
            session.add(
                MaintenancePlan(
                    machine_id=machine.id,
                    task=item.task,
                    every_days=item.every_days,
                    every_hours=item.every_hours,
                    active=item.active,
                    clock_started_at=now,
                )
            )
            report.plans_created.append(label)
        elif _update_plan(plan, item):
            report.plans_updated.append(label)
    for plan in unlisted:
        if plan.active:
            plan.active = False
            report.plans_deactivated.append(f"{entry.name}: {plan.task}")


def _update_plan(plan: MaintenancePlan, item: MaintenanceEntry) -> bool:
    """Set the fields that differ, keeping the plan's clock running; return whether any did."""
    changed = False
    for attribute, value in (
        ("task", item.task),
        ("every_days", item.every_days),
        ("every_hours", item.every_hours),
        ("active", item.active),
    ):
        if getattr(plan, attribute) != value:
            setattr(plan, attribute, value)
            changed = True
    return changed


def _booking_grid(machine: Machine, entry: MachineEntry) -> tuple[int, int]:
    """The machine's slot and longest booking once the entry is applied: a longest booking the file
    does not name stays, if it still is whole slots (else the file's default for its slot)."""
    slot = entry.slot_minutes if entry.names("slot_minutes") else machine.slot_minutes
    if entry.names("max_booking_minutes"):
        return slot, entry.max_booking_minutes
    kept = machine.max_booking_minutes
    if slot <= kept and kept % slot == 0:
        return slot, kept
    return slot, entry.max_booking_minutes if entry.names("slot_minutes") else slot


async def _apply_quotas(
    session: AsyncSession,
    inventory: Inventory,
    entries: Sequence[MachineEntry],
    machines: Sequence[Machine],
    report: ImportReport,
) -> None:
    """Set the limits the inventory gives: a machine's own, and every kind's (a kind left out has none).

    A kind's limits set by a manager in the app are replaced when the file has a `quotas:` section
    (the file wins, as for the machine fields it names); the report says which were."""
    for entry, machine in zip(entries, machines, strict=True):
        changed = entry.quotas is not None and await set_values(session, entry.quotas, machine_id=machine.id)
        if changed and entry.name in report.unchanged:
            report.unchanged.remove(entry.name)
            report.updated.append(entry.name)
    if inventory.kind_quotas is not None:
        for kind in MachineKind:
            values = inventory.kind_quotas.get(kind, QuotaValues())
            if await set_values(session, values, kind=kind):
                report.kind_quotas_changed.append(kind.value)
        if report.kind_quotas_changed:
            set_in_app = await session.scalars(
                select(ManagerChange.details).where(ManagerChange.what == ChangeKind.KIND_LIMITS)
            )
            kinds = {details.get("kind") for details in set_in_app}
            report.kind_quotas_set_in_app = [kind for kind in report.kind_quotas_changed if kind in kinds]


def _unattended(machine: Machine, entry: MachineEntry) -> int:
    """The machine's unattended maximum once the entry is applied (kept when the file does not name it)."""
    return (
        entry.unattended_max_minutes
        if entry.names("unattended_max_minutes")
        else machine.unattended_max_minutes
    )


def _update_machine(machine: Machine, entry: MachineEntry, *, keep_name: bool = False) -> bool:
    """Set the fields the entry names that differ; return whether any did. `keep_name`: the
    machine was renamed in the app since the file was written, and keeps the app's name."""
    slot, longest = _booking_grid(machine, entry)
    wanted: dict[str, object] = {"kind": entry.kind}
    if not keep_name:
        wanted["name"] = entry.name
    for attribute in (
        "location",
        "description",
        "requires_training",
        "checkin_minutes",
        "unattended_max_minutes",
        *TRAINING_FIELDS,
    ):
        if entry.names(attribute):
            wanted[attribute] = getattr(entry, attribute)
    wanted["slot_minutes"], wanted["max_booking_minutes"] = slot, longest
    if entry.status is not None:
        wanted["status"] = entry.status
    changed = False
    for attribute, value in wanted.items():
        if getattr(machine, attribute) != value:
            setattr(machine, attribute, value)
            changed = True
    return changed


async def _replace_hours(session: AsyncSession, hours: Mapping[int, DayHours]) -> bool:
    """Make the weekly hours exactly these, keeping rows that already match; return whether any changed."""
    missing = Counter((day, opens, closes) for day, intervals in hours.items() for opens, closes in intervals)
    changed = False
    for row in await session.scalars(select(OpeningHours).order_by(OpeningHours.id)):
        key = (row.weekday, row.opens_minute, row.closes_minute)
        if missing[key] > 0:
            missing[key] -= 1
        else:
            await session.delete(row)
            changed = True
    for (day, opens, closes), count in sorted(missing.items()):
        for _ in range(count):
            session.add(OpeningHours(weekday=day, opens_minute=opens, closes_minute=closes))
            changed = True
    return changed


async def _replace_closures(
    session: AsyncSession, closures: tuple[ClosureEntry, ...], report: ImportReport
) -> None:
    """Make the closure days exactly these, recording what was added, removed or reworded."""
    wanted = {closure.day: closure.reason for closure in closures}
    for row in await session.scalars(select(Closure).order_by(Closure.day)):
        if row.day not in wanted:
            await session.delete(row)
            report.closures_removed.append(row.day)
        else:
            if row.reason != wanted[row.day]:
                row.reason = wanted[row.day]
                report.closures_updated.append(row.day)
            del wanted[row.day]
    for day, reason in sorted(wanted.items()):
        session.add(Closure(day=day, reason=reason))
        report.closures_added.append(day)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
