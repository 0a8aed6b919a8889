"""Helpers for the Mini App's tests: launch data signed as Telegram would, and API calls."""

from __future__ import annotations

import json
import socket
from datetime import datetime
from typing import Any

import aiohttp

from bot.web.auth import sign_launch_data
from tests.fakebot import FakeBotApi, FakeUser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def launch_data(fake: FakeBotApi, user: FakeUser, signed_at: datetime, **extra: str) -> str:
    """What Telegram.WebApp.initData holds when `user` opens the app, signed for the fake's bot."""
    profile: dict[str, object] = {"id": user.id, "first_name": user.first_name}
    if user.username:
        profile["username"] = user.username
    if user.language_code:
        profile["language_code"] = user.language_code
    return sign_launch_data(fake.token, profile, signed_at, **extra)


async def api(
    port: int, path: str, init_data: str | None, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    """Call /app/api/<path> (POST when there is a body): the status and the decoded JSON."""
    headers = {} if init_data is None else {"Authorization": f"tma {init_data}"}
    url = f"http://127.0.0.1:{port}/app/api/{path}"
    async with aiohttp.ClientSession() as client:
        if body is None:
            request = client.get(url, headers=headers)
        else:
            request = client.post(url, headers=headers, data=json.dumps(body))
        async with request as response:
            content = await response.read()
            if response.content_type != "application/json":
                return response.status, content.decode()
            return response.status, json.loads(content)
