"""Read the lab's inventory file (YAML): machines and their maintenance plans, opening hours, closure
days, consumables and the update register.

`parse_inventory` checks the whole file and reports every problem at once with its line; the file's
models turn into the domain's plain entries (models/inventory.py), and `import_inventory` applies
them, reporting what only the database refuses (an unknown machine...) with the file's lines too.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
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
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncSession
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from models.inventory import (
    OPTIONAL_FIELDS,
    TRAINING_FIELDS,
    ClosureEntry,
    ConsumableEntry,
    ImportReport,
    Inventory,
    InventoryRefused,
    Loc,
    MachineEntry,
    MaintenanceEntry,
    Problem,
    UnknownMachine,
    UpdateEntry,
    apply_inventory,
    place,
)
from models.machines import TRAINING_MONTHS_MAX, MachineKind, MachineStatus
from models.opening import MINUTES_PER_DAY
from models.quotas import MAX_LIMIT_MINUTES, MAX_UPCOMING, QuotaValues
from models.stock import MAX_QUANTITY, BadQuantity, parse_quantity, to_milli
from models.updates import MAX_VERSION

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
# Validation context flag: parse_inventory has reported the whole-file checks already, with their lines.
_CROSS_CHECKED = "cross_checked"
_E = TypeVar("_E", MachineKind, MachineStatus)


class InventoryError(Exception):
    """The inventory file cannot be imported; `problems` lists each reason, with its line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
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


def _limit_hours(value: object) -> int:
    """A limit in hours (1.5 is an hour and a half), as minutes."""
    minutes = value * 60 if isinstance(value, int | float) and not isinstance(value, bool) else None
    if minutes is None or not 0 < minutes <= MAX_LIMIT_MINUTES or minutes != int(minutes):
        raise _problem(
            f"must be a number of hours above 0 (in whole minutes), at most {MAX_LIMIT_MINUTES // 60}, "
            f"not {_shown(value)}"
        )
    return int(minutes)


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
LimitHours = Annotated[int, PlainValidator(_limit_hours)]
LimitMinutes = Annotated[int, PlainValidator(_count("minutes", MAX_LIMIT_MINUTES))]
LimitBookings = Annotated[int, PlainValidator(_count("bookings", MAX_UPCOMING))]
# A training's validity, or its lapse without a booking, in months (None: never).
Months = Annotated[StrictInt, Field(ge=1, le=TRAINING_MONTHS_MAX)]
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


class MaintenanceInFile(BaseModel):
    """One preventive task of a machine: every N days, or every N hours of use."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: Task
    every_days: EveryDays | None = None
    every_hours: EveryHours | None = None
    active: StrictBool = True

    @model_validator(mode="after")
    def _one_interval(self, info: ValidationInfo) -> MaintenanceInFile:
        if info.context and info.context.get(_CROSS_CHECKED):
            return self  # parse_inventory reports it with the line of the field
        if (self.every_days is None) == (self.every_hours is None):
            raise _problem("give exactly one of every_days and every_hours")
        return self

    def entry(self) -> MaintenanceEntry:
        return MaintenanceEntry(self.task, self.every_days, self.every_hours, self.active)


class QuotasInFile(BaseModel):
    """The limits of a machine or a kind (models/quotas.py); a limit left out is no limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Hours are read as minutes here (1.5 → 90).
    max_hours_per_day: LimitHours | None = None
    max_hours_per_week: LimitHours | None = None
    max_upcoming_bookings: LimitBookings | None = None
    min_notice_minutes: LimitMinutes | None = None
    cancel_deadline_minutes: LimitMinutes | None = None

    def values(self) -> QuotaValues:
        return QuotaValues(
            max_minutes_per_day=self.max_hours_per_day,
            max_minutes_per_week=self.max_hours_per_week,
            max_upcoming=self.max_upcoming_bookings,
            notice_minutes=self.min_notice_minutes,
            cancel_deadline_minutes=self.cancel_deadline_minutes,
        )


def _limits(value: object) -> object:
    return {} if value is None else value  # `quotas:` with nothing under it: no limits


Limits = Annotated[QuotasInFile, BeforeValidator(_limits)]


class MachineInFile(BaseModel):
    """One machine as the file describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    kind: Kind
    location: Location = ""
    description: Description = ""
    slot_minutes: Minutes = DEFAULT_SLOT_MINUTES
    max_booking_minutes: Minutes | None = None
    requires_training: StrictBool = False
    # Minutes after a booking's start within which it must be checked in, else it is released; 0: off.
    checkin_minutes: Annotated[StrictInt, Field(ge=0, le=24 * 60)] = 0
    # A machine that runs unattended (a long print): a booking starts in the opening hours and may go
    # on past closing time, up to unattended_max_minutes (default a whole day).
    unattended: StrictBool = False
    unattended_max_minutes: Minutes | None = None
    # A training on it is valid this many months, and lapses after this many months without a
    # booking of it; left out, the kind's (`trainings:`) apply; null: never.
    training_valid_months: Months | None = None
    training_lapse_months: Months | None = None
    # None keeps the status in the database: a machine a manager took out of service stays so.
    status: Status | None = None
    # The machine's own limits, all of them; None (no `quotas:`) leaves them as they are.
    quotas: Limits | None = None
    # None leaves the machine's plans alone; a list is all of them (the others are deactivated).
    maintenance: Annotated[
        tuple[MaintenanceInFile, ...] | None,
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

    @field_validator("unattended_max_minutes")
    @classmethod
    def _unattended_whole_slots(cls, value: int | None, info: ValidationInfo) -> int | None:
        slot = info.data.get("slot_minutes")
        if value is None or slot is None:
            return value
        if not info.data.get("unattended"):
            raise _problem("needs unattended: true")
        if value % slot:
            raise _problem(f"must be a multiple of slot_minutes ({slot}), not {value}")
        return value

    @model_validator(mode="after")
    def _unique_tasks(self, info: ValidationInfo) -> MachineInFile:
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

    @property
    def unattended_limit(self) -> int:
        """The longest unattended run: as given, else the most whole slots in a day; 0 when not unattended."""
        if not self.unattended:
            return 0
        if self.unattended_max_minutes is not None:
            return self.unattended_max_minutes
        return 24 * 60 // self.slot_minutes * self.slot_minutes

    def entry(self, kind_rules: TrainingInFile | None = None) -> MachineEntry:
        """The domain's entry; what the machine leaves out of its training months, its kind's rules give."""
        plans = None if self.maintenance is None else tuple(plan.entry() for plan in self.maintenance)
        named = self.model_fields_set & set(OPTIONAL_FIELDS)
        if "unattended" in self.model_fields_set:
            named.add("unattended_max_minutes")
        months = {name: getattr(self, name) for name in TRAINING_FIELDS}
        if kind_rules is not None:
            for name, rule in zip(TRAINING_FIELDS, ("valid_months", "lapse_months"), strict=True):
                if name not in named and rule in kind_rules.model_fields_set:
                    months[name] = getattr(kind_rules, rule)
                    named.add(name)
        return MachineEntry(
            self.name,
            self.kind,
            self.location,
            self.description,
            self.slot_minutes,
            self.booking_limit,
            self.requires_training,
            self.status,
            plans,
            checkin_minutes=self.checkin_minutes,
            quotas=None if self.quotas is None else self.quotas.values(),
            unattended_max_minutes=self.unattended_limit,
            named=frozenset(named),
            **months,
        )


class TrainingInFile(BaseModel):
    """How long a training lasts on every machine of a kind (a machine may say otherwise)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    valid_months: Months | None = None
    lapse_months: Months | None = None


class ClosureInFile(BaseModel):
    """One day the lab is closed."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    day: Day = Field(alias="date")
    reason: Reason = ""

    def entry(self) -> ClosureEntry:
        return ClosureEntry(self.day, self.reason)


class ConsumableInFile(BaseModel):
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

    def entry(self) -> ConsumableEntry:
        return ConsumableEntry(
            self.name,
            self.unit,
            self.minimum_milli,
            self.quantity_milli,
            self.machines,
            self.supplier,
            self.reorder_url,
        )


class UpdateInFile(BaseModel):
    """One item of the update register: a software, firmware or system to check every N days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    machine: Name | None = None
    # The version installed now; None leaves the recorded version alone.
    version: Version | None = None
    check_every_days: EveryDays

    def entry(self) -> UpdateEntry:
        return UpdateEntry(self.name, self.check_every_days, self.machine, self.version)


class InventoryFile(BaseModel):
    """A whole inventory file; a section left out leaves that part of the database alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    opening_hours: Annotated[dict[Weekday, DayHours] | None, BeforeValidator(_weekly)] = None
    closures: Annotated[
        tuple[ClosureInFile, ...] | None,
        BeforeValidator(_section("closure days")),
        Field(max_length=MAX_CLOSURES),
    ] = None
    machines: Annotated[
        tuple[MachineInFile, ...], BeforeValidator(_section("machines")), Field(max_length=MAX_MACHINES)
    ] = ()
    # Created or updated by name; those in the database but not in the file are left alone.
    consumables: Annotated[
        tuple[ConsumableInFile, ...],
        BeforeValidator(_section("consumables")),
        Field(max_length=MAX_CONSUMABLES),
    ] = ()
    updates: Annotated[
        tuple[UpdateInFile, ...],
        BeforeValidator(_section("update items")),
        Field(max_length=MAX_UPDATE_ITEMS),
    ] = ()
    # The limits of each machine kind, for its machines without their own; a kind left out has none.
    quotas: dict[Kind, Limits] | None = None
    # By kind: how long a training on its machines lasts (each machine may say otherwise).
    trainings: dict[Kind, TrainingInFile] = Field(default_factory=dict)

    # Set by parse_inventory: the file's name, and the lines of the names only the database can refuse.
    _source: str = PrivateAttr(default="inventory")
    _places: dict[Loc, tuple[int, str]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self, info: ValidationInfo) -> InventoryFile:
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

    def refusal(self, problems: list[Problem]) -> InventoryError:
        """The error for problems only the database shows, with their lines when the file gave them."""

        def line(loc: Loc) -> int:
            return self._places[loc][0] if loc in self._places else 0

        return InventoryError(
            self._source,
            [
                (f"line {line(problem.loc)}, " if problem.loc in self._places else "")
                + f"{_path(problem.loc)}: {self._worded(problem)}"
                for problem in sorted(problems, key=lambda problem: line(problem.loc))
            ],
        )

    def _worded(self, problem: Problem) -> str:
        # A name cut short by a comment is the likelier slip than one close to a known name.
        rest_of_line = self._places[problem.loc][1] if problem.loc in self._places else ""
        if isinstance(problem, UnknownMachine) and (hint := _comment_hint(rest_of_line)):
            return problem.message + hint
        return problem.text

    def hours_by_weekday(self) -> dict[int, list[tuple[int, int]]] | None:
        """Opening intervals by weekday (0 = Monday), every day present; None when the file has no hours."""
        if self.opening_hours is None:
            return None
        return {day: list(self.opening_hours.get(day, ())) for day in range(7)}

    def to_inventory(self) -> Inventory:
        """The domain's inventory: the sections the file gives, as plain entries."""
        given = self.model_fields_set
        return Inventory(
            opening_hours=self.hours_by_weekday(),
            closures=None if self.closures is None else tuple(day.entry() for day in self.closures),
            machines=tuple(m.entry(self.trainings.get(m.kind)) for m in self.machines)
            if "machines" in given
            else None,
            consumables=tuple(c.entry() for c in self.consumables) if "consumables" in given else None,
            updates=tuple(u.entry() for u in self.updates) if "updates" in given else None,
            kind_quotas=None
            if self.quotas is None
            else {kind: limits.values() for kind, limits in self.quotas.items()},
        )


# --- Importing: the file's entries applied, what only the database refuses told with the file's lines. ---


async def import_inventory(
    session: AsyncSession, file: InventoryFile, *, now: datetime | None = None
) -> ImportReport:
    """Apply a parsed file (apply_inventory); what the database refuses raises InventoryError, with lines."""
    try:
        return await apply_inventory(session, file.to_inventory(), now=now)
    except InventoryRefused as refused:
        raise file.refusal(refused.problems) from None


# --- Parsing: YAML to nodes (for lines) and data, then one validation pass collecting everything. ---


class _Loader(yaml.SafeLoader):
    """A safe loader that leaves dates as text, so a bad date is reported with its line, not a crash."""

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def parse_inventory(text: str, source: str = "inventory") -> InventoryFile:
    """Read an inventory file; raise InventoryError listing every problem, each with its line."""
    if len(text) > MAX_TEXT_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise InventoryError(source, [f"the file is larger than {MAX_TEXT_BYTES // 1_000_000} MB"])
    root, data, problems = _load(text, source)
    sections = list(InventoryFile.model_fields)
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
        inventory = InventoryFile.model_validate(data, context={_CROSS_CHECKED: True})
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            line, _ = where(loc)
            problems.append((line, f"{_path(loc)}: {_message(error, loc)}"))
    if problems:
        problems.sort(key=lambda problem: problem[0])
        raise InventoryError(source, [f"line {line}, {message}" for line, message in problems])
    # import_inventory refuses what only the database shows (an unknown machine...) with these lines.
    inventory._source = source
    inventory._places = {loc: where(loc) for loc in _database_checked(inventory)}
    return inventory


def _database_checked(inventory: InventoryFile) -> Iterator[Loc]:
    """The places of the names the import looks up in the database."""
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
    return place(tuple(part for part in loc if part != "[key]")) or "file"


def _allowed_keys(loc: Loc) -> list[str]:
    if len(loc) == 5 and loc[0] == "machines" and loc[2] == "maintenance":
        return list(MaintenanceInFile.model_fields)
    if (len(loc) == 4 and loc[0] == "machines" and loc[2] == "quotas") or (
        len(loc) == 3 and loc[0] == "quotas"
    ):
        return list(QuotasInFile.model_fields)
    if len(loc) == 3 and loc[0] == "machines":
        return list(MachineInFile.model_fields)
    if len(loc) == 3 and loc[0] == "closures":
        return ["date", "reason"]
    if len(loc) == 3 and loc[0] == "consumables":
        return list(ConsumableInFile.model_fields)
    if len(loc) == 3 and loc[0] == "updates":
        return list(UpdateInFile.model_fields)
    if len(loc) == 3 and loc[0] == "trainings":
        return list(TrainingInFile.model_fields)
    return list(InventoryFile.model_fields)


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
    names = [
        ((section, index, "name"), entry.get("name"))
        for index, entry in enumerate(entries if isinstance(entries, list) else [])
        if isinstance(entry, dict)
    ]
    return _given_twice(names, "is already the name", where)


def _twice_listed(
    names: list[Any], base: Loc, where: Callable[[Loc], tuple[int, str]]
) -> Iterator[tuple[Loc, str]]:
    """Find the names of a list given twice, ignoring case."""
    return _given_twice(
        [((*base, index), name) for index, name in enumerate(names)], "is already listed", where
    )


def _given_twice(
    values: Sequence[tuple[Loc, object]], already: str, where: Callable[[Loc], tuple[int, str]]
) -> Iterator[tuple[Loc, str]]:
    """Find the names an earlier value of the list gives, ignoring case."""
    seen: dict[str, Loc] = {}
    for loc, name in values:
        if not isinstance(name, str) or not name.strip():
            continue
        key = name.strip().casefold()
        if key not in seen:
            seen[key] = loc
            continue
        hint = _comment_hint(where(loc)[1])
        yield loc, f"{name.strip()!r} {already} on line {where(seen[key])[0]}, ignoring case{hint}"


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
