"""Typed outbox messages: a frozen dataclass per kind, queued by the domain, rendered by a feature.

    @dataclass(frozen=True)
    class TicketOpened(Notice, kind="ticket_alert"):
        ticket_id: int
        machine: str
        severity: Severity
        photo_ids: list[str] = field(default_factory=list)

The outbox row keeps `kind` and `payload()` (plain JSON: enums by value, datetimes and dates in ISO
form, Decimals as strings); the sender calls `rebuild(kind, payload)` to get the dataclass back. A
misspelt field is a type error where the notice is built, not a KeyError in a renderer that drops the
message. A field whose JSON key cannot be a field's name (`kind`, `from`) keeps its key with
`field(metadata={"key": "from"})`. The reader is tolerant, so rows queued by an older or newer
fabdesk still send: unknown keys are ignored, a missing key takes the field's default; a row that
cannot be read at all raises `UnreadablePayload` saying why, naming the field but never its value
(the reason is logged and recorded: no personal data), and the sender gives that row up; it never
crashes.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, dataclass_transform

_KINDS: dict[str, type[Notice]] = {}


class UnreadablePayload(ValueError):
    """An outbox row whose payload does not fit its kind's dataclass."""


def _key(f: dataclasses.Field[Any]) -> str:
    """The JSON key of a field: its name, unless its metadata says otherwise."""
    return str(f.metadata.get("key", f.name))


def _dump(value: Any) -> Any:
    if isinstance(value, Part):
        return {_key(f): _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}  # type: ignore[arg-type]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in an outbox payload")


def _load(annotation: Any, value: Any, where: str) -> Any:
    """Turn a JSON value back into the annotated type, or raise UnreadablePayload."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        others = [a for a in args if a is not type(None)]
        if len(others) == 1:
            return _load(others[0], value, where)
        for candidate in others:
            try:
                return _load(candidate, value, where)
            except UnreadablePayload:
                continue
        raise UnreadablePayload(f"{where}: fits none of {annotation}")
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise UnreadablePayload(f"{where}: expected a list, got {type(value).__name__}")
        if origin is tuple and args and args[-1] is not Ellipsis:  # tuple[str, float]: one type a place
            if len(args) != len(value):
                raise UnreadablePayload(f"{where}: expected {len(args)} items, got {len(value)}")
            return tuple(
                _load(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True))
            )
        item = args[0] if args else Any
        items = [_load(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise UnreadablePayload(f"{where}: expected an object, got {type(value).__name__}")
        item = args[1] if len(args) == 2 else Any
        return {k: _load(item, v, f"{where}.{k}") for k, v in value.items()}
    if annotation is Any:
        return value
    try:
        if isinstance(annotation, type) and issubclass(annotation, Part):
            if not isinstance(value, dict):
                raise UnreadablePayload(f"{where}: expected an object, got {type(value).__name__}")
            return _build(annotation, value, where)
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            return annotation(value)
        if annotation is datetime:
            return datetime.fromisoformat(value)
        if annotation is date:
            return date.fromisoformat(value)
        if annotation is Decimal:
            return Decimal(str(value))
        if annotation is bool:
            if not isinstance(value, bool):
                raise UnreadablePayload(f"{where}: expected true or false, got {type(value).__name__}")
            return value
        if annotation is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise UnreadablePayload(f"{where}: expected an integer, got {type(value).__name__}")
            return value
        if annotation is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UnreadablePayload(f"{where}: expected a number, got {type(value).__name__}")
            return float(value)
        if annotation is str:
            if not isinstance(value, str):
                raise UnreadablePayload(f"{where}: expected text, got {type(value).__name__}")
            return value
    except (ValueError, TypeError, InvalidOperation) as error:
        if isinstance(error, UnreadablePayload):
            raise
        raise UnreadablePayload(
            f"{where}: not a {getattr(annotation, '__name__', annotation)} ({type(value).__name__})"
        ) from None
    raise UnreadablePayload(f"{where}: no reader for {annotation!r}")


def _build(cls: type[Any], payload: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        key = _key(f)
        if key in payload:
            values[f.name] = _load(hints[f.name], payload[key], f"{where}.{key}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise UnreadablePayload(f"{where}: {key} is missing")
    return cls(**values)


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(dataclasses.field,))
class Part:
    """A nested piece of a notice (one line of a list): a frozen dataclass stored as a JSON object."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True, kw_only=True)(cls)


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(dataclasses.field,))
class Notice:
    """Base of every outbox message kind: subclass with `kind="..."` and typed fields."""

    kind: ClassVar[str]

    def __init_subclass__(cls, *, kind: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not kind or len(kind) > 40:  # the outbox's kind column
            raise TypeError(f"{cls.__name__}: kind {kind!r} must be 1 to 40 characters")
        if kind in _KINDS and _KINDS[kind].__qualname__ != cls.__qualname__:
            raise TypeError(f"{cls.__name__}: kind {kind!r} is already {_KINDS[kind].__name__}")
        dataclass(frozen=True, kw_only=True)(cls)
        cls.kind = kind
        typing.get_type_hints(cls)  # an annotation that does not resolve fails here, at import
        _KINDS[kind] = cls

    def payload(self) -> dict[str, Any]:
        """The JSON stored in the outbox row."""
        return {_key(f): _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


def rebuild(kind: str, payload: Any) -> Notice:
    """The notice an outbox row holds; UnreadablePayload if its kind is unknown or its payload is wrong."""
    cls = _KINDS.get(kind)
    if cls is None:
        raise UnreadablePayload(f"unknown kind {kind!r}")
    if not isinstance(payload, dict):
        raise UnreadablePayload(f"{kind}: the payload is not an object")
    notice: Notice = _build(cls, payload, kind)
    return notice


def kinds() -> dict[str, type[Notice]]:
    """Every notice kind declared so far (the models' modules must be imported)."""
    return dict(_KINDS)
