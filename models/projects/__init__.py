"""Project groups: find a project, ask to join, get into its Telegram group; owners coordinate.

Joining goes through Telegram's own join requests: fabdesk hands out invite links that create a
join request, and decides each request from what it knows (an accepted member is let in, a
declined or removed one is not, a stranger is put to the owners). What must happen in Telegram
(approving a join request, removing someone from the group) is written to the outbox with the
change, so it is done even across a crash.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from models.base import Base, clear_pending, delete_by_key, enum_type, get_pending, put_pending, stamp_once
from models.errors import DomainError, NotAllowed, NotFound
from models.members import Member, find_by_telegram_id
from models.notices import Notice
from models.outbox import OutboxMessage, enqueue, notify_member, recall

MAX_NAME = 80
MAX_DESCRIPTION = 500
MAX_TAGS = 8
MAX_ANNOUNCEMENT = 2000
MEETING_AHEAD = timedelta(days=60)


class ProjectStatus(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class Visibility(enum.StrEnum):
    OPEN = "open"  # anyone may join
    ON_REQUEST = "on_request"  # an owner approves


class Role(enum.StrEnum):
    OWNER = "owner"
    MEMBER = "member"


class MembershipStatus(enum.StrEnum):
    REQUESTED = "requested"  # waiting for an owner
    APPROVED = "approved"  # accepted: may join the group (invite link given)
    JOINED = "joined"  # in the group
    DECLINED = "declined"
    REMOVED = "removed"  # removed by an owner
    LEFT = "left"  # left by themselves


IN_PROJECT = (MembershipStatus.APPROVED, MembershipStatus.JOINED)


class JoinDecision(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


# --- what owners, members and the project's group are told (outbox notices)


@dataclass(frozen=True, kw_only=True)
class _AboutProject:
    project: str  # its name


class ProjectJoinRequest(Notice, kind="project_join_request"):
    """To the owners: a member asks to join (Approve / Decline)."""

    membership_id: int
    project: str
    member: str  # the name to show, with the @username


class ProjectUnknownJoin(Notice, kind="project_unknown_join"):
    """To the owners: someone asks Telegram to join the group without going through the bot."""

    request_id: int
    project: str
    name: str


class ProjectRequestWithdrawn(Notice, kind="project_request_withdrawn"):
    """To an owner: the request they were asked about was withdrawn (their message is edited)."""

    project: str
    member: str
    chat_id: int
    message_id: int


class ProjectDecision(Notice, kind="project_decision"):
    """To a member: their request to join was approved or declined."""

    project: str
    approved: bool
    can_invite: bool


class ProjectInvite(Notice, kind="project_invite"):
    """To a member let in: an invite link to the group (created when the message is sent)."""

    project: str
    project_id: int | None = None
    chat_id: int
    membership_id: int
    owners: list[str] = field(default_factory=list)  # first names, to ask if the link cannot be made


class ChatAction(Notice, kind="chat_action"):
    """In the project's group: approve or decline a join request, or remove someone."""

    action: str  # approve, decline, remove
    chat_id: int
    user_id: int
    project: str | None = None


class ProjectRemoved(_AboutProject, Notice, kind="project_removed"):
    """To a member: an owner removed them from the project."""


class ProjectOwner(_AboutProject, Notice, kind="project_owner"):
    """To a member: they are now an owner."""


class ProjectArchived(_AboutProject, Notice, kind="project_archived"):
    """To a member whose request was waiting: the project was archived."""


class ProjectRightsLost(Notice, kind="project_rights_lost"):
    """To the owners: the bot lost its administrator rights in the group."""

    project: str
    missing: list[str] = field(default_factory=list)


class ProjectAnnouncement(Notice, kind="project_announcement"):
    """To the members outside the group: an owner's announcement."""

    project: str
    sender: str = field(metadata={"key": "from"})  # the owner's first name
    text: str


class MeetingReminder(Notice, kind="meeting_reminder"):
    """To the members: a meeting starts soon."""

    project: str
    title: str
    start: datetime
    remote: bool = False
    link: str | None = None


class MeetingCancelled(Notice, kind="meeting_cancelled"):
    """To the members: an owner cancelled a meeting."""

    project: str
    title: str
    start: datetime
    by: str


class BadProjectText(DomainError):
    """A name, description, tag list, link or announcement that cannot be used."""


class DuplicateName(DomainError):
    """Another project already has this name."""


class NoGroup(DomainError):
    """The project has no Telegram group, or the bot lost its rights there."""


class AlreadyMember(DomainError):
    """The member is already in the project (or their request is waiting)."""


class AlreadyDecided(DomainError):
    """The request was answered already (by another owner, or a press of a few seconds ago)."""


class RequestWithdrawn(AlreadyDecided):
    """The member withdrew the request before an owner answered it."""


class OwnersOnly(NotAllowed):
    """Only the project's owners may do this."""


class LastOwner(NotAllowed):
    """The last owner cannot leave: the project would have nobody to run it."""


class NotGroupAdmin(NotAllowed):
    """Only an administrator of the group may link it to a project."""


class MeetingStarted(DomainError):
    """The meeting has started (or is over): it can no longer be cancelled."""


class GroupTaken(DomainError):
    """The group already belongs to a project the sender does not own."""


class NeedsLink(BadProjectText):
    """A remote meeting needs its video link."""


class ForwardExpected(DomainError):
    """A channel is linked by forwarding one of its messages, not by typing."""


class Project(Base):
    """A community project hosted by the lab, with its Telegram group."""

    __tablename__ = "projects"
    # Names are unique ignoring case, enforced by the database too.
    __table_args__ = (Index("uq_projects_name_lower", text("lower(name)"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique as typed; names differing only by case are refused by create_project.
    name: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProjectStatus] = mapped_column(enum_type(ProjectStatus, "project_status"))
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility, "project_visibility"))
    tags: Mapped[str] = mapped_column(String(200), default="")  # lower case, comma separated
    storage_url: Mapped[str | None] = mapped_column(String(500))
    chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    chat_title: Mapped[str] = mapped_column(String(128), default="")
    # Set when the bot lost its admin rights in the group: joining falls back to the owners.
    chat_lost_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]

    memberships: Mapped[list[ProjectMember]] = relationship(lazy="raise", back_populates="project")

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    @property
    def can_invite(self) -> bool:
        return self.chat_id is not None and self.chat_lost_at is None


class ProjectMember(Base):
    """A member's place in a project: owner or member, and where their request stands."""

    __tablename__ = "project_members"
    __table_args__ = (Index("uq_project_members_project_member", "project_id", "member_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, "project_role"))
    status: Mapped[MembershipStatus] = mapped_column(enum_type(MembershipStatus, "membership_status"))
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    joined_at: Mapped[datetime | None]
    # Telegram holds a join request of theirs (they followed a link before an owner decided).
    chat_request_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship(lazy="raise", back_populates="memberships")
    member: Mapped[Member] = relationship(lazy="raise", foreign_keys=[member_id])


class ChatJoinRequest(Base):
    """A join request from someone fabdesk did not accept (a forwarded link): for the owners to decide."""

    __tablename__ = "chat_join_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200))
    decision: Mapped[JoinDecision] = mapped_column(enum_type(JoinDecision, "join_decision"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class ProjectDraft(Base):
    """A project being created with /newproject, one answer at a time."""

    __tablename__ = "project_drafts"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16))  # name, description, visibility, tags, link, confirm
    name: Mapped[str | None] = mapped_column(String(MAX_NAME))
    description: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[Visibility | None] = mapped_column(enum_type(Visibility, "draft_visibility"))
    tags: Mapped[str] = mapped_column(String(200), default="")
    storage_url: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime]


class ProjectInput(Base):
    """An owner's next message is an announcement, or the text of a meeting being scheduled."""

    __tablename__ = "project_inputs"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))  # "announcement", "meeting" or "channel"
    starts_at: Mapped[datetime | None]  # for a meeting
    remote: Mapped[bool | None]  # for a meeting
    created_at: Mapped[datetime]


class Meeting(Base):
    """A project meeting, on site or remote; its members are reminded before it starts."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_starts_at", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime]
    remote: Mapped[bool]
    link: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship(lazy="raise")


# --------------------------------------------------------------------------- text checks

_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]{3,490}$")
_URL_IN_TEXT = re.compile(r"https?://\S+")


def clean_text(text: str, limit: int, *, single_line: bool = False) -> str:
    cleaned = text.replace("\x00", "").strip()
    if single_line:
        cleaned = " ".join(cleaned.split())
    if not cleaned or len(cleaned) > limit:
        raise BadProjectText(cleaned[:40])
    return cleaned


def parse_tags(text: str) -> str:
    """ "Drones, électronique #repair" → "drones,électronique,repair" (lower case, at most 8)."""
    tags = []
    # NUL is no character to keep (PostgreSQL refuses it in text).
    for raw in re.split(r"[,;#\s]+", text.replace("\x00", "").lower()):
        tag = raw.strip()[:24]
        if tag and tag not in tags:
            tags.append(tag)
    if not tags or len(tags) > MAX_TAGS:
        raise BadProjectText(text[:40])
    return ",".join(tags)


def check_url(text: str) -> str:
    url = text.strip()
    if not _URL.match(url):
        raise BadProjectText(url[:40])
    return url


# --------------------------------------------------------------------------- creating a project


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


# --------------------------------------------------------------------------- finding and viewing


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


# --------------------------------------------------------------------------- joining


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


def _who(member: Member) -> str:
    return member.display_name + (f" (@{member.username})" if member.username else "")


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


async def _project_of_chat(session: AsyncSession, chat_id: int) -> Project | None:
    return await session.scalar(
        select(Project)
        .options(selectinload(Project.memberships).selectinload(ProjectMember.member))
        .where(Project.chat_id == chat_id)
        .execution_options(populate_existing=True)
    )


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


def withdrew(membership: ProjectMember) -> bool:
    """The member withdrew their (latest) request before any owner answered: the request was closed
    by the member themselves (leaving a project clears who decided)."""
    return membership.status is MembershipStatus.LEFT and membership.decided_by_id == membership.member_id


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


# --------------------------------------------------------------------------- the group


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


# --------------------------------------------------------------------------- announcements and meetings


def audience(project: Project, *, outside_group_only: bool) -> list[Member]:
    """The project's members (owners included); only those not in the group when asked."""
    people = [m for m in project.memberships if m.status in IN_PROJECT]
    if outside_group_only and project.chat_id is not None:
        people = [m for m in people if m.status is not MembershipStatus.JOINED]
    return [m.member for m in people]


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
