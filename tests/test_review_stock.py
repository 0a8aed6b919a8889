"""Review of consumables, the update register, the daily digest and the outbox.

Each test fails on the code as reviewed and passes once the problem its docstring describes is
fixed. The docstring says what a member or fab manager sees now and what they should see.
Tests marked "(PostgreSQL)" describe a race that SQLite's serialized transactions hide: they pass
on SQLite and fail on PostgreSQL (FABDESK_TEST_DATABASE_URL).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.inventory_file import InventoryError, import_inventory, parse_inventory
from bot.core.jobs import ask_about_usage, send_daily_digest
from models import bookings, stock
from models.machines import Machine
from models.members import Member
from models.outbox import OutboxMessage
from models.stock import Consumable, MovementReason, StockMovement
from models.updates import UpdateItem
from tests.factories import NOW, RULES, make_consumable, make_machine, make_member, open_every_day, paris
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import ALICE, MANAGER, Clock, job_context, press_data, running_bot, say, tap, test_settings
from tests.races import race

EN_MANAGER = FakeUser(MANAGER.id, MANAGER.first_name, username="morgane", language_code="en")
MANAGER_ID = MANAGER.id


async def _quantity(sessions: async_sessionmaker[AsyncSession], name: str = "PLA noir") -> Decimal:
    async with sessions() as session:
        found = await session.scalar(select(Consumable).where(Consumable.name == name))
        assert found is not None
        return found.quantity


# --------------------------------------------------------------------------- stock movements


async def test_two_uses_recorded_at_the_same_moment_both_count_and_alert_once(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """(PostgreSQL) Alice (printer booked 10:00-11:00) and Bob (11:00-12:00) both answer the usage
    question and tap "100 g" of PLA at the same moment (two updates handled at once); PLA had 550 g,
    minimum 500 g.

    Saw: each transaction reads 550 g and writes 550 - 100 = 450 g. Two movements of -100 g are in the
    history but the stock says 450 g (100 g vanished from the books: the next count "finds" them), and
    both see the stock cross the minimum with no alert sent yet, so every manager gets two low-stock
    alerts.
    Should see: 350 g, and one low-stock alert per manager (lock the consumable's row, or update the
    quantity with `quantity_milli = quantity_milli + delta` and decide the alert on what that returns).
    """
    async with sessions.begin() as session:
        await open_every_day(session)
        printer = await make_machine(session)
        alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
        await make_member(session, "Morgane", telegram_id=MANAGER_ID, manager=True)
        pla = await make_consumable(session, quantity="550", minimum="500", machines=[printer])
        alices = await bookings.book(session, alice, printer.id, paris(5, 10), 60, RULES, NOW)
        bobs = await bookings.book(session, bob, printer.id, paris(5, 11), 60, RULES, NOW)
        pla_id, ids = pla.id, {alice.id: alices.id, bob.id: bobs.id}
        alice_id, bob_id = alice.id, bob.id

    def use(member_id: int) -> Callable[[AsyncSession], Awaitable[StockMovement]]:
        async def record(session: AsyncSession) -> StockMovement:
            member = await session.get(Member, member_id)
            assert member is not None
            return await stock.move(
                session,
                member,
                pla_id,
                Decimal(100),
                MovementReason.USE,
                [MANAGER_ID],
                paris(5, 12),
                booking_id=ids[member_id],
            )

        return record

    outcome = await race(sessions, engine, use(alice_id), use(bob_id))
    assert not isinstance(outcome, BaseException), outcome
    async with sessions() as session:
        movements = list(await session.scalars(select(StockMovement.delta_milli)))
        alerts = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "low_stock")
        )
    assert sorted(movements) == [-100_000, -100_000]
    assert await _quantity(sessions) == Decimal(350), "a movement was lost from the stock"
    assert alerts == 1, f"{alerts} low-stock alerts for one dip"


async def _printer_booking_over(
    sessions: async_sessionmaker[AsyncSession], *consumables: tuple[str, str, str, str]
) -> None:
    """Alice's booking of the printer 10:00-11:00 on Tuesday 5 March; consumables (name, unit,
    quantity, minimum) feeding the printer."""
    async with sessions.begin() as session:
        printer = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
        assert printer is not None
        alice = await make_member(session, "Alice", telegram_id=ALICE.id)
        for name, unit, quantity, minimum in consumables:
            await make_consumable(session, name, unit, quantity, minimum, machines=[printer])
        await bookings.book(session, alice, printer.id, paris(5, 10), 60, RULES, NOW)


async def _usage_question(fake: FakeBotApi, app: Any, clock: Clock) -> None:
    """11:02: the usage job asks Alice what she used."""
    clock.now = paris(5, 11, 2)
    mark = fake.mark()
    assert await ask_about_usage(job_context(app)) == 1
    await fake.wait_for_call("sendMessage", ALICE.id, text_contains="is over", after=mark)


async def test_an_amount_typed_in_another_unit_is_not_taken_in_the_consumables_unit(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """The lab counts resin in litres (unit "l", 5 l in stock). After her print Alice taps Résine →
    Other amount, reads "Send the amount in l" and types what her slicer told her: "120 ml".

    Saw: "Thank you: 120 l of Résine recorded." The stock drops to -115 l, the managers get a low-stock
    alert for a stock that is in fact fine, and the next count records +115 l as found. parse_quantity
    reads a unit and throws it away, so "120 ml", "250 g" or "2 kg" become 120, 250 or 2 of whatever
    the consumable's unit is.
    Should see: either the amount converted (120 ml = 0.12 l) or a refusal asking for the amount in l;
    never 120 l. (The same happens to managers typing a restock: "2 kg" of a consumable kept in g is 2 g.)
    """
    await _printer_booking_over(sessions, ("Résine", "l", "5", "1"))
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        await _usage_question(fake, app, clock)
        await tap(fake, ALICE, "Résine")
        await tap(fake, ALICE, "Other amount")
        await say(fake, ALICE, "120 ml")
        await fake.wait_until_idle()
    assert await _quantity(sessions, "Résine") in (Decimal("4.88"), Decimal("5")), "120 ml taken as 120 l"


async def test_an_english_manager_typing_a_thousand_as_the_bot_writes_it_restocks_a_thousand(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """Morgane uses Telegram in English. The bot shows her "In stock: 100 g" and restock buttons
    "+1,000 g", "+2,000 g". Three 1 kg spools arrive; she taps "Other restock" and types the amount
    the way the bot itself writes it: "3,000".

    Saw: "Recorded." with "In stock: 103 g" - "3,000" is read as 3.000 (a decimal comma), so 3 g were
    restocked; the low-stock warning stays and the books are off by 2,997 g. (A French manager typing
    « 1.000 » for mille gets 1 g the same way.)
    Should see: 3,100 g, or a refusal of the ambiguous "3,000" asking for 3000; never 103 g. Reading
    amounts in the manager's language (",": thousands in English, decimals in French) would do.
    """
    async with sessions.begin() as session:
        await make_consumable(session, quantity="100", minimum="500")
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await say(fake, EN_MANAGER, "/stock")
        await tap(fake, EN_MANAGER, "PLA noir")
        await tap(fake, EN_MANAGER, "Other restock")
        await say(fake, EN_MANAGER, "3,000")
        await fake.wait_until_idle()
    assert await _quantity(sessions) in (Decimal(3100), Decimal(100)), "3,000 g restocked as 3 g"


# --------------------------------------------------------------------------- what members used


async def test_a_member_who_used_two_filaments_can_record_both(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """Alice printed a two-colour part on the printer, fed by PLA noir and PLA blanc (the example lab's
    Prusa is fed by three filaments). The question offers both; she taps PLA noir → 50 g.

    Saw: "Thank you: 50 g of PLA noir recorded." with only a Main menu button: the question is gone,
    there is no way back to it, and the 25 g of PLA blanc can never be recorded (the job asks once).
    Should see: after recording one consumable, the list again (or a "Something else" button) so she
    can record PLA blanc too, then finish.
    """
    await _printer_booking_over(sessions, ("PLA noir", "g", "1000", "0"), ("PLA blanc", "g", "1000", "0"))
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        await _usage_question(fake, app, clock)
        await tap(fake, ALICE, "PLA noir")
        thanks = await tap(fake, ALICE, "50 g")
        assert "50 g of PLA noir recorded" in (thanks.text or "")
        offered = [label for label, _data in thanks.buttons()]
        assert any("PLA blanc" in label for label in offered), offered
        await tap(fake, ALICE, "PLA blanc")
        await tap(fake, ALICE, "25 g")
        await fake.wait_until_idle()
    assert (await _quantity(sessions, "PLA noir"), await _quantity(sessions, "PLA blanc")) == (950, 975)


async def test_a_double_tap_on_an_amount_records_the_use_once(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """Alice double-taps "250 g" (two callback queries for one button, as a slow connection or an
    impatient thumb sends them; the README promises "Pressing Confirm twice books once").

    Saw: both presses are recorded: two movements of -250 g, the stock says 500 g used (on PostgreSQL
    the two movements are there but the stock says 750 g: the race of the first test); any replay of
    the button (it stays valid forever) takes another 250 g off.
    Should see: one use of 250 g for that booking and consumable; the second press told it is already
    recorded (or it replaces the first answer rather than adding to it).
    """
    await _printer_booking_over(sessions, ("PLA noir", "g", "1000", "0"))
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        await _usage_question(fake, app, clock)
        amounts = await tap(fake, ALICE, "PLA noir")
        data = dict(amounts.buttons())["250 g"]
        assert data is not None
        question = fake.last_message(ALICE.id) or {}
        mark = fake.mark()
        fake.press(ALICE, question, data)
        fake.press(ALICE, question, data)
        await fake.wait_until_idle()
        answered = [c for c in fake.calls[mark:] if c.method == "answerCallbackQuery"]
        assert len(answered) == 2
    async with sessions() as session:
        uses = list(await session.scalars(select(StockMovement.delta_milli)))
    assert uses == [-250_000], f"250 g used, recorded as {uses}"
    assert await _quantity(sessions) == Decimal(750)


async def test_a_use_cannot_be_recorded_against_a_cancelled_or_future_booking(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """Alice replays the amount button with the id of a booking she cancelled, and of one she has
    tomorrow (callback data is never to be trusted: "re-check ownership and state on every press").

    Saw: "Recorded." both times: 500 g of PLA are taken off the stock against a booking that never
    happened and one that has not started (_check_use checks the owner and the machine, not the
    booking's status or that it has begun).
    Should see: a refusal ("This is no longer available. Nothing was changed.") and the stock untouched.
    """
    async with sessions.begin() as session:
        printer = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
        assert printer is not None
        alice = await make_member(session, "Alice", telegram_id=ALICE.id)
        pla = await make_consumable(session, quantity="1000", minimum="0", machines=[printer])
        cancelled = await bookings.book(session, alice, printer.id, paris(4, 14), 60, RULES, NOW)
        await bookings.cancel(session, alice, cancelled.id, NOW)
        tomorrow = await bookings.book(session, alice, printer.id, paris(5, 14), 60, RULES, NOW)
        forged = [f"su:a:{cancelled.id}:{pla.id}:4", f"su:a:{tomorrow.id}:{pla.id}:4"]  # 250 g
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await say(fake, ALICE, "/start")
        answers = [(await press_data(fake, ALICE, data)).params.get("text") for data in forged]
        await fake.wait_until_idle()
    assert await _quantity(sessions) == Decimal(1000), answers
    assert "Recorded." not in answers, answers


async def test_a_french_manager_can_type_a_count_the_way_the_bot_writes_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """Morgane (French) counts the PLA shelf. The bot itself writes quantities the French way,
    « En stock : 1 050,5 g » (a space between thousands); she taps Inventaire and types « 1 050,5 ».

    Saw: « Je ne parviens pas à lire cette quantité : envoyez un nombre comme 250 ou 1,5. » - the bot
    refuses the number format it writes itself (any space inside the number fails the pattern), and
    refuses « 2 000 » the same way until she types 2000.
    Should see: 1 050,5 g recorded (spaces, including the no-break spaces Babel writes, are thousands
    separators in French).
    """
    async with sessions.begin() as session:
        await make_consumable(session, quantity="100", minimum="500")
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, MANAGER, "/stock")
        await tap(fake, MANAGER, "PLA noir")
        asked = await tap(fake, MANAGER, "🧮")
        answer = await say(fake, MANAGER, "1 050,5")
        await fake.wait_until_idle()
    assert await _quantity(sessions) == Decimal("1050.5"), (asked.text, answer.text)


async def test_changing_a_consumables_unit_in_the_inventory_does_not_multiply_its_stock(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The lab decides to count PLA in kilograms: in inventory.yaml Morgane changes `unit: g` to
    `unit: kg` and `minimum: 1000` to `minimum: 1`, and runs `fabdesk import` (no quantity: she has
    not counted). There were 4,000 g.

    Saw: the import reports "updated" and /stock now shows 4 000 kg of PLA - the same number in the
    new unit, a thousandfold more stock, with no movement recording the change (the issue: a
    quantity is "never overwritten without a movement"). Members' uses now take kilograms off, and no
    low-stock alert will come for a long time.
    Should see: the stock converted (4 kg) for units that convert (g/kg, ml/l), or the file refused
    with a line saying a unit change needs a `quantity:` count in the new unit.
    (tests/test_inventory.py::test_fields_and_machine_links_are_plain_updates asserts the current
    behaviour - 4,000,000 thousandths of kg - and changes with the fix.)
    """
    async with sessions.begin() as session:
        await make_consumable(session, quantity="4000", minimum="1000")
    kilograms = "consumables:\n  - {name: PLA noir, unit: kg, minimum: 1}\n"
    try:
        async with sessions.begin() as session:
            await import_inventory(session, parse_inventory(kilograms), now=NOW)
    except InventoryError:
        pass  # refused: fine
    async with sessions() as session:
        pla = await session.scalar(select(Consumable))
        assert pla is not None
        found = (pla.unit, pla.quantity)
        assert found in (("g", Decimal(4000)), ("kg", Decimal(4))), found


# --------------------------------------------------------------------------- the daily digest


async def test_a_long_digest_still_shows_todays_bookings_and_the_update_checks(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """The lab imported its 70 filaments and sheets with their minimums but has not counted yet (a new
    consumable without `quantity:` starts at 0), so all 70 are below minimum. Alice booked the printer
    today; PrusaSlicer's update check is due.

    Saw: the digest lists the 70 consumables one per line, passes 4,096 characters and is cut with
    "…" in the middle of the list: "Today's bookings" and the update checks never reach the manager,
    with nothing saying so.
    Should see: every section of the digest; long lists shortened ("… and 60 more: /stock"), as the
    tickets (5) and updates (10) already are.
    """
    async with sessions.begin() as session:
        printer = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
        assert printer is not None
        alice = await make_member(session, "Alice", telegram_id=ALICE.id)
        for number in range(70):
            await make_consumable(
                session, f"Prusament PLA Galaxy Black 1,75 mm n°{number:02d}", "g", "0", "1000"
            )
        await bookings.book(session, alice, printer.id, paris(5, 10), 60, RULES, NOW)
        session.add(
            UpdateItem(
                name="PrusaSlicer",
                current_version="2.7.1",
                check_every_days=30,
                last_checked_at=NOW - timedelta(days=40),
                not_applicable=False,
                created_at=NOW,
            )
        )
    clock = Clock(paris(5, 8, 31))
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        assert await send_daily_digest(job_context(app)) is True
        digest = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="Good morning")
    text = digest.text or ""
    assert "Today's bookings:" in text and "Prusa MK4 — 10:00–11:00" in text, text[-200:]
    assert "PrusaSlicer" in text, text[-200:]


async def test_the_digest_says_how_long_an_update_check_is_overdue(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Two update checks are due: PrusaSlicer fell due today, the Trotec firmware 45 days ago.

    Saw: "2 update checks due:" then two bare names - the payload carries overdue_days but the digest
    never shows it, so the manager cannot tell what is due from what is long overdue (the issue asks
    for "updates due/overdue").
    Should see: the overdue one marked as such, with its delay ("45 days overdue").
    """
    async with sessions.begin() as session:
        for name, every in (("PrusaSlicer", 30), ("Trotec firmware", 90)):
            last = NOW - timedelta(days=every + (45 if name == "Trotec firmware" else 0))
            session.add(
                UpdateItem(
                    name=name,
                    current_version="1.0",
                    check_every_days=every,
                    last_checked_at=last,
                    not_applicable=False,
                    created_at=NOW,
                )
            )
    clock = Clock(NOW + timedelta(hours=3))  # 10:00 in Paris
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        assert await send_daily_digest(job_context(app)) is True
        digest = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="Good morning")
    line = next(row for row in (digest.text or "").splitlines() if "Trotec firmware" in row)
    assert "45" in line, line
