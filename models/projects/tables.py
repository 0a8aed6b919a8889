"""The projects' tables and their enums: projects, who is in them, strangers' join requests, drafts,
owners' pending inputs and meetings; and the limits on what is typed into them.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_type
from models.members import Member

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
