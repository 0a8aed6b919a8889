"""Letting an accepted member into the project's group, and the other things queued for the group
and its owners: Telegram actions on the group (approve, decline, remove) and messages to the owners,
written to the outbox with the change so they are done even across a crash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.notices import Notice
from models.outbox import enqueue, notify_member
from models.projects.lookup import owners
from models.projects.notices import ChatAction, ProjectInvite
from models.projects.tables import MembershipStatus, Project, ProjectMember


def _notify_owners(session: AsyncSession, project: Project, notice: Notice, now: datetime) -> None:
    for owner in owners(project):
        notify_member(session, owner, notice, now)


def _chat_action(session: AsyncSession, project: Project, action: str, user_id: int, now: datetime) -> None:
    """Queue a Telegram action on the project's group (approve/decline a join request, remove)."""
    if project.chat_id is None:
        return
    notice = ChatAction(action=action, chat_id=project.chat_id, user_id=user_id, project=project.name)
    enqueue(session, chat_id=project.chat_id, notice=notice, now=now)


def _let_in(session: AsyncSession, project: Project, membership: ProjectMember, now: datetime) -> None:
    """An accepted member gets into the group: their waiting join request is approved if Telegram
    holds one, else they are sent an invite link; without a usable group, nothing (they were told)."""
    if membership.chat_request_at is not None and project.chat_id is not None:
        membership.status, membership.joined_at, membership.chat_request_at = (
            MembershipStatus.JOINED,
            now,
            None,
        )
        _chat_action(session, project, "approve", membership.member.telegram_id, now)
    elif project.can_invite and membership.status is not MembershipStatus.JOINED:
        _invite(session, project, membership, now)


def _invite(session: AsyncSession, project: Project, membership: ProjectMember, now: datetime) -> None:
    """Send the member an invite link to the group (created when the message is sent)."""
    if project.chat_id is None:  # the callers check can_invite
        return
    invite = ProjectInvite(
        project=project.name,
        project_id=project.id,
        chat_id=project.chat_id,
        membership_id=membership.id,
        owners=[o.first_name for o in owners(project)],
    )
    notify_member(session, membership.member, invite, now)
