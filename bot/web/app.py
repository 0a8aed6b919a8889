"""The Mini App: its page, its assets and its API, mounted under /app/ of the HTTP server.

The page (bot/web/static/, plain HTML, CSS and JavaScript: no build step, so `pip install` ships a
working app) loads Telegram's telegram-web-app.js as Telegram documents, reads `initData` and sends
it with every API call (bot/web/api.py). The endpoints are listed by area: bot/web/member_api.py
(the week, booking, my bookings), bot/web/manager_api.py (the managers' tabs) and
bot/web/stock_api.py (their Consumables and Updates tabs).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tornado.web import RequestHandler, StaticFileHandler

from bot.core.context import FabDesk
from bot.web import manager_api, member_api, stock_api
from bot.web.page_texts import offline_texts

STATIC = Path(__file__).resolve().parent / "static"
# Where index.html takes the offline words (bot/web/page_texts.py OFFLINE_KEYS), as JSON.
OFFLINE_MARK = "{/* offline texts */}"


class _Page(RequestHandler):  # type: ignore[misc]
    """The app's one page, with its offline words written in; the JavaScript does the rest."""

    def initialize(self, desk: FabDesk) -> None:
        self.desk = desk

    def set_default_headers(self) -> None:
        self.clear_header("Server")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("Referrer-Policy", "no-referrer")

    async def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        settings = self.desk.settings
        words = json.dumps(offline_texts(settings.default_language, settings.tz), ensure_ascii=False)
        words = words.replace("<", "\\u003c")  # nothing in it can end the script element
        page = (STATIC / "index.html").read_text(encoding="utf-8")
        self.finish(page.replace(OFFLINE_MARK, words))


class _Asset(StaticFileHandler):  # type: ignore[misc]
    def set_default_headers(self) -> None:
        self.clear_header("Server")
        self.set_header("X-Content-Type-Options", "nosniff")
        # Checked again on every load (a 304 when unchanged): with no Cache-Control a web view may
        # keep an old app.js for days after an upgrade, talking to the new API.
        self.set_header("Cache-Control", "no-cache")


def routes(desk: FabDesk, wake: Callable[[], None]) -> list[tuple[str, Any, dict[str, Any]]]:
    """The app's handlers for the HTTP server."""
    common = {"desk": desk, "wake": wake}
    api = [
        (rf"/app/api/{path}", endpoint, common)
        for path, endpoint in [*member_api.ENDPOINTS, *manager_api.ENDPOINTS, *stock_api.ENDPOINTS]
    ]
    return [
        *api,
        (r"/app/?", _Page, {"desk": desk}),
        (r"/app/static/(.+)", _Asset, {"path": str(STATIC)}),
    ]
