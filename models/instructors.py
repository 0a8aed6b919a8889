"""Instructors: members a manager promotes to train others on given machines or kinds of machine.

An instructor plans training sessions on the machines (and kinds) they instruct, and runs the
sessions they plan or are assigned to (models/sessions.py: may_run); no other session, and no
manager's screen. A role on a kind covers every machine of that kind; a role on one machine covers
that machine only (a training on the whole kind authorizes on machines they do not instruct).
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_type
from models.errors import NotAllowed, NotFound
from models.machines import Machine, MachineKind, get_machine
from models.members import Member, get_member, require_manager
from models.notices import Notice
from models.outbox import notify_member


class InstructorRole(Base):
    """A manager's word that a member trains others on one machine, or on every machine of a kind."""

    __tablename__ = "instructor_roles"
    __table_args__ = (
        CheckConstraint("(machine_id IS NULL) <> (machine_kind IS NULL)", name="machine_or_kind"),
        UniqueConstraint("member_id", "machine_id", name="uq_instructor_roles_member_machine"),
        UniqueConstraint("member_id", "machine_kind", name="uq_instructor_roles_member_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    machine_kind: Mapped[MachineKind | None] = mapped_column(enum_type(MachineKind, "instructor_kind"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime]


class InstructorRoleChanged(Notice, kind="instructor_role"):
    """To a member: they now train others on a machine or a kind (`given`), or no longer; neither a
    machine nor a kind and not `given`: every role of theirs was withdrawn."""

    given: bool
    machine: str | None = None
    machine_kind: MachineKind | None = field(default=None, metadata={"key": "kind"})


class NotYourSession(NotAllowed):
    """Only the managers and the session's instructor run a session (its participants, attendance)."""


class NotYourMachine(NotAllowed):
    """An instructor plans trainings only on the machines or kinds they instruct."""


class NotAnInstructor(NotAllowed):
    """The member chosen as a session's instructor does not instruct its machine or kind."""


async def roles_of(session: AsyncSession, member_id: int) -> list[InstructorRole]:
    """The member's instructor roles: kinds first, then machines, in a stable order."""
    rows = await session.scalars(
        select(InstructorRole)
        .where(InstructorRole.member_id == member_id)
        .order_by(
            InstructorRole.machine_kind.is_(None), InstructorRole.machine_kind, InstructorRole.machine_id
        )
    )
    return list(rows)


async def is_instructor(session: AsyncSession, member: Member) -> bool:
    query = select(InstructorRole.id).where(InstructorRole.member_id == member.id).limit(1)
    found = await session.scalar(query)
    return found is not None


async def instructs(
    session: AsyncSession, member: Member, *, machine_id: int | None, machine_kind: MachineKind | None
) -> bool:
    """Whether the member instructs this machine (a role on it or on its kind) or this whole kind."""
    if machine_id is not None:
        machine = await session.get(Machine, machine_id)
        if machine is None:
            return False
        covers = or_(InstructorRole.machine_id == machine.id, InstructorRole.machine_kind == machine.kind)
    elif machine_kind is not None:
        covers = InstructorRole.machine_kind == machine_kind
    else:
        return False
    found = await session.scalar(
        select(InstructorRole.id).where(InstructorRole.member_id == member.id, covers).limit(1)
    )
    return found is not None


async def toggle_role(
    session: AsyncSession,
    manager: Member,
    member_id: int,
    *,
    machine_id: int | None = None,
    kind: MachineKind | None = None,
    now: datetime,
) -> bool:
    """Give the member the role on this machine or kind, or take it back if they held it (managers
    only); return whether they hold it now."""
    require_manager(manager)
    if (machine_id is None) == (kind is None):
        raise ValueError("a role on a machine or a kind, not both")
    member = await get_member(session, member_id)
    if member.erased_at is not None:
        raise NotFound(f"member {member_id}")
    machine = await get_machine(session, machine_id) if machine_id is not None else None
    if machine_id is not None:
        same = InstructorRole.machine_id == machine_id
    else:
        same = InstructorRole.machine_kind == kind
    removed = await session.execute(delete(InstructorRole).where(InstructorRole.member_id == member.id, same))
    held = not getattr(removed, "rowcount", 0)
    notice = InstructorRoleChanged(given=held, machine=machine.name if machine else None, machine_kind=kind)
    notify_member(session, member, notice, now)
    if not held:
        return False
    session.add(
        InstructorRole(
            member_id=member.id,
            machine_id=machine_id,
            machine_kind=kind,
            granted_by_id=manager.id,
            granted_at=now,
        )
    )
    await session.flush()
    return True


async def withdraw(session: AsyncSession, manager: Member, member_id: int, now: datetime) -> int:
    """Take back every instructor role of the member (managers only), telling them; return how many
    they held (0: nothing changed, nobody told)."""
    require_manager(manager)
    member = await get_member(session, member_id)
    result = await session.execute(delete(InstructorRole).where(InstructorRole.member_id == member_id))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        notify_member(session, member, InstructorRoleChanged(given=False), now)
    return count


async def instructors_for(
    session: AsyncSession, *, machine_id: int | None, machine_kind: MachineKind | None
) -> list[Member]:
    """The members (not erased) who instruct this machine or kind, by first name."""
    if machine_id is not None:
        machine = await get_machine(session, machine_id)
        covers = or_(InstructorRole.machine_id == machine.id, InstructorRole.machine_kind == machine.kind)
    elif machine_kind is not None:
        covers = InstructorRole.machine_kind == machine_kind
    else:
        return []
    rows = await session.scalars(
        select(Member)
        .where(Member.id.in_(select(InstructorRole.member_id).where(covers)), Member.erased_at.is_(None))
        .order_by(Member.first_name, Member.id)
    )
    return list(rows)


async def export_of(session: AsyncSession, member: Member) -> dict[str, Any]:
    """The member's instructor roles, and (a manager) the roles they gave (only what and when), for
    their /mydata export."""
    names = {m.id: m.name for m in await session.scalars(select(Machine))}
    given = await session.scalars(
        select(InstructorRole).where(InstructorRole.granted_by_id == member.id).order_by(InstructorRole.id)
    )
    return {
        "instructor_roles": [
            {
                "machine": names.get(role.machine_id) if role.machine_id is not None else None,
                "machine_kind": role.machine_kind.value if role.machine_kind is not None else None,
                "since": role.granted_at.isoformat(),
            }
            for role in await roles_of(session, member.id)
        ],
        "instructor_roles_you_gave": [
            {
                "machine_kind": role.machine_kind.value if role.machine_kind is not None else None,
                "at": role.granted_at.isoformat(),
            }
            for role in given
        ],
    }


async def forget_member(session: AsyncSession, member: Member) -> int:
    """Delete the member's instructor roles (their erasure); return how many there were."""
    result = await session.execute(delete(InstructorRole).where(InstructorRole.member_id == member.id))
    return int(getattr(result, "rowcount", 0) or 0)


async def all_instructors(session: AsyncSession) -> list[tuple[Member, list[InstructorRole]]]:
    """Every instructor (not erased) with their roles, by first name."""
    roles: dict[int, list[InstructorRole]] = {}
    for role in await session.scalars(select(InstructorRole).order_by(InstructorRole.id)):
        roles.setdefault(role.member_id, []).append(role)
    if not roles:
        return []
    people = await session.scalars(
        select(Member)
        .where(Member.id.in_(roles), Member.erased_at.is_(None))
        .order_by(Member.first_name, Member.id)
    )
    return [(person, roles[person.id]) for person in people]
