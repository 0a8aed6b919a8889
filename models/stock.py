"""Consumables: quantities kept exact, every change a stock movement, one low-stock alert per dip.

Quantities are stored as integer thousandths of their unit (grams, millilitres, sheets...), so
1.5 kg of PLA minus 0.1 kg is exactly 1.4 kg on every database, with no float drift; in Python
they are Decimals. The quantity is never written except by a movement that records why, who
and when.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, String, Table, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from models.base import Base, clear_pending, delete_by_key, enum_type, get_pending, put_pending
from models.bookings import Booking, BookingStatus
from models.errors import DomainError, NotAllowed, NotFound
from models.machines import Machine
from models.members import Member, require_manager
from models.notices import Notice, Part
from models.outbox import notify_managers, notify_member

MILLI = Decimal(1000)
MAX_QUANTITY = Decimal(10) ** 9  # a billion grams is a lot of filament: anything above is a typo
# Bookings that ended longer ago than this are not asked about any more (after a long downtime).
USAGE_QUESTION_WINDOW = timedelta(days=2)


class MovementReason(enum.StrEnum):
    RESTOCK = "restock"  # a delivery
    USE = "use"  # used during a booking
    CORRECTION = "correction"  # a manager's adjustment (spoilt, lost, mistake)
    COUNT = "count"  # an inventory count: the difference between counted and recorded


class LowStock(Notice, kind="low_stock"):
    """To the managers: a consumable dipped below its minimum."""

    consumable: str
    consumable_id: int
    quantity: Decimal
    minimum: Decimal
    unit: str
    supplier: str | None = None
    reorder_url: str | None = None


class ConsumableOption(Part):
    id: int
    name: str
    unit: str | None = None


class UsageQuestion(Notice, kind="usage_question"):
    """To a member whose booking ended: which consumables did they use (a button each)?"""

    booking_id: int
    machine: str
    start: datetime
    end: datetime
    consumables: list[ConsumableOption] = field(default_factory=list)


class BadQuantity(DomainError):
    """Not a number, too many decimals, out of range, or in a unit that does not convert."""


class AlreadyRecorded(DomainError):
    """The member already recorded their use of this consumable for this booking."""


consumable_machines = Table(
    "consumable_machines",
    Base.metadata,
    Column("consumable_id", ForeignKey("consumables.id", ondelete="CASCADE"), primary_key=True),
    Column("machine_id", ForeignKey("machines.id", ondelete="CASCADE"), primary_key=True),
)


class Consumable(Base):
    """Something the lab uses up: filament, resin, end mills, plywood sheets, paper..."""

    __tablename__ = "consumables"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    unit: Mapped[str] = mapped_column(String(16))
    quantity_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    minimum_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    supplier: Mapped[str] = mapped_column(String(100), default="")
    reorder_url: Mapped[str | None] = mapped_column(String(500))
    # Set when the low-stock alert went out; cleared (re-armed) once the stock is back above minimum.
    low_alert_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

    machines: Mapped[list[Machine]] = relationship(secondary=consumable_machines, lazy="raise")

    @property
    def quantity(self) -> Decimal:
        return Decimal(self.quantity_milli) / MILLI

    @property
    def minimum(self) -> Decimal:
        return Decimal(self.minimum_milli) / MILLI

    @property
    def low(self) -> bool:
        return self.quantity_milli < self.minimum_milli


class StockMovement(Base):
    """One change of a consumable's quantity. Rows are only ever added."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_stock_movements_consumable_at", "consumable_id", "at"),
        # One use of a consumable per booking: a double tap cannot take it twice.
        Index(
            "uq_stock_movements_one_use",
            "booking_id",
            "consumable_id",
            unique=True,
            sqlite_where=text("reason = 'use'"),
            postgresql_where=text("reason = 'use'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consumable_id: Mapped[int] = mapped_column(ForeignKey("consumables.id", ondelete="CASCADE"))
    delta_milli: Mapped[int] = mapped_column(BigInteger)
    quantity_after_milli: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[MovementReason] = mapped_column(enum_type(MovementReason, "movement_reason"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime]

    member: Mapped[Member | None] = relationship(lazy="raise")

    @property
    def delta(self) -> Decimal:
        return Decimal(self.delta_milli) / MILLI


class StockInput(Base):
    """A typed amount is expected from this member next (a restock, a count, a use...)."""

    __tablename__ = "stock_inputs"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    consumable_id: Mapped[int] = mapped_column(ForeignKey("consumables.id", ondelete="CASCADE"))
    reason: Mapped[MovementReason] = mapped_column(enum_type(MovementReason, "stock_input_reason"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]


_NUMBER = re.compile(r"^\s*([+-]?)\s*(\d{1,10})(?:[.,](\d{1,3}))?\s*([^\d\s.,+-][^\d]{0,15})?\s*$")
# Thousands separators people type: spaces, and the no-break spaces the bot itself writes in French.
_SPACES = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(\D|$))")
# Units that convert into one another: factor of each to its family's base.
CONVERSIONS: dict[str, tuple[str, Decimal]] = {
    "g": ("mass", Decimal(1)),
    "kg": ("mass", Decimal(1000)),
    "mg": ("mass", Decimal("0.001")),
    "ml": ("volume", Decimal(1)),
    "cl": ("volume", Decimal(10)),
    "l": ("volume", Decimal(1000)),
}


def _unit_key(unit: str) -> str:
    return unit.strip().lower().rstrip(".")


def parse_quantity(text: str, unit: str | None = None, language: str | None = None) -> Decimal:
    """Read an amount as people type it: "250", "1,5", "+2", "-0.25", "500 g"; at most 3 decimals.

    With a `language`, numbers read as its people write them: "1,000" is a thousand in English,
    « 1 050,5 » or « 1.000 » in French. With the consumable's `unit`, a typed unit is checked and
    converted ("120 ml" of a consumable kept in litres is 0.12); one that does not convert is refused.
    Without either, the file format's rules apply (a comma or a point is a decimal sign).
    """
    cleaned = _SPACES.sub("", text.strip()) if language else text.strip()
    thousands = {"en": ",", "fr": "."}.get(language or "")
    if thousands and re.fullmatch(rf"[+-]?\d{{1,3}}(\{thousands}\d{{3}})+(\D.*)?", cleaned):
        cleaned = cleaned.replace(thousands, "")
    match = _NUMBER.match(cleaned)
    if match is None:
        raise BadQuantity(text[:40])
    sign, whole, fraction, typed_unit = match.groups()
    try:
        value = Decimal(f"{sign}{whole}.{fraction or 0}")
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise BadQuantity(text[:40]) from None
    if typed_unit and unit is not None:
        value = _convert(value, _unit_key(typed_unit), _unit_key(unit), text)
    if abs(value) > MAX_QUANTITY:
        raise BadQuantity(text[:40])
    return value


def _convert(value: Decimal, typed: str, unit: str, text: str) -> Decimal:
    if typed == unit or typed.rstrip("s") == unit.rstrip("s"):
        return value
    if typed in CONVERSIONS and unit in CONVERSIONS and CONVERSIONS[typed][0] == CONVERSIONS[unit][0]:
        converted = value * CONVERSIONS[typed][1] / CONVERSIONS[unit][1]
        if converted * MILLI != (converted * MILLI).to_integral_value():
            raise BadQuantity(text[:40])  # finer than a thousandth of the unit
        return converted.normalize()
    raise BadQuantity(text[:40])


def to_milli(value: Decimal) -> int:
    """A Decimal quantity in thousandths; more than three decimals is refused, not rounded."""
    milli = value * MILLI
    if milli != milli.to_integral_value():
        raise BadQuantity(str(value))
    return int(milli)


async def list_consumables(session: AsyncSession, *, include_inactive: bool = False) -> list[Consumable]:
    query = select(Consumable).options(selectinload(Consumable.machines)).order_by(Consumable.name)
    if not include_inactive:
        query = query.where(Consumable.active.is_(True))
    return list(await session.scalars(query))


async def get_consumable(session: AsyncSession, consumable_id: int, *, lock: bool = False) -> Consumable:
    """The consumable; `lock` makes concurrent movements of it wait and then see each other (PostgreSQL)."""
    query = (
        select(Consumable).options(selectinload(Consumable.machines)).where(Consumable.id == consumable_id)
    )
    if lock:
        # NO KEY UPDATE: rows merely referencing the consumable (movements) do not block it.
        query = query.with_for_update(of=Consumable, key_share=True).execution_options(populate_existing=True)
    consumable = await session.scalar(query)
    if consumable is None or not consumable.active:
        raise NotFound(f"consumable {consumable_id}")
    return consumable


async def consumables_of_machine(session: AsyncSession, machine_id: int) -> list[Consumable]:
    """Active consumables that feed the machine."""
    rows = await session.scalars(
        select(Consumable)
        .join(consumable_machines, consumable_machines.c.consumable_id == Consumable.id)
        .where(consumable_machines.c.machine_id == machine_id, Consumable.active.is_(True))
        .order_by(Consumable.name)
    )
    return list(rows)


async def move(
    session: AsyncSession,
    actor: Member,
    consumable_id: int,
    delta: Decimal,
    reason: MovementReason,
    manager_ids: Iterable[int],
    now: datetime,
    *,
    booking_id: int | None = None,
    note: str = "",
) -> StockMovement:
    """Change a consumable's quantity by `delta`, recording why; alert the managers on a dip below minimum.

    Members record what they used during one of their own bookings of a machine the consumable
    feeds; everything else (restocks, corrections) is for managers.
    """
    consumable = await get_consumable(session, consumable_id, lock=True)
    if reason is MovementReason.USE:
        await _check_use(session, actor, consumable, booking_id, now)
        if delta <= 0:
            raise BadQuantity(str(delta))
        if await used_in(session, booking_id, consumable.id) is not None:
            raise AlreadyRecorded(consumable.name)
        delta = -delta
    else:
        require_manager(actor)
        if reason is MovementReason.RESTOCK and delta <= 0:
            raise BadQuantity(str(delta))
    change = to_milli(delta)
    if change == 0 and reason is not MovementReason.COUNT:
        raise BadQuantity("0")
    after = consumable.quantity_milli + change
    if abs(after) > to_milli(MAX_QUANTITY):
        raise BadQuantity(str(delta))
    consumable.quantity_milli = after
    movement = StockMovement(
        consumable_id=consumable.id,
        delta_milli=change,
        quantity_after_milli=after,
        reason=reason,
        member_id=actor.id,
        booking_id=booking_id,
        note=note[:300],
        at=now,
    )
    try:
        async with session.begin_nested():
            session.add(movement)
    except IntegrityError:  # the same use recorded an instant ago (a double tap)
        raise AlreadyRecorded(consumable.name) from None
    # A manager's own restock, count or correction shows the minimum on their screen: the alert is
    # for the others. A use (even a manager's) is recorded from a screen that does not.
    seen_by = actor if reason is not MovementReason.USE else None
    await _low_stock_alert(session, consumable, manager_ids, now, seen_by=seen_by)
    await session.flush()
    return movement


async def used_in(session: AsyncSession, booking_id: int | None, consumable_id: int) -> StockMovement | None:
    """The use of the consumable already recorded for the booking, if any."""
    if booking_id is None:
        return None
    return await session.scalar(
        select(StockMovement).where(
            StockMovement.booking_id == booking_id,
            StockMovement.consumable_id == consumable_id,
            StockMovement.reason == MovementReason.USE,
        )
    )


async def count(
    session: AsyncSession,
    manager: Member,
    consumable_id: int,
    counted: Decimal,
    manager_ids: Iterable[int],
    now: datetime,
) -> StockMovement:
    """Record an inventory count: the movement is the difference between counted and recorded."""
    require_manager(manager)
    if counted < 0:
        raise BadQuantity(str(counted))
    consumable = await get_consumable(session, consumable_id)
    delta = Decimal(to_milli(counted) - consumable.quantity_milli) / MILLI
    return await move(session, manager, consumable.id, delta, MovementReason.COUNT, manager_ids, now)


async def _check_use(
    session: AsyncSession, member: Member, consumable: Consumable, booking_id: int | None, now: datetime
) -> None:
    """A use is recorded against the member's own confirmed booking, once it has started."""
    if booking_id is None:
        raise NotAllowed("a use is recorded against a booking")
    booking = await session.get(Booking, booking_id)
    if (
        booking is None
        or booking.member_id != member.id
        or booking.status is not BookingStatus.CONFIRMED
        or booking.start_at > now
    ):
        raise NotFound(f"booking {booking_id}")
    if booking.machine_id not in {m.id for m in consumable.machines}:
        raise NotFound(f"consumable {consumable.id} does not feed machine {booking.machine_id}")


async def _low_stock_alert(
    session: AsyncSession,
    consumable: Consumable,
    manager_ids: Iterable[int],
    now: datetime,
    *,
    seen_by: Member | None = None,
) -> None:
    """One alert when the stock dips below its minimum (to every manager but `seen_by`, who made the
    change and sees it on screen); re-armed once it is back at or above it."""
    if consumable.low and consumable.low_alert_at is None:
        consumable.low_alert_at = now
        alert = LowStock(
            consumable=consumable.name,
            consumable_id=consumable.id,
            quantity=consumable.quantity,
            minimum=consumable.minimum,
            unit=consumable.unit,
            supplier=consumable.supplier,
            reorder_url=consumable.reorder_url,
        )
        await notify_managers(session, manager_ids, alert, now, skip=seen_by)
    elif not consumable.low and consumable.low_alert_at is not None:
        consumable.low_alert_at = None


async def set_minimum(
    session: AsyncSession,
    manager: Member,
    consumable_id: int,
    minimum: Decimal,
    manager_ids: Iterable[int],
    now: datetime,
) -> bool:
    """Set the stock below which the managers are alerted; return whether it changed. A stock now
    below it alerts the other managers once (the one who set it sees it on screen)."""
    require_manager(manager)
    if minimum < 0 or minimum > MAX_QUANTITY:
        raise BadQuantity(str(minimum))
    milli = to_milli(minimum)
    consumable = await get_consumable(session, consumable_id, lock=True)
    if consumable.minimum_milli == milli:
        return False
    consumable.minimum_milli = milli
    await _low_stock_alert(session, consumable, manager_ids, now, seen_by=manager)
    await session.flush()
    return True


async def low_stock(session: AsyncSession) -> list[Consumable]:
    return [c for c in await list_consumables(session) if c.low]


async def movements(session: AsyncSession, consumable_id: int, limit: int = 8) -> list[StockMovement]:
    """The consumable's latest movements, newest first."""
    rows = await session.scalars(
        select(StockMovement)
        .options(selectinload(StockMovement.member))
        .where(StockMovement.consumable_id == consumable_id)
        .order_by(StockMovement.at.desc(), StockMovement.id.desc())
        .limit(limit)
    )
    return list(rows)


async def ask_amount(
    session: AsyncSession,
    member: Member,
    consumable_id: int,
    reason: MovementReason,
    now: datetime,
    booking_id: int | None = None,
) -> Consumable:
    """Remember that the member's next message is an amount for this consumable."""
    consumable = await get_consumable(session, consumable_id)
    if reason is MovementReason.USE:
        await _check_use(session, member, consumable, booking_id, now)
    else:
        require_manager(member)
    await clear_pending(session, member.id, keep=StockInput)
    await put_pending(
        session,
        StockInput,
        member.id,
        consumable_id=consumable.id,
        reason=reason,
        booking_id=booking_id,
        created_at=now,
    )
    return consumable


async def pending_amount(session: AsyncSession, member: Member, *, lock: bool = False) -> StockInput | None:
    return await get_pending(session, StockInput, member.id, lock=lock)


async def give_amount(
    session: AsyncSession,
    member: Member,
    text: str,
    manager_ids: Iterable[int],
    now: datetime,
    language: str | None = None,
) -> tuple[StockMovement, Consumable]:
    """Apply the amount the member typed to what they were asked for (read in their language)."""
    pending = await pending_amount(session, member, lock=True)
    if pending is None:
        raise NotFound("no amount asked")
    consumable = await get_consumable(session, pending.consumable_id)
    value = parse_quantity(text, consumable.unit, language)  # a bad amount keeps the question open
    consumable_id, reason, booking_id = pending.consumable_id, pending.reason, pending.booking_id
    await session.delete(pending)
    if reason is MovementReason.COUNT:
        movement = await count(session, member, consumable_id, value, manager_ids, now)
    else:
        movement = await move(
            session, member, consumable_id, value, reason, manager_ids, now, booking_id=booking_id
        )
    return movement, await get_consumable(session, consumable_id)


async def drop_amount_request(session: AsyncSession, member: Member) -> bool:
    return await delete_by_key(session, StockInput, member.id)


async def ask_about_usage(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Ask members whose booking just ended what they used, on machines fed by consumables; once each."""
    fed = (
        select(consumable_machines.c.machine_id)
        .join(Consumable, Consumable.id == consumable_machines.c.consumable_id)
        .where(Consumable.active.is_(True))
    )
    ended = await session.scalars(
        select(Booking)
        .options(selectinload(Booking.member), selectinload(Booking.machine))
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.end_at <= now,
            Booking.end_at > now - USAGE_QUESTION_WINDOW,
            Booking.start_at > now - USAGE_QUESTION_WINDOW - timedelta(days=1),
            Booking.usage_asked_at.is_(None),
            Booking.machine_id.in_(fed),
        )
        .order_by(Booking.end_at)
        .limit(limit)
    )
    asked = 0
    for booking in ended:
        booking.usage_asked_at = now
        options = [
            ConsumableOption(id=c.id, name=c.name, unit=c.unit)
            for c in await consumables_of_machine(session, booking.machine_id)
        ]
        question = UsageQuestion(
            booking_id=booking.id,
            machine=booking.machine.name,
            start=booking.start_at,
            end=booking.end_at,
            consumables=options,
        )
        notify_member(session, booking.member, question, now)
        asked += 1
    return asked
