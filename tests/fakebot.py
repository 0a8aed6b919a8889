"""Fake Telegram Bot API server for end-to-end tests of PTB applications.

Run it, point a real ``telegram.ext.Application`` at it with
``.base_url(fake.base_url).base_file_url(fake.base_file_url)``, push updates
as users would, and assert on the API calls the bot made.

```python
async with FakeBotApi() as fake:
    app = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    ...
    fake.send_message(FakeUser(1, "Ada"), "/start")
    reply = await fake.wait_for_call("sendMessage", 1)
```

Optional Telegram flood limits (off by default): ``FakeBotApi(flood_limits=FloodLimits())``
answers messages beyond about 30/s per bot, 1/s per private chat or 20/min per group with
429 and ``retry_after``, as Telegram does.

Recording rules: ``getUpdates`` calls are recorded when they arrive (their
``result``/``status`` are filled in when answered); every other call is
recorded once it has been answered, so ``call.result`` is always set for it.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import math
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

# httpx honours *_PROXY variables even for loopback addresses.
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["no_proxy"] = "127.0.0.1,localhost"

__all__ = [
    "TEXT_KEYS",
    "ApiCall",
    "FakeBotApi",
    "FakeUser",
    "FloodLimits",
    "photo_sizes",
]

_LOGGER = logging.getLogger(__name__)

#: Parameters kept as raw strings (never JSON-decoded) when a request is parsed.
TEXT_KEYS: frozenset[str] = frozenset(
    {
        "text",
        "caption",
        "description",
        "short_description",
        "title",
        "name",
        "first_name",
        "last_name",
        "username",
        "query",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "url",
        "invite_link",
        "custom_title",
        "parse_mode",
        "emoji",
        "file_id",
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "animation",
        "sticker",
        "thumbnail",
        "phone_number",
        "vcard",
        "address",
        "question",
        "explanation",
        "payload",
        "start_parameter",
        "secret_token",
        "message_effect_id",
        "business_connection_id",
        "game_short_name",
    }
)

_MEDIA_KINDS: dict[str, str] = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVideo": "video",
    "sendAudio": "audio",
    "sendVoice": "voice",
    "sendAnimation": "animation",
    "sendSticker": "sticker",
}

_CHAT_WRITE_PREFIXES = ("send", "copy", "forward", "edit")

_TRUE_METHODS: frozenset[str] = frozenset(
    {
        "setChatMenuButton",
        "answerCallbackQuery",
        "answerInlineQuery",
        "approveChatJoinRequest",
        "declineChatJoinRequest",
        "banChatMember",
        "unbanChatMember",
        "restrictChatMember",
        "promoteChatMember",
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "setMyDefaultAdministratorRights",
        "pinChatMessage",
        "unpinChatMessage",
        "unpinAllChatMessages",
        "leaveChat",
        "setMessageReaction",
        "deleteMessages",
        "logOut",
        "close",
    }
)

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)

_DEFAULT_ERRORS: dict[int, str] = {
    400: "Bad Request: injected",
    401: "Unauthorized",
    403: "Forbidden: injected",
    404: "Not Found: injected",
    409: "Conflict: injected",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error: injected",
    502: "Bad Gateway",
}


class _ApiError(Exception):
    """Carry an error answer out of a method handler."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """Return the Bot API error body."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class ApiCall:
    """One request the bot made to the fake API."""

    method: str
    params: dict[str, Any]
    time: float
    #: What the fake answered in ``result`` (None for errors or while a poll is held).
    result: Any = None
    #: HTTP status of the answer; None while a ``getUpdates`` is still held.
    status: int | None = None
    #: Error description when ``status != 200``.
    description: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the call was answered successfully."""
        return self.status == 200

    @property
    def chat_id(self) -> int | None:
        """Return ``params["chat_id"]`` as int (None if absent or not numeric)."""
        value = self.params.get("chat_id")
        if value is None:
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    @property
    def text(self) -> str | None:
        """Return the sent text or caption."""
        value = self.params.get("text") or self.params.get("caption")
        return None if value is None else str(value)

    def buttons(self) -> list[tuple[str, str | None]]:
        """Return ``(text, callback_data or url)`` of every inline button sent."""
        return _buttons_of(self.params.get("reply_markup"))

    def describe(self) -> str:
        """Return a one-line summary for failure messages."""
        parts = [self.method]
        if self.chat_id is not None:
            parts.append(f"chat={self.chat_id}")
        if self.text is not None:
            text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
            parts.append(f"text={text!r}")
        buttons = self.buttons()
        if buttons:
            parts.append(f"buttons={[b[0] for b in buttons]}")
        if self.status not in (None, 200):
            parts.append(f"-> {self.status} {self.description}")
        elif self.method == "getUpdates" and isinstance(self.result, list):
            parts.append(f"-> {len(self.result)} update(s)")
        return " ".join(parts)


@dataclass
class FakeUser:
    """A Telegram user who talks to the bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def to_dict(self) -> dict[str, Any]:
        """Return the Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's limits on messages a bot sends (new messages only: ``send*`` except
    ``sendChatAction``, ``copy*``, ``forward*``; edits and callback answers are not counted).

    Each limit is a sliding window: at most ``per_bot`` messages in any ``bot_period`` seconds,
    ``per_chat`` per private chat in any ``chat_period``, ``per_group`` per group (negative chat id)
    in any ``group_period``. A message beyond one is refused with 429 and an integer
    ``retry_after`` (seconds until the window frees, at least 1), and is not counted.
    """

    per_bot: int = 30
    bot_period: float = 1.0
    per_chat: int = 1
    chat_period: float = 1.0
    per_group: int = 20
    group_period: float = 60.0


def _counts_as_message(method: str) -> bool:
    return method.startswith(("send", "copy", "forward")) and method != "sendChatAction"


@dataclass
class _FailRule:
    method: str
    status: int
    description: str
    retry_after: int | None
    chat_id: int | None
    times: int


@dataclass
class _Poll:
    generation: int
    call: ApiCall = field(repr=False)


def photo_sizes(file_id: str, file_size: int = 1024) -> list[dict[str, Any]]:
    """Return a ``PhotoSize`` list (thumbnail + full size) for ``file_id``."""
    return [
        {
            "file_id": f"{file_id}_thumb",
            "file_unique_id": f"u_{file_id}_thumb",
            "width": 90,
            "height": 68,
            "file_size": max(1, file_size // 10),
        },
        {
            "file_id": file_id,
            "file_unique_id": f"u_{file_id}",
            "width": 1280,
            "height": 960,
            "file_size": file_size,
        },
    ]


def _buttons_of(markup: Any) -> list[tuple[str, str | None]]:
    if not isinstance(markup, dict):
        return []
    rows = markup.get("inline_keyboard") or []
    found: list[tuple[str, str | None]] = []
    for row in rows:
        for button in row:
            if isinstance(button, dict):
                target = button.get("callback_data") or button.get("url")
                found.append((str(button.get("text", "")), target))
    return found


def _normalize_markup(markup: Any) -> Any:
    if isinstance(markup, dict) and "inline_keyboard" in markup and not markup["inline_keyboard"]:
        return None
    return markup


def _decode_value(key: str, value: str) -> Any:
    if key in TEXT_KEYS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _resolve_attachments(value: Any, files: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, str) and value.startswith("attach://"):
        return files.get(value[len("attach://") :], value)
    if isinstance(value, list):
        return [_resolve_attachments(item, files) for item in value]
    if isinstance(value, dict):
        return {k: _resolve_attachments(v, files) for k, v in value.items()}
    return value


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _update_kind(update: dict[str, Any]) -> str | None:
    return next((key for key in update if key != "update_id"), None)


class FakeBotApi:
    """Serve the Telegram Bot API on 127.0.0.1 for one bot token."""

    def __init__(
        self,
        token: str = "123456:TEST-token-abcdefghijklmnopqrstuv",
        bot_username: str = "fabdesk_test_bot",
        *,
        flood_limits: FloodLimits | None = None,
    ) -> None:
        """Prepare the fake; call :meth:`start` (or use ``async with``) to serve."""
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_first_name = "Fabdesk Test"

        self.calls: list[ApiCall] = []
        self._next_album = 1
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.chat_members: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        #: Content served for file downloads, by file_id (uploads are added automatically).
        self.files: dict[str, bytes] = {}
        self.invite_links: dict[str, dict[str, Any]] = {}
        self.blocked_chats: set[int] = set()
        self.delay: dict[str, float] = {}
        #: Exceptions raised inside the fake while handling requests (should stay empty).
        self.errors: list[BaseException] = []
        #: Telegram's flood limits, enforced when set (None: every message is accepted).
        self.flood_limits: FloodLimits | None = flood_limits
        #: Called with each call as it is recorded (``getUpdates`` on arrival); must not block.
        self.listeners: list[Callable[[ApiCall], None]] = []

        #: The webhook the bot set (setWebhook): url, secret_token, allowed_updates; None while polling.
        self.webhook: dict[str, Any] | None = None
        #: Each webhook delivery: (update_id, HTTP status the bot answered, or 0 when unreachable).
        self.webhook_deliveries: list[tuple[int, int]] = []
        self._webhook_tasks: set[asyncio.Task[None]] = set()

        self._users: dict[int, FakeUser] = {}
        self._pending: list[dict[str, Any]] = []
        self._delivered: set[int] = set()
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._invite_ids = itertools.count(1)
        self._upload_ids = itertools.count(1)
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._user_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._fail_rules: list[_FailRule] = []
        self._sent_by_bot: deque[float] = deque()
        self._sent_by_chat: dict[int, deque[float]] = {}

        self._changed = asyncio.Event()
        self._poll_generation = 0
        self._held_polls = 0
        self._inflight = 0
        # Probes the harness registers (see watch): "is the bot still working on something
        # it fetched?" A handler busy with the database makes no API call for a while, and
        # silence alone would look like idleness.
        self._busy_probes: list[Callable[[], bool]] = []
        self._last_activity = time.monotonic()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        self._handlers: dict[str, Callable[[str, dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "sendMessage": self._send_message,
            "sendChatAction": lambda _m, _p: True,
            "sendLocation": self._send_location,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "editMessageText": self._edit_message,
            "editMessageCaption": self._edit_message,
            "editMessageReplyMarkup": self._edit_message,
            "deleteMessage": self._delete_message,
            "createChatInviteLink": self._create_invite_link,
            "editChatInviteLink": self._edit_invite_link,
            "revokeChatInviteLink": self._revoke_invite_link,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": lambda _m, _p: 2,
            "getChat": self._get_chat,
            "getFile": self._get_file,
            "sendMediaGroup": self._send_media_group,
        }
        for method in _MEDIA_KINDS:
            self._handlers[method] = self._send_media
        for method in _TRUE_METHODS:
            self._handlers[method] = lambda _m, _p: True
        self._handlers_lower = {name.lower(): name for name in self._handlers}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start serving on a random port of 127.0.0.1."""
        if self._runner is not None:
            raise RuntimeError("FakeBotApi already started")
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # access_log=None: the request path contains the token, never log it.
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(runner.addresses[0][1])
        self._runner = runner
        _SERVING[self.base_url] = self

    async def stop(self) -> None:
        """Answer held long polls and shut the server down."""
        if self._port is not None:
            _SERVING.pop(self.base_url, None)
        runner, self._runner = self._runner, None
        self._closing = True
        self._pulse()
        if self._webhook_tasks:
            await asyncio.wait(set(self._webhook_tasks), timeout=5)
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def port(self) -> int:
        """Return the TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Return the value for ``ApplicationBuilder.base_url``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the value for ``ApplicationBuilder.base_file_url``."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        """Return the bot's ``User`` object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    @property
    def held_polls(self) -> int:
        """Return how many ``getUpdates`` requests are being held right now."""
        return self._held_polls

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Return copies of the updates not yet confirmed by an offset."""
        return copy.deepcopy(self._pending)

    # ------------------------------------------------------------------ inspection

    def calls_of(self, method: str, chat_id: int | None = None) -> list[ApiCall]:
        """Return the calls of ``method`` (optionally for one chat), in order."""
        return [
            call
            for call in self.calls
            if call.method == method and (chat_id is None or call.chat_id == chat_id)
        ]

    def sent_to(self, chat_id: int) -> list[ApiCall]:
        """Return every call (except getUpdates) addressed to ``chat_id``, in order."""
        return [call for call in self.calls if call.method != "getUpdates" and call.chat_id == chat_id]

    def mark(self) -> int:
        """Return the current number of calls, for ``after=``."""
        return len(self.calls)

    def last_message(self, chat_id: int) -> dict[str, Any] | None:
        """Return the current state of the latest bot message in ``chat_id``."""
        messages = self.messages(chat_id)
        return messages[-1] if messages else None

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Return the current state of every (undeleted) bot message in ``chat_id``."""
        stored = self._messages.get(chat_id, {})
        return [copy.deepcopy(stored[mid]) for mid in sorted(stored)]

    def recent_calls(self, limit: int = 20, *, after: int = 0) -> str:
        """Return the last ``limit`` calls (from index ``after``) as text."""
        chosen = list(enumerate(self.calls))[after:][-limit:]
        if not chosen:
            return "  (no calls)"
        return "\n".join(f"  #{index} {call.describe()}" for index, call in chosen)

    # ------------------------------------------------------------------ pushing updates

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (``update_id`` is assigned if missing)."""
        if "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        else:
            self._update_ids = itertools.count(max(int(update["update_id"]) + 1, next(self._update_ids)))
        if self.webhook is not None:  # as Telegram does: POST it to the bot's webhook
            task = asyncio.get_running_loop().create_task(self._post_to_webhook(copy.deepcopy(update)))
            self._webhook_tasks.add(task)
            task.add_done_callback(self._webhook_tasks.discard)
            return update
        self._pending.append(update)
        self._pending.sort(key=lambda u: int(u["update_id"]))
        self._pulse()
        return update

    def send_message(
        self,
        user: FakeUser,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        **extra: Any,
    ) -> dict[str, Any]:
        """Queue a message update from ``user`` (private chat unless ``chat_id`` given).

        Text starting with "/" gets a ``bot_command`` entity. When ``extra`` holds
        a media field (``photo``, ``document``, ...), ``text`` becomes the caption;
        ``photo="<file_id>"`` / ``document="<file_id>"`` are expanded to stubs.
        """
        self._users[user.id] = user
        target = user.id if chat_id is None else chat_id
        if chat_type == "private" and target < 0:
            chat_type = "supergroup"
        message: dict[str, Any] = {
            "message_id": self._new_message_id(target),
            "date": int(time.time()),
            "chat": self._chat_brief(target, chat_type),
            "from": user.to_dict(),
        }
        media = {"photo", "document", "video", "audio", "voice", "animation", "sticker"}
        if media & extra.keys():
            if text:
                message["caption"] = text
        else:
            message["text"] = text
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        if isinstance(extra.get("photo"), str):
            extra["photo"] = photo_sizes(extra["photo"])
        if isinstance(extra.get("document"), str):
            file_id = extra["document"]
            extra["document"] = {
                "file_id": file_id,
                "file_unique_id": f"u_{file_id}",
                "file_name": f"{file_id}.bin",
                "file_size": len(self.files.get(file_id, b"")) or 1024,
            }
        message.update(extra)
        self._user_messages[(target, message["message_id"])] = message
        return self.push_update({"message": copy.deepcopy(message)})

    def press(self, user: FakeUser, message: ApiCall | dict[str, Any], callback_data: str) -> dict[str, Any]:
        """Queue a callback query of ``user`` pressing a button on a bot message."""
        self._users[user.id] = user
        current = self._resolve_message(message)
        chat_id = int(current["chat"]["id"])
        query = {
            "id": str(next(self._callback_ids)),
            "from": user.to_dict(),
            "chat_instance": f"{abs(chat_id)}{self.bot_id}",
            "data": callback_data,
            "message": _for_wire(current),
        }
        return self.push_update({"callback_query": query})

    def press_button(self, user: FakeUser, message: ApiCall | dict[str, Any], text: str) -> dict[str, Any]:
        """Press the first inline button whose text contains ``text`` (case-insensitive)."""
        current = self._resolve_message(message)
        buttons = _buttons_of(current.get("reply_markup"))
        for button_text, _target in buttons:
            if text.lower() in button_text.lower():
                data = self._callback_data_of(current, button_text)
                if data is None:
                    raise AssertionError(f"button {button_text!r} has no callback_data")
                return self.press(user, current, data)
        raise AssertionError(
            f"no inline button containing {text!r} on message "
            f"{current.get('message_id')} in chat {current['chat']['id']}; "
            f"available buttons: {[b[0] for b in buttons]}"
        )

    def join_request(self, user: FakeUser, chat_id: int, *, invite_link: str | None = None) -> dict[str, Any]:
        """Queue a ``chat_join_request`` update of ``user`` for ``chat_id``."""
        self._users[user.id] = user
        request: dict[str, Any] = {
            "chat": self._chat_brief(chat_id, "supergroup"),
            "from": user.to_dict(),
            "user_chat_id": user.id,
            "date": int(time.time()),
        }
        if invite_link is not None:
            request["invite_link"] = self.invite_links.get(
                invite_link,
                {
                    "invite_link": invite_link,
                    "creator": self.bot_user,
                    "creates_join_request": True,
                    "is_primary": False,
                    "is_revoked": False,
                },
            )
        return self.push_update({"chat_join_request": request})

    # ------------------------------------------------------------------ waiting

    async def wait_for(
        self,
        predicate: Callable[[ApiCall], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - public API mirrors the spec
        *,
        after: int = 0,
    ) -> ApiCall:
        """Return the first call with index >= ``after`` matching ``predicate``."""
        deadline = time.monotonic() + timeout
        index = after
        while True:
            changed = self._changed
            while index < len(self.calls):
                call = self.calls[index]
                index += 1
                if predicate(call):
                    return call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                name = getattr(predicate, "__name__", repr(predicate))
                raise AssertionError(
                    f"no API call matching {name} within {timeout:.1f}s "
                    f"(after call #{after}); recent calls:\n"
                    f"{self.recent_calls(after=after)}"
                )
            await _wait_event(changed, remaining)

    async def wait_for_call(
        self,
        method: str,
        chat_id: int | None = None,
        *,
        text_contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - public API mirrors the spec
        after: int = 0,
    ) -> ApiCall:
        """Return the first ``method`` call (for ``chat_id``, containing text) after ``after``."""

        def matches(call: ApiCall) -> bool:
            if call.method != method:
                return False
            if chat_id is not None and call.chat_id != chat_id:
                return False
            return text_contains is None or text_contains in (call.text or "")

        wanted = method
        if chat_id is not None:
            wanted += f" chat={chat_id}"
        if text_contains is not None:
            wanted += f" text~{text_contains!r}"
        matches.__name__ = wanted
        return await self.wait_for(matches, timeout, after=after)

    def watch(self, probe: Callable[[], bool]) -> Callable[[], None]:
        """Make wait_until_idle also wait while probe() is true; returns the undo."""
        self._busy_probes.append(probe)
        return lambda: self._busy_probes.remove(probe)

    async def wait_until_idle(
        self,
        quiet: float = 0.2,
        timeout: float = 5.0,  # noqa: ASYNC109 - public API mirrors the spec
    ) -> None:
        """Wait until every pushed update was fetched and the bot went quiet."""
        deadline = time.monotonic() + timeout
        while True:
            changed = self._changed
            now = time.monotonic()
            undelivered = [u["update_id"] for u in self._pending if u["update_id"] not in self._delivered]
            wait: float | None = None
            busy = any(probe() for probe in self._busy_probes)
            if busy:
                wait = 0.02  # the probes do not wake us; look again shortly
            elif not undelivered and self._inflight == 0:
                idle_for = now - self._last_activity
                if idle_for >= quiet:
                    return
                wait = quiet - idle_for
            remaining = deadline - now
            if remaining <= 0:
                raise AssertionError(
                    f"bot not idle after {timeout:.1f}s: undelivered updates {undelivered}, "
                    f"{self._inflight} call(s) in flight; recent calls:\n{self.recent_calls()}"
                )
            await _wait_event(changed, remaining if wait is None else min(wait, remaining))

    # ------------------------------------------------------------------ fault injection

    def clear_failures(self) -> None:
        """Forget every failure injected with fail_next (Telegram works again)."""
        self._fail_rules = []

    def fail_next(
        self,
        method: str,
        *,
        status: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (for ``chat_id``) with an error.

        ``description`` defaults to one fitting ``status`` ("Bad Request: injected"
        for 400); a 429 always carries ``retry_after`` (default 1).
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = _DEFAULT_ERRORS.get(status, f"Error {status}: injected").format(
                retry_after=retry_after
            )
        self._fail_rules.append(_FailRule(method, status, description, retry_after, chat_id, times))

    # ------------------------------------------------------------------ HTTP plumbing

    def _pulse(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return _error_response(_ApiError(404, "Not Found"))
        token, _, method = path[len("/bot") :].partition("/")
        try:
            params = await _read_params(request)
        except Exception as exc:
            return _error_response(_ApiError(400, f"Bad Request: cannot parse body: {exc}"))
        call = ApiCall(method=method, params=params, time=time.monotonic())
        if method == "getUpdates" and token == self.token:
            return await self._handle_get_updates(call)
        self._inflight += 1
        self._last_activity = time.monotonic()
        try:
            status, result, error = await self._answer(token, method, params)
        finally:
            self._inflight -= 1
        call.status = status
        call.result = result
        call.description = None if error is None else error.description
        self._record(call)
        if error is not None:
            return _error_response(error)
        return web.json_response({"ok": True, "result": result})

    async def _answer(
        self, token: str, method: str, params: dict[str, Any]
    ) -> tuple[int, Any, _ApiError | None]:
        try:
            if token != self.token:
                raise _ApiError(401, "Unauthorized")
            if method in self.delay:
                await asyncio.sleep(self.delay[method])
            self._check_injected(method, params)
            canonical = self._handlers_lower.get(method.lower())
            if canonical is None:
                raise _ApiError(404, "Not Found: method not found")
            chat_id = _int_or_none(params.get("chat_id"))
            if chat_id in self.blocked_chats and canonical.startswith(_CHAT_WRITE_PREFIXES):
                raise _ApiError(403, "Forbidden: bot was blocked by the user")
            if self.flood_limits is not None and _counts_as_message(canonical):
                self._check_flood(self.flood_limits, chat_id)
            result = self._handlers[canonical](canonical, params)
        except _ApiError as error:
            return error.status, None, error
        except Exception as exc:
            _LOGGER.exception("fake Bot API failed handling %s", method)
            self.errors.append(exc)
            failure = _ApiError(500, f"Internal Server Error: fake failed: {exc!r}")
            return failure.status, None, failure
        return 200, result, None

    def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        if call.method != "getUpdates":
            self._last_activity = time.monotonic()
        for listener in self.listeners:
            try:
                listener(call)
            except Exception as exc:
                _LOGGER.exception("a listener of the fake Bot API failed")
                self.errors.append(exc)
        self._pulse()

    def _check_flood(self, limits: FloodLimits, chat_id: int | None) -> None:
        """Refuse (429) a message beyond Telegram's limits; count it otherwise."""
        now = time.monotonic()
        windows = [(self._sent_by_bot, limits.per_bot, limits.bot_period)]
        if chat_id is not None:
            per_chat, period = (
                (limits.per_chat, limits.chat_period)
                if chat_id > 0
                else (limits.per_group, limits.group_period)
            )
            windows.append((self._sent_by_chat.setdefault(chat_id, deque()), per_chat, period))
        for sent, allowed, period in windows:
            while sent and sent[0] <= now - period:
                sent.popleft()
            if len(sent) >= allowed:
                retry_after = max(1, math.ceil(sent[0] + period - now))
                raise _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for sent, _allowed, _period in windows:
            sent.append(now)

    def _check_injected(self, method: str, params: dict[str, Any]) -> None:
        chat_id = _int_or_none(params.get("chat_id"))
        for rule in self._fail_rules:
            if rule.method.lower() != method.lower() or rule.times <= 0:
                continue
            if rule.chat_id is not None and rule.chat_id != chat_id:
                continue
            rule.times -= 1
            self._fail_rules = [r for r in self._fail_rules if r.times > 0]
            raise _ApiError(rule.status, rule.description, rule.retry_after)

    async def _handle_get_updates(self, call: ApiCall) -> web.StreamResponse:
        self._record(call)
        self._poll_generation += 1
        poll = _Poll(self._poll_generation, call)
        params = call.params
        try:
            if "getUpdates" in self.delay:
                await asyncio.sleep(self.delay["getUpdates"])
            self._check_injected("getUpdates", params)
            if self.webhook is not None:
                raise _ApiError(
                    409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook"
                )
            offset = _int_or_none(params.get("offset")) or 0
            limit = min(max(_int_or_none(params.get("limit")) or 100, 1), 100)
            timeout = float(params.get("timeout") or 0)
            allowed = params.get("allowed_updates")
            self._confirm(offset)
            batch = await self._hold(poll, limit, timeout, allowed)
        except asyncio.CancelledError:
            call.status, call.description = 499, "client went away"
            raise
        except _ApiError as error:
            call.status, call.description = error.status, error.description
            self._pulse()
            return _error_response(error)
        call.status, call.result = 200, batch
        if batch:
            self._delivered.update(u["update_id"] for u in batch)
            self._last_activity = time.monotonic()
        self._pulse()
        return web.json_response({"ok": True, "result": batch})

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    async def _hold(self, poll: _Poll, limit: int, hold_for: float, allowed: Any) -> list[dict[str, Any]]:
        deadline = time.monotonic() + hold_for
        self._held_polls += 1
        try:
            while True:
                changed = self._changed
                if poll.generation != self._poll_generation:
                    raise _ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that "
                        "only one bot instance is running",
                    )
                batch = self._select(limit, allowed)
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0 or self._closing:
                    return batch
                await _wait_event(changed, remaining)
        finally:
            self._held_polls -= 1

    def _select(self, limit: int, allowed: Any) -> list[dict[str, Any]]:
        if isinstance(allowed, list) and allowed:
            kept = [u for u in self._pending if _update_kind(u) in allowed]
            dropped = len(self._pending) - len(kept)
            if dropped:
                self._delivered.update(
                    u["update_id"] for u in self._pending if _update_kind(u) not in allowed
                )
                self._pending = kept
        return copy.deepcopy(self._pending[:limit])

    def _serve_file(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return _error_response(_ApiError(401, "Unauthorized"))
        name = file_path.rsplit("/", 1)[-1]
        file_id = name.rsplit(".", 1)[0] if "." in name else name
        content = self.files.get(file_id, b"\xff\xd8\xff\xe0fake-file:" + file_id.encode())
        return web.Response(body=content, content_type="application/octet-stream")

    # ------------------------------------------------------------------ message store

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _chat_brief(self, chat_id: int, chat_type: str | None = None) -> dict[str, Any]:
        override = self.chats.get(chat_id, {})
        kind = override.get("type") or chat_type or ("private" if chat_id > 0 else "supergroup")
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            user = self._users.get(chat_id)
            chat["first_name"] = override.get("first_name", user.first_name if user else f"User{chat_id}")
            for key in ("last_name", "username"):
                value = override.get(key, getattr(user, key, None) if user else None)
                if value is not None:
                    chat[key] = value
        else:
            chat["title"] = override.get("title", f"Chat {chat_id}")
            if "username" in override:
                chat["username"] = override["username"]
        return chat

    def _store_bot_message(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        chat_id = _int_or_none(params.get("chat_id"))
        if chat_id is None:
            raise _ApiError(400, "Bad Request: chat not found")
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat_brief(chat_id),
            "from": self.bot_user,
        }
        message.update(content)
        for key in ("parse_mode", "entities", "caption_entities", "message_thread_id"):
            if key in params:
                message[key] = params[key]
        markup = _normalize_markup(params.get("reply_markup"))
        if markup is not None:
            message["reply_markup"] = markup
        reply = params.get("reply_parameters")
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = reply_id or params.get("reply_to_message_id")
        if reply_id is not None:
            replied = self._find_message(chat_id, int(reply_id))
            if replied is not None:
                message["reply_to_message"] = _for_wire(
                    {k: v for k, v in replied.items() if k != "reply_to_message"}
                )
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return _for_wire(message)

    def _find_message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is not None:
            return stored
        return self._user_messages.get((chat_id, message_id))

    def _message_ref(self, call: ApiCall) -> tuple[int, int]:
        if not call.ok:
            raise AssertionError(f"cannot press on a failed call: {call.describe()}")
        result = call.result
        if isinstance(result, dict) and "message_id" in result:
            chat = result.get("chat")
            chat_id = int(chat["id"]) if isinstance(chat, dict) else call.chat_id
            if chat_id is not None:
                return chat_id, int(result["message_id"])
        message_id = _int_or_none(call.params.get("message_id"))
        if call.chat_id is not None and message_id is not None:
            return call.chat_id, message_id
        raise AssertionError(f"call does not refer to a message: {call.describe()}")

    def _resolve_message(self, message: ApiCall | dict[str, Any]) -> dict[str, Any]:
        if isinstance(message, ApiCall):
            chat_id, message_id = self._message_ref(message)
            stored = self._messages.get(chat_id, {}).get(message_id)
            if stored is None:
                raise AssertionError(
                    f"bot message {message_id} in chat {chat_id} no longer exists "
                    f"(deleted?): {message.describe()}"
                )
            return copy.deepcopy(stored)
        chat_id = int(message["chat"]["id"])
        stored = self._messages.get(chat_id, {}).get(int(message["message_id"]))
        return copy.deepcopy(stored if stored is not None else message)

    def _callback_data_of(self, message: dict[str, Any], button_text: str) -> str | None:
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                if button.get("text") == button_text:
                    data = button.get("callback_data")
                    return None if data is None else str(data)
        return None

    def _upload_file_id(self, kind: str, value: Any) -> tuple[str, int, str | None]:
        if isinstance(value, dict) and "content" in value:
            file_id = f"fake{kind}{next(self._upload_ids)}"
            content = bytes(value["content"])
            self.files[file_id] = content
            return file_id, len(content), value.get("filename")
        file_id = str(value)
        return file_id, len(self.files.get(file_id, b"")) or 1024, None

    # ------------------------------------------------------------------ method handlers

    def _get_me(self, _method: str, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _set_webhook(self, _method: str, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            self.webhook = None
            return True
        if not url.startswith(("http://", "https://")):
            raise _ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {
            "url": url,
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
        }
        return True

    async def _post_to_webhook(self, update: dict[str, Any], secret: str | None = None) -> None:
        """Deliver one update to the webhook, with its secret token header, as Telegram does."""
        import aiohttp

        webhook = self.webhook
        assert webhook is not None
        headers = {"Content-Type": "application/json"}
        token = secret if secret is not None else webhook["secret_token"]
        if token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(token)
        status = 0
        for attempt in range(20):  # Telegram tries again when the bot is unreachable or fails
            if attempt:
                await asyncio.sleep(0.25)
            try:
                async with (
                    aiohttp.ClientSession() as client,
                    client.post(webhook["url"], data=json.dumps(update), headers=headers) as response,
                ):
                    status = response.status
            except aiohttp.ClientError:
                status = 0
            if 0 < status < 500:
                break
        self.webhook_deliveries.append((int(update["update_id"]), status))
        self._pulse()

    async def post_to_webhook_with_secret(self, update: dict[str, Any], secret: str) -> int:
        """Post an update with another secret (a forger's); return the HTTP status the bot answered."""
        update.setdefault("update_id", next(self._update_ids))
        await self._post_to_webhook(update, secret)
        return self.webhook_deliveries[-1][1]

    def _delete_webhook(self, _method: str, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates") is True:
            self._delivered.update(u["update_id"] for u in self._pending)
            self._pending = []
            self._pulse()
        return True

    def _get_webhook_info(self, _method: str, _params: dict[str, Any]) -> dict[str, Any]:
        url = self.webhook["url"] if self.webhook is not None else ""
        return {"url": url, "has_custom_certificate": False, "pending_update_count": len(self._pending)}

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, _method: str, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: commands must be a list")
        self.commands[self._commands_key(params)] = commands
        return True

    def _delete_my_commands(self, _method: str, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, _method: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    def _send_message(self, _method: str, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text")
        if not text:
            raise _ApiError(400, "Bad Request: message text is empty")
        return self._store_bot_message(params, {"text": str(text)})

    def _send_media(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        kind = _MEDIA_KINDS[method]
        if kind not in params:
            raise _ApiError(400, f"Bad Request: there is no {kind} in the request")
        file_id, size, filename = self._upload_file_id(kind, params[kind])
        content: dict[str, Any] = {}
        if kind == "photo":
            content["photo"] = photo_sizes(file_id, size)
        else:
            stub: dict[str, Any] = {
                "file_id": file_id,
                "file_unique_id": f"u_{file_id}",
                "file_size": size,
            }
            if kind == "document":
                stub["file_name"] = filename or f"{file_id}.bin"
            if kind in ("video", "animation"):
                stub.update(width=640, height=480, duration=1)
            if kind in ("audio", "voice"):
                stub["duration"] = 1
            if kind == "sticker":
                stub.update(width=512, height=512, type="regular", is_animated=False, is_video=False)
            content[kind] = stub
        if params.get("caption"):
            content["caption"] = str(params["caption"])
        return self._store_bot_message(params, content)

    def _send_media_group(self, _method: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        media = params.get("media")
        if isinstance(media, str):
            media = json.loads(media)
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _ApiError(400, "Bad Request: wrong number of media in the album (2 to 10)")
        group = f"album-{self._next_album}"
        self._next_album += 1
        sent = []
        for item in media:
            kind, reference = item.get("type"), str(item.get("media"))
            stub = {"file_id": reference, "file_unique_id": f"u_{reference}", "file_size": 1024}
            content: dict[str, Any] = {"media_group_id": group}
            content[kind] = photo_sizes(reference) if kind == "photo" else stub
            sent.append(self._store_bot_message(params, content))
        return sent

    def _send_location(self, _method: str, params: dict[str, Any]) -> dict[str, Any]:
        location = {"latitude": params.get("latitude"), "longitude": params.get("longitude")}
        return self._store_bot_message(params, {"location": location})

    def _source_content(self, params: dict[str, Any], what: str) -> dict[str, Any]:
        from_chat = _int_or_none(params.get("from_chat_id"))
        message_id = _int_or_none(params.get("message_id"))
        source = None
        if from_chat is not None and message_id is not None:
            source = self._find_message(from_chat, message_id)
        if source is None:
            raise _ApiError(400, f"Bad Request: message to {what} not found")
        skip = {"message_id", "date", "chat", "from", "reply_markup", "edit_date", "reply_to_message"}
        return {k: copy.deepcopy(v) for k, v in source.items() if k not in skip}

    def _copy_message(self, _method: str, params: dict[str, Any]) -> dict[str, Any]:
        content = self._source_content(params, "copy")
        if "caption" in params and "text" not in content:
            content["caption"] = str(params["caption"])
        message = self._store_bot_message(params, content)
        return {"message_id": message["message_id"]}

    def _forward_message(self, _method: str, params: dict[str, Any]) -> dict[str, Any]:
        content = self._source_content(params, "forward")
        source = self._find_message(int(params["from_chat_id"]), int(params["message_id"]))
        assert source is not None
        sender = source.get("from") or self.bot_user
        content["forward_origin"] = {"type": "user", "date": source["date"], "sender_user": sender}
        return self._store_bot_message(params, content)

    def _edit_message(self, method: str, params: dict[str, Any]) -> Any:
        if "inline_message_id" in params:
            return True
        chat_id = _int_or_none(params.get("chat_id"))
        message_id = _int_or_none(params.get("message_id"))
        stored = None
        if chat_id is not None and message_id is not None:
            stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        updated = dict(stored)
        if method == "editMessageText":
            if "text" not in stored:
                raise _ApiError(400, "Bad Request: there is no text in the message to edit")
            if not params.get("text"):
                raise _ApiError(400, "Bad Request: message text is empty")
            updated["text"] = str(params["text"])
            _replace_key(updated, "parse_mode", params)
            _replace_key(updated, "entities", params)
        elif method == "editMessageCaption":
            if "text" in stored:
                raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
            _replace_key(updated, "caption", params)
            _replace_key(updated, "parse_mode", params)
        markup = _normalize_markup(params.get("reply_markup"))
        if markup is None:
            updated.pop("reply_markup", None)
        else:
            updated["reply_markup"] = markup
        content_keys = ("text", "caption", "parse_mode", "entities", "reply_markup")
        if all(stored.get(k) == updated.get(k) for k in content_keys):
            raise _ApiError(400, _NOT_MODIFIED)
        updated["edit_date"] = int(time.time())
        stored.clear()
        stored.update(updated)
        return _for_wire(stored)

    def _delete_message(self, _method: str, params: dict[str, Any]) -> bool:
        chat_id = _int_or_none(params.get("chat_id"))
        message_id = _int_or_none(params.get("message_id"))
        chat_messages = self._messages.get(chat_id, {}) if chat_id is not None else {}
        if message_id in chat_messages:
            del chat_messages[message_id]
            return True
        if (
            chat_id is not None
            and message_id is not None
            and self._user_messages.pop((chat_id, message_id), None) is not None
        ):
            return True
        raise _ApiError(400, "Bad Request: message to delete not found")

    def _create_invite_link(self, _method: str, params: dict[str, Any]) -> dict[str, Any]:
        link: dict[str, Any] = {
            "invite_link": f"https://t.me/+fake{next(self._invite_ids)}",
            "creator": self.bot_user,
            "creates_join_request": bool(params.get("creates_join_request", False)),
            "is_primary": False,
            "is_revoked": False,
        }
        for key in ("name", "expire_date", "member_limit"):
            if params.get(key) is not None:
                link[key] = params[key]
        self.invite_links[link["invite_link"]] = link
        return copy.deepcopy(link)

    def _known_link(self, params: dict[str, Any]) -> dict[str, Any]:
        url = str(params.get("invite_link", ""))
        link = self.invite_links.get(url)
        if link is None:
            raise _ApiError(400, "Bad Request: INVITE_HASH_EXPIRED")
        return link

    def _edit_invite_link(self, _method: str, params: dict[str, Any]) -> dict[str, Any]:
        link = self._known_link(params)
        for key in ("name", "expire_date", "member_limit", "creates_join_request"):
            if key in params:
                link[key] = params[key]
        return copy.deepcopy(link)

    def _revoke_invite_link(self, _method: str, params: dict[str, Any]) -> dict[str, Any]:
        link = self._known_link(params)
        link["is_revoked"] = True
        return copy.deepcopy(link)

    def _bot_admin(self) -> dict[str, Any]:
        return {
            "status": "administrator",
            "user": self.bot_user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": False,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": False,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
            "can_pin_messages": True,
        }

    def _user_dict(self, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            return self.bot_user
        user = self._users.get(user_id)
        if user is not None:
            return user.to_dict()
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}

    def _get_chat_member(self, _method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _int_or_none(params.get("chat_id"))
        user_id = _int_or_none(params.get("user_id"))
        if chat_id is None or user_id is None:
            raise _ApiError(400, "Bad Request: chat_id and user_id are required")
        configured = self.chat_members.get((chat_id, user_id))
        if configured is not None:
            member = copy.deepcopy(configured)
            member.setdefault("user", self._user_dict(user_id))
            return member
        if user_id == self.bot_id:
            return self._bot_admin()
        return {"status": "member", "user": self._user_dict(user_id)}

    def _get_chat_administrators(self, _method: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        chat_id = _int_or_none(params.get("chat_id"))
        admins = [self._bot_admin()]
        for (member_chat, user_id), member in self.chat_members.items():
            if member_chat == chat_id and member.get("status") in ("administrator", "creator"):
                entry = copy.deepcopy(member)
                entry.setdefault("user", self._user_dict(user_id))
                admins.append(entry)
        return admins

    def _get_chat(self, _method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _int_or_none(params.get("chat_id"))
        if chat_id is None:
            raise _ApiError(400, "Bad Request: chat not found")
        chat: dict[str, Any] = {
            **self._chat_brief(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        chat.update(copy.deepcopy(self.chats.get(chat_id, {})))
        return chat

    def _get_file(self, _method: str, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params.get("file_id")
        if not file_id:
            raise _ApiError(400, "Bad Request: invalid file_id")
        file_id = str(file_id)
        return {
            "file_id": file_id,
            "file_unique_id": f"u_{file_id}",
            "file_size": len(self.files.get(file_id, b"")) or 1024,
            "file_path": f"photos/{file_id}.jpg",
        }


def _replace_key(target: dict[str, Any], key: str, params: dict[str, Any]) -> None:
    if params.get(key) is None:
        target.pop(key, None)
    else:
        target[key] = params[key]


def _for_wire(message: dict[str, Any]) -> dict[str, Any]:
    """Copy a stored message; drop non-inline reply markups as Telegram does."""
    wire = copy.deepcopy(message)
    markup = wire.get("reply_markup")
    if markup is not None and not (isinstance(markup, dict) and "inline_keyboard" in markup):
        del wire["reply_markup"]
    return wire


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# The fakes now serving, by base_url, so the harness can find the one a bot's settings point at.
_SERVING: dict[str, FakeBotApi] = {}


def serving(base_url: str) -> FakeBotApi | None:
    """The running fake whose ``base_url`` is this one, if any."""
    return _SERVING.get(base_url)


async def _wait_event(event: asyncio.Event, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        pass


async def _read_params(request: web.Request) -> dict[str, Any]:
    raw: dict[str, str] = dict(request.query)
    files: dict[str, dict[str, Any]] = {}
    decoded: dict[str, Any] = {}
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            decoded.update(body)
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = {"filename": value.filename, "content": value.file.read()}
            elif isinstance(value, bytes | bytearray):
                raw[key] = bytes(value).decode("utf-8", "replace")
            else:
                raw[key] = str(value)
    params: dict[str, Any] = {key: _decode_value(key, value) for key, value in raw.items()}
    params.update(decoded)
    params = {key: _resolve_attachments(value, files) for key, value in params.items()}
    for key, upload in files.items():
        params.setdefault(key, upload)
    return params


def _error_response(error: _ApiError) -> web.Response:
    return web.json_response(error.payload(), status=error.status)
