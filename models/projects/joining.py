"""A member joins, withdraws a request or leaves; Telegram's join requests for a project's group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import NotFound
from models.members import Member, find_by_telegram_id
from models.outbox import enqueue, recall
from models.projects.admission import _chat_action, _let_in, _notify_owners
from models.projects.errors import AlreadyDecided, AlreadyMember, LastOwner
from models.projects.lookup import _project_of_chat, _who, get_project, membership_of, owners
from models.projects.notices import ProjectJoinRequest, ProjectRequestWithdrawn, ProjectUnknownJoin
from models.projects.tables import (
    IN_PROJECT,
    ChatJoinRequest,
    JoinDecision,
    MembershipStatus,
    Project,
    ProjectMember,
    ProjectStatus,
    Role,
    Visibility,
)


async def _settle_stranger_request(
    session: AsyncSession, project: Project, membership: ProjectMember, now: datetime
) -> None:
    """Someone who followed a forwarded link (a stranger's request) is now accepted: their waiting
    request is theirs as a member."""
    waiting = await session.scalar(
        select(ChatJoinRequest).where(
            ChatJoinRequest.project_id == project.id,
            ChatJoinRequest.telegram_user_id == membership.member.telegram_id,
            ChatJoinRequest.decision == JoinDecision.PENDING,
        )
    )
    if waiting is not None:
        waiting.decision, waiting.decided_at = JoinDecision.APPROVED, now
        membership.chat_request_at = waiting.created_at


@dataclass(frozen=True)
class JoinOutcome:
    membership: ProjectMember
    needs_owner: bool  # on request: the owners were asked
    can_invite: bool  # the bot can let the member into the group


async def join(session: AsyncSession, member: Member, project_id: int, now: datetime) -> JoinOutcome:
    """Ask to join: accepted at once for an open project, put to the owners otherwise."""
    project = await get_project(session, project_id)
    mine = membership_of(project, member)
    if mine is not None and mine.status in (*IN_PROJECT, MembershipStatus.REQUESTED):
        raise AlreadyMember(project.name)
    if mine is not None and mine.status in (MembershipStatus.DECLINED, MembershipStatus.REMOVED):
        # Asking again after a refusal or a removal always goes to the owners.
        needs_owner = True
    else:
        needs_owner = project.visibility is Visibility.ON_REQUEST
    if mine is None:
        mine = ProjectMember(
            project_id=project.id,
            member_id=member.id,
            role=Role.MEMBER,
            status=MembershipStatus.REQUESTED,
            requested_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(mine)
        except IntegrityError:  # the same Join pressed twice at once
            raise AlreadyMember(project.name) from None
    mine.status = MembershipStatus.REQUESTED if needs_owner else MembershipStatus.APPROVED
    mine.role = Role.MEMBER  # someone coming back (an owner who left before the fix) returns a member
    mine.requested_at, mine.decided_at, mine.decided_by_id, mine.joined_at = now, None, None, None
    mine.member, mine.project = member, project
    await _settle_stranger_request(session, project, mine, now)
    if needs_owner:
        asked = ProjectJoinRequest(membership_id=mine.id, project=project.name, member=_who(member))
        _notify_owners(session, project, asked, now)
    else:
        mine.decided_at = now
        _let_in(session, project, mine, now)
    await session.flush()
    return JoinOutcome(mine, needs_owner, project.can_invite)


async def handle_join_request(
    session: AsyncSession, chat_id: int, user_id: int, name: str, now: datetime
) -> JoinDecision | None:
    """Decide a join request Telegram sent for a project's group; None if it is not a project's group.

    Accepted members are let in, declined or removed ones are not, one whose request waits for the
    owners waits with it, and anyone fabdesk does not know (a forwarded link) is put to the owners.
    An archived project's group lets nobody in through fabdesk.
    """
    project = await _project_of_chat(session, chat_id)
    if project is None:
        return None
    if project.status is not ProjectStatus.ACTIVE:
        _chat_action(session, project, "decline", user_id, now)
        return JoinDecision.DECLINED
    member = await find_by_telegram_id(session, user_id)
    mine = membership_of(project, member) if member is not None else None
    if mine is not None and mine.status in IN_PROJECT:
        mine.status, mine.joined_at, mine.chat_request_at = MembershipStatus.JOINED, now, None
        _chat_action(session, project, "approve", user_id, now)
        return JoinDecision.APPROVED
    if mine is not None and mine.status in (MembershipStatus.DECLINED, MembershipStatus.REMOVED):
        _chat_action(session, project, "decline", user_id, now)
        return JoinDecision.DECLINED
    if mine is not None and mine.status is MembershipStatus.REQUESTED:
        mine.chat_request_at = now  # settled when an owner answers
        return JoinDecision.PENDING
    pending = await session.scalar(
        select(ChatJoinRequest).where(
            ChatJoinRequest.project_id == project.id,
            ChatJoinRequest.telegram_user_id == user_id,
            ChatJoinRequest.decision == JoinDecision.PENDING,
        )
    )
    if pending is not None:  # asked again before the owners answered: one question is enough
        return JoinDecision.PENDING
    request = ChatJoinRequest(
        project_id=project.id,
        telegram_user_id=user_id,
        name=name[:200],
        decision=JoinDecision.PENDING,
        created_at=now,
    )
    session.add(request)
    await session.flush()
    asked = ProjectUnknownJoin(request_id=request.id, project=project.name, name=name[:200])
    _notify_owners(session, project, asked, now)
    return JoinDecision.PENDING


async def withdraw_request(
    session: AsyncSession, member: Member, project_id: int, now: datetime
) -> ProjectMember:
    """Withdraw a request to join that no owner answered yet. The owners' messages asking them are
    edited to say so (or never sent, if still waiting), and a join request Telegram holds for the
    group is declined."""
    project = await get_project(session, project_id)
    mine = membership_of(project, member)
    if mine is None or mine.status is not MembershipStatus.REQUESTED:
        raise NotFound(f"request to join {project_id}")
    # Locked and read again: an owner's answer at the same instant wins, or waits and sees this.
    await session.scalar(
        select(ProjectMember)
        .where(ProjectMember.id == mine.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if mine.status is not MembershipStatus.REQUESTED:
        raise AlreadyDecided(project.name)
    mine.status, mine.decided_at, mine.decided_by_id = MembershipStatus.LEFT, now, member.id
    if mine.chat_request_at is not None:
        mine.chat_request_at = None
        _chat_action(session, project, "decline", member.telegram_id, now)
    asked = await recall(
        session,
        ProjectJoinRequest,
        mine.requested_at,
        lambda asked: asked.membership_id == mine.id,
        now,
    )
    for message in asked:
        assert message.message_id is not None  # recall returns sent messages only
        withdrawn = ProjectRequestWithdrawn(
            project=project.name, member=_who(member), chat_id=message.chat_id, message_id=message.message_id
        )
        enqueue(session, chat_id=message.chat_id, member_id=message.member_id, notice=withdrawn, now=now)
    await session.flush()
    return mine


async def leave(session: AsyncSession, member: Member, project_id: int, now: datetime) -> ProjectMember:
    """Leave a project (and its group). An owner can leave only if another owner remains. A request
    still waiting is withdrawn (a Leave button shown before requests had their own)."""
    project = await get_project(session, project_id)
    mine = membership_of(project, member)
    if mine is not None and mine.status is MembershipStatus.REQUESTED:
        return await withdraw_request(session, member, project_id, now)
    if mine is None or mine.status not in IN_PROJECT:
        raise NotFound(f"membership in {project_id}")
    if mine.role is Role.OWNER and len(owners(project)) < 2:
        raise LastOwner(project.name)
    was_in_group = mine.status is MembershipStatus.JOINED
    # Ownership goes with leaving: coming back is joining, as a member (the owners decide the rest).
    # Nobody decided a departure (`withdrew` tells a withdrawn request by who closed it).
    mine.status, mine.decided_at, mine.role = MembershipStatus.LEFT, now, Role.MEMBER
    mine.decided_by_id = None
    if was_in_group:
        _chat_action(session, project, "remove", member.telegram_id, now)
    await session.flush()
    return mine
