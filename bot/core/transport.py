"""How the bot talks HTTP to the Bot API: python-telegram-bot's `BaseRequest` on aiohttp.

PTB's own transport (httpx) costs about 0.75 ms of CPU per API call on this project's machines, three
times the same call over aiohttp (issue 18, benchmarks/RESULTS.md). This keeps what PTB's `HTTPXRequest`
gives, with its semantics:

- a pool of `connection_pool_size` connections; waiting longer than `pool_timeout` for a free one raises
  `TimedOut` and the request is not sent;
- timeouts per request: `DEFAULT_NONE` takes the value given at construction, `None` waits forever, a
  number is seconds; uploads take `media_write_timeout` as their write timeout, like PTB's;
- timeouts raise `telegram.error.TimedOut`, any other transport failure `telegram.error.NetworkError`;
  the HTTP status and body go back to PTB, which maps 400/403/429… to its errors;
- proxies from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, read once per host, as httpx
  reads them once per client: aiohttp's `trust_env` looks them up, and `.netrc`, in a thread on every
  call, two thread hops per API call), or one given explicitly;
- form-encoded parameters, multipart when files are sent (`RequestData.multipart_data`).

aiohttp has no write timeout of its own: the sending of the request is given a deadline, pushed back after
each chunk written by the write timeout (or the read timeout when that is longer, so that a slow answer is
never cut by the write timeout: both raise `TimedOut`), and lifted once the answer's headers arrive; the
answer itself is read under aiohttp's `sock_read`, which is httpx's read timeout (the longest wait for data).
Nothing here logs a URL: the token is in every one.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from types import SimpleNamespace
from typing import Any, Literal
from urllib.parse import urlencode

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData
from yarl import URL

POOL_TIMEOUT_MESSAGE = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent to "
    "Telegram. Consider adjusting the connection pool size or the pool timeout."
)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class _Sending(SimpleNamespace):
    """What the trace hooks of one request need: its deadline while it is being sent."""

    deadline: asyncio.Timeout
    step: float | None
    answered: bool = False  # the body may still be written after the answer came (a 413, say)


async def _push_deadline(_session: aiohttp.ClientSession, context: SimpleNamespace, _params: object) -> None:
    sending = context.trace_request_ctx
    if isinstance(sending, _Sending) and not sending.answered:
        loop = asyncio.get_running_loop()
        sending.deadline.reschedule(None if sending.step is None else loop.time() + sending.step)


def _later(first: float | None, second: float | None) -> float | None:
    return None if first is None or second is None else max(first, second)


class AiohttpRequest(BaseRequest):
    """PTB's `BaseRequest` on aiohttp: `Application.builder().request(AiohttpRequest(...))`."""

    __slots__ = (
        "_connect_timeout",
        "_env_proxies",
        "_media_write_timeout",
        "_pool",
        "_pool_size",
        "_pool_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        # Per (scheme, host): the environment's proxy (None: none, or NO_PROXY names the host).
        self._env_proxies: dict[tuple[str, str], URL | None] = {}
        # Built in initialize(): an aiohttp session belongs to the running event loop.
        self._session: aiohttp.ClientSession | None = None
        self._pool = asyncio.Semaphore(connection_pool_size)

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout, as PTB's `HTTPXRequest.read_timeout` (PTB adds it to long polls)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool (again, after a shutdown)."""
        if self._session is not None and not self._session.closed:
            return
        self._env_proxies.clear()  # read the environment again, as a new httpx client would
        trace = aiohttp.TraceConfig()
        trace.on_connection_create_end.append(_push_deadline)
        trace.on_connection_reuseconn.append(_push_deadline)
        trace.on_request_chunk_sent.append(_push_deadline)
        self._session = aiohttp.ClientSession(
            # One connection per pool slot; the semaphore in do_request is what waits (pool_timeout).
            connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
            headers={"User-Agent": self.USER_AGENT},
            trust_env=False,  # the environment's proxies are looked up once per host (_proxy_for)
            trace_configs=[trace],
            # Cookies are never part of the Bot API; skipping the jar saves work on every call.
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def shutdown(self) -> None:
        """Close the connection pool."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request to the Bot API and return its status code and body."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        write: float | None
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        body, headers = _body(request_data)
        try:
            async with asyncio.timeout(pool):
                await self._pool.acquire()
        except TimeoutError as exc:
            raise TimedOut(message=POOL_TIMEOUT_MESSAGE) from exc
        try:
            # Until a connection is there, only the connect timeout runs (aiohttp's sock_connect).
            async with asyncio.timeout(None) as deadline:
                sending = _Sending(deadline=deadline, step=_later(write, read))
                try:
                    proxy = await self._proxy_for(url)
                    response = await session.request(
                        method,
                        url,
                        data=body,
                        headers=headers,
                        proxy=proxy,
                        timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read),
                        trace_request_ctx=sending,
                    )
                finally:
                    sending.answered = True
            async with response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's own timeouts are TimeoutErrors too
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # The class name says what failed when the message is empty; aiohttp's messages name the
            # host and port, never the path (where the token is).
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {_reason(exc)}") from exc
        finally:
            self._pool.release()

    async def _proxy_for(self, url: str) -> URL | str | None:
        """The proxy for this URL: the one given, else the environment's (HTTP(S)_PROXY unless NO_PROXY
        names the host), looked up once per scheme and host (it reads files: in a thread, once)."""
        if self._proxy is not None:
            return self._proxy
        scheme, _, rest = url.partition("://")
        key = (scheme, rest.split("/", 1)[0])
        if key not in self._env_proxies:
            self._env_proxies[key] = await asyncio.to_thread(_env_proxy, URL(url))
        return self._env_proxies[key]


def _env_proxy(url: URL) -> URL | None:
    with suppress(LookupError):
        proxy, auth = get_env_proxy_for_url(url)
        # Credentials go back into the URL: aiohttp turns a proxy URL's user and password into the
        # Proxy-Authorization header (its `proxy_auth` argument is deprecated).
        return proxy if auth is None else proxy.with_user(auth.login).with_password(auth.password)
    return None


def build_request(transport: Literal["aiohttp", "httpx"], **options: Any) -> BaseRequest:
    """A transport by name (FABDESK_TRANSPORT), with HTTPXRequest's options and defaults."""
    if transport == "httpx":
        return HTTPXRequest(**options)
    return AiohttpRequest(**options)


def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
    """The request's body: form-encoded parameters, or multipart when files are sent."""
    if request_data is None:
        return None, None
    parameters = request_data.json_parameters
    if not request_data.multipart_data:
        return (urlencode(parameters).encode() if parameters else None), FORM if parameters else None
    form = aiohttp.FormData(quote_fields=False)
    for name, value in parameters.items():
        form.add_field(name, value)
    for name, part in request_data.multipart_data.items():
        filename, content, *mime = part
        form.add_field(name, content, filename=filename, content_type=mime[0] if mime else None)
    return form, None


def _reason(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ClientResponseError):  # its str() holds the request's URL
        return f"{exc.status} {exc.message}"
    return str(exc)
