"""The buttons of the menu, my bookings and privacy: typed, with the data already on members' phones."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from telegram import InlineKeyboardMarkup

from bot.core import routes
from bot.core.i18n import Texts
from bot.core.routes import Button
from bot.features.menu import keyboards as menu_keyboards
from bot.features.menu import routes as menu
from bot.features.my_bookings import keyboards as my_keyboards
from bot.features.my_bookings import routes as my
from bot.features.privacy import keyboards as privacy_keyboards
from bot.features.privacy import routes as privacy
from models.bookings import Booking
from models.machines import Machine
from models.members import Member, Role

TEXTS = Texts("en", ZoneInfo("Europe/Paris"))

# What each of today's data strings means (the actions of bot/callbacks.py before the move).
TODAYS_DATA: list[tuple[str, Button]] = [
    ("menu", menu.MainMenu()),
    ("close", menu.Closed()),
    ("help", menu.Help()),
    ("hours", menu.OpeningHours()),
    ("lang", menu.LanguageList()),
    ("lang:fr", menu.FrenchChosen()),
    ("lang:en", menu.EnglishChosen()),
    ("lang:auto", menu.TelegramLanguageChosen()),
    ("my", my.BookingList()),
    ("my:p:0", my.BookingPage(page=0)),
    ("my:p:3", my.BookingPage(page=3)),
    ("my:ics", my.CalendarFile()),
    ("my:cal", my.CalendarLink()),
    ("my:cn", my.CalendarLinkRenewed()),
    ("my:cx", my.CalendarLinkTurnedOff()),
    ("my:c:1234", my.CancelAsked(booking=1234)),
    ("my:y:7", my.CancelConfirmed(booking=7)),
    ("pv", privacy.PrivacyNotice()),
    ("pv:x", privacy.ExportAsked()),
    ("pv:f", privacy.ErasureAsked()),
    ("pv:y", privacy.ErasureConfirmed()),
]


@pytest.mark.parametrize(("data", "press"), TODAYS_DATA, ids=[d for d, _ in TODAYS_DATA])
def test_todays_data_parses_to_its_button_and_back(data: str, press: Button) -> None:
    assert routes.parse(data) == press
    assert press.data() == data
    assert routes.parse(press.data()) == press


def test_realistic_values_round_trip() -> None:
    for press in (
        my.BookingPage(page=9999),
        my.CancelAsked(booking=2**31 - 1),
        my.CancelConfirmed(booking=1),
    ):
        assert routes.parse(press.data()) == press


def test_each_language_button_sets_its_language() -> None:
    assert [routes.parse(d) for d in ("lang:fr", "lang:en", "lang:auto")] == [
        menu.FrenchChosen(),
        menu.EnglishChosen(),
        menu.TelegramLanguageChosen(),
    ]
    assert [
        b.language for b in (menu.FrenchChosen(), menu.EnglishChosen(), menu.TelegramLanguageChosen())
    ] == [
        "fr",
        "en",
        None,
    ]


@pytest.mark.parametrize(
    "data",
    [
        "menu:1",
        "my:p",
        "my:p:-1",
        "my:p:10000",
        "my:c",
        "my:c:x",
        "my:y:1:2",
        "my:c:2147483648",
        "pv:y:1",
        "lang:de",
    ],
)
def test_forged_presses_parse_to_none(data: str) -> None:
    assert routes.parse(data) is None


def _data(markup: InlineKeyboardMarkup) -> list[list[str | None]]:
    return [
        [str(b.callback_data) if b.callback_data is not None else None for b in row]
        for row in markup.inline_keyboard
    ]


def test_the_main_menu_sends_todays_data() -> None:
    member = Member(first_name="Alice", role=Role.MEMBER)
    assert _data(menu_keyboards.main_menu(TEXTS, member)) == [
        ["bk"],
        ["my", "rp"],
        ["pj:0", "hours"],
        ["ses:0"],
        ["help", "lang"],
    ]
    manager = Member(first_name="Morgane", role=Role.MANAGER)
    assert _data(menu_keyboards.main_menu(TEXTS, manager))[4:7] == [["q:0"], ["st:0", "up:0"], ["mg", "au:0"]]
    assert _data(menu_keyboards.languages(TEXTS)) == [["lang:fr", "lang:en"], ["lang:auto"], ["menu"]]


def test_my_bookings_keyboards_send_todays_data() -> None:
    booking = Booking(
        id=42, machine=Machine(name="Prusa MK4"), start_at=datetime(2030, 3, 5, 9, 0, tzinfo=UTC)
    )
    assert _data(my_keyboards.my_bookings(TEXTS, [booking], page=1, has_next=True, feeds=True)) == [
        ["my:e:42"],
        ["my:c:42"],
        ["my:p:0", "my:p:2"],
        ["my:ics"],
        ["my:cal"],
        ["bk", "mt"],
        ["menu"],
    ]
    assert _data(my_keyboards.confirm_cancel(TEXTS, booking)) == [["my:y:42"], ["my"]]
    assert _data(my_keyboards.calendar_link(TEXTS, linked=False)) == [["my:cn"], ["my", "close"]]
    assert _data(my_keyboards.calendar_link(TEXTS, linked=True)) == [["my:cn"], ["my:cx"], ["my", "close"]]


def test_privacy_keyboards_send_todays_data() -> None:
    assert _data(privacy_keyboards.notice(TEXTS, False)) == [["pv:x", "pv:f"], ["pv:h"], ["menu"]]
    assert _data(privacy_keyboards.notice(TEXTS, True)) == [["pv:x", "pv:f"], ["pv:n"], ["menu"]]
    assert _data(privacy_keyboards.confirm_erasure(TEXTS)) == [["pv:y"], ["menu"]]
