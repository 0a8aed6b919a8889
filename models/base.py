"""Declarative base and column types shared by every table."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import DateTime, MetaData, delete, inspect, select, update
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so values are stored as naive UTC
    and made aware again on the way out. Naive datetimes are refused: they are always a bug here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every fabdesk table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


async def delete_by_key(session: AsyncSession, model: type[Base], key: object) -> bool:
    """Delete the row of `model` with this primary key, if any; return whether there was one.

    A statement rather than the unit of work: when a concurrent transaction (the same button pressed
    twice at once) deleted the row first, there is simply nothing left to delete.
    """
    (column,) = inspect(model).primary_key
    result = await session.execute(delete(model).where(column == key))
    return bool(getattr(result, "rowcount", 0))


async def update_ids(
    session: AsyncSession, model: type[Base], where: list[Any], values: dict[str, Any]
) -> list[Any]:
    """UPDATE the rows of `model` matching `where` with `values`; return their primary keys.

    One UPDATE … RETURNING where the database has it. SQLite before 3.35 (a Raspberry Pi's system
    library may be) has no RETURNING: a SELECT then an UPDATE of those rows, which is just as safe
    there, since every SQLite transaction holds the write lock from its BEGIN (models/db.py)."""
    (key,) = inspect(model).primary_key
    if session.sync_session.get_bind().dialect.update_returning:
        result = await session.scalars(
            update(model)
            .where(*where)
            .values(**values)
            .returning(key)
            .execution_options(synchronize_session=False)
        )
        return list(result)
    ids = list(await session.scalars(select(key).where(*where)))
    if ids:
        await session.execute(
            update(model).where(key.in_(ids)).values(**values).execution_options(synchronize_session=False)
        )
    return ids


async def stamp_once(session: AsyncSession, row: Base, column: str, now: datetime) -> bool:
    """Set the row's still-empty `column` (cancelled_at...) to `now`; return False if it was set already.

    One conditional UPDATE: of two transactions stamping the same row at once (a button pressed twice,
    by two managers), one gets True and the other - once the first has committed - False.
    """
    model = type(row)
    (key,) = inspect(model).primary_key
    identity = inspect(row).identity
    assert identity is not None, "stamp a row that is in the database"
    result = await session.execute(
        update(model).where(key == identity[0], getattr(model, column).is_(None)).values({column: now})
    )
    await session.refresh(row, [column])
    return bool(getattr(result, "rowcount", 0))


# Tables holding "the member's next message answers this" (one row per member): a report being
# written, a note, an amount or a version asked for. Only the latest question stands.
PENDING_TABLES = (
    "report_drafts",
    "note_requests",
    "stock_inputs",
    "version_inputs",
    "project_drafts",
    "project_inputs",
    "member_searches",
    "on_behalf_asks",
    "booking_steps",
    "session_drafts",
    "guest_inputs",
    "revoke_reason_inputs",
    "decline_reasons",
)


PendingRow = TypeVar("PendingRow", bound=Base)


async def get_pending(
    session: AsyncSession, model: type[PendingRow], member_id: int, *, lock: bool = False
) -> PendingRow | None:
    """The member's question of this kind, if any. `lock` is for answering it: a second answer sent
    at the same instant waits for the first one's transaction, then finds the question gone."""
    if not lock:
        return await session.get(model, member_id)
    (column,) = inspect(model).primary_key
    query = select(model).where(column == member_id).with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def fresh_pending(
    session: AsyncSession, model: type[PendingRow], member_id: int, *, allowed: bool, asked_since: datetime
) -> PendingRow | None:
    """The member's question of this kind if they may still answer it (`allowed`) and it was asked
    after `asked_since` (its `created_at`); otherwise it is dropped and None returned."""
    row = await get_pending(session, model, member_id)
    if row is None:
        return None
    # Every pending table has created_at; the TypeVar (bound to Base) cannot say so.
    if not allowed or getattr(row, "created_at") < asked_since:  # noqa: B009
        await delete_by_key(session, model, member_id)
        return None
    return row


async def put_pending(
    session: AsyncSession, model: type[PendingRow], member_id: int, **values: Any
) -> PendingRow:
    """Record the member's question of this kind (their row of `model`): created, or replaced.

    The same button pressed twice at once asks twice: on PostgreSQL the second insert waits for the
    first transaction, then finds the row there; it replaces it instead of failing.
    """
    row = await session.get(model, member_id)
    if row is None:
        row = model(member_id=member_id, **values)
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            row = await session.get(model, member_id, populate_existing=True)
            if row is None:  # not the member's row: another constraint refused the values
                raise
    for name, value in values.items():
        setattr(row, name, value)
    await session.flush()
    return row


async def clear_pending(session: AsyncSession, member_id: int, *, keep: type[Base] | None = None) -> None:
    """Drop every question the member was asked (except `keep`, the one being asked now)."""
    for mapper in Base.registry.mappers:
        model = mapper.class_
        if model.__tablename__ in PENDING_TABLES and model is not keep:
            await delete_by_key(session, model, member_id)


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def enum_type(enum_cls: type[enum.StrEnum], name: str) -> SAEnum:
    """Store a StrEnum as its value in a short VARCHAR with a CHECK, on every database."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
