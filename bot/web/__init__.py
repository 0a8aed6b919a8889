"""fabdesk's optional HTTP server (FABDESK_HTTP_PORT): private calendar feeds, and a health check.

The server (Tornado, in bot/web/server.py) is imported only when the port is set: a lab that does
not serve calendar links does not carry it in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.core.settings import Settings

if TYPE_CHECKING:
    from tornado.httpserver import HTTPServer

    from bot.core.context import FabDesk


def feed_url(settings: Settings, token: str, machine_id: int | None = None) -> str | None:
    """The address of a member's calendar feed (or of a machine's schedule), None when the server is off."""
    base = settings.web_base_url
    if base is None:
        return None
    if machine_id is None:
        return f"{base}/calendar/{token}.ics"
    return f"{base}/calendar/{token}/machine/{machine_id}.ics"


def start(desk: FabDesk, wake: Callable[[], None] = lambda: None) -> HTTPServer | None:
    """Serve calendar links (and the Mini App) on FABDESK_HTTP_HOST:FABDESK_HTTP_PORT (nothing when
    the port is not set); `wake` sends the outbox after a Mini App call queued messages."""
    if desk.settings.http_port is None:
        return None
    from bot.web import server

    return server.start(desk, desk.settings.http_port, wake)


async def stop(server: HTTPServer | None) -> None:
    if server is not None:
        server.stop()
        await server.close_all_connections()
