"""What managers changed from the Mini App, with who and when: the lab's record of its settings.

One row per change that did something: a short kind (`what`), the acting manager, the thing changed
(a machine, a member, a weekday, a closure day: `target_id`, read with `what`) and the new values.
Free texts (a location, a closure's reason) are not copied here: the row names the field that
changed, so a member's name written in one does not outlive its erasure in this record.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_type
from models.members import Member


class ChangeKind(enum.StrEnum):
    MACHINE = "machine"  # target: the machine
    DOWNTIME = "downtime"  # target: the machine
    HOURS = "hours"  # target: the weekday (0 = Monday)
    CLOSURE_ADDED = "closure_added"  # target: the day's ordinal (date.toordinal)
    CLOSURE_REMOVED = "closure_removed"
    AUTHORIZED = "authorized"  # target: the member
    REVOKED = "revoked"
    PROMOTED = "promoted"
    DEMOTED = "demoted"
    RESTOCKED = "restocked"  # target: the consumable
    COUNTED = "counted"  # target: the consumable (an inventory count)
    MINIMUM = "minimum"  # target: the consumable (its low-stock threshold)
    UPDATED = "updated"  # target: the update register's item (marked updated, with its version)
    # target: the kind's place in MachineKind (0 = the first); details["kind"] names it.
    KIND_LIMITS = "kind_limits"


class ManagerChange(Base):
    """One change a manager made from the app."""

    __tablename__ = "manager_changes"
    __table_args__ = (
        Index("ix_manager_changes_at", "at"),
        # What was changed about one thing (a member's trainings and role: privacy, erasure).
        Index("ix_manager_changes_what_target", "what", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    at: Mapped[datetime]
    what: Mapped[ChangeKind] = mapped_column(enum_type(ChangeKind, "manager_change_kind"))
    target_id: Mapped[int] = mapped_column(Integer)
    # The new values, plain JSON: ids, numbers, flags, names of machines, and "texts": the free-text
    # fields that changed (not their words).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def record(
    session: AsyncSession,
    manager: Member,
    what: ChangeKind,
    target_id: int,
    details: dict[str, Any],
    now: datetime,
    *,
    texts: tuple[str, ...] = (),
) -> ManagerChange:
    """Record a change: its values (made plain JSON), the free-text fields named in `texts`."""
    values = {key: _plain(value) for key, value in details.items() if key not in texts}
    changed_texts = [key for key in texts if key in details]
    if changed_texts:
        values["texts"] = changed_texts
    change = ManagerChange(manager_id=manager.id, at=now, what=what, target_id=target_id, details=values)
    session.add(change)
    return change


async def changes_by(session: AsyncSession, manager_id: int) -> list[ManagerChange]:
    """Every change a manager made, oldest first."""
    rows = await session.scalars(
        select(ManagerChange).where(ManagerChange.manager_id == manager_id).order_by(ManagerChange.at)
    )
    return list(rows)


MEMBER_TARGETS = (ChangeKind.AUTHORIZED, ChangeKind.REVOKED, ChangeKind.PROMOTED, ChangeKind.DEMOTED)


async def changes_about_member(session: AsyncSession, member_id: int) -> list[ManagerChange]:
    """Every change made about a member (their trainings, their role), oldest first."""
    rows = await session.scalars(
        select(ManagerChange)
        .where(ManagerChange.what.in_(MEMBER_TARGETS), ManagerChange.target_id == member_id)
        .order_by(ManagerChange.at)
    )
    return list(rows)


async def recent_changes(session: AsyncSession, *, limit: int = 50) -> list[ManagerChange]:
    """The latest changes, newest first."""
    rows = await session.scalars(
        select(ManagerChange).order_by(ManagerChange.at.desc(), ManagerChange.id.desc()).limit(limit)
    )
    return list(rows)
