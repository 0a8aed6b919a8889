"""Typed buttons: one declaration builds, parses and types a button's callback data.

    class StartChosen(Button, action="bk:s"):
        machine: ID
        start: Moment

    StartChosen(machine=3, start=when).data()   -> "bk:s:3:13234560"
    parse("bk:s:3:13234560")                      -> StartChosen(machine=3, start=when)

Every field has a codec that turns it into digits and back and checks its range, so no screen
decodes a string by hand and a forged press (letters, a huge number, a date in year 9999, a
missing or extra argument) parses to None, never to an exception. What parses is still re-checked
by the domain on every press (ownership, state). The wire format is today's: an action made of
short words joined by ":", then the arguments as decimal digits, so buttons already on members'
screens keep working.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, ClassVar, Generic, TypeVar, dataclass_transform

MAX_LENGTH = 64  # Telegram's limit on callback_data, in bytes
_DIGITS = re.compile(r"^(0|[1-9][0-9]{0,11})$")
_ACTION = re.compile(r"^[a-z]+(:[a-z]+)*$")

T = TypeVar("T")


@dataclass(frozen=True)
class Codec(Generic[T]):
    """How one argument is written as digits: the widest value fixes the data's worst-case length."""

    name: str
    encode: Callable[[T], int]
    decode: Callable[[int], T]
    low: int
    high: int

    def dump(self, value: T) -> str:
        number = self.encode(value)
        if not self.low <= number <= self.high:
            raise ValueError(f"{self.name} out of range: {value!r}")
        return str(number)

    def load(self, text: str) -> T:
        """Read digits back; ValueError for anything out of range or malformed."""
        if not _DIGITS.match(text):
            raise ValueError(f"not digits: {text!r}")
        number = int(text)
        if not self.low <= number <= self.high:
            raise ValueError(f"{self.name} out of range: {number}")
        return self.decode(number)

    @property
    def widest(self) -> int:
        return len(str(self.high))


# Moments travel as minutes since the Unix epoch (today's buttons: "bk:s:12:29567040"); any moment a
# lab books lies between these two, anything outside is forged.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
_LAST_MOMENT = datetime(2200, 1, 1, tzinfo=UTC)


def minutes_since_epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("a moment in callback data must be timezone-aware")
    return (moment - EPOCH) // timedelta(minutes=1)


def moment_at(minutes: int) -> datetime:
    return EPOCH + timedelta(minutes=minutes)


def _day_number(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _day_from_number(number: int) -> date:
    return date(number // 10000, number // 100 % 100, number % 100)  # ValueError for 20261340


# Ids fit a signed 32-bit integer column: anything larger is forged and would make PostgreSQL refuse
# the query rather than find nothing.
ID_CODEC: Codec[int] = Codec("id", int, int, 0, 2**31 - 1)
MOMENT_CODEC: Codec[datetime] = Codec(
    "moment",
    minutes_since_epoch,
    moment_at,
    minutes_since_epoch(_FIRST_MOMENT),
    minutes_since_epoch(_LAST_MOMENT),
)
DAY_CODEC: Codec[date] = Codec("day", _day_number, _day_from_number, 2000_01_01, 2199_12_31)
FLAG_CODEC: Codec[bool] = Codec("flag", int, bool, 0, 1)


@dataclass(frozen=True)
class Between:
    """A small integer in a closed range: `page: Annotated[int, Between(0, 999)]`."""

    low: int
    high: int


@dataclass(frozen=True)
class OneOf:
    """An enum member sent as its index in a fixed tuple: `severity: Annotated[Severity, OneOf(SEVERITIES)]`.
    The tuple's order is part of the wire format: append, never reorder."""

    choices: tuple[Any, ...]


ID = int  # the plain `int` annotation means an id
Moment = datetime
Day = date
Flag = bool


def _codec_for(annotation: Any) -> Codec[Any]:
    if typing.get_origin(annotation) is Annotated:
        base, *extras = typing.get_args(annotation)
        for extra in extras:
            if isinstance(extra, Between):
                if extra.low < 0 or extra.high < extra.low:
                    raise TypeError(f"Between({extra.low}, {extra.high}): callback numbers are 0 or more")
                return Codec(f"int {extra.low}..{extra.high}", int, int, extra.low, extra.high)
            if isinstance(extra, OneOf):
                choices = extra.choices
                if not choices or (isinstance(base, type) and not all(isinstance(c, base) for c in choices)):
                    raise TypeError(f"OneOf choices must be non-empty {base}")
                return Codec(
                    f"one of {len(choices)}", choices.index, choices.__getitem__, 0, len(choices) - 1
                )
        return _codec_for(base)
    if annotation is bool:  # before int: bool is an int
        return FLAG_CODEC
    if annotation is int:
        return ID_CODEC
    if annotation is datetime:
        return MOMENT_CODEC
    if annotation is date:
        return DAY_CODEC
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        raise TypeError(f"{annotation.__name__}: say its wire order with Annotated[..., OneOf(...)]")
    raise TypeError(f"no callback codec for {annotation!r}")


_REGISTRY: dict[str, type[Button]] = {}


@dataclass_transform(frozen_default=True)
class Button:
    """Base of every button: subclass with `action="..."` and typed fields."""

    action: ClassVar[str]
    _codecs: ClassVar[tuple[tuple[str, Codec[Any]], ...]]

    def __init_subclass__(cls, *, action: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _ACTION.match(action):
            raise TypeError(f"{cls.__name__}: action {action!r} must be short words joined by ':'")
        if action in _REGISTRY and _REGISTRY[action].__qualname__ != cls.__qualname__:
            raise TypeError(f"{cls.__name__}: action {action!r} is already {_REGISTRY[action].__name__}")
        dataclass(frozen=True)(cls)
        hints = typing.get_type_hints(cls, include_extras=True)
        cls.action = action
        cls._codecs = tuple((f.name, _codec_for(hints[f.name])) for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        if len(cls.longest().encode()) > MAX_LENGTH:
            raise TypeError(f"{cls.__name__}: its data can reach {len(cls.longest())} bytes (> {MAX_LENGTH})")
        _REGISTRY[action] = cls

    @classmethod
    def longest(cls) -> str:
        """The data at its widest: what the 64-byte limit is checked against."""
        return ":".join([cls.action, *("9" * codec.widest for _, codec in cls._codecs)])

    def data(self) -> str:
        """The callback data of this press."""
        return ":".join([self.action, *(codec.dump(getattr(self, name)) for name, codec in self._codecs)])

    @classmethod
    def load(cls: type[B], raw: list[str]) -> B | None:
        if len(raw) != len(cls._codecs):
            return None
        try:
            values = {name: codec.load(text) for (name, codec), text in zip(cls._codecs, raw, strict=True)}
        except (ValueError, OverflowError, IndexError):
            return None
        return cls(**values)


B = TypeVar("B", bound=Button)


def parse(data: str | None) -> Button | None:
    """The button a press carries, or None for anything malformed, unknown or forged.

    The action is the longest known prefix: "bk:s:3:9" is "bk:s" with two arguments, not "bk" with three."""
    if not data or len(data.encode()) > MAX_LENGTH:
        return None
    parts = data.split(":")
    for split in range(len(parts), 0, -1):
        cls = _REGISTRY.get(":".join(parts[:split]))
        if cls is not None:
            return cls.load(parts[split:])
    return None


def declared() -> dict[str, type[Button]]:
    """Every button declared so far, by action (the features' modules must be imported)."""
    return dict(_REGISTRY)


def pattern(*buttons: type[Button]) -> str:
    """A regex for CallbackQueryHandler matching exactly these buttons' actions."""
    return "^(" + "|".join(re.escape(b.action) for b in buttons) + ")(:[0-9]+)*$"


def lookup(action: str) -> type[Button] | None:
    """The button class declared for `action`, if any."""
    return _REGISTRY.get(action)


def from_args(action: str, *args: int) -> Button:
    """The button of `action` with arguments as they travel (digits), with the same checks as
    parsing it: for the tests, which press buttons by the data a client would send. ValueError
    for an unknown action or a bad argument (a programming error, not a press)."""
    cls = _REGISTRY.get(action)
    if cls is None:
        raise ValueError(f"no button {action!r}")
    press = cls.load([str(a) for a in args])
    if press is None:
        raise ValueError(f"bad arguments for {action}: {args}")
    return press
