"""What only the inventory import or a manager changes, read once and kept: opening hours, closure
days, machines' and kinds' limits.

Nearly every screen reads them; they change a few times a year. A `Catalog` keeps them in memory for
the sessions of one session factory (models/db.py: `session_factory` puts it in each session's
`info`), so domain functions keep taking only the session and a test's factory has its own.

Invalidation across processes: the table `cache_versions` holds a version per area, bumped in the
same transaction as every write to that area's tables. No writer has to remember it: every ORM session
bumps it itself, at flush, for any ORM write (an object added, changed or deleted, or an
ORM `insert`/`update`/`delete` statement) to a watched table. A transaction reads the versions once,
with the first statement of every update (the member's row carries the sum of the versions,
models/members.py), or else on its first cached read (one SELECT), and reloads an area when the
sum moved (any area's change reloads all: they change a few times a year); so another process
sees a committed change from its next transaction on, and this process from the transaction after
the write. Within the writing transaction the cache is bypassed (the database is read as before),
and a transaction that rolls back leaves the version, and the cache, as they were.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

from sqlalchemy import Integer, String, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base

T = TypeVar("T")
INFO_KEY = "fabdesk_catalog"
_CHECKED = "fabdesk_catalog_checked"  # (transaction, versions) read in this transaction
_BYPASS = "fabdesk_catalog_bypass"  # (transaction, areas) written in this transaction
WATCHED: dict[type, set[str]] = {}  # table class -> the areas its writes bump (filled by Area below)
AREAS: list[str] = []  # every area's name


class CacheVersion(Base):
    """The version of one cached area: bumped in the transaction of every write to its tables."""

    __tablename__ = "cache_versions"
    __table_args__ = ({"info": {"bookkeeping": True}},)  # written by every process, about no one

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Catalog:
    """The cached areas of one session factory, each with the generation it was loaded at."""

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[int, Any]] = {}
        self.loads = 0  # database loads of an area (tests and benchmarks read it)

    def clear(self) -> None:
        self._loaded.clear()


def catalog_of(session: AsyncSession) -> Catalog | None:
    catalog = session.info.get(INFO_KEY)
    return catalog if isinstance(catalog, Catalog) else None


def generation() -> Any:
    """The sum of every area's version, as a column: it grows at every bump, whichever area. A
    statement every update runs anyway (the member's: models/members.py) carries it, so checking the
    cache costs no statement of its own; `seen` records it for the transaction."""
    return select(func.coalesce(func.sum(CacheVersion.version), 0)).scalar_subquery()


def seen(session: AsyncSession, value: int) -> None:
    """Record the generation this transaction read (in a statement of its own choosing)."""
    session.info[_CHECKED] = (session.sync_session.get_transaction(), value)


async def _generation(session: AsyncSession) -> int:
    """The generation as this transaction sees it: read once per transaction, at most."""
    checked = session.info.get(_CHECKED)
    if checked is not None and checked[0] is session.sync_session.get_transaction():
        return checked[1]  # type: ignore[no-any-return]
    value = int(await session.scalar(select(generation())) or 0)
    seen(session, value)
    return value


def _bypassed(session: AsyncSession) -> bool:
    """Whether this transaction wrote a cached table: then it reads the database and stores nothing,
    whichever area. (It sees its own bump in the generation: what it stored under that number, were
    it to roll back, could be mistaken for the state after another transaction's bump to the same.)"""
    bypass = session.info.get(_BYPASS)
    return bypass is not None and bypass[0] is session.sync_session.get_transaction()


class Area(Generic[T]):
    """One cached area: how to load it (never an ORM object: they do not outlive their session), and
    the tables whose writes bump its version."""

    def __init__(self, name: str, load: Callable[[AsyncSession], Awaitable[T]], watched: Iterable[type]):
        self.name = name
        self.load = load
        AREAS.append(name)
        for table in watched:
            WATCHED.setdefault(table, set()).add(name)

    async def get(self, session: AsyncSession) -> T:
        """The area's data from the cache when its version has not moved, else from the database."""
        if session.autoflush and (session.new or session.dirty or session.deleted):
            await session.flush()  # as the query it replaces would have (and a write marks the bypass)
        catalog = catalog_of(session)
        if catalog is None or _bypassed(session):
            return await self.load(session)
        version = await _generation(session)
        if _bypassed(session):  # the generation's SELECT flushed a write
            return await self.load(session)
        loaded = catalog._loaded.get(self.name)
        if loaded is not None and loaded[0] == version:
            return loaded[1]  # type: ignore[no-any-return]
        data = await self.load(session)
        catalog.loads += 1
        # Read after the version, so at least as new as it. A transaction that read an older version
        # may store over a newer one: the next transaction only loads again, it never reads stale.
        catalog._loaded[self.name] = (version, data)
        return data


# Bumping: every ORM write to a watched table, in the writing transaction.

BUMP = text(
    "INSERT INTO cache_versions (name, version) VALUES (:name, 1) "
    "ON CONFLICT (name) DO UPDATE SET version = cache_versions.version + 1"
)


def _bump(session: Session, areas: Iterable[str]) -> None:
    # At every flush that writes, not once per transaction: a savepoint rolled back takes its bump with it.
    connection = session.connection()
    for area in sorted(areas):
        connection.execute(BUMP, {"name": area})
    transaction = session.get_transaction()
    bypass = session.info.get(_BYPASS)
    done: set[str] = bypass[1] if bypass is not None and bypass[0] is transaction else set()
    session.info[_BYPASS] = (transaction, done | set(areas))


async def bump_all(connection: AsyncConnection) -> None:
    """Bump every area's version: for what writes the tables without the ORM (a backup's restore)."""
    for area in AREAS:
        await connection.execute(BUMP, {"name": area})


def _areas_of(objects: Iterable[object]) -> set[str]:
    return {area for obj in objects for area in WATCHED.get(type(obj), ())}


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    areas = _areas_of(session.new) | _areas_of(session.deleted)
    areas |= _areas_of(obj for obj in session.dirty if session.is_modified(obj))
    if areas:
        _bump(session, areas)


def _do_orm_execute(state: Any) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    areas = {area for mapper in state.all_mappers for area in WATCHED.get(mapper.class_, ())}
    if areas:
        _bump(state.session, areas)


# On every ORM session of the process, whichever factory made it (the import's, a job's, a test's):
# a writer cannot forget to bump, and a session without a catalog bumps all the same.
event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "do_orm_execute", _do_orm_execute)
