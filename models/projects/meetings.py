"""Project meetings: listing, cancelling, and reminding the members before they start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.base import stamp_once
from models.errors import NotFound
from models.members import Member
from models.outbox import notify_member
from models.projects.errors import MeetingStarted
from models.projects.lookup import audience, get_project, require_owner
from models.projects.notices import MeetingCancelled, MeetingReminder
from models.projects.tables import Meeting, Project, ProjectMember, ProjectStatus


async def upcoming_meetings(session: AsyncSession, project_id: int, now: datetime) -> list[Meeting]:
    rows = await session.scalars(
        select(Meeting)
        .where(Meeting.project_id == project_id, Meeting.cancelled_at.is_(None), Meeting.starts_at > now)
        .order_by(Meeting.starts_at)
    )
    return list(rows)


async def get_meeting(session: AsyncSession, meeting_id: int) -> Meeting:
    if (meeting := await session.get(Meeting, meeting_id)) is None:
        raise NotFound(f"meeting {meeting_id}")
    return meeting


@dataclass(frozen=True)
class CancelledMeeting:
    meeting: Meeting
    project: Project
    told: int  # the project's members told it is off
    already: bool  # it was cancelled before (a second press): nothing was done


async def cancel_meeting(
    session: AsyncSession, owner: Member, meeting_id: int, now: datetime
) -> CancelledMeeting:
    """Cancel a meeting not yet started; the project's members (but the owner cancelling it) are told.
    To move a meeting, its owners cancel it and plan it again."""
    meeting = await get_meeting(session, meeting_id)
    project = await get_project(session, meeting.project_id)
    require_owner(project, owner)
    if meeting.cancelled_at is not None:
        return CancelledMeeting(meeting, project, 0, already=True)
    if meeting.starts_at <= now:
        raise MeetingStarted(str(meeting_id))
    if not await stamp_once(session, meeting, "cancelled_at", now):  # two presses at once: one acts
        return CancelledMeeting(meeting, project, 0, already=True)
    people = [m for m in audience(project, outside_group_only=False) if m.id != owner.id]
    for person in people:
        cancelled = MeetingCancelled(
            project=project.name, title=meeting.title, start=meeting.starts_at, by=owner.first_name
        )
        notify_member(session, person, cancelled, now)
    return CancelledMeeting(meeting, project, len(people), already=False)


async def remind_meetings(session: AsyncSession, lead: timedelta, now: datetime) -> int:
    """Remind the members of every meeting starting within `lead`, once (recorded on the meeting)."""
    if not lead:
        return 0
    meetings = await session.scalars(
        select(Meeting)
        .options(
            selectinload(Meeting.project).selectinload(Project.memberships).selectinload(ProjectMember.member)
        )
        .where(
            Meeting.cancelled_at.is_(None),
            Meeting.reminded_at.is_(None),
            Meeting.starts_at > now,
            Meeting.starts_at <= now + lead,
        )
    )
    sent = 0
    for meeting in meetings:
        meeting.reminded_at = now
        if meeting.project.status is not ProjectStatus.ACTIVE:
            continue
        for person in audience(meeting.project, outside_group_only=False):
            reminder = MeetingReminder(
                project=meeting.project.name,
                title=meeting.title,
                start=meeting.starts_at,
                remote=meeting.remote,
                link=meeting.link,
            )
            notify_member(session, person, reminder, now)
            sent += 1
    return sent
