"""Finding projects and reading who is who in them (nothing here writes)."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.errors import NotFound
from models.members import Member
from models.projects.errors import OwnersOnly
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


async def get_project(session: AsyncSession, project_id: int, *, active_only: bool = True) -> Project:
    """The project with its memberships, read afresh (a join earlier in the transaction shows)."""
    project = await session.scalar(
        select(Project)
        .options(selectinload(Project.memberships).selectinload(ProjectMember.member))
        .where(Project.id == project_id)
        .execution_options(populate_existing=True)
    )
    if project is None or (active_only and project.status is not ProjectStatus.ACTIVE):
        raise NotFound(f"project {project_id}")
    return project


async def find_projects(
    session: AsyncSession, *, search: str | None = None, offset: int = 0, limit: int = 8
) -> tuple[list[Project], int]:
    """Active projects, by name, optionally those whose name, description or tags hold the words."""
    query = select(Project).where(Project.status == ProjectStatus.ACTIVE)
    for word in (search or "").replace("\x00", "").lower().split()[:5]:  # PostgreSQL refuses NUL
        escaped = word.strip("#").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                func.lower(Project.name).like(pattern, escape="\\"),
                func.lower(Project.description).like(pattern, escape="\\"),
                Project.tags.like(pattern, escape="\\"),
            )
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(func.lower(Project.name), Project.id).offset(offset).limit(limit)
    )
    return list(rows), total


async def memberships_of(session: AsyncSession, member: Member) -> list[ProjectMember]:
    """The member's projects (active ones), owners' first."""
    rows = await session.scalars(
        select(ProjectMember)
        .join(Project)
        .options(selectinload(ProjectMember.project))
        .where(
            ProjectMember.member_id == member.id,
            Project.status == ProjectStatus.ACTIVE,
            ProjectMember.status.in_((*IN_PROJECT, MembershipStatus.REQUESTED)),
        )
        .order_by(ProjectMember.role.desc(), func.lower(Project.name))
    )
    return list(rows)


def membership_of(project: Project, member: Member) -> ProjectMember | None:
    return next((m for m in project.memberships if m.member_id == member.id), None)


def is_owner(project: Project, member: Member) -> bool:
    mine = membership_of(project, member)
    return mine is not None and mine.role is Role.OWNER and mine.status in IN_PROJECT


def require_owner(project: Project, member: Member, *, or_manager: bool = False) -> None:
    """Refuse unless the member owns the project (managers may do what `or_manager` allows)."""
    if is_owner(project, member) or (or_manager and member.is_manager):
        return
    raise OwnersOnly(project.name)


def owners(project: Project) -> list[Member]:
    return [m.member for m in project.memberships if m.role is Role.OWNER and m.status in IN_PROJECT]


def _who(member: Member) -> str:
    return member.display_name + (f" (@{member.username})" if member.username else "")


async def _project_of_chat(session: AsyncSession, chat_id: int) -> Project | None:
    return await session.scalar(
        select(Project)
        .options(selectinload(Project.memberships).selectinload(ProjectMember.member))
        .where(Project.chat_id == chat_id)
        .execution_options(populate_existing=True)
    )


def withdrew(membership: ProjectMember) -> bool:
    """The member withdrew their (latest) request before any owner answered: the request was closed
    by the member themselves (leaving a project clears who decided)."""
    return membership.status is MembershipStatus.LEFT and membership.decided_by_id == membership.member_id


async def pending_requests(
    session: AsyncSession, project: Project
) -> tuple[list[ProjectMember], list[ChatJoinRequest]]:
    known = [m for m in project.memberships if m.status is MembershipStatus.REQUESTED]
    unknown = list(
        await session.scalars(
            select(ChatJoinRequest).where(
                ChatJoinRequest.project_id == project.id, ChatJoinRequest.decision == JoinDecision.PENDING
            )
        )
    )
    return known, unknown


def audience(project: Project, *, outside_group_only: bool) -> list[Member]:
    """The project's members (owners included); only those not in the group when asked."""
    people = [m for m in project.memberships if m.status in IN_PROJECT]
    if outside_group_only and project.chat_id is not None:
        people = [m for m in people if m.status is not MembershipStatus.JOINED]
    return [m.member for m in people]
