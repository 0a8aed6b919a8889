"""Creating a project with /newproject, one answer at a time; its creator is its first owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import clear_pending, get_pending, put_pending
from models.errors import NotFound
from models.members import Member
from models.projects.errors import BadProjectText, DuplicateName
from models.projects.tables import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MembershipStatus,
    Project,
    ProjectDraft,
    ProjectMember,
    ProjectStatus,
    Role,
    Visibility,
)
from models.projects.texts import check_url, clean_text, parse_tags


async def start_project(session: AsyncSession, member: Member, now: datetime) -> ProjectDraft:
    """Begin /newproject: the next message is the project's name."""
    await clear_pending(session, member.id, keep=ProjectDraft)
    return await put_pending(
        session,
        ProjectDraft,
        member.id,
        stage="name",
        name=None,
        description=None,
        visibility=None,
        tags="",
        storage_url=None,
        updated_at=now,
    )


async def current_project_draft(
    session: AsyncSession, member: Member, *, lock: bool = False
) -> ProjectDraft | None:
    return await get_pending(session, ProjectDraft, member.id, lock=lock)


async def draft_answer(session: AsyncSession, member: Member, text: str, now: datetime) -> ProjectDraft:
    """Take the member's message as the answer to the draft's current question."""
    draft = await current_project_draft(session, member, lock=True)
    if draft is None:
        raise NotFound("no project draft")
    if draft.stage == "name":
        name = clean_text(text, MAX_NAME, single_line=True)
        if await _name_taken(session, name):
            raise DuplicateName(name)
        draft.name, draft.stage = name, "description"
    elif draft.stage == "description":
        draft.description, draft.stage = clean_text(text, MAX_DESCRIPTION), "visibility"
    elif draft.stage == "tags":
        draft.tags, draft.stage = parse_tags(text), "link"
    elif draft.stage == "link":
        draft.storage_url, draft.stage = check_url(text), "confirm"
    else:
        raise BadProjectText("not expected now")
    draft.updated_at = now
    return draft


async def draft_choose(
    session: AsyncSession,
    member: Member,
    now: datetime,
    *,
    visibility: Visibility | None = None,
    skip: bool = False,
) -> ProjectDraft:
    """A button answer: the visibility, or skipping an optional step (tags, link)."""
    draft = await current_project_draft(session, member, lock=True)
    if draft is None:
        raise NotFound("no project draft")
    if visibility is not None and draft.stage == "visibility":
        draft.visibility, draft.stage = visibility, "tags"
    elif skip and draft.stage == "tags":
        draft.stage = "link"
    elif skip and draft.stage == "link":
        draft.stage = "confirm"
    else:
        raise BadProjectText("not expected now")
    draft.updated_at = now
    return draft


async def _name_taken(session: AsyncSession, name: str, *, except_id: int | None = None) -> bool:
    query = select(Project.id).where(func.lower(Project.name) == name.lower())
    if except_id is not None:
        query = query.where(Project.id != except_id)
    return await session.scalar(query) is not None


async def create_project(session: AsyncSession, member: Member, now: datetime) -> Project:
    """Create the project from the finished draft; its creator is its first owner."""
    draft = await current_project_draft(session, member, lock=True)
    if draft is None or draft.stage != "confirm" or not draft.name or draft.visibility is None:
        raise NotFound("no finished project draft")
    project = Project(
        name=draft.name,
        description=draft.description or "",
        status=ProjectStatus.ACTIVE,
        visibility=draft.visibility,
        tags=draft.tags,
        storage_url=draft.storage_url,
        chat_title="",
        created_by_id=member.id,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(project)
    except IntegrityError:
        raise DuplicateName(draft.name) from None
    session.add(
        ProjectMember(
            project_id=project.id,
            member_id=member.id,
            role=Role.OWNER,
            status=MembershipStatus.APPROVED,
            requested_at=now,
            decided_at=now,
            decided_by_id=member.id,
        )
    )
    await session.delete(draft)
    await session.flush()
    return project
