"""The Mini App's JSON API: what every endpoint shares.

An endpoint is a subclass of `Endpoint` with `show(call)` (GET) and/or `change(call)` (POST). Each
request is one transaction, like an update in the chat: the launch data is checked first (401 and
nothing read or written when it is missing, forged or stale), the member is registered as a first
message would, the endpoint calls the same domain functions as the chat, and the transaction is
committed only if it returns. A domain refusal rolls back and answers with the same sentence the
chat shows (404 for what is no longer there, 403 for what only managers may do, 409 otherwise);
bad input answers 400 (its `message` the generic sentence in the caller's language, its `detail`
which argument, in English, for developers); a manager endpoint called by a member answers 403
(the domain checks again). Messages queued for others (the chat's confirmation) are sent once committed.

The page sends the launch data in the `Authorization` header: `tma <initData>`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession
from tornado.web import RequestHandler

from bot.core.context import FabDesk
from bot.core.i18n import N_, Texts
from bot.features.refusals import refusal_text
from bot.web.auth import BadLaunchData, LaunchUser, check_launch_data
from models import members
from models.errors import DomainError, NotAllowed, NotFound
from models.members import Member

log = logging.getLogger(__name__)

# A request body is a small JSON object (a booking, a machine's fields).
MAX_BODY = 16 * 1024
# What people read on any 400: the argument's name and form are for developers (`detail`).
INPUT_ERROR = N_("Please check what you typed.")


class ApiError(Exception):
    """A request the API refuses: its status, a short code for the page, a sentence for people."""

    def __init__(self, status: int, code: str, message: str = "", *, said: str | None = None) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message
        self.said = said  # a 400's sentence for people, translated, if not the generic one


# Ids are SQL integers (32-bit): anything above cannot name a row.
MAX_ID = 2**31 - 1


@dataclass
class Call:
    """One API request being answered: its transaction, its member, its time, its language."""

    desk: FabDesk
    session: AsyncSession
    member: Member
    now: datetime
    texts: Texts
    body: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)

    def _(self, message: str) -> str:
        return self.texts.gettext(message)

    def _value(self, name: str) -> object:
        return self.body[name] if name in self.body else self.query.get(name)

    def integer(self, name: str, low: int, high: int, default: int | None = None) -> int:
        """An integer argument within [low, high]; 400 otherwise (never trusted: the domain re-checks)."""
        value = self._value(name)
        if value is None and default is not None:
            return default
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ApiError(400, "bad_argument", f"{name}: a whole number from {low} to {high}")
        return value

    def row_id(self, name: str) -> int:
        """A row's id argument (a machine, a booking, a member…): a positive 32-bit integer; 400 otherwise."""
        return self.integer(name, 1, MAX_ID)

    def text(self, name: str, max_length: int, *, required: bool = True) -> str:
        """A text argument, stripped, at most `max_length` characters; 400 otherwise."""
        value = self._value(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or len(value) > max_length or (required and not value.strip()):
            raise ApiError(400, "bad_argument", f"{name}: a text of at most {max_length} characters")
        return value.strip()

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._value(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        raise ApiError(400, "bad_argument", f"{name}: true or false")


Answer = Callable[[Call], Awaitable[object]]


class Endpoint(RequestHandler):  # type: ignore[misc]
    """An API endpoint: subclasses define `show` (GET) and/or `change` (POST). (Not `write`: that is
    Tornado's own method.)"""

    managers_only: ClassVar[bool] = False

    def initialize(self, desk: FabDesk, wake: Callable[[], None]) -> None:
        self.desk = desk
        self.wake = wake

    def set_default_headers(self) -> None:
        self.clear_header("Server")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json; charset=utf-8")

    async def show(self, call: Call) -> object:
        raise ApiError(405, "method_not_allowed")

    async def change(self, call: Call) -> object:
        raise ApiError(405, "method_not_allowed")

    async def get(self, *path: str) -> None:
        self.path_values = path
        await self._answer(self.show, read_body=False)

    async def post(self, *path: str) -> None:
        self.path_values = path
        await self._answer(self.change, read_body=True)

    def _body(self) -> dict[str, Any]:
        raw = self.request.body or b"{}"
        if len(raw) > MAX_BODY:
            raise ApiError(413, "too_large")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "bad_json") from None
        if not isinstance(body, dict):
            raise ApiError(400, "bad_json")
        return body

    def _user(self, now: datetime) -> LaunchUser:
        header = self.request.headers.get("Authorization", "")
        scheme, _, init_data = header.partition(" ")
        if scheme.lower() != "tma":
            raise ApiError(401, "unauthorized")
        settings = self.desk.settings
        try:
            return check_launch_data(
                init_data.strip(),
                settings.token(),
                now,
                timedelta(minutes=settings.app_auth_max_age_minutes),
            )
        except BadLaunchData as refused:
            log.info("Mini App call refused: %s", refused)
            raise ApiError(401, "unauthorized") from None

    async def _answer(self, answer: Answer, read_body: bool) -> None:
        desk = self.desk
        now = desk.clock()
        user = self._user(now)  # before anything else is read: a stranger learns nothing
        texts = desk.texts(telegram_language=user.language_code)
        try:
            body = self._body() if read_body else {}
        except ApiError as refused:
            self._refuse(refused, texts)
            return
        try:
            async with desk.sessions.begin() as session:
                member = await members.register_profile(session, user, desk.settings.manager_ids, now)
                texts = desk.texts(member)
                if self.managers_only and not member.is_manager:
                    raise ApiError(403, "managers_only", texts.gettext("Only the fab managers can do that."))
                query = {key: self.get_query_argument(key) for key in self.request.query_arguments}
                call = Call(desk, session, member, now, texts, body=body, query=query)
                # Serialized before the commit: an answer that cannot be sent changes nothing.
                result = _json(await answer(call))
        except DomainError as refusal:  # rolled back: the refusal changed nothing
            status = 404 if isinstance(refusal, NotFound) else 403 if isinstance(refusal, NotAllowed) else 409
            self._send(status, {"error": type(refusal).__name__, "message": refusal_text(texts, refusal)})
            return
        except ApiError as refused:
            self._refuse(refused, texts)
            return
        self.wake()
        self._send(200, result)

    def _refuse(self, refused: ApiError, texts: Texts) -> None:
        """Answer a refused request; a 400's (or a 413's: a text far too long) sentence is the generic
        one, in the caller's language."""
        if refused.status in (400, 413):
            sentence = refused.said or texts.gettext(INPUT_ERROR)
            answer = {"error": refused.code, "message": sentence, "detail": refused.message}
        else:
            answer = {"error": refused.code, "message": refused.message}
        self._send(refused.status, answer)

    def _send(self, status: int, content: object) -> None:
        self.set_status(status)
        self.finish(content if isinstance(content, str) else _json(content))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, ApiError):
            self._send(error.status, {"error": error.code, "message": error.message})
        else:
            self._send(status_code, {"error": "server_error" if status_code >= 500 else "bad_request"})

    def log_exception(
        self, typ: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(value, ApiError):
            return  # an answer on purpose: the access log has the line
        log.error("%s %s failed", self.request.method, self.request.path, exc_info=(typ, value, tb))  # type: ignore[arg-type]


def _json(content: object) -> str:
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))
