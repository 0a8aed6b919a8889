"""The equipment update register: software, firmware and systems to check for updates, on time.

Each item says how often it should be checked. When a check falls due, the managers are reminded
once (the due date the reminder was for is recorded); they mark it done (with the version now
installed), snooze it a week, or mark it not applicable. Every check is kept, so the history of
versions stays.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from models.base import Base, clear_pending, delete_by_key, enum_type, get_pending, put_pending
from models.errors import DomainError, NotFound
from models.machines import Machine
from models.members import Member, require_manager
from models.notices import Notice, Part
from models.outbox import notify_managers

SNOOZE = timedelta(days=7)
MAX_LISTED = 40  # items named in one reminder; the rest are counted (and all are in /updates)
MAX_VERSION = 50


class CheckAction(enum.StrEnum):
    DONE = "done"
    SNOOZED = "snoozed"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, kw_only=True)
class _DueItem:
    item_id: int
    name: str
    machine: str | None = None
    version: str | None = None
    every_days: int | None = None
    due: datetime | None = None


class ItemDue(_DueItem, Part):
    """One item whose check fell due, as a reminder lists it."""


class UpdateDue(_DueItem, Notice, kind="update_due"):
    """To the managers: one item's check fell due."""


class UpdatesDue(Notice, kind="updates_due"):
    """To the managers: several checks fell due together (the first MAX_LISTED named, all counted)."""

    items: list[ItemDue]
    count: int


class BadVersion(DomainError):
    """An empty or absurdly long version text."""


class UpdateItem(Base):
    """A component whose updates the fab manager checks: a slicer, a CAM suite, an OS, a firmware."""

    __tablename__ = "update_items"
    __table_args__ = (CheckConstraint("check_every_days > 0", name="check_every_days_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id", ondelete="SET NULL"))
    current_version: Mapped[str] = mapped_column(String(MAX_VERSION), default="")
    check_every_days: Mapped[int] = mapped_column(Integer)
    last_checked_at: Mapped[datetime]
    snoozed_until: Mapped[datetime | None]
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    # The due date the last reminder was sent for: one reminder per due date, across restarts.
    reminded_for: Mapped[datetime | None]
    created_at: Mapped[datetime]

    machine: Mapped[Machine | None] = relationship(lazy="raise")

    @property
    def due_at(self) -> datetime:
        due = self.last_checked_at + timedelta(days=self.check_every_days)
        return max(due, self.snoozed_until) if self.snoozed_until else due

    def is_due(self, now: datetime) -> bool:
        return not self.not_applicable and self.due_at <= now


class UpdateCheck(Base):
    """One check of an item: what was done, by whom, and the versions before and after."""

    __tablename__ = "update_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("update_items.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    action: Mapped[CheckAction] = mapped_column(enum_type(CheckAction, "update_check_action"))
    version_before: Mapped[str] = mapped_column(String(MAX_VERSION), default="")
    version_after: Mapped[str] = mapped_column(String(MAX_VERSION), default="")

    member: Mapped[Member | None] = relationship(lazy="raise")


class VersionInput(Base):
    """The manager's next message is the version now installed on this item."""

    __tablename__ = "version_inputs"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("update_items.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]


async def list_items(session: AsyncSession) -> list[UpdateItem]:
    """Every item, the soonest due first (not applicable ones last)."""
    items = list(await session.scalars(select(UpdateItem).options(selectinload(UpdateItem.machine))))
    return sorted(items, key=lambda i: (i.not_applicable, i.due_at, i.name.lower()))


async def get_item(session: AsyncSession, item_id: int) -> UpdateItem:
    item = await session.scalar(
        select(UpdateItem).options(selectinload(UpdateItem.machine)).where(UpdateItem.id == item_id)
    )
    if item is None:
        raise NotFound(f"update item {item_id}")
    return item


async def history(session: AsyncSession, item_id: int, limit: int = 8) -> list[UpdateCheck]:
    rows = await session.scalars(
        select(UpdateCheck)
        .options(selectinload(UpdateCheck.member))
        .where(UpdateCheck.item_id == item_id)
        .order_by(UpdateCheck.at.desc(), UpdateCheck.id.desc())
        .limit(limit)
    )
    return list(rows)


_Due = TypeVar("_Due", bound=_DueItem)


def _facts(item: UpdateItem, notice: type[_Due]) -> _Due:
    return notice(
        item_id=item.id,
        name=item.name,
        machine=item.machine.name if item.machine else None,
        version=item.current_version,
        every_days=item.check_every_days,
        due=item.due_at,
    )


async def remind_due(session: AsyncSession, manager_ids: Iterable[int], now: datetime) -> list[UpdateItem]:
    """Remind the managers of the items whose check fell due (and were not reminded for that due
    date): one message for one item, one message listing them all when several fall due together."""
    reminded = []
    for item in await list_items(session):
        if not item.is_due(now) or item.reminded_for == item.due_at:
            continue
        item.reminded_for = item.due_at
        reminded.append(item)
    if len(reminded) == 1:
        await notify_managers(session, manager_ids, _facts(reminded[0], UpdateDue), now)
    elif reminded:
        listed = [_facts(i, ItemDue) for i in reminded[:MAX_LISTED]]
        await notify_managers(session, manager_ids, UpdatesDue(items=listed, count=len(reminded)), now)
    return reminded


def _record(
    session: AsyncSession,
    item: UpdateItem,
    manager: Member,
    action: CheckAction,
    now: datetime,
    version_after: str | None = None,
) -> None:
    session.add(
        UpdateCheck(
            item_id=item.id,
            at=now,
            member_id=manager.id,
            action=action,
            version_before=item.current_version,
            version_after=item.current_version if version_after is None else version_after,
        )
    )


async def mark_done(
    session: AsyncSession, manager: Member, item_id: int, version: str | None, now: datetime
) -> UpdateItem:
    """The item was checked (and maybe updated): record the version now installed, restart its clock."""
    require_manager(manager)
    item = await get_item(session, item_id)
    if version is not None:
        version = " ".join(version.replace("\x00", "").split())  # PostgreSQL refuses NUL in text
        if not version or len(version) > MAX_VERSION:
            raise BadVersion(version[:60])
    _record(session, item, manager, CheckAction.DONE, now, version)
    if version is not None:
        item.current_version = version
    item.last_checked_at, item.snoozed_until, item.reminded_for, item.not_applicable = now, None, None, False
    await session.flush()
    return item


async def snooze(session: AsyncSession, manager: Member, item_id: int, now: datetime) -> UpdateItem:
    """Put the check off for a week (a new reminder comes then)."""
    require_manager(manager)
    item = await get_item(session, item_id)
    _record(session, item, manager, CheckAction.SNOOZED, now)
    item.snoozed_until = now + SNOOZE
    await session.flush()
    return item


async def set_not_applicable(
    session: AsyncSession, manager: Member, item_id: int, now: datetime
) -> UpdateItem:
    """Stop reminding about this item (marking it done later turns it back on)."""
    require_manager(manager)
    item = await get_item(session, item_id)
    _record(session, item, manager, CheckAction.NOT_APPLICABLE, now)
    item.not_applicable = True
    await session.flush()
    return item


async def ask_version(session: AsyncSession, manager: Member, item_id: int, now: datetime) -> UpdateItem:
    """Remember that the manager's next message is the version now installed."""
    require_manager(manager)
    item = await get_item(session, item_id)
    await clear_pending(session, manager.id, keep=VersionInput)
    await put_pending(session, VersionInput, manager.id, item_id=item.id, created_at=now)
    return item


async def pending_version(
    session: AsyncSession, member: Member, *, lock: bool = False
) -> VersionInput | None:
    return await get_pending(session, VersionInput, member.id, lock=lock)


async def give_version(session: AsyncSession, manager: Member, text: str, now: datetime) -> UpdateItem:
    pending = await pending_version(session, manager, lock=True)
    if pending is None:
        raise NotFound("no version asked")
    item_id = pending.item_id
    item = await mark_done(session, manager, item_id, text, now)  # a bad version keeps the question open
    await session.delete(pending)
    await session.flush()
    return item


async def drop_version_request(session: AsyncSession, member: Member) -> bool:
    return await delete_by_key(session, VersionInput, member.id)
