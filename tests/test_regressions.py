"""Regressions found in review: each test failed on the code as reviewed and passes since the fix.

The docstring of each test says what a member or fab manager saw and what they should see.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.jobs import send_due_reminders
from models import bookings
from models.bookings import Booking
from models.db import session_factory
from models.opening import Closure
from tests.factories import NOW, RULES, make_machine, make_member, open_every_day, paris
from tests.fakebot import FakeBotApi
from tests.harness import (
    ALICE,
    MANAGER,
    Clock,
    book_through_buttons,
    cli_env,
    job_context,
    press_data,
    read_until,
    run_cli,
    running_bot,
    say,
    tap,
    test_settings,
)

APOLOGIES = ("Something went wrong", "Un problème est survenu")


def _error_report_sent(fake: FakeBotApi) -> bool:
    return any("fabdesk error" in (c.text or "") for c in fake.calls_of("sendMessage", MANAGER.id))


# --------------------------------------------------------------------------- booking


async def test_double_tap_on_confirm_does_not_tell_the_member_their_own_slot_was_taken(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """A member double-taps Confirm (or taps it again before the screen changed).

    Saw (before the fix): the first press books the slot, the second one replaces the confirmation with
    "Sorry, that slot was just taken by someone else" and offers other slots - the member
    believes they have no booking, while they do hold it.
    Should see: their booking confirmed (the second press recognises the member's own booking).
    """
    async with running_bot(test_settings(fake, database_url), Clock()):
        confirm = await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        data = next(d for label, d in confirm.buttons() if "Confirm" in label)
        assert data is not None
        first = await tap(fake, ALICE, "Confirm")
        assert "Your booking is confirmed" in (first.text or "")

        mark = fake.mark()
        fake.press(ALICE, confirm, data)  # the same button, pressed a second time
        await fake.wait_for_call("answerCallbackQuery", after=mark)
        await fake.wait_until_idle()
        shown = [c for c in fake.calls[mark:] if c.chat_id == ALICE.id and c.text]
        answers = [c.params.get("text", "") for c in fake.calls_of("answerCallbackQuery")[-1:]]

    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 1
    everything = " ".join([*(c.text or "" for c in shown), *answers])
    assert "taken" not in everything, f"the member was told their own slot was taken: {everything!r}"


@pytest.mark.parametrize(
    "data",
    [
        "bk:s:1:999999999999",  # start in the year ~1.9 million
        "bk:l:1:999999999999:30",
        "bk:ok:1:999999999999:30",
        "bk:ok:1:99999999999:30",  # the existing forged-button test misses it: the apology is an alert too
        "bk:s:1:4223371620",  # 31 Dec 9999 23:00 UTC: valid in UTC, overflows in Paris time
    ],
)
async def test_out_of_range_start_in_a_button_gets_a_refusal_not_the_error_handler(
    fake: FakeBotApi, database_url: str, lab: None, data: str
) -> None:
    """Forged/garbled button data carrying an enormous start time.

    Saw (before the fix): ValueError/OverflowError from datetime escapes the screen, the error handler
    answers "Something went wrong" and the fab managers get an error report.
    Should see: the usual clear refusal ("no longer available" / "too far ahead"), no report.
    """
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, ALICE, "/start")
        answer = await press_data(fake, ALICE, data)
        await fake.wait_until_idle()
    text = answer.params.get("text", "")
    assert text and not text.startswith(APOLOGIES), text
    assert not _error_report_sent(fake)


@pytest.mark.parametrize(
    ("who", "data"),
    [
        ("member", "bk:m:3000000000"),
        ("member", "bk:d:3000000000:20300305"),
        ("member", "tr:3000000000"),
        ("member", "my:c:3000000000"),
        ("member", "my:y:3000000000"),
        ("manager", "au:m:3000000000:0"),
        ("manager", "au:g:2:3000000000"),
    ],
)
async def test_ids_beyond_32_bits_in_a_button_get_a_refusal_not_the_error_handler(
    fake: FakeBotApi, database_url: str, lab: None, who: str, data: str
) -> None:
    """(PostgreSQL) A button with an id above 2**31-1 (callbacks accept 12 digits).

    Saw on PostgreSQL (before the fix): asyncpg refuses the parameter for an INTEGER column ("value out of
    int32 range"), the error handler apologises and reports to the managers. (SQLite is fine.)
    Should see: "This is no longer available. Nothing was changed." - ids out of the column's
    range are simply not found (bound them in callbacks.parse or before the query).
    """
    user = MANAGER if who == "manager" else ALICE
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, user, "/start")
        answer = await press_data(fake, user, data)
        await fake.wait_until_idle()
    text = answer.params.get("text", "")
    assert text and not text.startswith(APOLOGIES), text
    assert not _error_report_sent(fake)


async def test_start_times_of_a_fine_grained_machine_fit_in_telegrams_100_buttons(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A machine with a 5-minute grid (the importer accepts any slot from 1 to 1440 minutes).

    Saw (before the fix): the day's start times come as one button each - 120 buttons for 09:00-19:00 -
    and Telegram refuses the whole keyboard ("Bad Request: reply markup is too long", limit
    100 buttons, 8 per row): the day never opens.
    Should see: a keyboard within Telegram's limits (e.g. hours first, then minutes; or paging).
    """
    async with sessions.begin() as session:
        await open_every_day(session)
        await make_machine(session, "Soldering bench", slot_minutes=5, max_booking_minutes=60)
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, ALICE, "/book")
        await tap(fake, ALICE, "Soldering bench")
        times = await tap(fake, ALICE, "Tue 5 Mar")
    markup = times.params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", [])
    assert sum(len(row) for row in rows) <= 100
    assert all(len(row) <= 8 for row in rows)


async def test_my_bookings_does_not_silently_hide_bookings_after_the_twentieth(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """A member with 22 upcoming bookings (e.g. a teacher booking a PC for every class session).

    Saw (before the fix): "Your upcoming bookings:" with the first 20 and no hint that there are more; the
    last ones can be neither seen nor cancelled from the bot.
    Should see: every upcoming booking (paged), or at least "and 1 more" with a way to reach it.
    """
    async with sessions.begin() as session:
        alice = await make_member(session, "Alice", telegram_id=ALICE.id)
        for day in range(5, 8):
            for hour in range(9, 16):
                await bookings.book(session, alice, 1, paris(day, hour), 30, RULES, NOW)
        last = await bookings.book(session, alice, 1, paris(8, 9), 30, RULES, NOW)
        last_label = f"Fri 8 Mar {last.start_at.astimezone(RULES.tz):%H:%M}"
    async with running_bot(test_settings(fake, database_url), Clock()):
        listing = await say(fake, ALICE, "/mybookings")
    shown = (listing.text or "") + " ".join(label for label, _d in listing.buttons())
    paged = "of 22" in shown and any("Next" in label for label, _d in listing.buttons())
    assert "Friday 8 March" in shown or "Fri 8 Mar" in shown or paged, (
        f"the 22nd booking ({last_label}) is invisible and no 'more' is offered"
    )


async def test_manager_overview_shows_every_machine_even_on_a_busy_day(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """/machines on a busy day: 10 PCs booked every 30 minutes from 09:00 to 19:00.

    Saw (before the fix): the overview is cut at 4096 characters ("…"): the last machines and their
    bookings are simply missing, so the fab manager cannot see who is on them today.
    Should see: every machine (split into several messages, or paged, or summarised per machine).
    """
    async with sessions.begin() as session:
        await open_every_day(session)
        people = [await make_member(session, f"Membre numéro {i:02d} Dupont-Martin") for i in range(20)]
        names = []
        for index in range(10):
            machine = await make_machine(session, f"Poste informatique {index:02d}", slot_minutes=30)
            names.append(machine.name)
            for slot in range(20):
                start = paris(4, 9) + timedelta(minutes=30 * slot)
                await bookings.book(session, people[slot], machine.id, start, 30, RULES, NOW)
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, MANAGER, "/machines")
        await fake.wait_until_idle()
    answers = fake.calls_of("sendMessage", MANAGER.id)
    shown = " ".join(c.text or "" for c in answers)
    missing = [name for name in names if name not in shown]
    paged = any(
        "▶" in label or "Next" in label or "Suivant" in label for c in answers for label, _d in c.buttons()
    )
    assert missing == [] or paged, f"not shown to the manager, and no way to see them: {missing}"


# --------------------------------------------------------------------------- errors and languages


async def test_apology_for_an_unexpected_error_uses_the_language_the_member_chose(
    fake: FakeBotApi,
    database_url: str,
    lab: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A member whose Telegram is in English chose French with /language.

    Saw (before the fix): every screen in French, but the apology after an unexpected error in English
    (the error handler looks only at the Telegram language, not at the member's choice).
    Should see: « Un problème est survenu… », in the language they chose.
    """

    async def broken(*_args: object, **_kwargs: object) -> list[Booking]:
        raise RuntimeError("disk on fire")

    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, ALICE, "/language")
        chosen = await tap(fake, ALICE, "Français")
        assert "français" in (chosen.text or "")
        monkeypatch.setattr(bookings, "upcoming_for_member", broken)
        sorry = await say(fake, ALICE, "/mybookings")
    assert "Un problème est survenu" in (sorry.text or ""), sorry.text


async def test_a_bad_request_from_telegram_is_reported_not_dismissed_as_network_trouble(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """Telegram refuses a screen with 400 (e.g. "reply markup is too long").

    Saw (before the fix): nothing at all happens for the member, and the fab managers get no report: PTB's
    BadRequest is a subclass of NetworkError, so on_error files every 400 - always a bug in
    what fabdesk sent - under "Telegram network trouble" (one warning line) and returns.
    Should see: the error reported like any other bug (and the member told something went wrong).
    """
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, ALICE, "/start")
        # The next screen for Alice is refused by Telegram, whether sent or edited.
        for method in ("sendMessage", "editMessageText"):
            fake.fail_next(
                method, status=400, description="Bad Request: reply markup is too long", chat_id=ALICE.id
            )
        mark = fake.mark()
        fake.send_message(ALICE, "/mybookings")
        await fake.wait_for(lambda c: c.chat_id == ALICE.id and c.status == 400, after=mark)
        await fake.wait_until_idle()
    assert _error_report_sent(fake), "a 400 from Telegram is a bug: the managers should hear of it"


def test_dates_in_french_say_1er_for_the_first_of_the_month() -> None:
    """A French-speaking member books on Monday 1 April.

    Saw (before the fix): « lundi 1 avril, 10:00–11:00 » in the confirmation, the reminder and My bookings -
    no French speaker writes that.
    Should see: « lundi 1er avril, 10:00–11:00 » (the guide asks for native French dates).
    """
    from bot.core.i18n import Texts

    french = Texts("fr", RULES.tz)
    assert french.day(date(2030, 4, 1)) == "lundi 1er avril"
    assert french.when(paris(1, 10, month=4), paris(1, 11, month=4)) == "lundi 1er avril, 10:00–11:00"
    assert french.day(date(2030, 4, 2)) == "mardi 2 avril"


# --------------------------------------------------------------------------- reminders


async def test_turning_reminders_off_stops_reminders_of_existing_bookings(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """The fab manager sets FABDESK_REMINDER_MINUTES=0 ("0: none") and restarts the bot.

    Saw (before the fix): every booking made before the change still gets its reminder (remind_at was
    frozen at booking time), though /help no longer promises any.
    Should see: no reminder once reminders are off (compute the due time from the current lead).
    """
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, reminder_minutes=30), clock):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
    clock.now = paris(5, 9, 31)
    async with running_bot(test_settings(fake, database_url, reminder_minutes=0), clock) as app:
        sent = await send_due_reminders(job_context(app))
    assert sent == 0
    assert not any("Reminder" in (c.text or "") for c in fake.calls_of("sendMessage", ALICE.id))


async def test_a_longer_reminder_lead_applies_to_existing_bookings(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """The fab manager raises FABDESK_REMINDER_MINUTES from 30 to 60 and restarts the bot.

    Saw (before the fix): bookings made before the change are still reminded 30 minutes ahead, while /help
    and new confirmations say 60.
    Should see: the reminder 60 minutes before, as /help says.
    """
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, reminder_minutes=30), clock):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
    clock.now = paris(5, 9, 1)
    async with running_bot(test_settings(fake, database_url, reminder_minutes=60), clock) as app:
        sent = await send_due_reminders(job_context(app))
    assert sent == 1


@pytest.mark.parametrize("change", ["closure", "out_of_service"])
async def test_no_plain_reminder_for_a_booking_the_lab_can_no_longer_honour(
    fake: FakeBotApi,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    lab: None,
    change: str,
) -> None:
    """The manager adds a closure day (fabdesk import) or takes the machine out of service
    after members booked it.

    Saw (before the fix): the bookings stay confirmed, nobody is told, and 30 minutes before, the member
    gets "Reminder: you booked Prusa MK4 on ..." - and travels to a closed lab / a broken machine.
    Should see: no such reminder (the booking is flagged/cancelled and the member told why).
    """
    from models.machines import Machine, MachineStatus

    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        async with sessions.begin() as session:
            if change == "closure":
                session.add(Closure(day=date(2030, 3, 5), reason="Dégât des eaux"))
            else:
                machine = await session.get(Machine, 1)
                assert machine is not None
                machine.status = MachineStatus.OUT_OF_SERVICE
        clock.now = paris(5, 9, 31)
        await send_due_reminders(job_context(app))
    plain = [c.text or "" for c in fake.calls_of("sendMessage", ALICE.id) if "Reminder:" in (c.text or "")]
    assert plain == [], plain


# --------------------------------------------------------------------------- command line

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-directory/fabdesk.db",  # a typo in the path
        "postgresql://fabdesk:secret@127.0.0.1:1/fabdesk",  # server down / wrong port
        "postgresql://fabdesk:secret@127.0.0.1:notaport/fabdesk",  # malformed URL
    ],
)
@pytest.mark.parametrize("command", [("db", "upgrade"), ("run",)])
async def test_unreachable_database_stops_the_cli_with_one_line(
    tmp_path: Path, url: str, command: tuple[str, ...]
) -> None:
    """`fabdesk db upgrade` / `fabdesk run` when the database cannot be opened.

    Saw (before the fix): a 30-line traceback (sqlite3.OperationalError "unable to open database file",
    ConnectionRefusedError, ValueError "invalid literal for int()").
    Should see: one line naming FABDESK_DATABASE_URL (password hidden) and exit code 2, like
    every other bad setting.
    """
    env = cli_env(database_url=url, bot_token="123456:ABCdefGhIJKlmnoPQRstuVWXyz_0123456")
    code, out, err = await run_cli(*command, env=env, cwd=tmp_path)
    assert code == 2, err[-500:]
    assert "Traceback" not in err + out, err[-500:]
    assert len(err.strip().splitlines()) == 1 and "FABDESK_DATABASE_URL" in err, err[-500:]
    assert "secret" not in err


async def test_a_token_telegram_rejects_stops_run_with_one_line_and_is_not_printed(tmp_path: Path) -> None:
    """`fabdesk run` with a token Telegram rejects (revoked in BotFather, or a typo).

    Saw (before the fix): a traceback ending in "telegram.error.InvalidToken: The token `999999:WRONG-…`
    was rejected by the server" - the token printed in clear on stderr (and in any log file),
    though the README promises it is never logged.
    Should see: one line such as "fabdesk: FABDESK_BOT_TOKEN was rejected by Telegram", exit code 2.
    """
    token = "999999:WRONG-token-abcdefghijklmnopqrs"
    async with FakeBotApi() as fake:
        env = cli_env(
            bot_token=token,
            telegram_base_url=fake.base_url,
            database_url=f"sqlite:///{tmp_path / 'fabdesk.db'}",
        )
        code, out, err = await run_cli("run", env=env, cwd=tmp_path)
    assert token.split(":")[1] not in out + err, "the rejected token is printed"
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert code == 2 and last.startswith("fabdesk: FABDESK_BOT_TOKEN was rejected"), err[-500:]


async def test_telegram_unreachable_at_start_up_makes_run_wait_not_crash(tmp_path: Path) -> None:
    """`fabdesk run` while the network is not up yet (a Raspberry Pi booting) or behind a proxy.

    Saw: a 40-line traceback ending in "telegram.error.NetworkError: httpx.ConnectError:
    All connection attempts failed", exit code 1.
    Should see: the bot waits and retries (PTB's bootstrap_retries), says where it connects, and
    stops cleanly when asked.
    """
    env = cli_env(
        bot_token="123456:ABCdefGhIJKlmnoPQRstuVWXyz_0123456",
        telegram_base_url="http://127.0.0.1:1/bot",
        database_url=f"sqlite:///{tmp_path / 'fabdesk.db'}",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.core.cli",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    # A few connection attempts (waiting for the line, not a fixed time: a loaded machine starts slowly).
    said = await read_until(process.stderr, "trying again")
    await asyncio.sleep(2)
    assert process.returncode is None, "the bot gave up instead of waiting for the network"
    process.send_signal(signal.SIGINT)
    _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    text = said + err.decode()
    assert "Traceback" not in text, text[-500:]
    assert "connecting to Telegram at http://127.0.0.1:1/bot" in text
    assert process.returncode == 0


async def test_a_dotenv_file_that_is_not_utf8_stops_with_one_line(tmp_path: Path) -> None:
    """A .env saved in Latin-1 by a Windows editor (« FABDESK_TIMEZONE=Europe/Paris # à jour »).

    Saw (before the fix): a traceback ending in UnicodeDecodeError.
    Should see: one line saying .env is not UTF-8, exit code 2.
    """
    (tmp_path / ".env").write_bytes("FABDESK_LOG_LEVEL=INFO # réglé\n".encode("latin-1"))
    code, _out, err = await run_cli("db", "upgrade", env=cli_env(), cwd=tmp_path)
    assert "Traceback" not in err, err[-500:]
    assert code == 2 and len(err.strip().splitlines()) == 1, err[-500:]


async def test_a_known_member_is_written_only_when_something_changed(engine: AsyncEngine) -> None:
    """Every update registers its sender: one SELECT, and an UPDATE only when the profile changed or
    "last seen" is more than SEEN_STEP old, so most updates' transactions write nothing."""
    from datetime import UTC, datetime

    from sqlalchemy import event

    from models import members

    first = datetime(2030, 3, 1, 9, tzinfo=UTC)
    sessions = session_factory(engine)
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.split()[0].upper())

    async def register(now: datetime, **profile: str) -> members.Member:
        values = {"first_name": "Camille", "last_name": None, "username": None, "telegram_language": "fr"}
        values.update(profile)
        async with sessions.begin() as session:
            statements.clear()
            event.listen(engine.sync_engine, "before_cursor_execute", record)
            try:
                member = await members.register(
                    session,
                    telegram_id=77,
                    manager_ids=[77] if "username" in profile else [],
                    now=now,
                    **values,
                )
                await session.flush()
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", record)
            return member

    camille = await register(first)
    async with sessions.begin() as session:
        stored = await session.get(members.Member, camille.id)
        assert stored is not None
        stored.blocked_at = first
    statements.clear()
    await register(first + members.SEEN_STEP / 2)  # blocked: a write, to clear it
    assert "UPDATE" in statements
    again = await register(first + members.SEEN_STEP * 3 / 4)
    assert again.id == camille.id
    assert [s for s in statements if s not in {"BEGIN", "SAVEPOINT", "RELEASE"}] == ["SELECT"], statements
    later = first + members.SEEN_STEP * 2
    await register(later)  # nothing changed but "last seen" is stale
    assert "UPDATE" in statements
    await register(
        later + members.SEEN_STEP / 2, last_name="Roux", username="camroux", telegram_language="en"
    )
    assert "UPDATE" in statements
    async with sessions() as session:
        stored = await session.get(members.Member, camille.id)
        assert stored is not None
        assert (stored.last_name, stored.username, stored.telegram_language) == ("Roux", "camroux", "en")
        assert stored.role is members.Role.MANAGER and stored.last_seen_at == later
        assert stored.blocked_at is None
