"""A reverse proxy in front of webhook replicas, as nginx's `upstream` with its defaults (README,
"Several processes on one database"): for the replica tests and benchmarks/replicas.py."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

PATH = "/telegram/hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RoundRobin:
    """What nginx's `upstream` does with its defaults: each request to the next replica in turn, and
    on to the next one when a replica does not answer (`proxy_next_upstream error`)."""

    def __init__(self, upstreams: list[int]) -> None:
        self.upstreams = upstreams
        self.turn = 0
        self.served: Counter[int] = Counter()  # updates answered, per replica port

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")
        }
        for _ in range(len(self.upstreams)):
            port = self.upstreams[self.turn % len(self.upstreams)]
            self.turn += 1
            try:
                async with (
                    aiohttp.ClientSession() as client,
                    client.post(
                        f"http://127.0.0.1:{port}{request.path}", data=body, headers=headers
                    ) as answer,
                ):
                    self.served[port] += 1
                    return web.Response(status=answer.status, body=await answer.read())
            except aiohttp.ClientConnectionError:
                continue  # that replica is down: the next one
        return web.Response(status=502)

    @asynccontextmanager
    async def serving(self, port: int) -> AsyncIterator[None]:
        app = web.Application()
        app.router.add_post(PATH, self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        try:
            yield
        finally:
            await runner.cleanup()
