"""An owner's next message: an announcement, the subject of a meeting being planned, or (forwarded)
a post of the channel to link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.base import clear_pending, delete_by_key, get_pending, put_pending
from models.errors import NotFound
from models.members import Member
from models.outbox import notify_member
from models.projects.errors import BadProjectText, ForwardExpected, NeedsLink
from models.projects.groups import BotRights, link_chat
from models.projects.lookup import audience, get_project, require_owner
from models.projects.notices import ProjectAnnouncement
from models.projects.tables import (
    MAX_ANNOUNCEMENT,
    MEETING_AHEAD,
    Meeting,
    Project,
    ProjectDraft,
    ProjectInput,
)
from models.projects.texts import _URL_IN_TEXT, clean_text


async def ask_project_input(
    session: AsyncSession,
    owner: Member,
    project_id: int,
    purpose: str,
    now: datetime,
    *,
    starts_at: datetime | None = None,
    remote: bool | None = None,
) -> Project:
    """The owner's next message is an announcement, or the text of a meeting at `starts_at`."""
    project = await get_project(session, project_id)
    require_owner(project, owner)
    if purpose == "meeting" and (starts_at is None or not now < starts_at <= now + MEETING_AHEAD):
        raise BadProjectText("meeting time")
    await clear_pending(session, owner.id, keep=ProjectInput)
    await put_pending(
        session,
        ProjectInput,
        owner.id,
        project_id=project.id,
        purpose=purpose,
        starts_at=starts_at,
        remote=remote,
        created_at=now,
    )
    return project


async def pending_project_input(
    session: AsyncSession, member: Member, *, lock: bool = False
) -> ProjectInput | None:
    return await get_pending(session, ProjectInput, member.id, lock=lock)


@dataclass(frozen=True)
class Posted:
    project: Project
    purpose: str
    reached: int
    meeting: Meeting | None = None
    expired: bool = False  # a meeting whose time passed before its subject came: nothing planned


async def give_project_input(session: AsyncSession, owner: Member, text: str, now: datetime) -> Posted:
    """Post the announcement to the members outside the group, or schedule the meeting."""
    pending = await pending_project_input(session, owner, lock=True)
    if pending is None:
        raise NotFound("nothing asked")
    if pending.purpose == "channel":
        raise ForwardExpected(pending.project_id)
    project = await get_project(session, pending.project_id)
    require_owner(project, owner)
    body = clean_text(text, MAX_ANNOUNCEMENT if pending.purpose == "announcement" else 300)
    purpose, starts_at, remote = pending.purpose, pending.starts_at, bool(pending.remote)
    link = _URL_IN_TEXT.search(body)
    if purpose == "meeting":
        if starts_at is None or starts_at <= now:  # the time passed while the subject was typed
            await delete_by_key(session, ProjectInput, owner.id)  # kept: the outcome says why
            return Posted(project, purpose, 0, expired=True)
        if remote and link is None:
            raise NeedsLink(body[:40])  # the question stays: the next message can add the link
    await delete_by_key(session, ProjectInput, owner.id)
    if purpose == "announcement":
        people = [m for m in audience(project, outside_group_only=True) if m.id != owner.id]
        for person in people:
            announcement = ProjectAnnouncement(project=project.name, sender=owner.first_name, text=body)
            notify_member(session, person, announcement, now)
        return Posted(project, purpose, len(people))
    assert starts_at is not None
    meeting = Meeting(
        project_id=project.id,
        title=body,
        starts_at=starts_at,
        remote=remote,
        link=link.group(0).rstrip(".,;:!?)]}»\"'")[:500] if link else None,
        created_by_id=owner.id,
        created_at=now,
    )
    session.add(meeting)
    await session.flush()
    return Posted(project, purpose, len(audience(project, outside_group_only=False)), meeting)


async def awaits_channel(session: AsyncSession, member: Member) -> bool:
    """Whether the member pressed "Link a channel" and their next forwarded post is the channel."""
    pending = await pending_project_input(session, member)
    return pending is not None and pending.purpose == "channel"


async def link_channel(
    session: AsyncSession,
    owner: Member,
    chat_id: int,
    title: str,
    rights: BotRights,
    now: datetime,
    *,
    sender_is_admin: bool,
) -> Project:
    """Link the channel a message was forwarded from to the project whose owner pressed "Link a
    channel" (a channel has no sender to answer /link). Until it works, the question stays asked."""
    pending = await pending_project_input(session, owner, lock=True)
    if pending is None or pending.purpose != "channel":
        raise NotFound("no channel asked for")
    project = await link_chat(
        session, owner, pending.project_id, chat_id, title, rights, now, sender_is_admin=sender_is_admin
    )
    await delete_by_key(session, ProjectInput, owner.id)
    return project


async def drop_project_inputs(session: AsyncSession, member: Member) -> None:
    await delete_by_key(session, ProjectInput, member.id)
    await delete_by_key(session, ProjectDraft, member.id)
