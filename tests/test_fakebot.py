"""Prove the fake Bot API drives real PTB applications over HTTP polling."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
import warnings
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import pytest_asyncio
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakebot import ApiCall, FakeBotApi, FakeUser, FloodLimits

ALICE = FakeUser(1001, "Alice", username="alice")
BOB = FakeUser(1002, "Bob", last_name="Builder")
CAROL = FakeUser(1003, "Carol", language_code="de")


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    """Run a fake Bot API server for one test."""
    async with FakeBotApi() as api:
        yield api
    assert api.errors == []


def build_app(fake: FakeBotApi) -> Application:
    """Build a bare PTB application talking to the fake."""
    return (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )


@asynccontextmanager
async def polling(app: Application, poll_timeout: int = 1) -> AsyncIterator[Application]:
    """Run ``app`` with real long polling for the duration of the block."""
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=poll_timeout, poll_interval=0)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def echo_app(fake: FakeBotApi) -> Application:
    """Build a bot echoing text and greeting on /start."""
    app = build_app(fake)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Welcome!")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        await update.effective_message.reply_text(update.effective_message.text)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@pytest.mark.asyncio
async def test_echo_bot_answers_users_and_holds_long_polls(fake: FakeBotApi) -> None:
    async with polling(echo_app(fake)):
        for user in (ALICE, BOB, CAROL):
            fake.send_message(user, f"hello from {user.first_name}")
        for user in (ALICE, BOB, CAROL):
            reply = await fake.wait_for_call("sendMessage", user.id)
            assert reply.text == f"hello from {user.first_name}"
            assert reply.ok and reply.result["chat"]["id"] == user.id

        await fake.wait_until_idle()
        start = fake.mark()
        await asyncio.sleep(1.5)  # deliberate idle window: count long polls
        polls = fake.calls_of("getUpdates")
        idle_polls = [call for call in fake.calls[start:] if call.method == "getUpdates"]
        assert 1 <= len(idle_polls) <= 5, [c.describe() for c in idle_polls]

    for user in (ALICE, BOB, CAROL):
        sent = [call for call in fake.sent_to(user.id) if call.method == "sendMessage"]
        assert [call.text for call in sent] == [f"hello from {user.first_name}"]
        assert fake.last_message(user.id) == sent[0].result

    delivered = Counter(
        update["update_id"] for call in polls if isinstance(call.result, list) for update in call.result
    )
    assert sorted(delivered) == [1, 2, 3]
    assert set(delivered.values()) == {1}, "an update was delivered twice"
    assert fake.calls[0].method == "getMe"
    assert fake.calls[1].method == "deleteWebhook"


@pytest.mark.asyncio
async def test_commands_carry_bot_command_entities(fake: FakeBotApi) -> None:
    async with polling(echo_app(fake)):
        update = fake.send_message(ALICE, "/start now")
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        await fake.wait_for_call("sendMessage", ALICE.id, text_contains="Welcome")

        group = -100500
        fake.send_message(BOB, f"/start@{fake.bot_username}", chat_id=group)
        reply = await fake.wait_for_call("sendMessage", group, text_contains="Welcome")
        assert reply.result["chat"]["type"] == "supergroup"
        await fake.wait_until_idle()
    assert len(fake.calls_of("sendMessage")) == 2


def callback_app(fake: FakeBotApi, errors: list[BadRequest]) -> Application:
    """Build a bot with an inline keyboard whose presses edit the message."""
    app = build_app(fake)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✅ Yes", callback_data="yes"),
                InlineKeyboardButton("No", callback_data="no"),
            ]
        ]
    )

    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Book the laser cutter?", reply_markup=keyboard)

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer()
        try:
            await query.edit_message_text(f"You chose: {query.data}", reply_markup=keyboard)
        except BadRequest as exc:
            errors.append(exc)

    app.add_handler(CommandHandler("ask", ask))
    app.add_handler(CallbackQueryHandler(answer))
    return app


@pytest.mark.asyncio
async def test_callback_buttons_edit_message(fake: FakeBotApi) -> None:
    errors: list[BadRequest] = []
    async with polling(callback_app(fake, errors)):
        fake.send_message(ALICE, "/ask")
        prompt = await fake.wait_for_call("sendMessage", ALICE.id)
        assert prompt.buttons() == [("✅ Yes", "yes"), ("No", "no")]

        update = fake.press_button(ALICE, prompt, "yes")
        query = update["callback_query"]
        assert query["data"] == "yes" and query["message"]["message_id"] == prompt.result["message_id"]
        assert query["message"]["from"]["id"] == fake.bot_id
        edit = await fake.wait_for_call("editMessageText", ALICE.id)
        assert edit.ok and edit.text == "You chose: yes"
        await fake.wait_for_call("answerCallbackQuery")
        current = fake.last_message(ALICE.id)
        assert current is not None and current["text"] == "You chose: yes"
        assert current["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
        assert len(fake.messages(ALICE.id)) == 1

        mark = fake.mark()
        fake.press(ALICE, prompt, "yes")  # same edit again -> "message is not modified"
        again = await fake.wait_for_call("editMessageText", ALICE.id, after=mark)
        assert again.status == 400 and again.description is not None
        assert "message is not modified" in again.description
        await fake.wait_until_idle()

        with pytest.raises(AssertionError, match="available buttons"):
            fake.press_button(ALICE, prompt, "maybe")
    assert len(errors) == 1 and "message is not modified" in errors[0].message.lower()


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fault_injection_maps_to_ptb_errors(fake: FakeBotApi) -> None:
    app = build_app(fake)
    async with app:
        fake.fail_next("sendMessage", status=429, retry_after=1)
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(ALICE.id, "flood")
        assert _retry_seconds(caught.value) == 1
        message = await app.bot.send_message(ALICE.id, "fine now")
        assert message.text == "fine now"

        fake.fail_next("sendMessage", chat_id=BOB.id, description="Bad Request: chat not found")
        await app.bot.send_message(ALICE.id, "other chats unaffected")
        with pytest.raises(BadRequest, match="Chat not found"):
            await app.bot.send_message(BOB.id, "nope")

        fake.blocked_chats.add(CAROL.id)
        with pytest.raises(Forbidden, match="blocked by the user"):
            await app.bot.send_message(CAROL.id, "hi")
        assert fake.sent_to(CAROL.id)[-1].status == 403

        with pytest.raises(BadRequest, match="Message to edit not found"):
            await app.bot.edit_message_text("x", chat_id=ALICE.id, message_id=999)
    assert [call.text for call in fake.sent_to(ALICE.id) if call.ok] == ["fine now", "other chats unaffected"]


@pytest.mark.asyncio
async def test_files_commands_and_invite_links(fake: FakeBotApi) -> None:
    app = build_app(fake)
    async with app:
        sent = await app.bot.send_document(ALICE.id, document=b"G1 X10 Y10\n", filename="part.gcode")
        upload = fake.calls_of("sendDocument")[-1].params["document"]
        assert upload == {"filename": "part.gcode", "content": b"G1 X10 Y10\n"}
        assert sent.document is not None and sent.document.file_name == "part.gcode"
        tg_file = await app.bot.get_file(sent.document.file_id)
        assert bytes(await tg_file.download_as_bytearray()) == b"G1 X10 Y10\n"

        photo = await app.bot.send_photo(BOB.id, photo="AgADphoto", caption="the part")
        assert photo.caption == "the part" and photo.photo[-1].file_id == "AgADphoto"

        await app.bot.set_my_commands([("book", "Book a machine")], language_code="de")
        assert [c.command for c in await app.bot.get_my_commands(language_code="de")] == ["book"]
        assert await app.bot.get_my_commands() == ()
        assert fake.commands[('{"type": "default"}', "de")] == [
            {"command": "book", "description": "Book a machine"}
        ]

        link = await app.bot.create_chat_invite_link(-100777, name="Makers", creates_join_request=True)
        assert link.invite_link.startswith("https://t.me/+fake") and link.creates_join_request
        assert fake.calls_of("createChatInviteLink")[-1].params["name"] == "Makers"
        member = await app.bot.get_chat_member(-100777, fake.bot_id)
        assert member.status == "administrator" and member.can_invite_users  # type: ignore[attr-defined]
        chat = await app.bot.get_chat(-100777)
        assert chat.type == "supergroup"


@pytest.mark.asyncio
async def test_wrong_token_and_unknown_method(fake: FakeBotApi) -> None:
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{fake.base_url}999:nope/getMe")
        assert wrong.status_code == 401 and wrong.json()["ok"] is False
        unknown = await client.post(f"{fake.base_url}{fake.token}/flyToTheMoon")
        assert unknown.status_code == 404
        assert unknown.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }


@pytest.mark.asyncio
async def test_wait_for_timeout_lists_recent_calls(fake: FakeBotApi) -> None:
    app = build_app(fake)
    async with app:
        await app.bot.send_message(ALICE.id, "something else")
    with pytest.raises(AssertionError) as caught:
        await fake.wait_for_call("sendMessage", BOB.id, text_contains="hello", timeout=0.2)
    text = str(caught.value)
    assert "sendMessage chat=1002" in text and "recent calls" in text
    assert "sendMessage chat=1001 text='something else'" in text
    assert fake.token not in text

    with pytest.raises(AssertionError, match="not idle"):
        fake.send_message(ALICE, "nobody polls")
        await fake.wait_until_idle(timeout=0.2)


@pytest.mark.asyncio
async def test_shutdown_is_prompt_with_held_long_poll() -> None:
    fake = FakeBotApi()
    await fake.start()
    app = echo_app(fake)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=10, poll_interval=0)
        fake.send_message(ALICE, "ping")
        await fake.wait_for_call("sendMessage", ALICE.id)
        await fake.wait_until_idle()
        assert fake.held_polls == 1
        held: ApiCall = fake.calls_of("getUpdates")[-1]
        assert held.status is None and held.params["timeout"] == 10

        began = time.monotonic()
        await app.updater.stop()
        await app.stop()
    await fake.stop()
    assert time.monotonic() - began < 3
    assert fake.errors == []


@pytest.mark.asyncio
async def test_stop_answers_raw_held_poll() -> None:
    fake = FakeBotApi()
    await fake.start()
    async with httpx.AsyncClient(timeout=30) as client:
        poll = asyncio.create_task(
            client.post(f"{fake.base_url}{fake.token}/getUpdates", data={"timeout": "20"})
        )
        await fake.wait_for_call("getUpdates")
        began = time.monotonic()
        await fake.stop()
        response = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - began < 2
    assert response.json() == {"ok": True, "result": []}


@pytest.mark.asyncio
async def test_listeners_see_each_call_as_it_is_recorded(fake: FakeBotApi) -> None:
    seen: list[str] = []
    fake.listeners.append(lambda call: seen.append(call.describe()))
    async with polling(echo_app(fake)):
        fake.send_message(ALICE, "ping")
        await fake.wait_for_call("sendMessage", ALICE.id)
    assert seen[:2] == ["getMe", "deleteWebhook"]
    assert "sendMessage chat=1001 text='ping'" in seen
    assert len(seen) == len(fake.calls)


@pytest.mark.asyncio
async def test_flood_limits_are_off_by_default(fake: FakeBotApi) -> None:
    app = build_app(fake)
    async with app:
        for n in range(40):
            await app.bot.send_message(ALICE.id, f"burst {n}")
    assert all(call.ok for call in fake.calls_of("sendMessage"))


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_limits_answer_429_beyond_each_limit() -> None:
    limits = FloodLimits(per_bot=3, bot_period=0.3, per_chat=1, chat_period=0.3, per_group=2)
    async with FakeBotApi(flood_limits=limits) as fake:
        app = build_app(fake)
        async with app:
            await app.bot.send_message(ALICE.id, "one")
            with pytest.raises(RetryAfter) as per_chat:
                await app.bot.send_message(ALICE.id, "two, too soon in this chat")
            assert _retry_seconds(per_chat.value) == 1
            # Edits and callback answers are not messages: never refused.
            await app.bot.edit_message_text("one, edited", chat_id=ALICE.id, message_id=1)
            await app.bot.send_message(BOB.id, "to Bob")
            await app.bot.send_message(CAROL.id, "to Carol")
            with pytest.raises(RetryAfter):  # the bot's limit: 3 in the window
                await app.bot.send_message(1004, "a fourth chat")
            await asyncio.sleep(0.4)  # both windows have passed
            await app.bot.send_message(ALICE.id, "two, later")
            await app.bot.send_message(-100500, "group 1")
            await app.bot.send_message(-100500, "group 2")
            await asyncio.sleep(0.4)
            with pytest.raises(RetryAfter):  # a group takes 2 a minute here
                await app.bot.send_message(-100500, "group 3")
        refused = [call for call in fake.calls if call.status == 429]
        assert [call.params["text"] for call in refused] == [
            "two, too soon in this chat",
            "a fourth chat",
            "group 3",
        ]
        assert all(call.description and "retry after" in call.description for call in refused)
        delivered = [call.text for call in fake.calls_of("sendMessage") if call.ok]
        assert delivered == ["one", "to Bob", "to Carol", "two, later", "group 1", "group 2"]
    assert fake.errors == []


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_rate_limiter_delivers_everything_through_flood_limits() -> None:
    limits = FloodLimits(per_bot=30, per_chat=1)
    async with FakeBotApi(flood_limits=limits) as fake:
        app = Application.builder().token(fake.token).base_url(fake.base_url)
        app = app.rate_limiter(AIORateLimiter(max_retries=3)).build()
        async with app:
            await asyncio.gather(*(app.bot.send_message(ALICE.id, f"n{n}") for n in range(2)))
    delivered = [call.text for call in fake.calls_of("sendMessage") if call.ok]
    assert sorted(delivered) == ["n0", "n1"]  # once each, the second after a 429
    assert [call.status for call in fake.calls_of("sendMessage")].count(429) >= 1


@pytest.mark.asyncio
async def test_wait_until_idle_waits_for_a_handler_that_is_silent_for_a_while(fake: FakeBotApi) -> None:
    """A handler busy with the database makes no API call for a while: silence is not idleness.

    The harness registers a probe on the application (fetched updates queued or in a handler);
    with it, wait_until_idle returns only after the slow handler's answer. CI once saw a press
    counted before its PostgreSQL transaction had ended, because the bot had been quiet 0.2 s.
    """
    from tests.harness import _busy

    app = build_app(fake)

    async def slow_echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        await asyncio.sleep(0.8)  # four times the quiet window, no API call meanwhile
        await update.effective_message.reply_text(update.effective_message.text)

    app.add_handler(MessageHandler(filters.TEXT, slow_echo))
    async with polling(app):
        unwatch = fake.watch(lambda: _busy(app))
        fake.send_message(ALICE, "slow")
        await fake.wait_until_idle()
        assert [call.text for call in fake.sent_to(ALICE.id)] == ["slow"]
        unwatch()
        fake.send_message(ALICE, "unwatched")
        await fake.wait_until_idle()  # without the probe, the fake cannot know
        assert [call.text for call in fake.sent_to(ALICE.id)] == ["slow"]
        later = await fake.wait_for(lambda c: c.method == "sendMessage" and c.text == "unwatched")
        assert later.chat_id == ALICE.id
