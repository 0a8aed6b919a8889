"""Erasure leaves no trace of the member in any text, whatever the case and accents (issue 12)."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import JSON, String, select
from sqlalchemy import Enum as SAEnum
from sqlalchemy.ext.asyncio import AsyncSession

from models import maintenance, members, privacy, projects, stock
from models.base import Base
from models.maintenance import Action, Severity, TicketEvent
from models.members import Member
from models.projects import Project, Visibility
from models.scrub import Traces
from models.stock import Consumable, MovementReason, StockMovement
from tests.factories import NOW, make_machine, make_member, open_every_day, queue_row

MANAGER_ID = 900
PHONE = "+33 6 12 34 56 78"
LATER = NOW + timedelta(hours=2)


def folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


async def every_text(session: AsyncSession) -> list[tuple[str, str, str]]:
    """(table, column, value) for every string or JSON value of every row of every table."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
        if not columns:
            continue
        for row in await session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                found.append((table.name, column.name, text))
    return found


async def new_project(
    session: AsyncSession, owner: Member, name: str, description: str, tags: str
) -> Project:
    await projects.start_project(session, owner, NOW)
    await projects.draft_answer(session, owner, name, NOW)
    await projects.draft_answer(session, owner, description, NOW)
    await projects.draft_choose(session, owner, NOW, visibility=Visibility.OPEN)
    await projects.draft_answer(session, owner, tags, NOW)
    await projects.draft_answer(session, owner, "https://cloud.example.org/s/drones", NOW)
    return await projects.create_project(session, owner, NOW)


async def resolve(
    session: AsyncSession, manager: Member, reporter: Member, machine_id: int, note: str
) -> int:
    await maintenance.start_report(session, reporter, machine_id, NOW)
    await maintenance.describe(session, reporter, "The nozzle is clogged again", NOW)
    submitted = await maintenance.submit_report(session, reporter, Severity.MINOR, [MANAGER_ID], NOW)
    ticket_id = submitted.ticket.id
    await maintenance.act(session, manager, ticket_id, Action.RESOLVE, NOW, note=note)
    return ticket_id


async def test_erasure_leaves_no_trace_in_any_column_of_any_table(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    laser = await make_machine(session, "Trotec Speedy")
    manager = await make_member(session, "Marc", telegram_id=MANAGER_ID, manager=True)
    eve = await members.register(
        session,
        telegram_id=7_770_777,
        first_name="Evelyne",
        last_name="Secretandre",
        username="eve_private_77",
        telegram_language="fr",
        manager_ids=[MANAGER_ID],
        now=NOW,
    )
    bob = await make_member(session, "Bob", telegram_id=7_770_778)
    mine = await new_project(
        session, eve, "Drone club", "Des drones pour tous (Secretandre)", "drones, secretandre, #Évelyne"
    )
    theirs = await new_project(
        session, bob, "Evaluation bench", "Evaluate secrets; the vendor answers at +33 1 23 45 67 89", "bench"
    )
    mine_ticket = await resolve(
        session, manager, eve, printer.id, f"called Evelyne on {PHONE}, @eve_private_77"
    )
    bob_ticket = await resolve(
        session,
        manager,
        bob,
        laser.id,
        "SAV Trotec au +33 1 98 76 54 32, ÉVELYNE avait prévenu (t.me/eve_private_77)",
    )
    pla = Consumable(
        name="PLA",
        unit="g",
        quantity_milli=10**6,
        minimum_milli=0,
        active=True,
        created_at=NOW,
        machines=[printer],
    )
    session.add(pla)
    await session.flush()
    await stock.move(
        session,
        manager,
        pla.id,
        Decimal(-50),
        MovementReason.CORRECTION,
        [MANAGER_ID],
        NOW,
        note="Bobine prêtée à évelyne SECRETANDRE, voir https://t.me/eve_private_77",
    )
    await maintenance.plan_downtime(
        session,
        manager,
        laser.id,
        NOW + timedelta(days=1),
        NOW + timedelta(days=1, hours=2),
        "Formation d'Évelyne",
        NOW,
    )

    await privacy.erase_member(session, eve, privacy.ErasureReason.REQUEST, LATER)
    await session.flush()

    traces = ["evelyne", "secretandre", "eve_private_77"]
    leaks = [
        (table, column, value)
        for table, column, value in await every_text(session)
        if any(t in folded(value) for t in traces) or "612345678" in re.sub(r"\D", "", value)
    ]
    assert leaks == []
    # The texts about her keep what is not her; the others are untouched.
    await session.refresh(mine)
    await session.refresh(theirs)
    assert mine.description == "Des drones pour tous (—)" and mine.tags == "drones"
    assert mine.storage_url == "https://cloud.example.org/s/drones"  # nothing of hers in it
    assert theirs.description == "Evaluate secrets; the vendor answers at +33 1 23 45 67 89"
    assert theirs.name == "Evaluation bench" and theirs.tags == "bench"
    notes = {
        e.ticket_id: e.note
        for e in await session.scalars(select(TicketEvent).where(TicketEvent.note.is_not(None)))
    }
    assert notes[mine_ticket] == "called — on —, —"
    # Bob's ticket names her: whose number sits next to her name cannot be told, so it goes too (a
    # text not naming her keeps its numbers: the project description above).
    assert notes[bob_ticket] == "SAV Trotec au —, — avait prévenu (—)"
    movement = await session.scalar(select(StockMovement).where(StockMovement.note != ""))
    assert movement is not None and movement.note == "Bobine prêtée à —, voir —"
    assert (await session.get(Member, bob.id)).first_name == "Bob"  # type: ignore[union-attr]


def test_every_text_column_is_either_scrubbed_or_known_not_to_be_about_members() -> None:
    """A new free-text column must be added to FREE_TEXT (or said not to be about people)."""
    unclassified = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | JSON) or isinstance(column.type, SAEnum):
                continue
            scrubbed = column.name in privacy.FREE_TEXT.get(table.name, ())
            known = column.name in privacy.NOT_ABOUT_MEMBERS.get(table.name, ())
            if scrubbed == known:
                unclassified.append(f"{table.name}.{column.name}")
    assert unclassified == []


def test_names_are_found_whatever_the_case_accents_and_form() -> None:
    eve = Traces(["Evelyne Secretandre", "Evelyne", "Secretandre"], ["eve_private_77"])
    assert eve.scrub("« Évelyne » et EVELYNE et evelyne") == "« — » et — et —"
    assert eve.scrub("Évelyne Secrétandre est passée") == "— est passée"
    assert eve.scrub("see https://t.me/eve_private_77, @eve_private_77 or eve_private_77") == "see —, — or —"
    # Whole words only, and unrelated numbers stay unless the text is about her.
    assert eve.scrub("Evelynes, Secretandreau, 2030-03-04, v0.10.2.5123") == (
        "Evelynes, Secretandreau, 2030-03-04, v0.10.2.5123"
    )
    about_her = "rappeler le 06 12 34 56 78 10 fois, ou evelyne.s@example.org, le 04.03.2030"
    assert eve.scrub(about_her, contacts=True) == "rappeler le — 10 fois, ou —, le 04.03.2030"
    assert eve.scrub("E\u0301velyne x") == "— x"  # decomposed accents go with the name


async def test_retention_scrubs_the_texts_of_every_member_it_erases(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    manager = await make_member(session, "Marc", telegram_id=MANAGER_ID, manager=True)
    olds = [await make_member(session, name) for name in ("Gwendoline", "Maëlys")]
    for old in olds:
        old.last_seen_at = NOW - timedelta(days=1000)
    ticket = await resolve(session, manager, manager, printer.id, "GWENDOLINE et maelys l'ont vue chauffer")
    assert await privacy.anonymise_inactive(session, 24, NOW) == 2
    note = await session.scalar(
        select(TicketEvent.note).where(TicketEvent.ticket_id == ticket, TicketEvent.note.is_not(None))
    )
    assert note == "— et — l'ont vue chauffer"


async def test_erasing_one_member_keeps_the_messages_sent_to_the_others(session: AsyncSession) -> None:
    """Saw (review): after any erasure, every sent message to every member had its content emptied,
    so their /mydata lost "messages sent to you". Should see: only her traces go."""
    from models import outbox
    from models.outbox import OutboxMessage

    eve = await make_member(session, "Évelyne", telegram_id=7_770_777)
    eve.last_name = "Secretandre"
    bob = await make_member(session, "Bob", telegram_id=7_770_778)
    to_bob = queue_row(
        session,
        chat_id=bob.telegram_id,
        member_id=bob.id,
        kind="authorized",
        payload={"machine": "Prusa"},
        now=NOW,
    )
    about_eve = queue_row(
        session,
        chat_id=bob.telegram_id,
        member_id=bob.id,
        kind="training_request",
        payload={"member": "Évelyne Secretandre", "machine": "Trotec", "note": "rappeler Evelyne"},
        now=NOW,
    )
    await session.flush()
    for message in (to_bob, about_eve):
        await outbox.mark_sent(session, message.id, NOW)
    await privacy.erase_member(session, eve, privacy.ErasureReason.REQUEST, LATER)
    await session.flush()
    kept = await session.get(OutboxMessage, to_bob.id)
    scrubbed = await session.get(OutboxMessage, about_eve.id)
    assert kept is not None and kept.payload == {"machine": "Prusa"}
    assert scrubbed is not None and scrubbed.payload["machine"] == "Trotec"
    assert "velyne" not in json.dumps(scrubbed.payload, ensure_ascii=False).casefold()
    assert "secretandre" not in json.dumps(scrubbed.payload, ensure_ascii=False).casefold()
