"""What managers read at a glance: the daily digest's bookings, the statistics chart."""

from __future__ import annotations

import struct
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import Texts
from bot.core.outbox import render
from bot.features.stats import charts
from models import bookings, digest, machines, notices, stats
from models.machines import MachineStatus
from tests.factories import NOW, PARIS, RULES, make_machine, make_member, paris


def _png_height(png: bytes) -> int:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return int(struct.unpack(">I", png[20:24])[0])


async def test_the_digest_gives_each_booked_machine_its_times_and_the_free_ones_in_one_line(
    session: AsyncSession, lab: None
) -> None:
    alice = await make_member(session, "Alice")
    await make_machine(session, "Prusa MK4 #2")
    await make_machine(session, "Broken one", status=MachineStatus.OUT_OF_SERVICE)
    printer = next(m for m in await machines.list_machines(session) if m.name == "Prusa MK4")
    await bookings.book(session, alice, printer.id, paris(4, 14), 120, RULES, NOW)
    await bookings.book(session, alice, printer.id, paris(4, 10), 60, RULES, NOW)
    facts = await digest.digest_facts(session, paris(4, 8, 30), PARIS)
    assert facts.free == ["Prusa MK4 #2", "Trotec Speedy"]  # in service and not booked
    french = render(Texts("fr", PARIS), facts).text
    english = render(Texts("en", PARIS), facts).text
    assert "• Prusa MK4 — 10:00–11:00, 14:00–16:00" in english
    assert "Free all day: Prusa MK4 #2, Trotec Speedy" in english
    assert "• Prusa MK4 — 10:00–11:00, 14:00–16:00" in french
    assert "Libres toute la journée : Prusa MK4 #2, Trotec Speedy" in french
    assert "réservation" not in french.split("Réservations du jour")[-1]  # times, not a count


def test_a_digest_queued_by_the_previous_version_still_reads() -> None:
    facts = {
        "day": "2030-03-04",
        "open_tickets": 0,
        "tickets": [],
        "low_stock": [],
        "updates_due_count": 0,
        "updates_due": [],
        "bookings": [["Prusa MK4", 2]],
    }
    assert "Prusa MK4 — 2 bookings" in render(Texts("en", PARIS), notices.rebuild("digest", facts)).text


async def test_statistics_count_idle_machines_at_zero_and_leave_retired_ones_out(
    session: AsyncSession, lab: None
) -> None:
    alice = await make_member(session, "Alice")
    await make_machine(session, "Old laser", status=MachineStatus.RETIRED)
    printer = next(m for m in await machines.list_machines(session) if m.name == "Prusa MK4")
    await bookings.book(session, alice, printer.id, paris(5, 10), 90, RULES, NOW)
    figures = await stats.usage(session, paris(4, 0), paris(11, 0), PARIS)
    assert figures.hours_by_machine == {"Prusa MK4": 1.5, "Trotec Speedy": 0.0}
    assert figures.idle == ["Trotec Speedy"]


def test_the_chart_has_a_bar_for_every_machine_with_its_value() -> None:
    texts = Texts("fr", ZoneInfo("Europe/Paris"))
    hours = {"Prusa MK4": 12.5, "Trotec Speedy": 0.0, "Shaper $ Origin": 0.0}
    bars = charts.chart_bars(hours, texts.hours)
    assert [(b.label, b.value, b.text) for b in bars] == [
        ("Prusa MK4", 12.5, "12,5 h"),
        ("Trotec Speedy", 0.0, "0,0 h"),
        (r"Shaper \$ Origin", 0.0, "0,0 h"),
    ]
    png = charts.hours_chart("Heures réservées", hours, "heures", value_label=texts.hours)
    assert _png_height(png) > 0
    # Every machine of a big lab gets its bar: the image grows instead of dropping machines.
    many = {f"Poste {n:02d}": 0.0 for n in range(30)}
    assert len(charts.chart_bars(many)) == 30
    assert _png_height(charts.hours_chart("Hours", many, "hours")) > _png_height(png)
    only_idle = charts.hours_chart("Hours", {"Trotec Speedy": 0.0}, "hours")
    assert _png_height(only_idle) > 0


async def test_the_weekly_summary_lists_only_machines_that_were_used(
    session: AsyncSession, lab: None
) -> None:
    from datetime import UTC, datetime, time

    from sqlalchemy import select

    from models.outbox import OutboxMessage

    alice = await make_member(session, "Alice")
    printer = next(m for m in await machines.list_machines(session) if m.name == "Prusa MK4")
    await bookings.book(session, alice, printer.id, paris(5, 10), 60, RULES, NOW)
    monday = datetime(2030, 3, 11, 8, 0, tzinfo=UTC)
    assert await digest.send_weekly_summary(session, [900], monday, PARIS, time(8, 30))
    message = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "weekly"))
    assert message is not None and message.payload["top"] == [["Prusa MK4", 1.0]]
