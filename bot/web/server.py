"""The HTTP server: calendar feeds, /health and, with an https FABDESK_PUBLIC_URL, the Mini App
(bot/web/app.py). bot/web/__init__.py imports this only when the server is enabled.

It runs in the bot's process and event loop (Tornado, which python-telegram-bot's webhook extra
already brings). Each request gets its own database session, like an update. Tokens are secrets:
the access log shows `/calendar/…` without them.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.web import Application, HTTPError, RequestHandler

from bot.core.context import FabDesk
from bot.core.settings import SettingsError
from bot.web import ical
from models import feeds

log = logging.getLogger(__name__)

TOKEN = r"([A-Za-z0-9_-]{1,64})"


class _Handler(RequestHandler):  # type: ignore[misc]
    def initialize(self, desk: FabDesk) -> None:
        self.desk = desk

    def set_default_headers(self) -> None:
        self.clear_header("Server")
        self.set_header("X-Content-Type-Options", "nosniff")

    def log_exception(
        self, typ: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Tornado's error log names the URL, and a database error its parameters: not the token."""
        if isinstance(value, HTTPError):
            return  # a 404 on purpose; the access log has the line
        text = "".join(traceback.format_exception(typ, value, tb))
        for secret in self.path_args:
            text = text.replace(secret, "…")
        log.error("%s %s failed:\n%s", self.request.method, _safe_path(self.request.path), text)

    def write_error(self, status_code: int, **kwargs: object) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("Not found.\n" if status_code == 404 else "Something went wrong.\n")


class _NotFound(_Handler):
    def prepare(self) -> None:
        raise HTTPError(404)


class _Health(_Handler):
    async def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("ok\n")

    # Some calendar apps and monitors probe with HEAD: the same answer without its body (Tornado
    # drops the body of a HEAD response, and keeps its Content-Length).
    head = get


class _Feed(_Handler):
    async def get(self, token: str, machine_id: str | None = None) -> None:
        desk = self.desk
        now = desk.clock()
        async with desk.sessions.begin() as session:
            member = await feeds.owner_of(session, token, now)
            if member is None:
                raise HTTPError(404)
            texts = desk.texts(member)
            if machine_id is None:
                booked = await feeds.member_bookings(session, member, now)
                content = ical.bookings_calendar(
                    booked, name=texts.gettext("My fab lab bookings"), now=now, domain=desk.calendar_domain
                )
            else:
                found = await feeds.machine_schedule(
                    session, member, int(machine_id), now, desk.rules.horizon_end(now)
                )
                if found is None:
                    raise HTTPError(404)
                machine, booked = found
                content = ical.bookings_calendar(
                    booked,
                    name=machine.name,
                    now=now,
                    summary=f"{machine.name} — " + texts.gettext("Booked"),
                    domain=desk.calendar_domain,
                )
        self.set_header("Content-Type", "text/calendar; charset=utf-8")
        self.set_header("Cache-Control", "private, max-age=300")
        self.set_header("Content-Disposition", 'inline; filename="fabdesk.ics"')
        self.finish(content)

    head = get  # the same answer without its body, as for /health


def _safe_path(path: str) -> str:
    return "/calendar/…" if path.startswith("/calendar/") else path


def _log_request(handler: RequestHandler) -> None:
    """Tornado's access log, without the secret part of calendar addresses."""
    path = _safe_path(handler.request.path)
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    elapsed = 1000 * handler.request.request_time()
    log.log(level, "%s %s %s %.0f ms", status, handler.request.method, path, elapsed)


def make_app(desk: FabDesk, wake: Callable[[], None] = lambda: None) -> Application:
    """The server's handlers; `wake` sends the outbox once a Mini App call has queued messages."""
    handlers: list[Any] = [
        (r"/health", _Health, {"desk": desk}),
        (rf"/calendar/{TOKEN}\.ics", _Feed, {"desk": desk}),
        (rf"/calendar/{TOKEN}/machine/(\d{{1,9}})\.ics", _Feed, {"desk": desk}),
    ]
    if desk.settings.app_url is not None:
        from bot.web import app as mini_app  # only a lab that serves the Mini App loads it

        handlers += mini_app.routes(desk, wake)
    return Application(
        handlers,
        log_function=_log_request,
        default_handler_class=_NotFound,
        default_handler_args={"desk": desk},
    )


def start(desk: FabDesk, port: int, wake: Callable[[], None] = lambda: None) -> HTTPServer:
    """Listen on FABDESK_HTTP_HOST:FABDESK_HTTP_PORT."""
    settings = desk.settings
    # Nothing posted here is large (a Mini App call is a small JSON object): refuse the rest unread.
    server = HTTPServer(make_app(desk, wake), xheaders=True, max_body_size=64 * 1024)
    try:
        server.listen(port, address=settings.http_host)
    except OSError as exc:
        where = f"{settings.http_host}:{port}"
        raise SettingsError(f"FABDESK_HTTP_PORT: cannot listen on {where}: {exc.strerror or exc}") from None
    log.info("calendar links are served at %s", settings.web_base_url)
    return server
