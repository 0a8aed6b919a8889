"""Maintenance's typed buttons keep today's wire format: the data already on members' and managers'
phones (a report's severities, a manager's alert with Take it / Resolve, a downtime being planned)
still reads the same."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from telegram import InlineKeyboardMarkup

from bot.core import routes
from bot.core.i18n import Texts
from bot.core.routes import Button
from bot.features import keyboards
from bot.features.maintenance import keyboards as maintenance_keyboards
from bot.features.maintenance import routes as maintenance
from models.machines import MachineKind
from models.maintenance import Severity

START = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
MINUTES = 29_940_120  # START as minutes since 1970, as the downtime buttons carry it

EXAMPLES: list[Button] = [
    maintenance.ReportProblem(),
    maintenance.ReportMachineChosen(machine=3),
    maintenance.SeverityChosen(severity=Severity.UNUSABLE),
    maintenance.SeverityChosen(severity=Severity.DEGRADED),
    maintenance.SeverityChosen(severity=Severity.MINOR),
    maintenance.ReportDropped(),
    maintenance.QueuePage(page=0),
    maintenance.QueuePage(page=4),
    maintenance.TicketChosen(ticket=12),
    maintenance.TicketTaken(ticket=12),
    maintenance.ResolveAsked(ticket=12),
    maintenance.EscalateAsked(ticket=12),
    maintenance.RejectAsked(ticket=12),
    maintenance.TicketPhotos(ticket=12),
    maintenance.MachineShown(machine=3),
    maintenance.ScheduleFile(machine=3),
    maintenance.DowntimeAsked(machine=3),
    maintenance.DowntimeDayChosen(machine=3, day=date(2026, 12, 4)),
    maintenance.DowntimeStartChosen(machine=3, start=START),
    maintenance.DowntimeLengthChosen(machine=3, start=START, minutes=240),
    maintenance.DowntimeConfirmed(machine=3, start=START, minutes=24 * 60),
    maintenance.CallOffAsked(downtime=5),
    maintenance.CallOffConfirmed(downtime=5),
    maintenance.PlanShown(plan=2),
    maintenance.PlanIntervalChosen(plan=2, preset=0),
    maintenance.PlanIntervalChosen(plan=2, preset=len(maintenance.PLAN_PRESETS) - 1),
    maintenance.PlanToggled(plan=2),
]


def test_every_maintenance_button_has_an_example() -> None:
    declared = {
        cls
        for _name, cls in inspect.getmembers(maintenance, inspect.isclass)
        if issubclass(cls, Button) and cls is not Button
    }
    assert declared == {type(b) for b in EXAMPLES}


@pytest.mark.parametrize("press", EXAMPLES, ids=lambda b: b.data())
def test_a_maintenance_button_round_trips(press: Button) -> None:
    assert len(press.data().encode()) <= 64
    assert routes.parse(press.data()) == press


@pytest.mark.parametrize(
    ("data", "press"),
    [
        ("rp", maintenance.ReportProblem()),
        ("rp:m:3", maintenance.ReportMachineChosen(3)),
        # severities by their index in SEVERITY_ORDER
        ("rp:s:0", maintenance.SeverityChosen(Severity.UNUSABLE)),
        ("rp:s:1", maintenance.SeverityChosen(Severity.DEGRADED)),
        ("rp:s:2", maintenance.SeverityChosen(Severity.MINOR)),
        ("rp:x", maintenance.ReportDropped()),
        ("q:0", maintenance.QueuePage(0)),
        ("q:3", maintenance.QueuePage(3)),
        ("tk:12", maintenance.TicketChosen(12)),
        ("tk:t:12", maintenance.TicketTaken(12)),
        ("tk:r:12", maintenance.ResolveAsked(12)),
        ("tk:e:12", maintenance.EscalateAsked(12)),
        ("tk:x:12", maintenance.RejectAsked(12)),
        ("tk:p:12", maintenance.TicketPhotos(12)),
        ("mc:3", maintenance.MachineShown(3)),
        ("mc:ics:3", maintenance.ScheduleFile(3)),
        ("dt:3", maintenance.DowntimeAsked(3)),
        ("dt:d:3:20261204", maintenance.DowntimeDayChosen(3, date(2026, 12, 4))),
        (f"dt:s:3:{MINUTES}", maintenance.DowntimeStartChosen(3, START)),
        (f"dt:l:3:{MINUTES}:240", maintenance.DowntimeLengthChosen(3, START, 240)),
        (f"dt:ok:3:{MINUTES}:1440", maintenance.DowntimeConfirmed(3, START, 1440)),
        ("dt:ok:1:31648860:60", maintenance.DowntimeConfirmed(1, datetime(2030, 3, 5, 9, 0, tzinfo=UTC), 60)),
        ("dt:x:5", maintenance.CallOffAsked(5)),
        ("dt:y:5", maintenance.CallOffConfirmed(5)),
        ("pl:2", maintenance.PlanShown(2)),
        ("pl:i:2:0", maintenance.PlanIntervalChosen(2, 0)),
        ("pl:i:2:7", maintenance.PlanIntervalChosen(2, 7)),
        ("pl:a:2", maintenance.PlanToggled(2)),
    ],
)
def test_todays_data_reads_as_the_same_press(data: str, press: Button) -> None:
    assert routes.parse(data) == press
    assert press.data() == data


@pytest.mark.parametrize(
    "data",
    [
        "rp:s:3",  # no fourth severity
        "rp:m",  # no machine
        "q:10000",  # a page no queue has
        "tk:t:1:2",
        "tk:t:2147483648",
        "dt:d:3:20261340",
        "dt:s:3:5",  # 1970
        "dt:l:3:29940120:0",
        "dt:ok:3:29940120:99999999",
        "pl:i:2:8",  # no ninth preset
        "mc:ics",
    ],
)
def test_forged_maintenance_data_parses_to_none(data: str) -> None:
    assert routes.parse(data) is None


def test_the_plan_presets_are_in_todays_order() -> None:
    """A preset button carries its index: the order is the wire format."""
    assert maintenance.PLAN_PRESETS == (
        (7, None),
        (14, None),
        (30, None),
        (90, None),
        (None, 50),
        (None, 100),
        (None, 200),
        (None, 500),
    )


def _data(markup: InlineKeyboardMarkup) -> list[str]:
    return [str(b.callback_data) for row in markup.inline_keyboard for b in row]


def test_the_keyboards_send_todays_data() -> None:
    texts = Texts("en", ZoneInfo("UTC"))
    assert _data(maintenance_keyboards.severities(texts)) == ["rp:s:0", "rp:s:1", "rp:s:2", "rp:x"]
    assert _data(maintenance_keyboards.cancel_report(texts)) == ["rp:x"]
    machine = SimpleNamespace(id=3, kind=MachineKind.PRINTER_3D, name="Prusa MK4")
    assert _data(maintenance_keyboards.report_machines(texts, [machine])) == ["rp:m:3", "menu", "close"]  # type: ignore[list-item]
    assert _data(maintenance_keyboards.queue(texts, [(12, "#12"), (13, "#13")], 1, True)) == [
        "tk:12",
        "tk:13",
        "q:0",
        "q:2",
        "menu",
    ]
    assert _data(maintenance_keyboards.back_to_queue(texts)) == ["q:0"]
    assert _data(maintenance_keyboards.back_to_machine(texts, 3)) == ["mc:3"]
    # The managers' alerts carry these (bot/features/maintenance/messages.py): built from the
    # shared bot.features.keyboards.
    assert _data(maintenance_keyboards.ticket_actions(texts, 12, "open", photos=2)) == [
        "tk:t:12",
        "tk:r:12",
        "tk:e:12",
        "tk:x:12",
        "tk:12",
        "tk:p:12",
    ]
    assert _data(maintenance_keyboards.ticket_actions(texts, 12, "escalated")) == [
        "tk:t:12",
        "tk:r:12",
        "tk:x:12",
        "tk:12",
    ]
    assert _data(maintenance_keyboards.ticket_actions(texts, 12, "resolved")) == ["tk:12"]


def test_other_features_buttons_to_maintenance_still_parse() -> None:
    """The main menu's and the managers' digest's buttons carry today's data, and parse back."""
    assert routes.parse(str(keyboards.button("x", maintenance.ReportProblem()).callback_data)) == (
        maintenance.ReportProblem()
    )
    assert keyboards.button("x", maintenance.QueuePage(0)).callback_data == "q:0"
