"""Review of the maintenance queue: each test failed on the code as reviewed and passes since the fix.

The docstring of each test says what a member or fab manager saw and what they should see.
Tests marked "(PostgreSQL)" describe a race that SQLite's serialized transactions hide: they pass
on SQLite and fail on PostgreSQL (FABDESK_TEST_DATABASE_URL).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.jobs import open_due_plan_tickets
from bot.core.outbox import deliver_outbox
from models import bookings, maintenance
from models.bookings import Booking
from models.errors import MachineUnavailable
from models.maintenance import (
    Action,
    EventKind,
    MaintenancePlan,
    Report,
    ReportDraft,
    Severity,
    Ticket,
    TicketEvent,
    TicketNotActive,
)
from models.members import Member
from models.outbox import OutboxMessage
from tests.factories import NOW, RULES, make_machine, make_member, open_every_day, paris
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
from tests.races import race

EN_MANAGER = FakeUser(MANAGER.id, MANAGER.first_name, username="morgane", language_code="en")
OTHER_MANAGER = FakeUser(901, "Yann", username="yann", language_code="en")
APOLOGIES = ("Something went wrong", "Un problème est survenu")


def _error_report_sent(fake: FakeBotApi) -> bool:
    return any("fabdesk error" in (c.text or "") for c in fake.calls_of("sendMessage", MANAGER.id))


async def _report_through_buttons(
    fake: FakeBotApi, user: FakeUser, machine: str, words: str, severity: str
) -> None:
    await say(fake, user, "/report")
    await tap(fake, user, machine)
    await say(fake, user, words)
    await tap(fake, user, severity)


async def tap_on(fake: FakeBotApi, user: FakeUser, message: ApiCall, button: str) -> ApiCall:
    """Press a button on a given bot message and return the bot's next screen for that user."""
    mark = fake.mark()
    fake.press_button(user, message, button)
    await fake.wait_for_call("answerCallbackQuery", after=mark)
    return await fake.wait_for(
        lambda c: c.method in {"editMessageText", "sendMessage"} and c.chat_id == user.id, after=mark
    )


async def _open_ticket(fake: FakeBotApi, manager: FakeUser, label: str = "#1 Prusa MK4") -> ApiCall:
    """/queue, then the ticket's detail (once the alerts already owed are out)."""
    await fake.wait_until_idle()
    mark = fake.mark()
    fake.send_message(manager, "/queue")
    # An alert still owed may reach the manager first (the outbox job is not an update): wait for the queue.
    queue = await fake.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and c.chat_id == manager.id
            and any(label in text for text, _ in c.buttons())
        ),
        after=mark,
    )
    return await tap_on(fake, manager, queue, label)


async def _events(sessions: async_sessionmaker[AsyncSession], ticket_id: int) -> list[EventKind]:
    async with sessions() as session:
        rows = await session.scalars(
            select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
        return list(rows)


# --------------------------------------------------------------------------- notes and drafts


async def test_a_manager_asked_for_a_note_who_then_reports_a_problem_does_not_close_the_ticket(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """A manager presses Resolve on ticket #1 (asked for a note), changes their mind and reports a fault
    on the laser instead: Report a problem → Trotec Speedy → types "Laser tube does not fire".

    Saw (before the fix): "Ticket #1 is resolved." with « Laser tube does not fire » as its resolution
    note - the
    printer's ticket is closed with the laser's description, Alice is told her problem is resolved, and
    the laser report has no description.
    Should see: the severity choice of the laser report; ticket #1 untouched (starting a report drops
    the pending note request, or the most recent thing asked for wins).
    """
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await _report_through_buttons(fake, ALICE, "Prusa MK4", "Fan rattles", "Degraded")
        await tap_on(fake, EN_MANAGER, await _open_ticket(fake, EN_MANAGER), "Resolve")
        await say(fake, EN_MANAGER, "/report")
        await tap(fake, EN_MANAGER, "Trotec Speedy")
        answer = await say(fake, EN_MANAGER, "Laser tube does not fire")
        await fake.wait_until_idle()
    assert "choose how bad it is" in (answer.text or ""), answer.text
    assert EventKind.RESOLVED not in await _events(sessions, 1)


async def test_a_note_for_a_ticket_closed_meanwhile_does_not_swallow_the_managers_next_messages(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """Morgane presses Resolve on ticket #1; meanwhile Yann rejects it. Morgane types her note and is
    told "This ticket is already closed. Nothing was changed." - fine so far.

    Saw (before the fix): the note request survives the refusal (it is deleted in the transaction that
    is rolled
    back), so every later message of Morgane is taken as that note: she starts a report on the laser,
    types its description and gets "This ticket is already closed" again, forever, until she finds
    /cancel.
    Should see: after the refusal nothing is pending any more; her description goes to her report.
    """
    settings = test_settings(
        fake, database_url, default_language="en", manager_ids=[MANAGER.id, OTHER_MANAGER.id]
    )
    async with running_bot(settings, Clock()):
        await _report_through_buttons(fake, ALICE, "Prusa MK4", "Fan rattles", "Degraded")
        await tap_on(fake, EN_MANAGER, await _open_ticket(fake, EN_MANAGER), "Resolve")
        await tap_on(fake, OTHER_MANAGER, await _open_ticket(fake, OTHER_MANAGER), "Reject")
        await say(fake, OTHER_MANAGER, "Duplicate of a known issue")

        refused = await say(fake, EN_MANAGER, "Cleaned the fan")
        assert "already closed" in (refused.text or "")
        await say(fake, EN_MANAGER, "/report")
        await tap(fake, EN_MANAGER, "Trotec Speedy")
        answer = await say(fake, EN_MANAGER, "Laser tube does not fire")
        await fake.wait_until_idle()
    assert "choose how bad it is" in (answer.text or ""), answer.text


# --------------------------------------------------------------------------- the outbox


async def test_an_alert_is_not_given_up_after_a_minute_of_telegram_being_unreachable(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """The lab's Raspberry Pi loses its connection (Wi-Fi drop, ISP hiccup) for about two minutes just
    after Alice reports the printer unusable.

    Saw (before the fix): every outbox run (every 15 s) counts a network failure as an attempt; after 5
    of them -
    about 75 seconds - the alert is marked failed and never sent. When the network is back, the fab
    managers never hear of the fault (nor would members of affected bookings).
    Should see: the alert sent once Telegram is reachable again. Transient errors (timeouts, 5xx,
    RetryAfter) should back off and give up only after a long time (hours), not after 5 quick runs.
    """
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        fake.fail_next("sendMessage", status=502, description="Bad Gateway", chat_id=MANAGER.id, times=1000)
        await _report_through_buttons(fake, ALICE, "Prusa MK4", "Smoke from the PSU", "Unusable")
        await fake.wait_for(lambda c: c.chat_id == MANAGER.id and c.status == 502)
        await fake.wait_until_idle()
        desk = app.bot_data["fabdesk"]
        for _run in range(8):  # two minutes of the 15 s job
            clock.advance(seconds=15)
            await deliver_outbox(desk, app.bot)
        fake.clear_failures()
        clock.advance(minutes=5)  # the retry pauses grow (30 s, 1 min, 2 min...): well within them
        await deliver_outbox(desk, app.bot)
    delivered = [c for c in fake.calls_of("sendMessage", MANAGER.id) if c.ok and "Smoke" in (c.text or "")]
    assert len(delivered) == 1, "the manager alert was given up during a two-minute outage"


# --------------------------------------------------------------------------- races (PostgreSQL)


async def test_two_managers_pressing_take_it_at_once_take_the_ticket_once(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """(PostgreSQL) Both fab managers get the alert at the same instant and both press "Take it".

    Saw on PostgreSQL (before the fix): both presses succeed - each manager is told "Ticket #1 is yours", the
    history holds two "taken in hand" entries, Alice gets two "taken in hand" messages, and the
    assignee is whoever committed last. (SQLite serializes the two transactions: the second is refused.)
    Should see: one take; the other manager gets "That cannot be done in the ticket's present state"
    (lock the ticket row - SELECT ... FOR UPDATE - or update it conditionally on its status).
    """
    async with sessions.begin() as session:
        printer = await make_machine(session)
        alice = await make_member(session, "Alice")
        morgane = await make_member(session, "Morgane", manager=True)
        yann = await make_member(session, "Yann", manager=True)
        await maintenance.start_report(session, alice, printer.id, NOW)
        await maintenance.describe(session, alice, "Fan rattles", NOW)
        ticket_id = (await maintenance.submit_report(session, alice, Severity.DEGRADED, [], NOW)).ticket.id

    def take(member_id: int) -> Callable[[AsyncSession], Awaitable[Ticket]]:
        async def run(session: AsyncSession) -> Ticket:
            manager = await session.get(Member, member_id)
            assert manager is not None
            return await maintenance.act(session, manager, ticket_id, Action.TAKE, NOW)

        return run

    second = await race(sessions, engine, take(morgane.id), take(yann.id))
    assert isinstance(second, TicketNotActive), f"the second take went through too: {second!r}"
    assert (await _events(sessions, ticket_id)).count(EventKind.TAKEN) == 1
    async with sessions() as session:
        told = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.chat_id == alice.telegram_id, OutboxMessage.kind == "ticket_update")
        )
    assert told == 1


async def test_a_double_tap_on_the_severity_sends_one_report(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """(PostgreSQL) Alice double-taps "Unusable" (two callback queries handled at once).

    Saw on PostgreSQL (before the fix): both presses read the same draft before either commits; the
    first opens
    ticket #1, the second joins it - the ticket holds the same report twice, its history says "new
    report", and the fab managers get two alerts for one fault. (On SQLite the second press is told
    "There is no report being written any more".)
    Should see: one report, one alert (lock the draft row, or make deleting it the first write and
    check that it deleted a row).
    """
    async with sessions.begin() as session:
        printer = await make_machine(session)
        alice = await make_member(session, "Alice")
        await maintenance.start_report(session, alice, printer.id, NOW)
        await maintenance.describe(session, alice, "Smoke from the PSU", NOW)

    async def submit(session: AsyncSession) -> maintenance.Submitted:
        member = await session.get(Member, alice.id)
        assert member is not None
        return await maintenance.submit_report(session, member, Severity.UNUSABLE, [MANAGER.id], NOW)

    await race(sessions, engine, submit, submit)
    async with sessions() as session:
        reports = await session.scalar(select(func.count()).select_from(Report))
        alerts = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "ticket_alert")
        )
    assert (reports, alerts) == (1, 1)


async def test_photos_of_an_album_handled_at_once_are_all_kept(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """(PostgreSQL) Alice sends two photos as an album: Telegram delivers them as two updates at once
    and fabdesk handles them concurrently (concurrent_updates = 8).

    Saw on PostgreSQL (before the fix): each update reads the draft's photo list, appends its photo and
    writes the
    list back; the second write replaces the first, so the report reaches the managers with one photo
    (Alice was told "1 photo added." twice and believes both are there).
    Should see: both photos on the draft (lock the draft row before changing it, or store photos as
    rows).
    """
    async with sessions.begin() as session:
        printer = await make_machine(session)
        alice = await make_member(session, "Alice")
        await maintenance.start_report(session, alice, printer.id, NOW)
        await maintenance.describe(session, alice, "Cracked glass bed", NOW)

    def add(file_id: str) -> Callable[[AsyncSession], Awaitable[ReportDraft]]:
        async def run(session: AsyncSession) -> ReportDraft:
            member = await session.get(Member, alice.id)
            assert member is not None
            return await maintenance.add_photo(session, member, file_id, None, NOW)

        return run

    await race(sessions, engine, add("photo-1"), add("photo-2"))
    async with sessions() as session:
        draft = await session.get(ReportDraft, alice.id)
    assert draft is not None and sorted(draft.photo_ids) == ["photo-1", "photo-2"]


# --------------------------------------------------------------------------- plans and downtime


async def test_rejecting_a_planned_ticket_does_not_open_the_same_one_again_at_the_next_check(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """The 30-day "Clean and lubricate rails" falls due; the manager rejects the planned ticket ("done
    last week during the workshop, not needed").

    Saw (before the fix): the plan's clock restarts only on *resolve*, so the plan is still due; ten
    minutes later
    the job opens ticket #2 for the same task and alerts the managers again - and again after every
    rejection, so rejecting is useless.
    Should see: no new ticket at the next check (closing the planned ticket, resolved or rejected,
    restarts the plan's clock - or a rejection defers it by a full interval).
    """
    async with sessions.begin() as session:
        session.add(
            MaintenancePlan(
                machine_id=1, task="Clean and lubricate rails", every_days=30, clock_started_at=NOW
            )
        )
    clock = Clock(NOW + timedelta(days=30, minutes=1))
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        assert await open_due_plan_tickets(job_context(app)) == 1
        async with sessions.begin() as session:
            manager = await make_member(session, "Morgane", telegram_id=MANAGER.id, manager=True)
            await maintenance.act(session, manager, 1, Action.REJECT, clock.now, note="Done last week")
        clock.advance(minutes=10)
        assert await open_due_plan_tickets(job_context(app)) == 0, "the rejected task was opened again"


async def test_the_reason_of_a_planned_downtime_is_in_the_warned_members_language(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """Morgane (French) plans a downtime of the printer; Bob (English) has a booking in it.

    Saw (before the fix): Bob's warning is in English but ends with "Reason: maintenance planifiée" -
    the reason is
    translated in the *manager's* language when the downtime is planned and stored as text, then shown
    to every member (and on the machine screen) in that language.
    Should see: "Reason: planned maintenance" for Bob (store no reason, or a reason code translated when
    the warning is rendered; keep free text only for what a manager typed).
    """
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await book_through_buttons(fake, BOB, "Sat 9 Mar", "10:00", "1 h → 11:00")
        await tap(fake, BOB, "Confirm")
        await say(fake, MANAGER, "/machine Prusa MK4")
        await tap(fake, MANAGER, "Planifier")
        await tap(fake, MANAGER, "9 mars")
        await tap(fake, MANAGER, "09:00")
        await tap(fake, MANAGER, "8 h")
        mark = fake.mark()
        await tap(fake, MANAGER, "Confirmer")
        warned = await fake.wait_for_call("sendMessage", BOB.id, text_contains="maintenance", after=mark)
    assert "will be out of service" in (warned.text or "")
    assert "planifiée" not in (warned.text or ""), warned.text


async def test_pressing_plan_downtime_twice_plans_it_once_and_warns_once(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """The manager's phone lags and they tap "8 h → 17:00" twice (or tap it again on the old screen).

    Saw (before the fix): two identical downtimes are stored (the machine screen lists the window twice)
    and Bob,
    booked in it, gets the same "will be out of service for maintenance" warning twice.
    Should see: one downtime, one warning - the second press recognises the identical window (as
    Confirm does for bookings).
    """
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await book_through_buttons(fake, BOB, "Sat 9 Mar", "10:00", "1 h → 11:00")
        await tap(fake, BOB, "Confirm")
        await say(fake, EN_MANAGER, "/machine Prusa MK4")
        await tap(fake, EN_MANAGER, "Plan a downtime")
        await tap(fake, EN_MANAGER, "Sat 9 Mar")
        await tap(fake, EN_MANAGER, "09:00")
        summary = await tap(fake, EN_MANAGER, "8 h")
        data = next(d for label, d in summary.buttons() if label.endswith("Confirm"))
        assert data is not None
        await tap(fake, EN_MANAGER, "Confirm")
        await press_data(fake, EN_MANAGER, data)
        await fake.wait_until_idle()
    async with sessions() as session:
        downtimes = await session.scalar(select(func.count()).select_from(maintenance.Downtime))
    warnings = [
        c for c in fake.calls_of("sendMessage", BOB.id) if "out of service for maintenance" in (c.text or "")
    ]
    assert (downtimes, len(warnings)) == (1, 1)


# --------------------------------------------------------------------------- Telegram's limits


async def test_a_long_description_still_shows_in_the_alert_with_a_photo(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """Alice writes a detailed description (about 1,100 characters, one paragraph) and adds a photo.

    Saw (before the fix): the managers' alert is a photo whose caption (limit 1,024) is cut back to the
    last line
    break *before* the description: "Reported by Alice:" followed by "…" - not one word of the fault
    (for an unusable report, the "out of service; N members were told" line is lost the same way).
    Should see: as much of the description as fits (cut inside the paragraph, then "…").
    """
    words = "The laser head rattles when it moves along the X axis, " * 20
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await say(fake, ALICE, "/report")
        await tap(fake, ALICE, "Prusa MK4")
        await say(fake, ALICE, words)
        mark = fake.mark()
        fake.send_message(ALICE, "", photo="photo-file-1")
        await fake.wait_for_call("sendMessage", ALICE.id, after=mark)
        mark = fake.mark()
        await tap(fake, ALICE, "Degraded")
        alert = await fake.wait_for_call("sendPhoto", MANAGER.id, after=mark)
    caption = alert.params["caption"]
    assert len(caption.encode("utf-16-le")) // 2 <= 1024
    assert "The laser head rattles" in caption, caption


async def test_a_ticket_with_two_long_reports_still_shows_its_history(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """Alice and Bob each describe the same fault at length (2,000 characters each, the maximum kept).
    The manager takes the ticket and opens its detail.

    Saw (before the fix): the detail is cut at Telegram's 4,096 characters after the reports: "History:" and
    every entry (taken in hand, by whom, notes) are gone - the manager cannot see the whole history the
    screen promises, and the same cut hides it after resolving.
    Should see: the status and the history always shown (shorten the reports' text in the detail to
    what fits, e.g. a few hundred characters each, rather than the history).
    """
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await _report_through_buttons(
            fake, ALICE, "Prusa MK4", "Alice: " + "the bed wobbles. " * 200, "Minor"
        )
        await _report_through_buttons(fake, BOB, "Prusa MK4", "Bob: " + "the bed is loose. " * 200, "Minor")
        detail = await _open_ticket(fake, EN_MANAGER)
        taken = await tap_on(fake, EN_MANAGER, detail, "Take it")
    shown = taken.text or ""
    assert len(shown.encode("utf-16-le")) // 2 <= 4096
    assert "History:" in shown and "taken in hand — Morgane" in shown, shown[-300:]


async def test_ten_photos_sent_at_once_keep_five_and_say_the_limit_once(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """Alice selects ten photos in her gallery and sends them as one album to her report.

    Saw (before the fix): ten answers in a row - five "… photos added. Send photos if they help, then
    choose how
    bad it is" screens, each with its own severity buttons, then five times "A report holds at most 5
    photos." (On PostgreSQL some of the five kept photos can also be lost, see the album race test.)
    Should see: five photos kept and one answer saying so (answer an album once, e.g. by its
    media_group_id, or at least say the limit once).
    """
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await say(fake, ALICE, "/report")
        await tap(fake, ALICE, "Prusa MK4")
        await say(fake, ALICE, "Print detached from the bed")
        mark = fake.mark()
        for n in range(10):
            fake.send_message(ALICE, "", photo=f"album-{n}", media_group_id="album-1")
        await fake.wait_until_idle()
    answers = [c for c in fake.calls[mark:] if c.method == "sendMessage" and c.chat_id == ALICE.id]
    refusals = [c for c in answers if "at most 5 photos" in (c.text or "")]
    async with sessions() as session:
        draft = await session.scalar(select(ReportDraft))
    assert draft is not None and len(draft.photo_ids) == 5
    assert len(refusals) <= 1, f"{len(answers)} answers to one album, {len(refusals)} of them the limit"


# --------------------------------------------------------------------------- forged buttons


async def test_a_forged_far_future_downtime_day_gets_a_refusal_not_the_error_handler(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """A manager's client sends forged or garbled data "dt:d:1:99991231" (downtime on 31 Dec 9999).

    Saw (before the fix): downtime_start builds hour buttons whose epoch minutes exceed 2**31-1 (any day
    after the
    year 6053); callbacks.build raises ValueError("bad callback dt:s..."), the error handler answers
    "Something went wrong" and every fab manager gets an error report. (Dates near year 1, huge queue
    pages and the other maintenance buttons were tried and are refused properly.)
    Should see: "This is no longer available. Nothing was changed." - refuse a day outside the
    bookable days (or the downtime horizon) in downtime_start, as booking._day_of does.
    """
    data = "dt:d:1:99991231"
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await say(fake, EN_MANAGER, "/start")
        answer = await press_data(fake, EN_MANAGER, data)
        await fake.wait_until_idle()
    shown = answer.params.get("text", "")
    assert not shown.startswith(APOLOGIES), shown
    assert not _error_report_sent(fake)


# --------------------------------------------------------------------------- affected bookings


async def test_a_member_with_two_affected_bookings_is_told_both_stand_again(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """Bob booked the printer on Tuesday and on Thursday. Alice reports it unusable: Bob gets two
    warnings, one per booking. The manager resolves the ticket.

    Saw (before the fix): one "Prusa MK4 is back in service. Your booking on Tuesday 5 March … stands."
    - nothing
    about Thursday (the code tells each member once, with their first booking only). Bob, warned twice,
    is told once: he may well cancel Thursday or rebook elsewhere for nothing.
    Should see: Thursday's booking mentioned too (one message per booking, as for the warnings, or one
    message listing both).
    """
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        for day in ("Tue 5 Mar", "Thu 7 Mar"):
            await book_through_buttons(fake, BOB, day, "10:00", "1 h → 11:00")
            await tap(fake, BOB, "Confirm")
        await _report_through_buttons(fake, ALICE, "Prusa MK4", "Smoke from the PSU", "Unusable")
        detail = await _open_ticket(fake, EN_MANAGER)
        await tap_on(fake, EN_MANAGER, detail, "Resolve")
        mark = fake.mark()
        await say(fake, EN_MANAGER, "PSU replaced")
        await fake.wait_for_call("sendMessage", BOB.id, text_contains="back in service", after=mark)
        await fake.wait_until_idle()
    warned = " ".join(
        c.text or "" for c in fake.calls_of("sendMessage", BOB.id) if "unusable" in (c.text or "")
    )
    assert "Thursday 7 March" in warned and "Tuesday 5 March" in warned  # both warned
    back = " ".join(
        c.text or "" for c in fake.calls[mark:] if c.chat_id == BOB.id and "back in service" in (c.text or "")
    )
    assert "Thursday 7 March" in back, back


async def test_my_bookings_shows_which_bookings_are_on_a_machine_out_of_service(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """Bob's booking is affected by an unusable report; he taps "My bookings" under the warning.

    Saw (before the fix): "• Prusa MK4 — Tuesday 5 March, 10:00–11:00" exactly like any other booking -
    nothing
    says the machine is out of service; the booking is "marked affected" only in the database.
    Should see: the booking flagged (e.g. "⛔ out of service") while the machine is down.
    """
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await book_through_buttons(fake, BOB, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, BOB, "Confirm")
        mark = fake.mark()
        await _report_through_buttons(fake, ALICE, "Prusa MK4", "Smoke from the PSU", "Unusable")
        warning = await fake.wait_for_call("sendMessage", BOB.id, text_contains="unusable", after=mark)
        mine = await tap_on(fake, BOB, warning, "My bookings")
    line = next(li for li in (mine.text or "").splitlines() if "Prusa MK4" in li)
    assert "out of service" in line or "⛔" in line, mine.text


async def test_a_booking_made_while_the_machine_is_reported_unusable_is_refused_or_warned(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """(PostgreSQL) Bob confirms a booking of the printer at the very moment Alice reports it unusable.

    Saw on PostgreSQL (before the fix): Bob's transaction reads the machine as available (Alice's change
    is not
    committed yet) and books; Alice's transaction looked for upcoming bookings before Bob's existed. Bob
    is told "Your booking is confirmed" for a machine out of service, his booking is not marked affected,
    and he never gets the warning with the rebook button. (SQLite serializes the two.)
    Should see: either Bob's booking refused ("out of service"), or marked affected and Bob warned
    (lock the machine row: SELECT ... FOR SHARE when booking, FOR UPDATE when taking it down).
    """
    async with sessions.begin() as session:
        await open_every_day(session)
        printer = await make_machine(session)
        alice = await make_member(session, "Alice")
        bob = await make_member(session, "Bob")
        await maintenance.start_report(session, alice, printer.id, NOW)
        await maintenance.describe(session, alice, "Smoke from the PSU", NOW)

    async def report(session: AsyncSession) -> None:
        member = await session.get(Member, alice.id)
        assert member is not None
        await maintenance.submit_report(session, member, Severity.UNUSABLE, [MANAGER.id], NOW)

    async def book(session: AsyncSession) -> Booking:
        member = await session.get(Member, bob.id)
        assert member is not None
        return await bookings.book(session, member, printer.id, paris(5, 10), 60, RULES, NOW)

    outcome = await race(sessions, engine, report, book)
    if isinstance(outcome, MachineUnavailable):
        return
    assert not isinstance(outcome, BaseException), outcome
    async with sessions() as session:
        booking = await session.get(Booking, outcome.id)
        warned = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.chat_id == bob.telegram_id, OutboxMessage.kind == "booking_affected")
        )
    assert booking is not None and booking.affected_ticket_id is not None and warned == 1


# --------------------------------------------------------------------------- smaller surprises


async def test_a_photo_sent_as_a_file_is_added_to_the_report(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """Alice, on Telegram Desktop, drops a picture of the broken part into the chat; it goes as a file
    (uncompressed: a document with mime type image/jpeg), as it often does from a computer.

    Saw (before the fix): "Send text or photos for your report, or /cancel." - the photo she just sent
    is refused.
    Should see: the picture added to the report like a photo (accept image documents; remember their
    kind so the managers' alert sends them with send_document, or re-send them as photos).
    """
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await say(fake, ALICE, "/report")
        await tap(fake, ALICE, "Prusa MK4")
        await say(fake, ALICE, "The extruder gear is worn")
        mark = fake.mark()
        document = {
            "file_id": "scan-1",
            "file_unique_id": "u_scan-1",
            "file_name": "IMG_2041.jpg",
            "mime_type": "image/jpeg",
            "file_size": 2_000_000,
        }
        fake.send_message(ALICE, "", document=document)
        answer = await fake.wait_for_call("sendMessage", ALICE.id, after=mark)
    assert "1 photo added" in (answer.text or ""), answer.text


async def test_the_alert_of_a_report_joining_a_taken_ticket_offers_only_what_can_be_done(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """Morgane took ticket #1; then Bob reports the same printer, which joins the ticket. The managers
    get "New report on ticket #1".

    Saw (before the fix): the alert carries the buttons of an *open* ticket, "Take it" first; pressing
    it answers
    "That cannot be done in the ticket's present state" (an escalated ticket likewise offers
    "Escalate").
    Should see: the buttons of the ticket's present state (in progress: Resolve, Escalate, Reject).
    """
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await _report_through_buttons(fake, ALICE, "Prusa MK4", "Fan rattles", "Degraded")
        detail = await _open_ticket(fake, EN_MANAGER)
        await tap_on(fake, EN_MANAGER, detail, "Take it")
        mark = fake.mark()
        await _report_through_buttons(fake, BOB, "Prusa MK4", "Fan very loud now", "Degraded")
        alert = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="New report", after=mark)
    labels = [label for label, _data in alert.buttons()]
    assert not any("Take it" in label for label in labels), labels
