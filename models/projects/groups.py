"""The project's Telegram group (or channel): linking it, and following what Telegram says of it (the
bot's rights, members coming and going, a group upgraded to a supergroup).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.members import Member, find_by_telegram_id
from models.outbox import OutboxMessage
from models.projects.admission import _let_in, _notify_owners
from models.projects.errors import GroupTaken, NoGroup, NotGroupAdmin
from models.projects.lookup import _project_of_chat, get_project, is_owner, membership_of, require_owner
from models.projects.notices import ProjectRightsLost
from models.projects.tables import IN_PROJECT, MembershipStatus, Project, ProjectMember, ProjectStatus, Role


@dataclass(frozen=True)
class BotRights:
    """What the bot may do in a group, as Telegram's getChatMember says."""

    admin: bool
    can_invite: bool
    can_restrict: bool

    @property
    def missing(self) -> list[str]:
        """What is missing, as stable codes: "admin", "invite", "restrict"."""
        if not self.admin:
            return ["admin"]
        return [code for code, ok in (("invite", self.can_invite), ("restrict", self.can_restrict)) if not ok]


async def linkable_projects(session: AsyncSession, member: Member) -> list[Project]:
    """Active projects the member owns (those already linked too: linking again moves them)."""
    rows = await session.scalars(
        select(Project)
        .join(ProjectMember)
        .where(
            ProjectMember.member_id == member.id,
            ProjectMember.role == Role.OWNER,
            ProjectMember.status.in_(IN_PROJECT),
            Project.status == ProjectStatus.ACTIVE,
        )
        .order_by(func.lower(Project.name))
    )
    return list(rows)


async def link_chat(
    session: AsyncSession,
    owner: Member,
    project_id: int,
    chat_id: int,
    title: str,
    rights: BotRights,
    now: datetime,
    *,
    sender_is_admin: bool = True,
) -> Project:
    """Link a Telegram group to a project its owner chose, once the bot has the rights it needs.

    The sender must administer the group, and a group already serving another active project can
    only be moved by an owner of that project. Members accepted before (or in another group) are
    invited to it.
    """
    project = await get_project(session, project_id)
    require_owner(project, owner)
    if not sender_is_admin:
        raise NotGroupAdmin(title)
    if rights.missing:
        raise NoGroup(",".join(rights.missing))
    other = await _project_of_chat(session, chat_id)
    if other is not None and other.id != project.id:
        if other.status is ProjectStatus.ACTIVE and not is_owner(other, owner):
            raise GroupTaken(other.name)
        other.chat_id, other.chat_title = None, ""
        for membership in other.memberships:  # nobody is in the (now no) group of the other project
            if membership.status is MembershipStatus.JOINED:
                membership.status = MembershipStatus.APPROVED
        await session.flush()
    moved = project.chat_id != chat_id
    project.chat_id, project.chat_title, project.chat_lost_at = chat_id, title[:128], None
    await session.flush()
    for membership in project.memberships:
        if moved and membership.status is MembershipStatus.JOINED:
            membership.status = MembershipStatus.APPROVED  # they are in the old group, not this one
        if membership.member_id == owner.id:
            membership.status, membership.joined_at = MembershipStatus.JOINED, now  # they sent /link from it
        elif membership.status is MembershipStatus.APPROVED:
            _let_in(session, project, membership, now)
    await session.flush()
    return project


async def bot_rights_changed(
    session: AsyncSession, chat_id: int, rights: BotRights, now: datetime
) -> Project | None:
    """The bot's status changed in a group: record lost (or regained) rights. Owners are told of a
    loss; when the rights come back, members accepted meanwhile are invited."""
    project = await _project_of_chat(session, chat_id)
    if project is None or project.status is not ProjectStatus.ACTIVE:
        return None
    if rights.missing and project.chat_lost_at is None:
        project.chat_lost_at = now
        lost = ProjectRightsLost(project=project.name, missing=rights.missing)
        _notify_owners(session, project, lost, now)
    elif not rights.missing and project.chat_lost_at is not None:
        project.chat_lost_at = None
        for membership in project.memberships:
            if membership.status is MembershipStatus.APPROVED:
                _let_in(session, project, membership, now)
    return project


async def member_moved(
    session: AsyncSession, chat_id: int, user_id: int, in_group: bool, now: datetime
) -> None:
    """Someone joined or left a project's group by themselves: keep "in the group" true."""
    project = await _project_of_chat(session, chat_id)
    member = await find_by_telegram_id(session, user_id)
    if project is None or member is None or (mine := membership_of(project, member)) is None:
        return
    if in_group and mine.status is MembershipStatus.APPROVED:
        mine.status, mine.joined_at = MembershipStatus.JOINED, now
    elif not in_group and mine.status is MembershipStatus.JOINED:
        mine.status = MembershipStatus.APPROVED  # still in the project, no longer in its group


async def chat_migrated(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> Project | None:
    """Telegram upgraded a group to a supergroup (a new id): the project follows, and so do the
    invites and group actions still waiting for the old id."""
    project = await session.scalar(select(Project).where(Project.chat_id == old_chat_id))
    taken = await session.scalar(select(Project.id).where(Project.chat_id == new_chat_id))
    if project is not None and taken is None:
        project.chat_id = new_chat_id
    waiting = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.kind.in_(("chat_action", "project_invite")),
        )
    )
    for message in waiting:
        if message.payload.get("chat_id") == old_chat_id:
            message.payload = {**message.payload, "chat_id": new_chat_id}
        if message.chat_id == old_chat_id:
            message.chat_id = new_chat_id
    await session.flush()
    return project
