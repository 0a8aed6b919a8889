"""The HTTP transport to the Bot API (bot/core/transport.py) keeps PTB's httpx transport's behaviour.

Each behaviour is checked on both transports (FABDESK_TRANSPORT=aiohttp, the default, and httpx,
python-telegram-bot's own), against a small local server that plays the Bot API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest

from bot.core.transport import build_request

TOKEN = "123456:SECRET-token-never-logged"
TRANSPORTS = ["aiohttp", "httpx"]
FILE = bytes(range(256)) * 40  # a file as the Bot API's file URL serves it
ME = {"id": 1, "is_bot": True, "first_name": "Fab", "username": "fab_bot"}
MESSAGE = {"message_id": 5, "date": 1_700_000_000, "chat": {"id": 42, "type": "private"}}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakeApi:
    """A Bot API answering getMe with the bot (Bot.initialize asks for it) and every other method with
    `answer` after `delay`, recording what it received."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # of every request, getMe too
    in_flight: int = 0
    most_in_flight: int = 0
    delay: float = 0.0
    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"ok": True, "result": ME})

    proxy_auth: list[str | None] = field(default_factory=list)  # Proxy-Authorization of each request

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.paths.append(request.path)
        self.proxy_auth.append(request.headers.get("Proxy-Authorization"))
        if request.path.endswith("/getMe") and not self.delay:
            return web.json_response({"ok": True, "result": ME})
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            seen: dict[str, Any] = {"path": request.path, "type": request.content_type}
            if request.content_type == "multipart/form-data":
                async for part in await request.multipart():
                    data = await part.read()  # type: ignore[union-attr]
                    seen[part.name or ""] = (part.filename, data)  # type: ignore[union-attr]
            else:
                seen.update(await request.post())
            self.received.append(seen)
            await asyncio.sleep(self.delay)
            return web.json_response(self.answer, status=self.status)
        finally:
            self.in_flight -= 1


@pytest.fixture
async def api() -> AsyncIterator[FakeApi]:
    fake = FakeApi()
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", fake.handle)
    app.router.add_route("GET", "/file/{tail:.*}", _file)
    runner = web.AppRunner(app, access_log=None)  # the server's log is not the bot's
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}/bot"
    yield fake
    await runner.cleanup()


async def _file(_request: web.Request) -> web.Response:
    return web.Response(body=FILE)


def make_bot(api: FakeApi, transport: str, **options: Any) -> Bot:
    request: BaseRequest = build_request(transport, **options)  # type: ignore[arg-type]
    return Bot(TOKEN, base_url=api.url, request=request, get_updates_request=build_request("httpx"))


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_call_goes_form_encoded_and_its_answer_comes_back(api: FakeApi, transport: str) -> None:
    api.answer = {"ok": True, "result": MESSAGE | {"text": "Réservé ✓"}}
    async with make_bot(api, transport) as bot:
        message = await bot.send_message(42, "Réservé ✓ & = ?", reply_markup=None)
    assert message.text == "Réservé ✓"
    sent = api.received[-1]
    assert sent["path"] == f"/bot{TOKEN}/sendMessage"
    assert sent["type"] == "application/x-www-form-urlencoded"
    assert (sent["chat_id"], sent["text"]) == ("42", "Réservé ✓ & = ?")


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("status", "parameters", "error"),
    [(400, None, BadRequest), (403, None, Forbidden), (429, {"retry_after": 3}, RetryAfter)],
)
async def test_status_codes_reach_ptb_error_mapping(
    api: FakeApi, transport: str, status: int, parameters: dict[str, int] | None, error: type[Exception]
) -> None:
    api.status = status
    api.answer = {"ok": False, "error_code": status, "description": "Refused"}
    if parameters:
        api.answer["parameters"] = parameters
    async with make_bot(api, transport) as bot:
        with pytest.raises(error) as raised:
            await bot.send_message(42, "hello")
    if isinstance(raised.value, RetryAfter):
        assert raised.value.retry_after == 3  # type: ignore[comparison-overlap]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_slow_answer_times_out_and_none_waits(api: FakeApi, transport: str) -> None:
    async with make_bot(api, transport, read_timeout=0.1) as bot:
        api.delay = 0.5
        with pytest.raises(TimedOut):
            await bot.get_me()  # DEFAULT_NONE: the transport's default, 0.1 s
        with pytest.raises(TimedOut):
            await bot.get_me(read_timeout=0.2)  # a number: that many seconds
        assert (await bot.get_me(read_timeout=None)).username == "fab_bot"  # None: no limit


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_refused_connection_is_a_network_error_not_a_timeout(transport: str) -> None:
    request = build_request(transport)  # type: ignore[arg-type]
    async with request:
        with pytest.raises(NetworkError) as raised:  # the discard port: nothing listens there
            await request.post(f"http://127.0.0.1:9/bot{TOKEN}/getMe")
    assert not isinstance(raised.value, TimedOut)
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_pool_limit_holds_and_a_full_pool_times_out_unsent(api: FakeApi, transport: str) -> None:
    api.answer = {"ok": True, "result": True}
    async with make_bot(api, transport, connection_pool_size=2, pool_timeout=None) as bot:
        api.delay = 0.2
        await asyncio.gather(*(bot.delete_message(42, 5) for _ in range(6)))
    assert (api.most_in_flight, len(api.received)) == (2, 6)

    api.received.clear()
    api.delay = 0
    async with make_bot(api, transport, connection_pool_size=1, pool_timeout=0.05) as bot:
        api.delay = 0.2
        results = await asyncio.gather(
            bot.delete_message(42, 5), bot.delete_message(42, 6), return_exceptions=True
        )
    refused = [result for result in results if isinstance(result, TimedOut)]
    assert len(refused) == 1 and "Pool timeout" in refused[0].message
    assert len(api.received) == 1  # the refused one was never sent


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_document_and_a_photo_arrive_intact(api: FakeApi, transport: str) -> None:
    content = bytes(range(256)) * 400  # 100 kB of every byte value
    api.answer = {"ok": True, "result": MESSAGE}
    async with make_bot(api, transport) as bot:
        await bot.send_document(42, InputFile(content, filename="plan de coupe.svg"), caption="Découpe")
        await bot.send_photo(42, InputFile(content[::-1], filename="panne.jpg"))
    document, photo = api.received
    assert document["type"] == photo["type"] == "multipart/form-data"
    assert document["caption"] == (None, "Découpe".encode())
    assert document["document"] == ("plan de coupe.svg", content)
    assert photo["photo"] == ("panne.jpg", content[::-1])


async def test_the_proxy_of_the_environment_is_used_and_no_proxy_honoured(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain HTTP proxy gets the request with its absolute URL; NO_PROXY hosts are reached directly."""
    for transport in TRANSPORTS:
        monkeypatch.setenv("HTTP_PROXY", api.url.removesuffix("/bot"))
        monkeypatch.setenv("http_proxy", api.url.removesuffix("/bot"))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
        api.paths.clear()
        # Through the proxy: telegram.invalid cannot resolve, so only the proxy can answer.
        async with make_bot(FakeApi(url="http://telegram.invalid/bot"), transport) as bot:
            assert (await bot.get_me()).username == "fab_bot"
        assert api.paths == [f"/bot{TOKEN}/getMe"] * 2  # Bot.initialize's, then ours
        # NO_PROXY=127.0.0.1: a dead proxy is not even tried.
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
        async with make_bot(api, transport) as bot:
            assert (await bot.get_me()).username == "fab_bot"


async def test_a_proxy_s_credentials_in_the_environment_are_sent_to_it(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", api.url.removesuffix("/bot").replace("://", "://fab:s3same@"))
    monkeypatch.setenv("http_proxy", api.url.removesuffix("/bot").replace("://", "://fab:s3same@"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with make_bot(FakeApi(url="http://telegram.invalid/bot"), "aiohttp") as bot:
        await bot.get_me()
    assert api.proxy_auth == [aiohttp.encode_basic_auth("fab", "s3same")] * 2


async def test_an_api_call_takes_no_trip_through_a_thread(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp's `trust_env` looks up .netrc and the proxies in a thread on every call (two thread hops
    per API call, the CPU of a whole statement): the environment is read once per host instead."""
    loop = asyncio.get_running_loop()
    hops: list[object] = []
    run_in_executor = loop.run_in_executor

    def counted(executor: Any, func: Any, *args: Any) -> Any:
        hops.append(func)
        return run_in_executor(executor, func, *args)

    monkeypatch.setattr(loop, "run_in_executor", counted)
    api.answer = {"ok": True, "result": MESSAGE}
    async with make_bot(api, "aiohttp") as bot:
        for n in range(5):
            await bot.send_message(42, f"n° {n}")
    assert len(api.received) == 5
    assert len(hops) == 1  # the environment's proxy for 127.0.0.1, looked up once


async def test_no_log_line_holds_the_token_at_debug(api: FakeApi, caplog: pytest.LogCaptureFixture) -> None:
    """Raw records of aiohttp's loggers and ours, before the app's filter (bot/core/logging_setup.py).
    PTB's own (its "Set Bot API URL" line holds the token) and httpx's (every URL, at INFO) are the
    filter's work: tests/test_private_logs.py runs the whole bot at DEBUG through it."""
    caplog.set_level(logging.DEBUG)
    api.answer = {"ok": True, "result": MESSAGE}
    async with make_bot(api, "aiohttp") as bot:
        await bot.get_me()
        await bot.send_document(42, InputFile(b"x", filename="a.txt"))
        api.status, api.answer = 400, {"ok": False, "error_code": 400, "description": "Bad"}
        with pytest.raises(BadRequest):
            await bot.send_message(42, "x")
    async with build_request("aiohttp") as request:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:9/bot{TOKEN}/getMe")
    assert any(record.name.startswith("telegram") for record in caplog.records), "DEBUG is not on"
    for record in caplog.records:
        if record.name.startswith("telegram"):
            continue
        text = record.getMessage() + (caplog.handler.format(record) if record.exc_info else "")
        assert TOKEN.split(":")[1] not in text, record.name


async def test_a_request_before_initialize_or_after_shutdown_is_refused() -> None:
    request = build_request("aiohttp")
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post("http://127.0.0.1:9/botx/getMe")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post("http://127.0.0.1:9/botx/getMe")
    await request.initialize()  # again after a shutdown, as PTB's does
    await request.shutdown()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_upload_the_server_stops_reading_times_out(transport: str) -> None:
    """A write that cannot go on (the peer reads nothing) raises TimedOut, not a hang."""
    stalled: list[asyncio.StreamWriter] = []

    async def never_read(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stalled.append(writer)

    server = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = build_request(transport, read_timeout=0.3, media_write_timeout=0.2)  # type: ignore[arg-type]
    big = InputFile(b"\0" * 64_000_000, filename="scan.stl")
    async with request, server:
        with pytest.raises(TimedOut):
            await asyncio.wait_for(
                request.post(
                    f"http://127.0.0.1:{port}/bot{TOKEN}/sendDocument",
                    request_data=_upload(big),
                ),
                timeout=10,
            )
        for writer in stalled:
            writer.close()


def _upload(document: InputFile) -> Any:
    from telegram.request import RequestData
    from telegram.request._requestparameter import RequestParameter

    return RequestData([RequestParameter("document", "attach://x", input_files=[document])])


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_file_is_downloaded_intact(api: FakeApi, transport: str) -> None:
    """File downloads (a local Bot API server's base_file_url too) are GETs through the same transport."""
    async with build_request(transport) as request:  # type: ignore[arg-type]
        assert await request.retrieve(api.url.replace("/bot", f"/file/bot{TOKEN}/photos/a.jpg")) == FILE
