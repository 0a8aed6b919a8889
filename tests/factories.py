"""Builders for test data, written through the domain where the domain has a way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from models import bookings, members, stock
from models.bookings import BookingRules
from models.machines import Machine, MachineKind, MachineStatus
from models.members import Member
from models.opening import OpeningHours
from models.outbox import OutboxMessage
from models.stock import Consumable

PARIS = ZoneInfo("Europe/Paris")
# A Monday, 07:00 in Paris: far enough ahead of any real date for tests to choose their "now".
NOW = datetime(2030, 3, 4, 6, 0, tzinfo=UTC)
RULES = BookingRules(tz=PARIS, horizon_days=14, reminder_lead=timedelta(minutes=30))
_ids = count(1000)


def paris(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2030) -> datetime:
    """An aware datetime in Paris time, turned to UTC as the database keeps it."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


async def make_member(
    session: AsyncSession,
    first_name: str = "Alice",
    *,
    telegram_id: int | None = None,
    manager: bool = False,
    language: str | None = "en",
) -> Member:
    telegram_id = telegram_id if telegram_id is not None else next(_ids)
    return await members.register(
        session,
        telegram_id=telegram_id,
        first_name=first_name,
        last_name=None,
        username=first_name.lower(),
        telegram_language=language,
        manager_ids=[telegram_id] if manager else [],
        now=NOW,
    )


async def make_machine(
    session: AsyncSession,
    name: str = "Prusa MK4",
    *,
    kind: MachineKind = MachineKind.PRINTER_3D,
    slot_minutes: int = 30,
    max_booking_minutes: int = 240,
    requires_training: bool = False,
    status: MachineStatus = MachineStatus.AVAILABLE,
    checkin_minutes: int = 0,
    unattended_max_minutes: int = 0,
) -> Machine:
    machine = Machine(
        name=name,
        kind=kind,
        location="Atelier",
        description="",
        status=status,
        slot_minutes=slot_minutes,
        max_booking_minutes=max_booking_minutes,
        requires_training=requires_training,
        checkin_minutes=checkin_minutes,
        unattended_max_minutes=unattended_max_minutes,
    )
    session.add(machine)
    await session.flush()
    return machine


async def open_every_day(session: AsyncSession, opens: str = "09:00", closes: str = "19:00") -> None:
    """Open the lab every day of the week between two local times."""
    start = int(opens[:2]) * 60 + int(opens[3:])
    end = int(closes[:2]) * 60 + int(closes[3:])
    for weekday in range(7):
        session.add(OpeningHours(weekday=weekday, opens_minute=start, closes_minute=end))
    await session.flush()


async def fill_day(
    session: AsyncSession, machine: Machine, day: date, now: datetime = NOW, *, telegram_id: int | None = None
) -> Member:
    """Book every free start of the machine on a day, as a member of their own: the day is full.
    (`telegram_id`: the filler's, in e2e tests where the factory's own could be a fake user's.)"""
    filler = await make_member(session, "Filler", telegram_id=telegram_id)
    while free := (await bookings.day_availability(session, machine, day, RULES, now)).free_starts:
        lengths = await bookings.free_lengths(session, machine, free[0], RULES, now)
        await bookings.book(session, filler, machine.id, free[0], lengths[-1], RULES, now)
    return filler


async def make_consumable(
    session: AsyncSession,
    name: str = "PLA noir",
    unit: str = "g",
    quantity: str = "1000",
    minimum: str = "500",
    machines: list[Machine] | None = None,
) -> Consumable:
    consumable = Consumable(
        name=name,
        unit=unit,
        quantity_milli=stock.to_milli(Decimal(quantity)),
        minimum_milli=stock.to_milli(Decimal(minimum)),
        supplier="Filament Shop",
        reorder_url="https://example.org/pla",
        active=True,
        created_at=NOW,
        machines=machines or [],
    )
    session.add(consumable)
    await session.flush()
    return consumable


def queue_row(
    session: AsyncSession,
    *,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    member_id: int | None = None,
) -> OutboxMessage:
    """An outbox row written with a literal payload, as an older fabdesk (or a hand) wrote it: the
    sender must read it as it reads the rows `outbox.enqueue` writes from a notice."""
    row = OutboxMessage(
        chat_id=chat_id, member_id=member_id, kind=kind, payload=payload, created_at=now, attempts=0
    )
    session.add(row)
    return row
