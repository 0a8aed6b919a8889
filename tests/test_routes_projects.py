"""The projects' typed buttons keep today's wire format: the data already on members' phones (a
project list, an owner's "asks to join" message, a group's /link chooser) still reads the same."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime

import pytest

from bot.core import routes
from bot.core.routes import Button
from bot.features.projects import routes as projects
from models.projects import Visibility
from tests.fakebot import FakeBotApi
from tests.harness import Clock, press_data, running_bot, say, tap, test_settings
from tests.test_e2e_projects import GROUP, LEA, create_project

START = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)
MINUTES = 29_940_150  # START as minutes since 1970, as the meeting buttons carry it

EXAMPLES: list[Button] = [
    projects.ProjectList(page=0),
    projects.ProjectList(page=3),
    projects.ProjectChosen(project=12),
    projects.JoinPressed(project=12),
    projects.LeavePressed(project=12),
    projects.WithdrawPressed(project=12),
    projects.MyProjects(),
    projects.RequestApproved(membership=40),
    projects.RequestDeclined(membership=40),
    projects.StrangerApproved(request=7),
    projects.StrangerDeclined(request=7),
    projects.ManageMembers(project=12),
    projects.MembersPage(project=12, page=2),
    projects.MakeCoOwner(membership=40),
    projects.AskRemove(membership=40),
    projects.RemoveConfirmed(membership=40),
    projects.WriteAnnouncement(project=12),
    projects.LinkChannel(project=12),
    projects.PlanMeeting(project=12),
    projects.MeetingDayChosen(project=12, day=date(2026, 12, 4)),
    projects.MeetingTimeChosen(project=12, start=START),
    projects.MeetingPlaceChosen(project=12, start=START, remote=True),
    projects.MeetingPlaceChosen(project=12, start=START, remote=False),
    projects.AskCancelMeeting(meeting=5),
    projects.MeetingCancelled(meeting=5),
    projects.AskArchive(project=12),
    projects.ArchiveConfirmed(project=12),
    projects.NewProject(),
    projects.DraftVisibility(visibility=Visibility.OPEN),
    projects.DraftVisibility(visibility=Visibility.ON_REQUEST),
    projects.DraftSkipped(),
    projects.DraftConfirmed(),
    projects.DraftDropped(),
    projects.GroupProjectChosen(project=12),
]


def test_every_projects_button_has_an_example() -> None:
    declared = {
        cls
        for _name, cls in inspect.getmembers(projects, inspect.isclass)
        if issubclass(cls, Button) and cls is not Button
    }
    assert declared == {type(b) for b in EXAMPLES}


@pytest.mark.parametrize("press", EXAMPLES, ids=lambda b: b.data())
def test_a_projects_button_round_trips(press: Button) -> None:
    assert len(press.data().encode()) <= 64
    assert routes.parse(press.data()) == press


@pytest.mark.parametrize(
    ("data", "press"),
    [
        ("pj:0", projects.ProjectList(0)),
        ("pj:1", projects.ProjectList(1)),
        ("pj:v:12", projects.ProjectChosen(12)),
        ("pj:j:12", projects.JoinPressed(12)),
        ("pj:l:12", projects.LeavePressed(12)),
        ("pj:w:12", projects.WithdrawPressed(12)),
        ("mp", projects.MyProjects()),
        ("pr:a:40", projects.RequestApproved(40)),
        ("pr:d:40", projects.RequestDeclined(40)),
        ("pq:a:7", projects.StrangerApproved(7)),
        ("pq:d:7", projects.StrangerDeclined(7)),
        ("pm:12", projects.ManageMembers(12)),
        ("pm:p:12:2", projects.MembersPage(12, 2)),
        ("pm:o:40", projects.MakeCoOwner(40)),
        ("pm:x:40", projects.AskRemove(40)),
        ("pm:y:40", projects.RemoveConfirmed(40)),
        ("pa:12", projects.WriteAnnouncement(12)),
        ("pc:12", projects.LinkChannel(12)),
        ("pt:12", projects.PlanMeeting(12)),
        ("pt:d:12:20261204", projects.MeetingDayChosen(12, date(2026, 12, 4))),
        (f"pt:s:12:{MINUTES}", projects.MeetingTimeChosen(12, START)),
        (f"pt:w:12:{MINUTES}:0", projects.MeetingPlaceChosen(12, START, remote=False)),
        (f"pt:w:12:{MINUTES}:1", projects.MeetingPlaceChosen(12, START, remote=True)),
        ("pt:x:5", projects.AskCancelMeeting(5)),
        ("pt:y:5", projects.MeetingCancelled(5)),
        ("pz:12", projects.AskArchive(12)),
        ("pz:y:12", projects.ArchiveConfirmed(12)),
        ("np", projects.NewProject()),
        ("np:v:0", projects.DraftVisibility(Visibility.OPEN)),
        ("np:v:1", projects.DraftVisibility(Visibility.ON_REQUEST)),
        ("np:k", projects.DraftSkipped()),
        ("np:ok", projects.DraftConfirmed()),
        ("np:x", projects.DraftDropped()),
        ("lk:12", projects.GroupProjectChosen(12)),
    ],
)
def test_todays_data_reads_as_the_same_press(data: str, press: Button) -> None:
    assert routes.parse(data) == press
    assert press.data() == data


@pytest.mark.parametrize(
    "data",
    ["np:v:2", f"pt:w:12:{MINUTES}:2", "pt:d:12:20261340", "pt:s:12:5", "pm:p:12", "pj", "lk", "lk:1:2"],
)
def test_forged_projects_data_reads_as_nothing(data: str) -> None:
    assert routes.parse(data) is None


async def test_the_group_link_chooser_still_links_the_group_chosen(
    fake: FakeBotApi, database_url: str
) -> None:
    """/link in a group from an owner of two projects asks which one; the press (answered by the
    group's own handler, not the private screens) links it; the same button garbled in the group, or
    pressed in a private chat, is a stale button."""
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        await create_project(fake, LEA, "Repair café", open_to_all=False)
        fake.chat_members[(GROUP, LEA.id)] = {"status": "creator", "is_anonymous": False}
        mark = fake.mark()
        fake.send_message(LEA, "/link", chat_id=GROUP, chat_type="supergroup", title="Repairs")
        chooser = await fake.wait_for_call("sendMessage", GROUP, after=mark)
        assert chooser.text == "Which project is this group for?"

        mark = fake.mark()
        fake.press(LEA, chooser, "lk")
        answer = await fake.wait_for_call("answerCallbackQuery", after=mark)
        assert answer.params.get("text") == "This button is no longer valid."

        mark = fake.mark()
        fake.press_button(LEA, chooser, "Repair café")
        await fake.wait_for_call("answerCallbackQuery", after=mark)
        linked = await fake.wait_for(
            lambda c: c.method in {"editMessageText", "sendMessage"} and c.chat_id == GROUP, after=mark
        )
        assert "This group is now the group of Repair café" in (linked.text or "")

        await say(fake, LEA, "/myprojects")
        view = await tap(fake, LEA, "Repair café")
        assert "No Telegram group linked yet." not in (view.text or "")
        data = dict(chooser.buttons())["Repair café"]
        assert data is not None and data.startswith("lk:")
        answer = await press_data(fake, LEA, data)  # in Léa's private chat
        assert answer.params.get("text") == "This button is no longer valid."
