"""What the owners decide: requests to join, strangers' join requests, removing a member, sharing
ownership, archiving.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.errors import NotFound
from models.members import Member, find_by_telegram_id
from models.outbox import notify_member
from models.projects.admission import _chat_action, _let_in
from models.projects.errors import AlreadyDecided, RequestWithdrawn
from models.projects.lookup import _who, get_project, membership_of, pending_requests, require_owner, withdrew
from models.projects.notices import ProjectArchived, ProjectDecision, ProjectOwner, ProjectRemoved
from models.projects.tables import (
    IN_PROJECT,
    ChatJoinRequest,
    JoinDecision,
    MembershipStatus,
    Project,
    ProjectMember,
    ProjectStatus,
    Role,
)


async def owned_membership(
    session: AsyncSession, owner: Member, membership_id: int, *, lock: bool = False
) -> ProjectMember:
    """A membership of a project the owner owns (anything else is NotAllowed or NotFound); `lock`
    makes a concurrent answer to the same membership wait, then see this one."""
    query = (
        select(ProjectMember)
        .options(selectinload(ProjectMember.member))
        .where(ProjectMember.id == membership_id)
    )
    if lock:
        query = query.with_for_update(of=ProjectMember, key_share=True).execution_options(
            populate_existing=True
        )
    membership = await session.scalar(query)
    if membership is None:
        raise NotFound(f"membership {membership_id}")
    project = await get_project(session, membership.project_id)
    require_owner(project, owner)
    membership.project = project
    return membership


async def decide(
    session: AsyncSession, owner: Member, membership_id: int, approve: bool, now: datetime
) -> ProjectMember:
    """An owner approves or declines a request to join; the member is told, and let in (or not)."""
    membership = await owned_membership(session, owner, membership_id, lock=True)
    project = membership.project
    if withdrew(membership):
        raise RequestWithdrawn(project.name, project.id, _who(membership.member))
    if membership.status is not MembershipStatus.REQUESTED:
        raise AlreadyDecided(project.name, project.id)
    membership.status = MembershipStatus.APPROVED if approve else MembershipStatus.DECLINED
    membership.decided_at, membership.decided_by_id = now, owner.id
    decision = ProjectDecision(project=project.name, approved=approve, can_invite=project.can_invite)
    notify_member(session, membership.member, decision, now)
    if approve:
        _let_in(session, project, membership, now)
    elif membership.chat_request_at is not None:
        membership.chat_request_at = None
        _chat_action(session, project, "decline", membership.member.telegram_id, now)
    await session.flush()
    return membership


async def decide_unknown(
    session: AsyncSession, owner: Member, request_id: int, approve: bool, now: datetime
) -> ChatJoinRequest:
    """An owner lets in (or not) someone who asked to join the group without going through fabdesk.

    A person fabdesk knows who is let in this way becomes a member the owners can manage.
    """
    request = await session.scalar(
        select(ChatJoinRequest)
        .where(ChatJoinRequest.id == request_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if request is None:
        raise NotFound(f"join request {request_id}")
    project = await get_project(session, request.project_id)
    require_owner(project, owner)
    if request.decision is not JoinDecision.PENDING:
        raise AlreadyDecided(project.name)
    request.decision = JoinDecision.APPROVED if approve else JoinDecision.DECLINED
    request.decided_at, request.decided_by_id = now, owner.id
    _chat_action(session, project, "approve" if approve else "decline", request.telegram_user_id, now)
    known = await find_by_telegram_id(session, request.telegram_user_id) if approve else None
    if known is not None:
        mine = membership_of(project, known)
        if mine is None:
            mine = ProjectMember(
                project_id=project.id, member_id=known.id, role=Role.MEMBER, requested_at=now
            )
            session.add(mine)
        mine.status, mine.decided_at, mine.decided_by_id, mine.joined_at = (
            MembershipStatus.JOINED,
            now,
            owner.id,
            now,
        )
    await session.flush()
    return request


async def remove_member(
    session: AsyncSession, owner: Member, membership_id: int, now: datetime
) -> ProjectMember:
    """Remove a member from the project, and from its group; they are told."""
    membership = await owned_membership(session, owner, membership_id, lock=True)
    project = membership.project
    if membership.role is Role.OWNER or membership.status not in IN_PROJECT:
        raise NotFound(f"membership {membership_id}")
    membership.status, membership.decided_at, membership.decided_by_id = (
        MembershipStatus.REMOVED,
        now,
        owner.id,
    )
    _chat_action(session, project, "remove", membership.member.telegram_id, now)
    notify_member(session, membership.member, ProjectRemoved(project=project.name), now)
    await session.flush()
    return membership


async def make_owner(
    session: AsyncSession, owner: Member, membership_id: int, now: datetime
) -> ProjectMember:
    """Share the project: another member becomes an owner too."""
    membership = await owned_membership(session, owner, membership_id, lock=True)
    if membership.status not in IN_PROJECT:
        raise NotFound(f"membership {membership_id}")
    if membership.role is not Role.OWNER:
        membership.role = Role.OWNER
        notify_member(session, membership.member, ProjectOwner(project=membership.project.name), now)
    await session.flush()
    return membership


async def archive(session: AsyncSession, member: Member, project_id: int, now: datetime) -> Project:
    """Archive a project (its owners, or a fab manager): no longer listed nor joinable; requests
    still waiting are declined and their people told."""
    project = await get_project(session, project_id)
    require_owner(project, member, or_manager=True)
    await close_project(session, project, member, now)
    return project


async def close_project(session: AsyncSession, project: Project, by: Member | None, now: datetime) -> None:
    """Archive the project (loaded with its memberships); decline the requests still waiting and
    tell their people. `by` is None when nobody decided (its last owner's data was erased)."""
    project.status, project.archived_at = ProjectStatus.ARCHIVED, now
    by_id = by.id if by is not None else None
    known, unknown = await pending_requests(session, project)
    for waiting in known:
        waiting.status, waiting.decided_at, waiting.decided_by_id = MembershipStatus.DECLINED, now, by_id
        notify_member(session, waiting.member, ProjectArchived(project=project.name), now)
        if waiting.chat_request_at is not None:
            _chat_action(session, project, "decline", waiting.member.telegram_id, now)
    for request in unknown:
        request.decision, request.decided_at, request.decided_by_id = JoinDecision.DECLINED, now, by_id
        _chat_action(session, project, "decline", request.telegram_user_id, now)
    await session.flush()
