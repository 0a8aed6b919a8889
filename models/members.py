"""Members: who they are, their role and language."""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import BigInteger, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import cache
from models.base import Base, enum_type
from models.errors import DomainError, NotAllowed, NotFound

# How stale "last seen" may get before an update refreshes it (retention counts in months).
SEEN_STEP = timedelta(minutes=30)


class Role(enum.StrEnum):
    MEMBER = "member"
    MANAGER = "manager"


class Member(Base):
    """A person who talked to the bot."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))
    # The language the member chose with /language; None means "follow Telegram".
    language: Mapped[str | None] = mapped_column(String(8))
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), default=Role.MEMBER)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    # Set when Telegram answered 403 (the person blocked the bot): messages to them are skipped
    # until they write to the bot again.
    blocked_at: Mapped[datetime | None]
    # Set when the member's personal data was erased (on request, or after long inactivity): the
    # row stays, anonymised, because bookings and the maintenance history point to it.
    erased_at: Mapped[datetime | None]
    erased_reason: Mapped[str | None] = mapped_column(String(16))
    # Set when a manager promoted the member from the app: a manager whatever the settings say, until
    # demoted there (who did it is in manager_changes).
    promoted_at: Mapped[datetime | None]
    # When the member agreed to be named, on a machine's page, as someone who can help on the
    # machines they are trained on; None: not shown (the default: no name without their word).
    shown_as_helper_since: Mapped[datetime | None]

    @property
    def shown_as_helper(self) -> bool:
        return self.shown_as_helper_since is not None

    @property
    def is_manager(self) -> bool:
        return self.role is Role.MANAGER

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or (f"@{self.username}" if self.username else f"#{self.id}")


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else value


class Profile(Protocol):
    """Who Telegram says a person is: a chat update's user, or a Mini App's launch data."""

    @property
    def id(self) -> int: ...
    @property
    def first_name(self) -> str: ...
    @property
    def last_name(self) -> str | None: ...
    @property
    def username(self) -> str | None: ...
    @property
    def language_code(self) -> str | None: ...


async def register_profile(
    session: AsyncSession, user: Profile, manager_ids: Iterable[int], now: datetime
) -> Member:
    """`register` for the person Telegram names (the chat and the Mini App register alike)."""
    return await register(
        session,
        telegram_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        telegram_language=user.language_code,
        manager_ids=manager_ids,
        now=now,
    )


async def register(
    session: AsyncSession,
    *,
    telegram_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    telegram_language: str | None,
    manager_ids: Iterable[int],
    now: datetime,
) -> Member:
    """Create the member on first contact, refresh their profile afterwards.

    The settings say who the managers are: an id listed there is a manager, one removed is not any
    more; a member promoted from the app stays a manager until demoted there.
    """
    role = Role.MANAGER if telegram_id in set(manager_ids) else Role.MEMBER
    # A known member (nearly every update): read the row, and write it only if something changed or
    # it was last seen more than SEEN_STEP ago. Most updates then write nothing here: their
    # transaction stays read-only (on PostgreSQL no WAL flush at commit, no dead row per press).
    member = await find_by_telegram_id(session, telegram_id)
    if member is not None:
        _refresh(member, first_name, last_name, username, telegram_language, now)
        if member.role is not role:
            member.role = role
    if member is None:
        member = Member(telegram_id=telegram_id, created_at=now, role=Role.MEMBER)
        _refresh(member, first_name, last_name, username, telegram_language, now)
        try:
            async with session.begin_nested():
                session.add(member)
        except IntegrityError:
            # Two first updates of one person raced: the other one created the row.
            member = await find_by_telegram_id(session, telegram_id)
            if member is None:  # pragma: no cover - the unique index says it exists
                raise
            _refresh(member, first_name, last_name, username, telegram_language, now)
        member.role = role
    # Promoted from the app: a manager until demoted there, whatever the settings say.
    if member.promoted_at is not None and member.role is not Role.MANAGER:
        member.role = Role.MANAGER
    return member


def _profile(
    first_name: str,
    last_name: str | None,
    username: str | None,
    telegram_language: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "first_name": _clip(first_name, 128) or "?",
        "last_name": _clip(last_name, 128),
        "username": _clip(username, 64),
        "telegram_language": _clip(telegram_language, 16),
        "last_seen_at": now,
        "blocked_at": None,  # they are talking to us: they have not blocked the bot
    }


def _refresh(
    member: Member,
    first_name: str,
    last_name: str | None,
    username: str | None,
    telegram_language: str | None,
    now: datetime,
) -> None:
    profile = _profile(first_name, last_name, username, telegram_language, now)
    seen = member.last_seen_at
    if seen is not None and now - SEEN_STEP < seen <= now:
        del profile["last_seen_at"]  # seen a moment ago: no write for that alone
    for name, value in profile.items():
        if getattr(member, name, None) != value:
            setattr(member, name, value)


async def sync_managers(session: AsyncSession, manager_ids: Iterable[int]) -> list[int]:
    """Make the stored roles match the settings (run at start-up, before anyone is alerted).

    Return the Telegram ids of the managers who are managers no more. Members promoted from the app
    stay managers: the settings did not make them so.
    """
    ids = set(manager_ids)
    demoted = []
    for member in await session.scalars(select(Member).where(Member.role == Role.MANAGER)):
        if member.telegram_id not in ids and member.promoted_at is None:
            member.role = Role.MEMBER
            demoted.append(member.telegram_id)
    if ids:
        for member in await session.scalars(select(Member).where(Member.telegram_id.in_(ids))):
            member.role = Role.MANAGER
    return demoted


class ConfiguredManager(DomainError):
    """The member is a manager by the settings (FABDESK_MANAGER_IDS): only the settings can change that."""


async def set_manager(
    session: AsyncSession,
    manager: Member,
    member: Member,
    promote: bool,
    *,
    manager_ids: Iterable[int],
    now: datetime,
) -> bool:
    """Promote the member to manager, or demote them; return whether their role changed.

    Those the settings name stay managers (ConfiguredManager); a promotion lasts across restarts."""
    require_manager(manager)
    if member.erased_at is not None:
        raise NotFound(f"member {member.id}")
    configured = member.telegram_id in set(manager_ids)
    if not promote and configured:
        raise ConfiguredManager(str(member.id))
    was = member.is_manager
    if promote:
        member.role = Role.MANAGER
        if not configured and member.promoted_at is None:
            member.promoted_at = now
    else:
        member.role, member.promoted_at = Role.MEMBER, None
    await session.flush()
    return member.is_manager != was


async def set_language(session: AsyncSession, member: Member, language: str | None) -> None:
    """Record the member's choice of language (None: follow Telegram's)."""
    member.language = language


async def get_member(session: AsyncSession, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None:
        raise NotFound(f"member {member_id}")
    return member


def require_manager(member: Member) -> None:
    """Refuse unless the member is a fab manager."""
    if not member.is_manager:
        raise NotAllowed("managers only")


async def manager_telegram_ids(session: AsyncSession, configured: Iterable[int]) -> list[int]:
    """Every manager to alert: those in the settings and those promoted in the database."""
    promoted = await session.scalars(select(Member.telegram_id).where(Member.role == Role.MANAGER))
    return sorted(set(configured) | set(promoted))


def folded(text: str | None) -> str:
    """Text as a search compares it: lower case, without accents (« Élodie » -> "elodie")."""
    decomposed = unicodedata.normalize("NFKD", text or "").casefold()
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def find_members(
    session: AsyncSession, *, search: str | None = None, offset: int = 0, limit: int = 8
) -> tuple[list[Member], int]:
    """One page of members (not erased) sorted by name, and how many match in all.

    With `search`, every word must appear in the first name, the last name or the username, case
    and accents ignored ("@bob", "elodie" finds « Élodie »). Databases fold accents differently
    (SQLite's lower() knows ASCII only), so names are compared here: a lab has a few thousand
    members at most.
    """
    query = select(Member.id, Member.first_name, Member.last_name, Member.username).where(
        Member.erased_at.is_(None)
    )
    words = [w.lstrip("@") for w in folded(search).split()]
    words = [w for w in words if w]
    matched: list[tuple[int, str, int]] = []
    for member_id, first, last, username in await session.execute(query):
        fields = [folded(first), folded(last), folded(username)]
        if all(any(word in field for field in fields) for word in words):
            # Names starting with the words first, then by name.
            starts = all(any(field.startswith(word) for field in fields) for word in words)
            matched.append((0 if starts else 1, f"{fields[0]} {fields[1]}", member_id))
    matched.sort()
    ids = [member_id for _rank, _name, member_id in matched[offset : offset + limit]]
    rows = {m.id: m for m in await session.scalars(select(Member).where(Member.id.in_(ids)))} if ids else {}
    return [rows[i] for i in ids], len(matched)


async def mark_blocked(session: AsyncSession, telegram_id: int, now: datetime) -> None:
    """Record that this person blocked the bot (Telegram said 403)."""
    member = await find_by_telegram_id(session, telegram_id)
    if member is not None and member.blocked_at is None:
        member.blocked_at = now


async def find_by_telegram_id(session: AsyncSession, telegram_id: int) -> Member | None:
    # The cache's generation rides along (models/cache.py): this is the first statement of nearly
    # every update (`register`), so the update's cached reads need no statement of their own.
    found = (
        await session.execute(select(Member, cache.generation()).where(Member.telegram_id == telegram_id))
    ).first()
    if found is None:
        return None
    member, generation = found
    cache.seen(session, generation)
    return member  # type: ignore[no-any-return]
