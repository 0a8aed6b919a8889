"""The Mini App trusts only Telegram's signed launch data, recent, for this bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.auth import BadLaunchData, check_launch_data, sign_launch_data
from models import instructors
from models.machines import Machine
from models.members import Member
from tests.factories import make_member
from tests.fakebot import FakeBotApi
from tests.harness import ALICE, MANAGER, Clock, running_bot
from tests.harness import test_settings as bot_settings
from tests.miniapp import api, free_port, launch_data

TOKEN = "123456:ABC-test-token"
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
USER = {"id": 4242, "first_name": "Élodie", "username": "elo", "language_code": "fr"}


def _edit(data: str, **changes: str) -> str:
    fields = dict(parse_qsl(data))
    fields.update(changes)
    return urlencode(fields)


def test_genuine_launch_data_names_its_user() -> None:
    user = check_launch_data(sign_launch_data(TOKEN, USER, NOW - timedelta(minutes=5)), TOKEN, NOW, HOUR)
    assert (user.id, user.first_name, user.username, user.language_code) == (4242, "Élodie", "elo", "fr")


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda d: "", id="missing"),
        pytest.param(lambda d: "hash=&auth_date=1", id="empty hash"),
        pytest.param(lambda d: _edit(d, user='{"id":1,"first_name":"Eve"}'), id="another user"),
        pytest.param(lambda d: _edit(d, auth_date=str(int(NOW.timestamp()))), id="fresher date"),
        pytest.param(lambda d: _edit(d, hash="0" * 64), id="zero hash"),
        pytest.param(lambda d: d + "&user=x", id="field twice"),
        pytest.param(lambda d: "%%%", id="not a query"),
        pytest.param(lambda d: d + "&" + "x" * 5000, id="oversized"),
    ],
)
def test_forged_launch_data_is_refused(forge: object) -> None:
    data = sign_launch_data(TOKEN, USER, NOW - timedelta(minutes=5))
    with pytest.raises(BadLaunchData):
        check_launch_data(forge(data), TOKEN, NOW, HOUR)  # type: ignore[operator]


def test_data_signed_for_another_bot_stale_or_from_the_future_is_refused() -> None:
    with pytest.raises(BadLaunchData):
        check_launch_data(sign_launch_data("999:other", USER, NOW), TOKEN, NOW, HOUR)
    with pytest.raises(BadLaunchData):
        check_launch_data(sign_launch_data(TOKEN, USER, NOW - HOUR - timedelta(seconds=1)), TOKEN, NOW, HOUR)
    with pytest.raises(BadLaunchData):
        check_launch_data(sign_launch_data(TOKEN, USER, NOW + timedelta(minutes=5)), TOKEN, NOW, HOUR)
    for user in ({"first_name": "no id"}, {"id": True}, {"id": "4242"}):
        with pytest.raises(BadLaunchData):
            check_launch_data(sign_launch_data(TOKEN, user, NOW), TOKEN, NOW, HOUR)


async def test_the_api_answers_only_signed_recent_calls(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    port = free_port()
    settings = bot_settings(fake, database_url, http_port=port, public_url="https://lab.example.org/fabdesk")
    clock = Clock()
    assert settings.app_url == "https://lab.example.org/fabdesk/app/"
    async with running_bot(settings, clock):
        fresh = launch_data(fake, ALICE, clock())
        status, me = await api(port, "me", fresh)
        assert status == 200 and me["name"].startswith(ALICE.first_name) and me["manager"] is False
        assert me["instructor_roles"] == []
        async with sessions.begin() as session:  # Alice becomes an instructor for the laser
            alice = await session.scalar(select(Member).where(Member.telegram_id == ALICE.id))
            laser = await session.scalar(select(Machine).where(Machine.name == "Trotec Speedy"))
            assert alice is not None and laser is not None
            manager = await make_member(session, "Karim", manager=True)
            await instructors.toggle_role(session, manager, alice.id, machine_id=laser.id, now=clock())
        status, me = await api(port, "me", launch_data(fake, ALICE, clock()))
        roles = [(r["machine"], r["machine_kind"]) for r in me["instructor_roles"]]
        assert roles == [("Trotec Speedy", None)]
        status, me = await api(port, "me", launch_data(fake, MANAGER, clock()))
        assert status == 200 and me["manager"] is True
        async with sessions() as session:
            before = await session.scalar(select(func.count()).select_from(Member))
        for refused in (None, "", _edit(fresh, user='{"id":1,"first_name":"Eve"}'), "garbage"):
            assert (await api(port, "me", refused))[0] == 401
        stale = launch_data(fake, ALICE, clock() - timedelta(minutes=61))
        assert (await api(port, "me", stale))[0] == 401
        # A forged call creates no member.
        eve = sign_launch_data("1:other-bot", {"id": 777, "first_name": "Eve"}, clock())
        assert (await api(port, "me", eve))[0] == 401
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Member)) == before
        assert (await api(port, "nowhere", fresh))[0] == 404


async def test_without_an_https_public_address_the_app_is_off(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    port = free_port()
    settings = bot_settings(fake, database_url, http_port=port, public_url=f"http://127.0.0.1:{port}")
    clock = Clock()
    assert settings.app_url is None
    async with running_bot(settings, clock):
        assert (await api(port, "me", launch_data(fake, ALICE, clock())))[0] == 404


async def test_a_stranger_learns_nothing_from_the_body_and_odd_numbers_are_refused_kindly(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    """The launch data is checked before the body is read; a number written oddly is a 400."""
    from bot.web.api import ApiError, Call

    port = free_port()
    settings = bot_settings(fake, database_url, http_port=port, public_url="https://lab.example.org/fabdesk")
    async with running_bot(settings, Clock()):
        status, _ = await api(port, "me", None, body={"x": "y" * 20_000})
        assert status == 401
    call = Call(None, None, None, None, None, query={"n": "²"})  # type: ignore[arg-type]
    for odd in ("²", "--5", "1e3", " 4", "9" * 30):
        call.query["n"] = odd
        with pytest.raises(ApiError):
            call.integer("n", 0, 10)
    call.query["n"] = "-3"
    assert call.integer("n", -5, 5) == -3


def test_the_main_menu_opens_the_planning_only_when_the_app_is_on() -> None:
    from bot.core.i18n import Texts
    from bot.features.menu.keyboards import main_menu
    from models.members import Member

    texts = Texts("fr", UTC)  # type: ignore[arg-type]
    member = Member(id=1, telegram_id=1, first_name="A")
    without = [b for row in main_menu(texts, member).inline_keyboard for b in row]
    assert all(b.web_app is None for b in without)
    url = "https://lab.example.org/fabdesk/app/"
    opened = [
        b.web_app.url for row in main_menu(texts, member, url).inline_keyboard for b in row if b.web_app
    ]
    assert opened == [url]


async def test_the_chats_menu_button_opens_the_app_only_when_it_is_on(
    fake: FakeBotApi, database_url: str
) -> None:
    """setChatMenuButton at start-up: the Planning web app with an https address, the commands without."""
    import json

    for public_url, expected in (
        ("https://lab.example.org/fabdesk", "web_app"),
        ("http://127.0.0.1:1", "commands"),
    ):
        mark = fake.mark()
        settings = bot_settings(fake, database_url, http_port=free_port(), public_url=public_url)
        async with running_bot(settings, Clock()):
            call = await fake.wait_for_call("setChatMenuButton", None, after=mark)
        button = call.params["menu_button"]
        button = json.loads(button) if isinstance(button, str) else button
        assert button["type"] == expected, button
        if expected == "web_app":
            assert button["web_app"] == {"url": "https://lab.example.org/fabdesk/app/"}
            assert button["text"] == "Planning"


async def test_the_pages_scripts_are_checked_again_after_an_upgrade(
    fake: FakeBotApi, database_url: str
) -> None:
    """Telegram's web view kept a week-old app.js talking to the upgraded API: without a Cache-Control,
    a browser may reuse a file for a tenth of its age. Every asset is revalidated (an ETag: a 304)."""
    import aiohttp

    port = free_port()
    settings = bot_settings(fake, database_url, http_port=port, public_url="https://lab.example.org/fabdesk")
    async with running_bot(settings, Clock()), aiohttp.ClientSession() as client:
        for asset in ("app.js", "manage.js", "app.css"):
            async with client.get(f"http://127.0.0.1:{port}/app/static/{asset}") as response:
                assert response.status == 200
                assert response.headers.get("Cache-Control") == "no-cache", asset
                etag = response.headers["Etag"]
            async with client.get(
                f"http://127.0.0.1:{port}/app/static/{asset}", headers={"If-None-Match": etag}
            ) as response:
                assert response.status == 304
