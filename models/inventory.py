"""Import the lab's inventory from YAML: machines and their maintenance plans, opening hours, closure
days, consumables and the update register.

`parse_inventory` checks the whole file and reports every problem at once with its line;
`apply_inventory` then brings the database in line with it, writing only what differs. A stock
quantity is never overwritten: a different count in the file is recorded as a stock movement.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from models.base import utcnow
from models.machines import Machine, MachineKind, MachineStatus
from models.maintenance import MaintenancePlan
from models.opening import MINUTES_PER_DAY, Closure, OpeningHours
from models.stock import (
    MAX_QUANTITY,
    BadQuantity,
    Consumable,
    MovementReason,
    StockMovement,
    parse_quantity,
    to_milli,
)
from models.updates import MAX_VERSION, CheckAction, UpdateCheck, UpdateItem

MAX_TEXT_BYTES = 1_000_000
MAX_MACHINES = 500
MAX_CLOSURES = 1000
MAX_CONSUMABLES = 1000
MAX_UPDATE_ITEMS = 1000
MAX_INTERVALS_PER_DAY = 12
# Aliases let a small file expand into a huge structure; this bounds the work whatever the file does.
MAX_YAML_NODES = 100_000

NAME_MAX = 100
LOCATION_MAX = 100
DESCRIPTION_MAX = 2000
REASON_MAX = 200
TASK_MAX = 200  # maintenance_plans.task is VARCHAR(200)
MAX_PLANS_PER_MACHINE = 50
MAX_EVERY_DAYS = 3650
MAX_EVERY_HOURS = 100_000
UNIT_MAX = 16  # consumables.unit is VARCHAR(16)
SUPPLIER_MAX = 100
URL_MAX = 500
DEFAULT_SLOT_MINUTES = 30
DEFAULT_MAX_BOOKING_MINUTES = 120

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAY_NUMBERS = {name: number for names in (WEEKDAYS, WEEKDAYS_FR) for number, name in enumerate(names)}

_TIME_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Wider than parse_quantity's pattern, so a near miss gets a precise message before it decides.
_AMOUNT = re.compile(r"^\s*([+-]?)\s*(\d+)(?:[.,](\d+))?\s*$")
# The note of the stock movements an import records (stock_movements.note).
IMPORT_NOTE = "inventory import"
# Validation context flag: parse_inventory has reported the whole-file checks already, with their lines.
_CROSS_CHECKED = "cross_checked"
_E = TypeVar("_E", MachineKind, MachineStatus)
# Where a value sits in the file: ("consumables", 2, "machines", 0), as pydantic reports it.
Loc = tuple[str | int, ...]


class InventoryError(Exception):
    """The inventory file cannot be imported; `problems` lists each reason, with its line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        count = _plural(len(problems), "problem")
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{source}: {count}, nothing was imported:\n{lines}")


# --- Field validators: each raises one readable message, so errors need no rewording later. ---


def _problem(message: str, kind: str = "inventory") -> PydanticCustomError:
    # The message travels as context, not as the template, so braces in user input stay literal.
    return PydanticCustomError(kind, "{message}", {"message": message})


def _shown(value: object) -> str:
    """Quote a user value for a message, cut short."""
    text = value if isinstance(value, str) else repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return repr(text) if isinstance(value, str) else text


def _text(max_length: int, *, required: bool = False, one_line: bool = True) -> Callable[[object], str]:
    def validate(value: object) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise _problem(f"must be text, not {_shown(value)} (put it in quotes)")
        value = value.strip()
        if required and not value:
            raise _problem("must not be empty")
        if len(value) > max_length:
            raise _problem(f"is too long ({len(value)} characters, at most {max_length})")
        if one_line and _CONTROL.search(value):
            raise _problem("must be a single line of text")
        return value

    return validate


def _minutes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MINUTES_PER_DAY:
        raise _problem(
            f"must be a positive number of minutes, at most {MINUTES_PER_DAY} (24 hours), not {_shown(value)}"
        )
    return value


def _count(unit: str, maximum: int) -> Callable[[object], int]:
    def validate(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
            raise _problem(
                f"must be a positive whole number of {unit}, at most {maximum}, not {_shown(value)}"
            )
        return value

    return validate


def _choice(enum_cls: type[_E]) -> Callable[[object], _E]:
    def validate(value: object) -> _E:
        allowed = ", ".join(member.value for member in enum_cls)
        if isinstance(value, str):
            try:
                return enum_cls(value.strip().lower())
            except ValueError:
                pass
        raise _problem(f"unknown value {_shown(value)}; expected one of: {allowed}")

    return validate


def _weekday(value: object) -> int:
    if isinstance(value, str) and (number := WEEKDAY_NUMBERS.get(value.strip().lower())) is not None:
        return number
    hint = ""
    if isinstance(value, str) and (close := difflib.get_close_matches(value.lower(), WEEKDAY_NUMBERS, n=1)):
        hint = f" (did you mean {close[0]!r}?)"
    raise _problem(f"unknown weekday {_shown(value)}{hint}; use monday..sunday or lundi..dimanche")


def _clock(hours: str, minutes: str) -> int | None:
    """Minutes after midnight for HH:MM, or None if it is no time of day (24:00 is the end of the day)."""
    h, m = int(hours), int(minutes)
    if m >= 60 or h > 24 or (h == 24 and m):
        return None
    return h * 60 + m


def _interval(value: object) -> tuple[int, int]:
    if not isinstance(value, str):
        raise _problem(f'must be a time range in quotes like "14:00-19:00", not {_shown(value)}')
    match = _TIME_RANGE.match(value)
    if match is None:
        raise _problem(f'{_shown(value)} is not a time range like "14:00-19:00"')
    opens, closes = _clock(*match.group(1, 2)), _clock(*match.group(3, 4))
    for clock, text in ((opens, match.group(1, 2)), (closes, match.group(3, 4))):
        if clock is None:
            raise _problem(f"{':'.join(text)} is not a time of day (00:00 to 24:00)")
    assert opens is not None and closes is not None
    if opens == MINUTES_PER_DAY:
        raise _problem(f"{_shown(value)} cannot start at 24:00")
    if opens >= closes:
        raise _problem(f"{_shown(value)} must start before it ends (a range cannot cross midnight)")
    return opens, closes


def _day_list(value: object) -> object:
    # `monday:` with nothing after it reads as "closed", and one range needs no list.
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise _problem(f'must be a list of time ranges like ["14:00-19:00"], not {_shown(value)}')
    return value


def _no_overlap(intervals: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    if len(intervals) > MAX_INTERVALS_PER_DAY:
        raise _problem(f"has {len(intervals)} time ranges, at most {MAX_INTERVALS_PER_DAY}")
    ordered = tuple(sorted(intervals))
    for before, after in pairwise(ordered):
        if after[0] < before[1]:
            raise _problem(f"time ranges {_range(before)} and {_range(after)} overlap")
    return ordered


def _weekly(value: object, info: ValidationInfo) -> object:
    if value is None:
        raise _problem("is empty; write `opening_hours: {}` to close every day, or remove the section")
    if not isinstance(value, dict):
        raise _problem('must map weekdays to time ranges, like `tuesday: ["14:00-19:00"]`')
    if info.context and info.context.get(_CROSS_CHECKED):
        return value
    seen: dict[int, str] = {}
    for key in value:
        number = WEEKDAY_NUMBERS.get(key.strip().lower()) if isinstance(key, str) else None
        if number is None:
            continue  # the key validator reports it
        if number in seen:
            raise _problem(f"{seen[number]!r} and {key!r} are the same day")
        seen[number] = key
    return value


def _section(what: str) -> Callable[[object], object]:
    def validate(value: object) -> object:
        # An empty section is more often a slip than a wish to wipe everything: ask for [] instead.
        if value is None:
            raise _problem(f"is empty; write `[]` for no {what}, or remove the section")
        return value

    return validate


def _iso_day(value: object) -> date:
    if isinstance(value, str) and _ISO_DAY.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise _problem(f"{_shown(value)} is not a real day") from None
    raise _problem(f"must be a day like 2026-12-25, not {_shown(value)}")


def _range(interval: tuple[int, int]) -> str:
    return "-".join(f"{minute // 60:02d}:{minute % 60:02d}" for minute in interval)


def _amount(value: object) -> Decimal:
    """An amount of stock as `parse_quantity` reads it, from a YAML number or text like "1,5"; not below 0."""
    if isinstance(value, float) and math.isfinite(value):
        text = format(Decimal(repr(value)), "f")  # 1e-05 in plain digits: 0.00001
    elif isinstance(value, Decimal) and value.is_finite():
        text = format(value, "f")
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise _problem(f'must be a number like 250 or "1,5", not {_shown(value)}')
    match = _AMOUNT.match(text)
    if match is None:
        # parse_quantity would take "4 kg" as 4 of whatever the unit is: the unit has its own key.
        unit = re.fullmatch(r"\s*[+-]?\d+(?:[.,]\d+)?\s*[^\W\d_][^\d]*", text)
        hint = " (give the unit in `unit`, not here)" if unit else ""
        raise _problem(f'must be a number like 250 or "1,5", not {_shown(value)}{hint}')
    if len(match.group(3) or "") > 3:
        raise _problem(f"has more than 3 decimals: {_shown(value)}")
    try:
        amount = parse_quantity(text)
        to_milli(amount)
    except BadQuantity:
        raise _problem(f"is too large: {_shown(value)} (at most {MAX_QUANTITY})") from None
    if amount < 0:
        raise _problem(f"must not be negative, not {_shown(value)}")
    return abs(amount)  # "-0" is 0


def _url(value: object) -> str | None:
    text = _text(URL_MAX)(value)
    if not text:
        return None
    try:
        netloc = urlsplit(text).netloc
    except ValueError:
        netloc = ""
    if not text.lower().startswith(("http://", "https://")) or not netloc or re.search(r"\s", text):
        raise _problem(f"must be a web address starting with http:// or https://, not {_shown(text)}")
    return text


def _version(value: object) -> str:
    # Spaces folded as the bot folds a typed version, so the same version never reads as a change.
    return " ".join(_text(MAX_VERSION, required=True)(value).split())


def _name_list(value: object) -> object:
    # One machine needs no list; an empty key is more often a slip than a wish for none.
    if value is None:
        raise _problem("is empty; write `[]` for none, or leave the key out")
    if isinstance(value, str):
        return [value]
    return value


Name = Annotated[str, PlainValidator(_text(NAME_MAX, required=True))]
Location = Annotated[str, PlainValidator(_text(LOCATION_MAX))]
Description = Annotated[str, PlainValidator(_text(DESCRIPTION_MAX, one_line=False))]
Reason = Annotated[str, PlainValidator(_text(REASON_MAX))]
Minutes = Annotated[int, PlainValidator(_minutes)]
Kind = Annotated[MachineKind, PlainValidator(_choice(MachineKind))]
Status = Annotated[MachineStatus, PlainValidator(_choice(MachineStatus))]
Day = Annotated[date, PlainValidator(_iso_day)]
Interval = Annotated[tuple[int, int], PlainValidator(_interval)]
DayHours = Annotated[tuple[Interval, ...], BeforeValidator(_day_list), AfterValidator(_no_overlap)]
Weekday = Annotated[int, PlainValidator(_weekday)]
Task = Annotated[str, PlainValidator(_text(TASK_MAX, required=True))]
EveryDays = Annotated[int, PlainValidator(_count("days", MAX_EVERY_DAYS))]
EveryHours = Annotated[int, PlainValidator(_count("hours", MAX_EVERY_HOURS))]
Unit = Annotated[str, PlainValidator(_text(UNIT_MAX, required=True))]
Supplier = Annotated[str, PlainValidator(_text(SUPPLIER_MAX))]
Amount = Annotated[Decimal, PlainValidator(_amount)]
Url = Annotated[str | None, PlainValidator(_url)]
Version = Annotated[str, PlainValidator(_version)]
MachineNames = Annotated[tuple[Name, ...], BeforeValidator(_name_list), Field(max_length=MAX_MACHINES)]


class MaintenanceEntry(BaseModel):
    """One preventive task of a machine: every N days, or every N hours of use."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: Task
    every_days: EveryDays | None = None
    every_hours: EveryHours | None = None
    active: StrictBool = True

    @model_validator(mode="after")
    def _one_interval(self, info: ValidationInfo) -> MaintenanceEntry:
        if info.context and info.context.get(_CROSS_CHECKED):
            return self  # parse_inventory reports it with the line of the field
        if (self.every_days is None) == (self.every_hours is None):
            raise _problem("give exactly one of every_days and every_hours")
        return self


class MachineEntry(BaseModel):
    """One machine as the file describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    kind: Kind
    location: Location = ""
    description: Description = ""
    slot_minutes: Minutes = DEFAULT_SLOT_MINUTES
    max_booking_minutes: Minutes | None = None
    requires_training: StrictBool = False
    # None keeps the status in the database: a machine a manager took out of service stays so.
    status: Status | None = None
    # None leaves the machine's plans alone; a list is all of them (the others are deactivated).
    maintenance: Annotated[
        tuple[MaintenanceEntry, ...] | None,
        BeforeValidator(_section("maintenance plans")),
        Field(max_length=MAX_PLANS_PER_MACHINE),
    ] = None

    @field_validator("max_booking_minutes")
    @classmethod
    def _whole_slots(cls, value: int | None, info: ValidationInfo) -> int | None:
        slot = info.data.get("slot_minutes")
        if value is None or slot is None:
            return value  # a bad slot_minutes is reported on its own
        if value < slot or value % slot:
            raise _problem(f"must be a multiple of slot_minutes ({slot}), not {value}")
        return value

    @model_validator(mode="after")
    def _unique_tasks(self, info: ValidationInfo) -> MachineEntry:
        if self.maintenance is None or (info.context and info.context.get(_CROSS_CHECKED)):
            return self
        # parse_inventory reports these with their lines; this guards inventories built in code.
        tasks = Counter(plan.task.casefold() for plan in self.maintenance)
        twice = [task for task, n in tasks.items() if n > 1]
        if twice:
            raise _problem(f"tasks listed more than once: {', '.join(twice)}")
        return self

    @property
    def booking_limit(self) -> int:
        """The longest booking: as given, else the most whole slots within 120 minutes (one slot at least)."""
        if self.max_booking_minutes is not None:
            return self.max_booking_minutes
        return max(self.slot_minutes, DEFAULT_MAX_BOOKING_MINUTES // self.slot_minutes * self.slot_minutes)


class ClosureEntry(BaseModel):
    """One day the lab is closed."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    day: Day = Field(alias="date")
    reason: Reason = ""


class ConsumableEntry(BaseModel):
    """One consumable: its unit, the minimum that calls for a reorder, and the machines it feeds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    unit: Unit
    minimum: Amount
    # The stock counted: the stock of a new consumable; for an existing one, a count recorded as a
    # movement when it differs. None leaves the stock alone (a new consumable starts at 0).
    quantity: Amount | None = None
    # All the machines it feeds, by name: in the file or in the database.
    machines: MachineNames = ()
    supplier: Supplier = ""
    reorder_url: Url = None

    @property
    def minimum_milli(self) -> int:
        return to_milli(self.minimum)

    @property
    def quantity_milli(self) -> int | None:
        return None if self.quantity is None else to_milli(self.quantity)


class UpdateEntry(BaseModel):
    """One item of the update register: a software, firmware or system to check every N days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    machine: Name | None = None
    # The version installed now; None leaves the recorded version alone.
    version: Version | None = None
    check_every_days: EveryDays


class Inventory(BaseModel):
    """A whole inventory file; a section left out leaves that part of the database alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    opening_hours: Annotated[dict[Weekday, DayHours] | None, BeforeValidator(_weekly)] = None
    closures: Annotated[
        tuple[ClosureEntry, ...] | None,
        BeforeValidator(_section("closure days")),
        Field(max_length=MAX_CLOSURES),
    ] = None
    machines: Annotated[
        tuple[MachineEntry, ...], BeforeValidator(_section("machines")), Field(max_length=MAX_MACHINES)
    ] = ()
    # Created or updated by name; those in the database but not in the file are left alone.
    consumables: Annotated[
        tuple[ConsumableEntry, ...],
        BeforeValidator(_section("consumables")),
        Field(max_length=MAX_CONSUMABLES),
    ] = ()
    updates: Annotated[
        tuple[UpdateEntry, ...], BeforeValidator(_section("update items")), Field(max_length=MAX_UPDATE_ITEMS)
    ] = ()

    # Set by parse_inventory: the file's name, and the lines of the names only the database can refuse.
    _source: str = PrivateAttr(default="inventory")
    _places: dict[Loc, tuple[int, str]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self, info: ValidationInfo) -> Inventory:
        if info.context and info.context.get(_CROSS_CHECKED):
            return self
        # parse_inventory reports these with their lines; this guards inventories built in code.
        groups: list[tuple[str, list[str]]] = [
            ("", [machine.name for machine in self.machines]),
            ("consumable ", [consumable.name for consumable in self.consumables]),
            ("update item ", [item.name for item in self.updates]),
            *((f"{c.name}: machine ", list(c.machines)) for c in self.consumables),
        ]
        twice = [
            prefix + name
            for prefix, names in groups
            for name, n in Counter(name.casefold() for name in names).items()
            if n > 1
        ]
        days = Counter(closure.day for closure in self.closures or ())
        twice += [str(d) for d, n in days.items() if n > 1]
        if twice:
            raise _problem(f"listed more than once: {', '.join(twice)}")
        return self

    def _refusal(self, problems: list[tuple[Loc, str]]) -> InventoryError:
        """The error for problems only the database shows, with their lines when the file gave them."""

        def line(loc: Loc) -> int:
            return self._places[loc][0] if loc in self._places else 0

        return InventoryError(
            self._source,
            [
                (f"line {line(loc)}, " if loc in self._places else "") + f"{_path(loc)}: {message}"
                for loc, message in sorted(problems, key=lambda problem: line(problem[0]))
            ],
        )

    def _rest_of_line(self, loc: Loc) -> str:
        return self._places[loc][1] if loc in self._places else ""

    def hours_by_weekday(self) -> dict[int, list[tuple[int, int]]] | None:
        """Opening intervals by weekday (0 = Monday), every day present; None when the file has no hours."""
        if self.opening_hours is None:
            return None
        return {day: list(self.opening_hours.get(day, ())) for day in range(7)}


# --- Parsing: YAML to nodes (for lines) and data, then one validation pass collecting everything. ---


class _Loader(yaml.SafeLoader):
    """A safe loader that leaves dates as text, so a bad date is reported with its line, not a crash."""

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def parse_inventory(text: str, source: str = "inventory") -> Inventory:
    """Read an inventory file; raise InventoryError listing every problem, each with its line."""
    if len(text) > MAX_TEXT_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise InventoryError(source, [f"the file is larger than {MAX_TEXT_BYTES // 1_000_000} MB"])
    root, data, problems = _load(text, source)
    sections = list(Inventory.model_fields)
    if not isinstance(data, dict):
        some = f"{', '.join(sections[:-1])} and/or {sections[-1]}"
        raise InventoryError(source, [f"line {_line(root)}: the file must be a mapping with {some}"])
    if not data:
        problems.append((_line(root), f"the file has none of the sections {', '.join(sections)}"))

    def where(loc: Loc) -> tuple[int, str]:
        return _locate(root, loc, text)

    for loc, message in _cross_checks(data, where):
        problems.append((where(loc)[0], f"{_path(loc)}: {message}"))
    try:
        inventory = Inventory.model_validate(data, context={_CROSS_CHECKED: True})
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            line, _ = where(loc)
            problems.append((line, f"{_path(loc)}: {_message(error, loc)}"))
    if problems:
        problems.sort(key=lambda problem: problem[0])
        raise InventoryError(source, [f"line {line}, {message}" for line, message in problems])
    # apply_inventory refuses what only the database shows (an unknown machine...) with these lines.
    inventory._source = source
    inventory._places = {loc: where(loc) for loc in _database_checked(inventory)}
    return inventory


def _database_checked(inventory: Inventory) -> Iterator[Loc]:
    """The places of the names apply_inventory looks up in the database."""
    for index, machine in enumerate(inventory.machines):
        yield ("machines", index, "name")
        for number in range(len(machine.maintenance or ())):
            yield ("machines", index, "maintenance", number, "task")
    for index, consumable in enumerate(inventory.consumables):
        yield ("consumables", index, "name")
        for number in range(len(consumable.machines)):
            yield ("consumables", index, "machines", number)
    for index, _item in enumerate(inventory.updates):
        yield ("updates", index, "name")
        yield ("updates", index, "machine")


def _load(text: str, source: str) -> tuple[Node, Any, list[tuple[int, str]]]:
    """Parse YAML into its node tree and its data, with the problems found on the way."""
    try:
        loader = _Loader(text)  # checks every character is allowed
        try:
            root = loader.get_single_node()
            if root is None:
                raise InventoryError(source, ["the file is empty"])
            problems = _check_nodes(root, source)
            data = loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise InventoryError(source, [_yaml_problem(exc)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        problem = f"line {line}: character U+{exc.character:04X} is not allowed"
        raise InventoryError(source, [problem]) from None
    except RecursionError:
        raise InventoryError(source, ["the file is nested too deeply"]) from None
    return root, data, problems


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    # PyYAML words problems as the second half of a sentence ("but found ..."); stand them alone.
    problem = (exc.problem or exc.context or "").removeprefix("but ")
    message = f"{where}YAML syntax error: {problem}"
    if exc.context and exc.problem and exc.context_mark is not None:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    return message


def _check_nodes(root: Node, source: str) -> list[tuple[int, str]]:
    """Bound the expanded size of the tree and find keys given twice (YAML would keep the last silently)."""
    problems: list[tuple[int, str]] = []
    checked: set[int] = set()
    stack: list[Node] = [root]
    visited = 0
    while stack:
        node = stack.pop()
        visited += 1
        if visited > MAX_YAML_NODES:
            raise InventoryError(source, [f"the file expands to more than {MAX_YAML_NODES} values"])
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            if id(node) not in checked:
                checked.add(id(node))
                problems.extend(_duplicate_keys(node))
            for key, value in node.value:
                stack.extend((key, value))
    return problems


def _duplicate_keys(node: MappingNode) -> Iterator[tuple[int, str]]:
    first: dict[str, int] = {}
    for key, _ in node.value:
        if not isinstance(key, ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
            continue
        line = key.start_mark.line + 1
        if key.value in first:
            yield line, f"key {key.value!r} is given twice (also on line {first[key.value]})"
        else:
            first[key.value] = line


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _locate(root: Node, loc: Loc, text: str) -> tuple[int, str]:
    """The line of the deepest node `loc` reaches, and the rest of that node's source line."""
    node, line = root, _line(root)
    for part in loc:
        if isinstance(node, MappingNode):
            # The last match wins, as when YAML builds the mapping (merged keys come first).
            pairs = [(k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == str(part)]
            if not pairs:
                break
            key, node = pairs[-1]
            line = _line(key)
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = _line(node)
        else:
            break
    end = node.end_mark.index
    newline = text.find("\n", end)
    return line, text[end : newline if newline >= 0 else len(text)]


def _path(loc: Loc) -> str:
    """machines[2].slot_minutes, from pydantic's ('machines', 2, 'slot_minutes')."""
    path = ""
    for part in loc:
        if part == "[key]":
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "file"


def _allowed_keys(loc: Loc) -> list[str]:
    if len(loc) == 5 and loc[0] == "machines" and loc[2] == "maintenance":
        return list(MaintenanceEntry.model_fields)
    if len(loc) == 3 and loc[0] == "machines":
        return list(MachineEntry.model_fields)
    if len(loc) == 3 and loc[0] == "closures":
        return ["date", "reason"]
    if len(loc) == 3 and loc[0] == "consumables":
        return list(ConsumableEntry.model_fields)
    if len(loc) == 3 and loc[0] == "updates":
        return list(UpdateEntry.model_fields)
    return list(Inventory.model_fields)


def _message(error: Any, loc: Loc) -> str:
    """Word pydantic's own errors for a person editing the file (ours are worded already)."""
    kind = error["type"]
    if kind == "extra_forbidden":
        key, allowed = str(loc[-1]), _allowed_keys(loc)
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(allowed)}"
        return f"unknown key ({hint})"
    if kind == "missing":
        return "is required"
    if kind == "invalid_key":
        # `{minimum: 1,5}`: in braces a comma ends the entry, leaving a key "5".
        return f'{_shown(error.get("input"))} is not a key (in {{...}}, quote numbers with a comma: "1,5")'
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a mapping of keys to values"
    if kind in ("list_type", "tuple_type"):
        return "must be a list"
    if kind == "bool_type":
        return f"must be true or false, not {_shown(error.get('input'))}"
    if kind == "too_long":
        return f"has too many entries (at most {error['ctx']['max_length']})"
    return str(error["msg"])


def _cross_checks(data: dict[Any, Any], where: Callable[[Loc], tuple[int, str]]) -> Iterator[tuple[Loc, str]]:
    """Find what only the whole file shows: names, tasks, closure days and weekdays given twice."""
    for section in ("machines", "consumables", "updates"):
        yield from _twice_named(data.get(section), section, where)
    consumables = data.get("consumables")
    for index, entry in enumerate(consumables if isinstance(consumables, list) else []):
        names = entry.get("machines") if isinstance(entry, dict) else None
        if isinstance(names, list):
            yield from _twice_listed(names, ("consumables", index, "machines"), where)
    hours = data.get("opening_hours")
    weekdays: dict[int, str] = {}
    for key in hours if isinstance(hours, dict) else {}:
        number = WEEKDAY_NUMBERS.get(key.strip().lower()) if isinstance(key, str) else None
        if number is None:
            continue  # the key validator reports it
        if number in weekdays:
            first, line = weekdays[number], where(("opening_hours", weekdays[number]))[0]
            yield ("opening_hours", key), f"same day as {first!r} on line {line}"
        else:
            weekdays[number] = key
    machines = data.get("machines")
    for index, entry in enumerate(machines if isinstance(machines, list) else []):
        plans = entry.get("maintenance") if isinstance(entry, dict) else None
        if isinstance(plans, list):
            yield from _plan_checks(("machines", index, "maintenance"), plans, where)
    closures = data.get("closures")
    days: dict[str, Loc] = {}
    for index, entry in enumerate(closures if isinstance(closures, list) else []):
        day = entry.get("date") if isinstance(entry, dict) else None
        if not isinstance(day, str):
            continue
        loc = ("closures", index, "date")
        if day.strip() in days:
            yield loc, f"{day.strip()} is already listed on line {where(days[day.strip()])[0]}"
        else:
            days[day.strip()] = loc


def _comment_hint(rest_of_line: str) -> str:
    # A plain `name: Prusa MK4 #2` loses "#2" to a comment; a duplicate or unknown name is the usual symptom.
    return " (a ' #' starts a comment: put the name in quotes)" if re.match(r"\s+#", rest_of_line) else ""


def _twice_named(
    entries: object, section: str, where: Callable[[Loc], tuple[int, str]]
) -> Iterator[tuple[Loc, str]]:
    """Find the entries of a section whose name an earlier entry has, ignoring case."""
    seen: dict[str, Loc] = {}
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            continue
        loc: Loc = (section, index, "name")
        key = name.strip().casefold()
        if key not in seen:
            seen[key] = loc
            continue
        hint = _comment_hint(where(loc)[1])
        yield loc, f"{name.strip()!r} is already the name on line {where(seen[key])[0]}, ignoring case{hint}"


def _twice_listed(
    names: list[Any], base: Loc, where: Callable[[Loc], tuple[int, str]]
) -> Iterator[tuple[Loc, str]]:
    """Find the names of a list given twice, ignoring case."""
    seen: dict[str, Loc] = {}
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            continue
        loc: Loc = (*base, index)
        key = name.strip().casefold()
        if key not in seen:
            seen[key] = loc
            continue
        hint = _comment_hint(where(loc)[1])
        yield loc, f"{name.strip()!r} is already listed on line {where(seen[key])[0]}, ignoring case{hint}"


def _plan_checks(
    base: Loc, plans: list[Any], where: Callable[[Loc], tuple[int, str]]
) -> Iterator[tuple[Loc, str]]:
    """Find a machine's tasks given twice, and plans with both intervals or neither."""
    tasks: dict[str, Loc] = {}
    for index, plan in enumerate(plans):
        if not isinstance(plan, dict):
            continue  # the model reports it
        loc: Loc = (*base, index)
        given = [key for key in ("every_days", "every_hours") if plan.get(key) is not None]
        if not given:
            yield loc, "needs every_days or every_hours"
        elif len(given) == 2:
            # Point at whichever comes second in the file: that is the one to look at.
            lines = {key: where((*loc, key))[0] for key in given}
            first, second = sorted(given, key=lines.__getitem__)
            also = f" (line {lines[first]})" if lines[first] != lines[second] else ""
            yield (*loc, second), f"cannot be given with {first}{also}: give only one of them"
        task = plan.get("task")
        if not isinstance(task, str) or not task.strip():
            continue
        key = task.strip().casefold()
        if key in tasks:
            line = where(tasks[key])[0]
            yield (
                (*loc, "task"),
                f"{task.strip()!r} is already a task of this machine on line {line}, ignoring case",
            )
        else:
            tasks[key] = (*loc, "task")


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

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.updated
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
    """Create or update machines, consumables and update items by name, replace the sections the file
    gives; never commit.

    `now` starts the clock of new maintenance plans and update items, and dates the stock movements
    and update checks the import records (default: the current time). Every name is looked up in
    the database before anything is written: one problem refuses the whole file.
    """
    now = now if now is not None else utcnow()
    report = ImportReport()
    problems: list[tuple[Loc, str]] = []
    existing = list(await session.scalars(select(Machine).order_by(Machine.id)))
    matches = _match_by_name(existing, [entry.name for entry in inventory.machines], "machines", problems)
    plan_matches = await _match_plans(session, inventory.machines, matches, problems)
    find_machine = _machine_finder(inventory, existing, problems)
    feeds = [
        [
            find_machine(("consumables", index, "machines", number), name)
            for number, name in enumerate(c.machines)
        ]
        for index, c in enumerate(inventory.consumables)
    ]
    runs_on = [
        None if item.machine is None else find_machine(("updates", index, "machine"), item.machine)
        for index, item in enumerate(inventory.updates)
    ]
    stock: list[Consumable] = []
    if "consumables" in inventory.model_fields_set:
        query = select(Consumable).options(selectinload(Consumable.machines)).order_by(Consumable.id)
        stock = list(await session.scalars(query))
    stock_matches = _match_by_name(stock, [c.name for c in inventory.consumables], "consumables", problems)
    register: list[UpdateItem] = []
    if "updates" in inventory.model_fields_set:
        register = list(await session.scalars(select(UpdateItem).order_by(UpdateItem.id)))
    register_matches = _match_by_name(register, [u.name for u in inventory.updates], "updates", problems)
    for index, (wanted, held) in enumerate(zip(inventory.consumables, stock_matches, strict=True)):
        if held is not None and held.unit != wanted.unit and wanted.quantity is None:
            # The stock is a number of units: read in a new unit it would be a different stock.
            problems.append(
                (
                    ("consumables", index, "unit"),
                    f"changing the unit from {held.unit!r} to {wanted.unit!r} needs a quantity: "
                    "counted in the new unit",
                )
            )
    if problems:
        raise inventory._refusal(problems)
    # Every check is done above; from here on nothing can be refused, so nothing is half written.
    machines: list[Machine] = []
    for entry, machine in zip(inventory.machines, matches, strict=True):
        if machine is None:
            machine = Machine(
                name=entry.name,
                kind=entry.kind,
                location=entry.location,
                description=entry.description,
                status=entry.status or MachineStatus.AVAILABLE,
                slot_minutes=entry.slot_minutes,
                max_booking_minutes=entry.booking_limit,
                requires_training=entry.requires_training,
            )
            session.add(machine)
            report.created.append(entry.name)
        elif _update_machine(machine, entry):
            report.updated.append(entry.name)
        else:
            report.unchanged.append(entry.name)
        machines.append(machine)
    if plan_matches or inventory.consumables or inventory.updates:
        await session.flush()  # new plans, machine links and update items need their machine's id

    def machine_of(ref: MachineRef | None) -> Machine:
        assert ref is not None  # unknown names were refused above
        return machines[ref] if isinstance(ref, int) else ref

    for index, (planned, unlisted) in plan_matches.items():
        _apply_plans(session, inventory.machines[index], machines[index], planned, unlisted, now, report)
    if "machines" in inventory.model_fields_set:
        # Worth a word only when the file lists machines: a forgotten one may have been meant.
        matched = {id(machine) for machine in matches if machine is not None}
        report.not_in_file = [
            m.name for m in existing if id(m) not in matched and m.status is not MachineStatus.RETIRED
        ]
    if (hours := inventory.hours_by_weekday()) is not None:
        report.opening_hours_changed = await _replace_hours(session, hours)
    if inventory.closures is not None:
        await _replace_closures(session, inventory.closures, report)
    fed = [[machine_of(ref) for ref in refs] for refs in feeds]
    await _apply_consumables(session, inventory.consumables, stock_matches, fed, now, report)
    machine_ids = [None if ref is None else machine_of(ref).id for ref in runs_on]
    _apply_update_items(session, inventory.updates, register_matches, machine_ids, now, report)
    for section, rows, row_matches, names in (
        ("consumables", stock, stock_matches, report.consumables_not_in_file),
        ("updates", register, register_matches, report.updates_not_in_file),
    ):
        if section in inventory.model_fields_set:
            listed = {id(row) for row in row_matches if row is not None}
            names.extend(row.name for row in rows if id(row) not in listed and _in_use(row))
    await session.flush()
    return report


_Named = TypeVar("_Named", Machine, Consumable, UpdateItem)
# A machine a consumable or an update item names: a machine of the file (its index), or one in the database.
MachineRef = int | Machine


def _match_by_name(
    existing: list[_Named], names: list[str], section: str, problems: list[tuple[Loc, str]]
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
            problems.append(((section, index, "name"), f"{name!r} could be any of {listed} in the database"))
        matches.append(candidates[0] if candidates else None)
    return matches


def _machine_finder(
    inventory: Inventory, existing: list[Machine], problems: list[tuple[Loc, str]]
) -> Callable[[Loc, str], MachineRef | None]:
    """Look machine names up in the file, then in the database (ignoring case); record unknown ones."""
    in_file = {entry.name.casefold(): index for index, entry in enumerate(inventory.machines)}
    exact = {machine.name: machine for machine in existing}
    folded: dict[str, list[Machine]] = {}
    for machine in existing:
        folded.setdefault(machine.name.strip().casefold(), []).append(machine)
    known = list(dict.fromkeys([entry.name for entry in inventory.machines] + [m.name for m in existing]))

    def find(loc: Loc, name: str) -> MachineRef | None:
        if (index := in_file.get(name.casefold())) is not None:
            return index
        candidates = [exact[name]] if name in exact else folded.get(name.casefold(), [])
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            listed = ", ".join(repr(machine.name) for machine in candidates)
            problems.append((loc, f"{name!r} could be any of {listed} in the database"))
            return None
        hint = _comment_hint(inventory._rest_of_line(loc))
        if not hint and (close := difflib.get_close_matches(name, known, n=1)):
            hint = f" (did you mean {close[0]!r}?)"
        problems.append((loc, f"no machine named {name!r} in the file or the database{hint}"))
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
    problems: list[tuple[Loc, str]],
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
                problems.append((loc, f"{item.task!r} could be any of {tasks} in the database"))
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


def _update_machine(machine: Machine, entry: MachineEntry) -> bool:
    """Set the fields that differ; return whether any did."""
    wanted: dict[str, object] = {
        "name": entry.name,
        "kind": entry.kind,
        "location": entry.location,
        "description": entry.description,
        "slot_minutes": entry.slot_minutes,
        "max_booking_minutes": entry.booking_limit,
        "requires_training": entry.requires_training,
    }
    if entry.status is not None:
        wanted["status"] = entry.status
    changed = False
    for attribute, value in wanted.items():
        if getattr(machine, attribute) != value:
            setattr(machine, attribute, value)
            changed = True
    return changed


async def _replace_hours(session: AsyncSession, hours: dict[int, list[tuple[int, int]]]) -> bool:
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
