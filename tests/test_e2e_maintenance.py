"""Fault reports and the maintenance queue, end to end through the fake Bot API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.jobs import open_due_plan_tickets
from bot.core.outbox import deliver_outbox
from models.machines import Machine, MachineStatus
from models.maintenance import MaintenancePlan, Ticket, TicketStatus
from models.outbox import OutboxMessage
from tests.factories import NOW
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import (
    ALICE,
    BOB,
    MANAGER,
    Clock,
    book_through_buttons,
    job_context,
    press_data,
    running_bot,
    say,
    tap,
    test_settings,
)

EN_MANAGER = FakeUser(MANAGER.id, MANAGER.first_name, username="morgane", language_code="en")


async def test_unusable_report_with_photo_alerts_managers_warns_bookers_and_resolving_brings_the_machine_back(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    settings = test_settings(fake, database_url, default_language="en")
    async with running_bot(settings, Clock()):
        await say(fake, EN_MANAGER, "/start")
        # Bob booked the printer for Tuesday.
        await book_through_buttons(fake, BOB, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, BOB, "Confirm")

        # Alice reports it unusable, with a photo.
        await say(fake, ALICE, "/start")
        machines = await tap(fake, ALICE, "Report a problem")
        assert "Which machine has a problem?" in (machines.text or "")
        ask = await tap(fake, ALICE, "Prusa MK4")
        assert "Describe the problem" in (ask.text or "")
        severity = await say(fake, ALICE, "The nozzle is clogged and the bed does not heat.")
        assert "choose how bad it is" in (severity.text or "")
        mark = fake.mark()
        fake.send_message(ALICE, "", photo="photo-file-1", caption=None)
        with_photo = await fake.wait_for_call("sendMessage", ALICE.id, after=mark)
        assert "1 photo added." in (with_photo.text or "")
        mark = fake.mark()
        sent = await tap(fake, ALICE, "Unusable")
        assert "Ticket #1 is open for Prusa MK4" in (sent.text or "")
        assert "out of service" in (sent.text or "")

        alert = await fake.wait_for_call("sendPhoto", MANAGER.id, after=mark)
        assert alert.params["photo"] == "photo-file-1"
        caption = alert.params["caption"]
        assert "Ticket #1 opened — Prusa MK4" in caption and "The nozzle is clogged" in caption
        assert "Reported by Alice" in caption and "1 member with a booking was told" in caption
        assert [label for label, _d in alert.buttons()][:3] == ["🙋 Take it", "✅ Resolve", "↗️ Escalate"]
        warned = await fake.wait_for_call("sendMessage", BOB.id, text_contains="out of service", after=mark)
        assert "Tuesday 5 March, 10:00–11:00" in (warned.text or "")
        assert any("Book another one: 3D printers" in label for label, _d in warned.buttons())

        # The ticket's photos, for the manager.
        mark = fake.mark()
        fake.press_button(EN_MANAGER, alert, "Details")
        detail = await fake.wait_for_call("sendMessage", MANAGER.id, after=mark)
        fake.press_button(EN_MANAGER, detail, "Photos (1)")
        photo = await fake.wait_for_call("sendPhoto", MANAGER.id, after=mark)
        assert photo.params["photo"] == "photo-file-1"

        # Nobody can book it now; it shows as out of service.
        listing = await say(fake, BOB, "/book")
        assert any(label.startswith("⛔") and "Prusa MK4" in label for label, _d in listing.buttons())

        # The manager takes it: Alice is told.
        mark = fake.mark()
        fake.press_button(EN_MANAGER, detail, "Take it")
        taken = await fake.wait_for_call("editMessageText", MANAGER.id, after=mark)
        assert "Taken by Morgane" in (taken.text or "")
        told = await fake.wait_for_call("sendMessage", ALICE.id, text_contains="taken in hand", after=mark)
        assert "ticket #1" in (told.text or "")

        # ...then resolves it with a note typed as a message.
        mark = fake.mark()
        fake.press_button(EN_MANAGER, taken, "Resolve")
        prompt = await fake.wait_for_call("sendMessage", MANAGER.id, after=mark)
        assert "Send the resolution note for ticket #1" in (prompt.text or "")
        mark = fake.mark()
        done = await say(fake, EN_MANAGER, "Nozzle replaced, bed thermistor reseated.")
        assert "Ticket #1 is resolved." in (done.text or "")
        assert "« Nozzle replaced, bed thermistor reseated. »" in (done.text or "")
        resolved = await fake.wait_for_call("sendMessage", ALICE.id, text_contains="resolved", after=mark)
        assert "Note: Nozzle replaced" in (resolved.text or "")
        back = await fake.wait_for_call("sendMessage", BOB.id, text_contains="back in service", after=mark)
        assert "Your booking on Tuesday 5 March, 10:00–11:00 stands" in (back.text or "")

        # The machine is bookable again.
        listing = await say(fake, ALICE, "/book")
        assert any(label.endswith("Prusa MK4") and "⛔" not in label for label, _d in listing.buttons())

    async with sessions() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket is not None and ticket.status is TicketStatus.RESOLVED
        machine = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
        assert machine is not None and machine.status is MachineStatus.AVAILABLE
        unsent = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
        assert unsent == 0


async def test_a_second_report_is_added_to_the_open_ticket_and_its_reporter_told(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        for user, words in ((ALICE, "Bed is scratched"), (BOB, "Bed surface damaged")):
            await say(fake, user, "/report")
            await tap(fake, user, "Prusa MK4")
            await say(fake, user, words)
            last = await tap(fake, user, "Minor")
        assert "already open for Prusa MK4 (#1): your report was added to it" in (last.text or "")
        alert = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="New report on ticket #1")
        assert "Bed surface damaged" in (alert.text or "")


async def test_members_cannot_press_manager_buttons_and_stale_ticket_buttons_are_refused(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await say(fake, ALICE, "/report")
        await tap(fake, ALICE, "Prusa MK4")
        await say(fake, ALICE, "Fan rattles")
        await tap(fake, ALICE, "Degraded")
        for data in ("tk:t:1", "tk:r:1", "tk:x:1", "tk:1", "q:0", "mc:1", "dt:ok:1:31648860:60", "pl:a:1"):
            answer = await press_data(fake, ALICE, data)
            assert "Only the fab managers" in answer.params.get("text", ""), data
        refused = await say(fake, ALICE, "/queue")
        assert "Only the fab managers" in (refused.text or "")

        await say(fake, EN_MANAGER, "/queue")
        await tap(fake, EN_MANAGER, "#1 Prusa MK4")
        await tap(fake, EN_MANAGER, "Reject")
        await say(fake, EN_MANAGER, "Normal fan noise")
        # The old alert's Take it button, pressed after the ticket was closed.
        answer = await press_data(fake, EN_MANAGER, "tk:t:1")
        assert "already closed" in answer.params.get("text", "")
        answer = await press_data(fake, EN_MANAGER, "tk:t:999")
        assert "no longer available" in answer.params.get("text", "")
    async with sessions() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket is not None and ticket.status is TicketStatus.REJECTED


async def test_queue_lists_most_urgent_first_and_a_ticket_shows_its_whole_history(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock):
        for machine, severity in (("Prusa MK4", "Minor"), ("Trotec Speedy", "Unusable")):
            await say(fake, ALICE, "/report")
            await tap(fake, ALICE, machine)
            await say(fake, ALICE, f"{machine} problem")
            await tap(fake, ALICE, severity)
            clock.advance(hours=3)
        await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="Ticket #2 opened")
        queue = await say(fake, EN_MANAGER, "/queue")
        assert "2 open tickets, most urgent first" in (queue.text or "")
        labels = [label for label, _d in queue.buttons()][:2]
        assert labels == ["⛔ #2 Trotec Speedy — 3 h", "🔧 #1 Prusa MK4 — 6 h"]
        await tap(fake, EN_MANAGER, "#1 Prusa MK4")
        await tap(fake, EN_MANAGER, "Escalate")
        await say(fake, EN_MANAGER, "Sent to the Prusa service centre")
        detail = await say(fake, EN_MANAGER, "/queue")
        detail = await tap(fake, EN_MANAGER, "#1 Prusa MK4")
        text = detail.text or ""
        assert "escalated" in text and "« Sent to the Prusa service centre »" in text
        assert "opened" in text and "💬 Alice" in text and "Prusa MK4 problem" in text
        machine = await say(fake, EN_MANAGER, "/machine trotec")
        assert "Trotec Speedy — out of service" in (machine.text or "")
        assert "#2" in (machine.text or "")


async def bob_booked_and_saturday_planned_down(fake: FakeBotApi) -> tuple[ApiCall, int]:
    """Bob books Saturday 10:00; the manager plans the printer down 09:00–17:00 that day.
    Returns the manager's answer and the fake's mark just before the last tap."""
    await book_through_buttons(fake, BOB, "Sat 9 Mar", "10:00", "1 h → 11:00")
    await tap(fake, BOB, "Confirm")
    await say(fake, EN_MANAGER, "/machine Prusa MK4")
    await tap(fake, EN_MANAGER, "Plan a downtime")
    await tap(fake, EN_MANAGER, "Sat 9 Mar")
    await tap(fake, EN_MANAGER, "09:00")
    await tap(fake, EN_MANAGER, "8 h → 17:00")
    mark = fake.mark()
    return await tap(fake, EN_MANAGER, "Confirm"), mark


async def saturday_starts_alice_sees(fake: FakeBotApi) -> list[str]:
    await say(fake, ALICE, "/book")
    await tap(fake, ALICE, "Prusa MK4")
    return [label for label, _d in (await tap(fake, ALICE, "Sat 9 Mar")).buttons()]


async def test_manager_plans_a_downtime_and_the_member_booked_in_it_is_warned(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        done, mark = await bob_booked_and_saturday_planned_down(fake)
        assert "Downtime planned: Saturday 9 March, 09:00–17:00" in (done.text or "")
        assert "1 member with a booking in that time was warned" in (done.text or "")
        warned = await fake.wait_for_call("sendMessage", BOB.id, text_contains="maintenance", after=mark)
        assert "Saturday 9 March, 09:00–17:00" in (warned.text or "")
        # Members cannot book inside the window.
        assert (await saturday_starts_alice_sees(fake))[:2] == ["17:00", "17:30"]


async def test_manager_calls_off_a_downtime_and_the_member_booked_in_it_is_told_it_stands(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await bob_booked_and_saturday_planned_down(fake)
        screen = await say(fake, EN_MANAGER, "/machine Prusa MK4")
        assert "Planned downtime:" in (screen.text or "")
        ask = await tap(fake, EN_MANAGER, "Call off Sat 9 Mar 09:00–17:00")
        assert "Call off this downtime?" in (ask.text or "")
        mark = fake.mark()
        done = await tap(fake, EN_MANAGER, "Call it off")
        assert "Downtime called off: Saturday 9 March, 09:00–17:00" in (done.text or "")
        assert "1 member with a booking in that time was told it stands" in (done.text or "")
        told = await fake.wait_for_call("sendMessage", BOB.id, text_contains="stands", after=mark)
        assert "Your booking on Saturday 9 March, 10:00–11:00 stands" in (told.text or "")
        # The window can be booked again, and the machine's screen no longer lists it.
        assert (await saturday_starts_alice_sees(fake))[:2] == ["09:00", "09:30"]
        screen = await say(fake, EN_MANAGER, "/machine Prusa MK4")
        assert "Planned downtime:" not in (screen.text or "")
        assert not any(label.startswith("✖") for label, _d in screen.buttons())
        # A member pressing the manager's button (forged) is refused, and nothing changes.
        refused = await press_data(fake, ALICE, "dt:y:1")
        assert refused.params.get("show_alert") is True
        assert "Only the fab managers can do that" in str(refused.params.get("text"))


async def test_a_due_plan_opens_exactly_one_ticket_across_a_restart(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        session.add(
            MaintenancePlan(
                machine_id=1, task="Clean and lubricate rails", every_days=30, clock_started_at=NOW
            )
        )
    clock = Clock()
    settings = test_settings(fake, database_url, default_language="en")
    clock.now = NOW + timedelta(days=30, minutes=1)
    async with running_bot(settings, clock) as app:
        assert await open_due_plan_tickets(job_context(app)) == 1
        assert await open_due_plan_tickets(job_context(app)) == 0
        alert = await fake.wait_for_call(
            "sendMessage", MANAGER.id, text_contains="Preventive maintenance due"
        )
        assert "Prusa MK4: Clean and lubricate rails (ticket #1)" in (alert.text or "")
    clock.advance(hours=1)
    async with running_bot(settings, clock) as app:
        assert await open_due_plan_tickets(job_context(app)) == 0
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1
    assert len([c for c in fake.calls_of("sendMessage", MANAGER.id) if "Preventive" in (c.text or "")]) == 1


async def test_an_alert_queued_before_a_crash_is_sent_once_after_the_restart(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    settings = test_settings(fake, database_url, default_language="en")
    async with running_bot(settings, Clock()) as app:
        # Telegram is unreachable for the manager's chat when the report comes in.
        fake.fail_next("sendMessage", status=502, description="Bad Gateway", chat_id=MANAGER.id, times=100)
        await say(fake, ALICE, "/report")
        await tap(fake, ALICE, "Prusa MK4")
        await say(fake, ALICE, "Smoke from the PSU")
        await tap(fake, ALICE, "Unusable")
        await fake.wait_for(lambda c: c.chat_id == MANAGER.id and c.status == 502)
    async with sessions() as session:  # the bot stops here: the alert is still owed
        pending = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
        assert pending == 1
    fake.clear_failures()
    # Back a minute later (the failed attempt pauses the message for 30 seconds).
    async with running_bot(settings, Clock(NOW + timedelta(minutes=1))) as app:
        desk = app.bot_data["fabdesk"]
        assert await deliver_outbox(desk, app.bot) == 1
        assert await deliver_outbox(desk, app.bot) == 0
    delivered = [
        c for c in fake.calls_of("sendMessage", MANAGER.id) if c.status == 200 and "Smoke" in (c.text or "")
    ]
    assert len(delivered) == 1
