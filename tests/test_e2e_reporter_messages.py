"""The member who reports a fault is not warned of her own report, and hears of its outcome once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.outbox import deliver_outbox
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import (
    ALICE,
    BOB,
    MANAGER,
    Clock,
    book_through_buttons,
    running_bot,
    say,
    tap,
    test_settings,
)

EN_MANAGER = FakeUser(MANAGER.id, MANAGER.first_name, username="morgane", language_code="en")
CAROL = FakeUser(1003, "Carol", username="carol", language_code="en")


def messages_to(fake: FakeBotApi, user: FakeUser, after: int) -> list[ApiCall]:
    """What the bot sent to the user (new messages, not screens edited in place) since `after`."""
    return [
        c for c in fake.calls[after:] if c.chat_id == user.id and c.method in {"sendMessage", "sendPhoto"}
    ]


async def describe(fake: FakeBotApi, user: FakeUser, words: str) -> None:
    """Write a report on the printer, up to the choice of its severity."""
    await say(fake, user, "/report")
    await tap(fake, user, "Prusa MK4")
    await say(fake, user, words)


async def test_the_reporter_gets_no_warning_of_her_own_report_and_one_message_when_it_is_resolved(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()) as app:
        desk = app.bot_data["fabdesk"]
        await say(fake, EN_MANAGER, "/start")
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        await book_through_buttons(fake, BOB, "Tue 5 Mar", "14:00", "1 h → 15:00")
        await tap(fake, BOB, "Confirm")

        # Alice reports the printer unusable: Bob is warned, Alice is not (her screen says it).
        await describe(fake, ALICE, "The bed does not heat.")
        mark = fake.mark()
        sent = await tap(fake, ALICE, "Unusable")  # the screen is edited in place
        assert "Ticket #1 is open for Prusa MK4" in (sent.text or "")
        assert "Your booking on Tuesday 5 March, 10:00–11:00 is kept for now" in (sent.text or "")
        await fake.wait_for_call("sendMessage", BOB.id, text_contains="out of service", after=mark)
        alert = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="Ticket #1", after=mark)
        assert "1 member with a booking was told" in (alert.text or "")
        await deliver_outbox(desk, app.bot)  # whatever was still owed
        assert messages_to(fake, ALICE, mark) == []

        # Carol, with no booking, reports it too: her report joins the ticket.
        await describe(fake, CAROL, "Bed stays cold")
        mark = fake.mark()
        await tap(fake, CAROL, "Unusable")
        await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="New report on ticket", after=mark)

        # Resolved: each reporter gets one message, with the ticket's outcome and the machine's return.
        await say(fake, EN_MANAGER, "/queue")
        await tap(fake, EN_MANAGER, "#1 Prusa MK4")
        await tap(fake, EN_MANAGER, "Resolve")
        mark = fake.mark()
        await say(fake, EN_MANAGER, "Thermistor replaced.")
        await fake.wait_for_call("sendMessage", BOB.id, text_contains="back in service", after=mark)
        await fake.wait_for_call("sendMessage", ALICE.id, after=mark)
        await fake.wait_for_call("sendMessage", CAROL.id, after=mark)
        await deliver_outbox(desk, app.bot)
        (to_alice,) = messages_to(fake, ALICE, mark)
        assert (to_alice.text or "") == (
            "🛠 Ticket #1 on Prusa MK4 is resolved (Morgane).\n\n"
            "Note: Thermistor replaced.\n\n"
            "✅ Prusa MK4 is back in service.\n"
            "Your booking stands: Prusa MK4, Tuesday 5 March, 10:00–11:00."
        )
        assert [label for label, _d in to_alice.buttons()] == ["🗂 My bookings"]
        (to_carol,) = messages_to(fake, CAROL, mark)
        assert "is resolved" in (to_carol.text or "") and "back in service" in (to_carol.text or "")
        assert "Your booking" not in (to_carol.text or "")
        (to_bob,) = messages_to(fake, BOB, mark)
        assert "Your booking on Tuesday 5 March, 14:00–15:00 stands" in (to_bob.text or "")
