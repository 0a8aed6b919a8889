"""The fab managers' typed buttons (authorizations, machines today, statistics) keep today's wire
format: the data already on their phones (a training request's "Authorize Bob", a weekly summary's
"Statistics", an open /machines or /authorize screen) still reads as the same press."""

from __future__ import annotations

import inspect
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from telegram import InlineKeyboardMarkup

from bot.core import routes
from bot.core.i18n import Texts
from bot.core.routes import Button
from bot.features import keyboards
from bot.features.authorizations import keyboards as authorization_keyboards
from bot.features.authorizations import routes as authorizations
from bot.features.machines_today import keyboards as today_keyboards
from bot.features.machines_today import routes as machines_today
from bot.features.stats import keyboards as stats_keyboards
from bot.features.stats import routes as stats
from bot.features.training_requests import keyboards as request_keyboards
from models.machines import Machine, MachineKind
from models.members import Member

EXAMPLES: list[Button] = [
    authorizations.MachineList(page=0),
    authorizations.MachineList(page=2),
    authorizations.MachineChosen(machine=3, page=0),
    authorizations.MachineChosen(machine=3, page=1),
    authorizations.GrantPressed(machine=3, member=7),
    authorizations.SearchAsked(),
    authorizations.MemberChosen(member=7),
    authorizations.RevokeAsked(authorization=12),
    authorizations.RevokeConfirmed(authorization=12, reason=1),
    authorizations.RevokeConfirmed(authorization=12, reason=3),
    authorizations.RevokeReasonAsked(authorization=12),
    machines_today.MachinesToday(),
    machines_today.MachinesTodayPage(page=1),
    stats.PeriodChosen(days=0),
    stats.PeriodChosen(days=7),
    stats.PeriodChosen(days=90),
    stats.CsvAsked(days=30),
    stats.MembersAsked(days=30),
    stats.ActivityReportAsked(days=30),
    stats.ActivityCsvAsked(days=90),
    stats.ActivityCalendarAsked(period=stats.CalendarPeriod.THIS_MONTH, csv=False),
    stats.ActivityCalendarAsked(period=stats.CalendarPeriod.THIS_YEAR, csv=True),
]
MODULES = (authorizations, machines_today, stats)


def _declared(module: ModuleType) -> set[type[Button]]:
    return {
        cls
        for _name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Button) and cls is not Button and cls.__module__ == module.__name__
    }


def test_every_manager_button_has_an_example() -> None:
    assert set().union(*map(_declared, MODULES)) == {type(b) for b in EXAMPLES}


@pytest.mark.parametrize("press", EXAMPLES, ids=lambda b: b.data())
def test_a_manager_button_round_trips(press: Button) -> None:
    assert len(press.data().encode()) <= 64
    assert routes.parse(press.data()) == press


@pytest.mark.parametrize(
    ("data", "press"),
    [
        ("au:0", authorizations.MachineList(page=0)),
        ("au:1", authorizations.MachineList(page=1)),
        ("au:m:3:0", authorizations.MachineChosen(machine=3, page=0)),
        ("au:m:3:2", authorizations.MachineChosen(machine=3, page=2)),
        ("au:g:3:7", authorizations.GrantPressed(machine=3, member=7)),
        ("au:f", authorizations.SearchAsked()),
        ("au:u:7", authorizations.MemberChosen(member=7)),
        ("au:r:12", authorizations.RevokeAsked(authorization=12)),
        ("au:y:12:2", authorizations.RevokeConfirmed(authorization=12, reason=2)),
        ("au:o:12", authorizations.RevokeReasonAsked(authorization=12)),
        ("mg", machines_today.MachinesToday()),
        ("mg:p:1", machines_today.MachinesTodayPage(page=1)),
        ("ss:0", stats.PeriodChosen(days=0)),
        ("ss:7", stats.PeriodChosen(days=7)),
        ("ss:30", stats.PeriodChosen(days=30)),
        ("ss:90", stats.PeriodChosen(days=90)),
        ("ss:c:30", stats.CsvAsked(days=30)),
        ("ss:m:7", stats.MembersAsked(days=7)),
    ],
)
def test_todays_manager_data_reads_as_the_same_press(data: str, press: Button) -> None:
    assert routes.parse(data) == press
    assert press.data() == data


@pytest.mark.parametrize(
    "data",
    [
        "au",  # the machines' page is missing
        "au:f:1",
        "au:m:3000000000:0",  # an id no column holds
        "au:g:2:3000000000",
        "au:m:3:10000",  # a page no list reaches
        "au:y:12",  # a withdrawal without its reason
        "au:y:12:0",
        "au:y:12:4",  # a reason no button offers
        "mg:1",
        "mg:p:10000",
        "ss:91",  # longer than any period offered
        "ss:c:100",
        "ss:m:100",
        "ss:-7",
    ],
)
def test_forged_manager_data_parses_to_nothing(data: str) -> None:
    assert routes.parse(data) is None


TEXTS = Texts("en", ZoneInfo("Europe/Paris"))
LASER = Machine(id=3, name="Trotec Speedy", kind=MachineKind.LASER_CUTTER)
BOB = Member(id=7, first_name="Bob", last_name="Martin", username="bobm")


def _data(markup: InlineKeyboardMarkup) -> list[object]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


def test_the_authorization_keyboards_send_todays_data() -> None:
    assert _data(authorization_keyboards.authorize_machines(TEXTS, [LASER], 1, True)) == [
        "au:f",
        "au:m:3:0",
        "au:0",
        "au:2",
        "menu",
        "close",
    ]
    assert _data(authorization_keyboards.authorize_members(TEXTS, LASER, [BOB], 1, True)) == [
        "au:g:3:7",
        "au:m:3:0",
        "au:m:3:2",
        "au:f",
        "au:0",
        "close",
    ]
    assert _data(authorization_keyboards.found_members(TEXTS, [BOB])) == ["au:u:7", "au:f", "au:0", "close"]
    assert _data(authorization_keyboards.search_again(TEXTS)) == ["au:0", "close"]
    assert _data(authorization_keyboards.member_trainings(TEXTS, BOB, [(12, "CNC")], [LASER])) == [
        "au:r:12",
        "au:g:3:7",
        "in:m:7",
        "au:f",
        "au:0",
        "close",
    ]
    assert _data(authorization_keyboards.confirm_revoke(TEXTS, 12, 7)) == [
        "au:y:12:1",
        "au:y:12:2",
        "au:y:12:3",
        "au:o:12",
        "au:u:7",
    ]
    assert _data(authorization_keyboards.after_grant(TEXTS, 7)) == ["au:u:7", "menu"]
    # Sent with a training request (bot/features/authorizations/messages.py): propose a session,
    # decline, authorize; a request queued before it had an id keeps the one button.
    assert _data(request_keyboards.request_answers(TEXTS, 5, 3, 7, "Bob")) == ["rq:p:5", "rq:d:5", "au:g:3:7"]
    assert _data(request_keyboards.request_answers(TEXTS, 0, 3, 7, "Bob")) == ["au:g:3:7"]


def test_the_overview_and_statistics_keyboards_send_todays_data() -> None:
    assert _data(today_keyboards.pages_and_menu(TEXTS, 0, False)) == ["menu"]
    assert _data(today_keyboards.pages_and_menu(TEXTS, 1, True)) == ["mg:p:0", "mg:p:2", "menu"]
    assert _data(stats_keyboards.periods(TEXTS)) == ["ss:7", "ss:30", "ss:90", "menu"]
    assert _data(stats_keyboards.figures(TEXTS, 30)) == ["ss:c:30", "ss:m:30", "ss:r:30", "ss:0"]
    assert _data(stats_keyboards.activity_report(TEXTS, 30)) == [
        "ss:rc:30",
        "ss:rm:0:0",
        "ss:rm:1:0",
        "ss:rm:2:0",
        "ss:30",
        "menu",
    ]
    shown = stats_keyboards.activity_report(TEXTS, 30, stats.CalendarPeriod.LAST_MONTH)
    assert _data(shown) == ["ss:rm:1:1", "ss:rm:0:0", "ss:rm:2:0", "ss:30", "menu"]
    # The weekly summary's button (bot/features/stats/messages.py).
    assert _data(keyboards.single(TEXTS, "📊", "Statistics", stats.PeriodChosen(0))) == ["ss:0"]
