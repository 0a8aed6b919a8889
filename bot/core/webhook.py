"""The webhook listener (`fabdesk run` with FABDESK_WEBHOOK_URL): Telegram's posts into the update queue.

python-telegram-bot's own listener reads a whole post into memory before looking at its secret, takes
posts of any size, and logs a post it cannot parse in full at CRITICAL. This one, a small Tornado
handler in PTB's place, reads the headers first: a post without the secret is answered 403 and its
body never read, one larger than an update can be is answered 413, one that is not an update 400 with a
short log line. Everything else is PTB's: `setWebhook` with the secret, the retries while Telegram
cannot be reached, the stop.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from http import HTTPStatus
from pathlib import Path
from socket import socket
from typing import Any

from telegram import Bot, Update
from telegram.ext import ExtBot, Updater
from telegram.ext._utils.webhookhandler import WebhookServer
from tornado.http1connection import HTTP1Connection
from tornado.web import Application, HTTPError, RequestHandler, stream_request_body

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes (a message is at most 4096 characters, a photo comes as file ids).
MAX_BODY_BYTES = 1024 * 1024
LOGGED_REASON_CHARS = 200


@stream_request_body
class _UpdateHandler(RequestHandler):  # type: ignore[misc]
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, bot: Bot, update_queue: asyncio.Queue[object], secret: str) -> None:
        self.bot = bot
        self.update_queue = update_queue
        self.secret = secret.encode()
        self.chunks: list[bytes] = []
        self.size = 0

    def set_default_headers(self) -> None:
        self.clear_header("Server")
        self.set_header("Content-Type", "text/plain; charset=utf-8")

    def prepare(self) -> None:
        """Before any of the body is read: the secret, then the announced size."""
        given = self.request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.secret):
            log.debug("webhook: a post without the secret was refused (403)")
            self._refuse(HTTPStatus.FORBIDDEN)
            return
        length = self.request.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            self._too_large(int(length))
            return
        # A chunked post (no size announced) is answered 413 past the cap by data_received; Tornado's
        # own limit (100 MB by default, a 400 and the line closed) stops a single huge chunk.
        if isinstance(connection := self.request.connection, HTTP1Connection):
            connection.set_max_body_size(2 * MAX_BODY_BYTES)

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self.size += len(chunk)
        if self.size > MAX_BODY_BYTES:
            self.chunks.clear()
            self._too_large(self.size)
            return
        self.chunks.append(chunk)

    async def post(self) -> None:
        body = b"".join(self.chunks)
        self.chunks.clear()
        try:
            if self.request.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
                raise ValueError("its Content-Type is not application/json")
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("it is not a JSON object")
            update = Update.de_json(data, self.bot)
        except Exception as exc:
            reason = " ".join(str(exc).split())[:LOGGED_REASON_CHARS] or type(exc).__name__
            log.warning(
                "webhook: a post with the secret is not a Telegram update (%s bytes: %s): answered 400",
                len(body),
                reason,
            )
            self._refuse(HTTPStatus.BAD_REQUEST)
            return
        if isinstance(self.bot, ExtBot):
            self.bot.insert_callback_data(update)
        await self.update_queue.put(update)
        self.finish()

    def _too_large(self, size: int) -> None:
        log.warning(
            "webhook: a post of %s bytes was refused (413): updates are at most %s", size, MAX_BODY_BYTES
        )
        self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def _refuse(self, status: HTTPStatus) -> None:
        """Answer now; Tornado closes the connection without reading the rest of the body."""
        self.set_status(status)
        self.finish(f"{status.phrase}\n")

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        reason = " ".join(str(value).split())[:LOGGED_REASON_CHARS]
        if isinstance(value, HTTPError) and value.status_code < 500:  # a scan, a GET: not our fault
            log.info("webhook: a request was refused: %s", reason)
        else:
            log.error("webhook: a post failed: %s", reason)


class _WebhookApp(Application):  # type: ignore[misc]
    def __init__(self, path: str, bot: Bot, update_queue: asyncio.Queue[object], secret: str) -> None:
        shared = {"bot": bot, "update_queue": update_queue, "secret": secret}
        super().__init__([(rf"{path}/?", _UpdateHandler, shared)])

    def log_request(self, handler: RequestHandler) -> None:
        """No access log: the handler logs what was refused, and Telegram's posts are many."""


class WebhookUpdater(Updater):
    """PTB's Updater, with fabdesk's listener in place of PTB's (`Application.run_webhook` as usual)."""

    async def _start_webhook(  # type: ignore[override]
        self,
        listen: str,
        port: int,
        url_path: str,
        bootstrap_retries: int,
        allowed_updates: Any,
        cert: str | Path | None = None,
        key: str | Path | None = None,
        drop_pending_updates: bool | None = None,
        webhook_url: str | None = None,
        ready: asyncio.Event | None = None,
        ip_address: str | None = None,
        max_connections: int = 40,
        secret_token: str | None = None,
        unix: str | Path | socket | None = None,
    ) -> None:
        if not secret_token or cert or key or unix or not webhook_url:
            raise RuntimeError(
                "fabdesk's webhook needs a secret and a public URL, and no certificate or socket"
            )
        path = url_path if url_path.startswith("/") else f"/{url_path}"
        app = _WebhookApp(path, self.bot, self.update_queue, secret_token)
        self._httpd = WebhookServer(listen, port, app, None)  # type: ignore[arg-type]  # a tornado app, as PTB's
        await self._bootstrap(
            max_retries=bootstrap_retries,
            drop_pending_updates=drop_pending_updates,
            webhook_url=webhook_url,
            allowed_updates=allowed_updates,
            ip_address=ip_address,
            max_connections=max_connections,
            secret_token=secret_token,
        )
        await self._httpd.serve_forever(ready=ready)
