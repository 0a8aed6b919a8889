"""Review of project groups: projects, joining through Telegram's join requests, owners' tools.

Each test fails on the code as reviewed and passes once the problem its docstring describes is
fixed. The docstring says what a member or an owner sees now and what they should see.
Tests marked "(PostgreSQL)" describe a race that SQLite's serialized transactions hide: they pass
on SQLite and fail on PostgreSQL (FABDESK_TEST_DATABASE_URL).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import projects
from models.errors import DomainError
from models.members import Member
from models.outbox import OutboxMessage
from models.projects import (
    AlreadyMember,
    BotRights,
    DuplicateName,
    JoinDecision,
    MembershipStatus,
    Project,
    Visibility,
)
from tests.factories import NOW, make_member, paris
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import Clock, press_data, running_bot, say, tap, test_settings
from tests.races import race
from tests.test_e2e_projects import LEA, MALLORY, TOM, create_project, invite_of, link_group

GROUP = -100_4242
OTHER_GROUP = -100_7777
FULL_RIGHTS = BotRights(admin=True, can_invite=True, can_restrict=True)
NO_RIGHTS = BotRights(admin=False, can_invite=False, can_restrict=False)


# --------------------------------------------------------------------------- helpers


async def seed_project(
    session: AsyncSession,
    owner: Member,
    name: str = "Drone club",
    visibility: Visibility = Visibility.OPEN,
    *,
    chat_id: int | None = GROUP,
    tags: str = "drones, électronique",
) -> Project:
    """A project made through the domain, as /newproject would, linked to `chat_id` if given."""
    await projects.start_project(session, owner, NOW)
    await projects.draft_answer(session, owner, name, NOW)
    await projects.draft_answer(session, owner, "We build and fly FPV drones.", NOW)
    await projects.draft_choose(session, owner, NOW, visibility=visibility)
    await projects.draft_answer(session, owner, tags, NOW)
    await projects.draft_choose(session, owner, NOW, skip=True)
    project = await projects.create_project(session, owner, NOW)
    if chat_id is not None:
        await projects.link_chat(session, owner, project.id, chat_id, "Drone club", FULL_RIGHTS, NOW)
    return await projects.get_project(session, project.id)


async def outbox(session: AsyncSession) -> list[tuple[str, int]]:
    await session.flush()
    rows = await session.execute(select(OutboxMessage.kind, OutboxMessage.chat_id).order_by(OutboxMessage.id))
    return [(r.kind, r.chat_id) for r in rows]


async def chat_actions(session: AsyncSession) -> list[tuple[str, int, int]]:
    """(action, chat, user) of every Telegram action queued on a project's group."""
    await session.flush()
    rows = await session.scalars(
        select(OutboxMessage.payload).where(OutboxMessage.kind == "chat_action").order_by(OutboxMessage.id)
    )
    return [(p["action"], p["chat_id"], p["user_id"]) for p in rows]


def _en(fake: FakeBotApi, database_url: str) -> Any:
    return test_settings(fake, database_url, default_language="en")


async def _press(fake: FakeBotApi, user: FakeUser, message: Any, button: str) -> str:
    """Press a button and return the toast (callback answer) it got."""
    mark = fake.mark()
    fake.press_button(user, message, button)
    answer = await fake.wait_for_call("answerCallbackQuery", after=mark)
    return str(answer.params.get("text", ""))


def _chat_member_update(user: FakeUser, old: str, new: str, chat_id: int = GROUP) -> dict[str, Any]:
    return {
        "chat_member": {
            "chat": {"id": chat_id, "type": "supergroup", "title": "Drone club"},
            "from": user.to_dict(),
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": user.to_dict()},
            "new_chat_member": {"status": new, "user": user.to_dict()},
        }
    }


# --------------------------------------------------------------------------- the group: /link


async def test_an_owner_of_another_project_cannot_take_over_a_linked_group(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Léa's "Drone club" is linked to its group. Mallory, a plain member of that group (not an
    admin), owns a project of his own ("Mallory's lab") and sends /link in the drone group.

    Saw: "This group is now the group of Mallory's lab" - the group silently moves to Mallory's
    project: Drone club loses its group, Mallory's project's join requests are now approved into
    Léa's group, and Léa is not even told.
    Should see: the group stays Drone club's; /link refuses (the group belongs to a project Mallory
    does not own, or the sender is not an administrator of the group).
    """
    fake.chat_members[(GROUP, LEA.id)] = {"status": "creator", "is_anonymous": False}  # Léa made the group
    async with running_bot(_en(fake, database_url), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        await link_group(fake, LEA)
        await create_project(fake, MALLORY, "Mallory's lab", open_to_all=True)
        answer = await link_group(fake, MALLORY)
    async with sessions() as session:
        drone = await session.scalar(select(Project).where(Project.name == "Drone club"))
        assert drone is not None
        assert drone.chat_id == GROUP, f"Mallory took Léa's group; he was told: {answer.text!r}"


async def test_a_group_upgraded_to_a_supergroup_stays_the_projects_group(
    fake: FakeBotApi, database_url: str
) -> None:
    """Léa links her small (basic) Telegram group; later Telegram upgrades it to a supergroup (it
    does so when an admin turns on some settings, or past 200 members): the chat gets a new id, and
    the bot receives a service message with `migrate_to_chat_id`.

    Saw: fabdesk keeps the old id. Tom joins: the invite link is asked for the dead chat
    (Telegram answers "group chat was upgraded to a supergroup chat", retried for 24 hours, Tom
    never gets a link), and join requests in the new supergroup are ignored (not a project's group).
    Should see: the project follows the migration (chat id updated), Tom's invite is for the
    supergroup.
    """
    old_id, new_id = -4242, -100_4242
    fake.chat_members[(old_id, LEA.id)] = {"status": "creator", "is_anonymous": False}
    async with running_bot(_en(fake, database_url), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        mark = fake.mark()
        fake.send_message(LEA, "/link", chat_id=old_id, chat_type="group", title="Drone club")
        linked = await fake.wait_for_call("sendMessage", old_id, after=mark)
        assert "is now the group of Drone club" in (linked.text or "")
        now = int(time.time())
        fake.push_update(
            {
                "message": {
                    "message_id": 50,
                    "date": now,
                    "chat": {"id": old_id, "type": "group", "title": "Drone club"},
                    "from": LEA.to_dict(),
                    "migrate_to_chat_id": new_id,
                }
            }
        )
        fake.push_update(
            {
                "message": {
                    "message_id": 1,
                    "date": now,
                    "chat": {"id": new_id, "type": "supergroup", "title": "Drone club"},
                    "from": LEA.to_dict(),
                    "migrate_from_chat_id": old_id,
                }
            }
        )
        await fake.wait_until_idle()
        await say(fake, TOM, "/projects")
        await tap(fake, TOM, "Drone club")
        mark = fake.mark()
        await tap(fake, TOM, "Join")
        created = await fake.wait_for_call("createChatInviteLink", after=mark)
        assert created.chat_id == new_id, f"the invite link was asked for chat {created.chat_id}"


async def test_link_sent_in_a_private_chat_says_where_to_send_it(fake: FakeBotApi, database_url: str) -> None:
    """Léa created a project; the bot told her "add me to the group as an administrator, then send
    /link there". She sends /link to the bot itself, as many will.

    Saw: "I do not know that command. Here is what I can do:" and the main menu.
    Should see: that /link is sent in the project's group (after making the bot an administrator).
    """
    async with running_bot(_en(fake, database_url), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        answer = await say(fake, LEA, "/link")
    assert "I do not know that command" not in (answer.text or ""), answer.text
    assert "group" in (answer.text or "").lower(), answer.text


async def test_link_in_a_channel_gets_an_answer(fake: FakeBotApi, database_url: str) -> None:
    """The issue lets a project link "its Telegram group or channel". Léa makes the bot an
    administrator of her project's channel and posts /link there.

    Saw: nothing at all - channel posts are not even fetched (ALLOWED_UPDATES has no channel_post,
    /link is registered for groups only), so a channel can never be linked and Léa gets no word.
    Should see: an answer (the channel linked, or what to do to link it).
    """
    channel = -100_9999
    async with running_bot(_en(fake, database_url), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        mark = fake.mark()
        fake.push_update(
            {
                "channel_post": {
                    "message_id": 7,
                    "date": int(time.time()),
                    "chat": {"id": channel, "type": "channel", "title": "Drone club news"},
                    "sender_chat": {"id": channel, "type": "channel", "title": "Drone club news"},
                    "author_signature": "Léa",
                    "text": "/link",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                }
            }
        )
        await fake.wait_until_idle()
        answers = [
            c for c in fake.calls[mark:] if c.method == "sendMessage" and c.chat_id in (channel, LEA.id)
        ]
    assert answers, "nothing was answered to /link in the channel"


# --------------------------------------------------------------------------- join requests


async def test_a_join_request_waiting_in_telegram_is_settled_when_the_owner_decides(
    session: AsyncSession,
) -> None:
    """Tom asks to join the on-request "Drone club"; while Léa has not answered yet he follows a link
    a friend forwarded him, so Telegram holds his join request (fabdesk answers PENDING and waits for
    Léa). Ana does the same. Léa approves Tom and declines Ana.

    Saw: Léa's answers change fabdesk's records only: Tom's join request stays pending in Telegram,
    and the invite link fabdesk sends him cannot help ("you already requested to join"): Tom is
    stuck outside; Ana's request also stays pending for ever.
    Should see: Tom's waiting request approved in Telegram, Ana's declined.
    """
    lea, tom, ana = (
        await make_member(session, "Léa"),
        await make_member(session, "Tom"),
        await make_member(session, "Ana"),
    )
    project = await seed_project(session, lea, visibility=Visibility.ON_REQUEST)
    toms = (await projects.join(session, tom, project.id, NOW)).membership
    anas = (await projects.join(session, ana, project.id, NOW)).membership
    for person in (tom, ana):
        decision = await projects.handle_join_request(
            session, GROUP, person.telegram_id, person.first_name, NOW
        )
        assert decision is JoinDecision.PENDING
    await projects.decide(session, lea, toms.id, True, NOW + timedelta(minutes=5))
    await projects.decide(session, lea, anas.id, False, NOW + timedelta(minutes=5))
    actions = await chat_actions(session)
    assert ("approve", GROUP, tom.telegram_id) in actions, actions
    assert ("decline", GROUP, ana.telegram_id) in actions, actions


async def test_a_strangers_waiting_request_is_approved_once_they_join_through_the_bot(
    session: AsyncSession,
) -> None:
    """Tom (who uses fabdesk) got a forwarded link to the open "Drone club" group and followed it:
    Léa is asked about a stranger. Before she answers, Tom finds the project in /projects and taps
    Join (an open project: accepted at once, an invite link is sent).

    Saw: Tom's join request still waits in Telegram for Léa's answer to the "stranger" alert; the new
    invite link does not help (Telegram keeps his one pending request), so he stays outside although
    fabdesk calls him a member.
    Should see: his waiting join request approved as soon as fabdesk accepts him.
    """
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    project = await seed_project(session, lea)
    assert (
        await projects.handle_join_request(session, GROUP, tom.telegram_id, "Tom", NOW)
        is JoinDecision.PENDING
    )
    await projects.join(session, tom, project.id, NOW + timedelta(minutes=2))
    assert ("approve", GROUP, tom.telegram_id) in await chat_actions(session)


async def test_members_accepted_before_the_group_was_linked_are_invited_once_it_is(
    session: AsyncSession,
) -> None:
    """Léa creates "Drone club" and shares it before making its Telegram group. Tom joins (open
    project): "Welcome! The bot cannot invite you to the group for now: ask Léa". Then Léa links
    the group with /link.

    Saw: nothing is sent to Tom: members accepted before the link never get an invite link, and
    their project screen has no Join button any more (they are members) - Léa has to invite each by
    hand, which is the bot's job.
    Should see: Tom receives his invite link when the group is linked.
    """
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    project = await seed_project(session, lea, chat_id=None)
    outcome = await projects.join(session, tom, project.id, NOW)
    assert outcome.membership.status is MembershipStatus.APPROVED and not outcome.can_invite
    await projects.link_chat(session, lea, project.id, GROUP, "Drone club", FULL_RIGHTS, NOW)
    assert ("project_invite", tom.telegram_id) in await outbox(session)


async def test_members_accepted_while_the_bot_had_lost_its_rights_are_invited_when_it_regains_them(
    session: AsyncSession,
) -> None:
    """The bot lost its admin rights in the Drone club group; Tom joins meanwhile ("ask Léa"). Léa
    makes the bot an administrator again (Telegram sends my_chat_member).

    Saw: joining works again for newcomers, but Tom, accepted during the outage, never gets a link.
    Should see: Tom receives his invite link once the bot has its rights back.
    """
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    project = await seed_project(session, lea)
    await projects.bot_rights_changed(session, GROUP, NO_RIGHTS, NOW)
    outcome = await projects.join(session, tom, project.id, NOW)
    assert not outcome.can_invite
    await projects.bot_rights_changed(session, GROUP, FULL_RIGHTS, NOW + timedelta(hours=1))
    assert ("project_invite", tom.telegram_id) in await outbox(session)


async def test_when_the_invite_link_cannot_be_made_the_member_is_told_to_ask_the_owner(
    fake: FakeBotApi, database_url: str
) -> None:
    """Léa's group is linked; since then someone took away the bot's "invite users" right without
    fabdesk noticing (an update missed while the bot was down). Tom taps Join.

    Saw: the toast "Welcome! I am sending you the link to the group.", then nothing, ever: the
    invite link is refused (400), the outbox gives up silently, Tom waits for a link that never
    comes and Léa knows nothing.
    Should see: Tom is told he cannot be invited for now and to ask Léa (as when the bot knows it
    lost its rights).
    """
    async with running_bot(_en(fake, database_url), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        await link_group(fake, LEA)
        fake.fail_next(
            "createChatInviteLink",
            status=400,
            description="Bad Request: not enough rights to manage chat invite links",
        )
        await say(fake, TOM, "/projects")
        await tap(fake, TOM, "Drone club")
        mark = fake.mark()
        await tap(fake, TOM, "Join")
        await fake.wait_for_call("createChatInviteLink", after=mark)
        # A second message to Tom's chat within a second waits its turn (bot/core/lanes.py).
        told = await fake.wait_for_call("sendMessage", TOM.id, after=mark, text_contains="Léa")
    assert "Léa" in (told.text or "")


async def test_a_fabdesk_member_let_in_as_a_stranger_becomes_a_member_the_owner_can_manage(
    session: AsyncSession,
) -> None:
    """Tom (a fabdesk member) follows a forwarded link to the on-request Drone club group; Léa gets
    "Tom asks to join ... without having gone through the bot. Let them in?" and approves.

    Saw: Tom is in the Telegram group but not in the project: not in "My projects", not in Léa's
    member list (so she can never remove him from the bot), no shared folder, no meeting reminders,
    and his project screen still offers "Join".
    Should see: a person fabdesk knows who is let in becomes a member of the project (in the group).
    """
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    project = await seed_project(session, lea, visibility=Visibility.ON_REQUEST)
    await projects.handle_join_request(session, GROUP, tom.telegram_id, "Tom", NOW)
    (request,) = (await projects.pending_requests(session, project))[1]
    await projects.decide_unknown(session, lea, request.id, True, NOW)
    project = await projects.get_project(session, project.id)
    mine = projects.membership_of(project, tom)
    assert mine is not None and mine.status is MembershipStatus.JOINED


# --------------------------------------------------------------------------- members and the group


async def test_a_member_who_left_the_group_by_themselves_gets_announcements_again(
    fake: FakeBotApi, database_url: str
) -> None:
    """Tom joined the open Drone club and its group, then left the Telegram group himself (muted it,
    too many messages) - he is still a project member.

    Saw: fabdesk never hears of it (no chat_member updates are asked for; ALLOWED_UPDATES has none),
    still counts Tom "in the group", so Léa's announcement "to the members who are not in the group"
    skips him: "Announcement sent to 0 members", and Tom misses it.
    Should see: Tom is no longer counted in the group and gets the announcement.
    """
    async with running_bot(_en(fake, database_url), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        await link_group(fake, LEA)
        await say(fake, TOM, "/projects")
        await tap(fake, TOM, "Drone club")
        mark = fake.mark()
        await tap(fake, TOM, "Join")
        invite = await invite_of(fake, TOM, mark)
        mark = fake.mark()
        fake.join_request(TOM, GROUP, invite_link=invite.buttons()[0][1])
        await fake.wait_for_call("approveChatJoinRequest", after=mark)
        await fake.wait_until_idle()
        fake.push_update(_chat_member_update(TOM, "member", "left"))
        await fake.wait_until_idle()
        await say(fake, LEA, "/myprojects")
        await tap(fake, LEA, "Drone club")
        await tap(fake, LEA, "Announcement")
        mark = fake.mark()
        sent = await say(fake, LEA, "Field trip on Saturday!")
        await fake.wait_until_idle()
        reached = [c for c in fake.calls[mark:] if c.method == "sendMessage" and c.chat_id == TOM.id]
    assert reached, f"Tom, out of the group, missed the announcement; Léa was told {sent.text!r}"


async def test_members_in_the_old_group_are_not_counted_in_the_new_one_after_a_relink(
    session: AsyncSession,
) -> None:
    """Drone club moves to a new Telegram group: Léa sends /link in the new group. Tom was in the
    old group.

    Saw: Tom is still counted "in the group" - he is not in the new one, gets no invite to it, and
    Léa's announcements to "the members who are not in the group" skip him (reached 0).
    Should see: after a relink, members of the old group count as outside the new one (invited to
    it), and the announcement reaches Tom.
    """
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    project = await seed_project(session, lea)
    await projects.join(session, tom, project.id, NOW)
    assert (
        await projects.handle_join_request(session, GROUP, tom.telegram_id, "Tom", NOW)
        is JoinDecision.APPROVED
    )
    await projects.link_chat(session, lea, project.id, OTHER_GROUP, "Drone club 2", FULL_RIGHTS, NOW)
    await projects.ask_project_input(session, lea, project.id, "announcement", NOW)
    posted = await projects.give_project_input(session, lea, "We moved to the new group!", NOW)
    assert posted.reached == 1, "Tom, not in the new group, was skipped"


# --------------------------------------------------------------------------- archiving


async def test_archiving_a_project_tells_the_members_whose_request_was_waiting(session: AsyncSession) -> None:
    """Tom asked to join the on-request Drone club; before Léa answers, a fab manager archives it.

    Saw: Tom is never told: "My projects" no longer lists the project (archived ones are hidden),
    Léa's Approve button now answers "This is no longer available", and Tom waits for ever.
    Should see: Tom is told his request is closed because the project was archived.
    """
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    manager = await make_member(session, "Morgane", manager=True)
    project = await seed_project(session, lea, visibility=Visibility.ON_REQUEST)
    await projects.join(session, tom, project.id, NOW)
    before = len(await outbox(session))
    await projects.archive(session, manager, project.id, NOW + timedelta(hours=1))
    after = (await outbox(session))[before:]
    assert any(chat == tom.telegram_id for _kind, chat in after), after


async def test_archiving_a_project_answers_the_join_requests_waiting_in_its_group(
    session: AsyncSession,
) -> None:
    """A stranger's join request (forwarded link) waits for Léa's answer; the project is archived.

    Saw: the request stays pending in Telegram for ever: Léa's Approve / Decline buttons now answer
    "This is no longer available" (the project is archived), and no later join request for that
    group is answered either (handle_join_request ignores archived projects' groups).
    Should see: waiting join requests declined when the project is archived.
    """
    lea = await make_member(session, "Léa")
    project = await seed_project(session, lea, visibility=Visibility.ON_REQUEST)
    assert await projects.handle_join_request(session, GROUP, 777, "Mallory", NOW) is JoinDecision.PENDING
    await projects.archive(session, lea, project.id, NOW + timedelta(hours=1))
    assert ("decline", GROUP, 777) in await chat_actions(session)


# --------------------------------------------------------------------------- meetings and announcements


async def test_a_meeting_whose_time_passed_while_the_subject_was_typed_is_refused(
    session: AsyncSession,
) -> None:
    """At 17:55 Léa picks today 18:00 for a meeting, then takes a few minutes to type its subject;
    she sends it at 18:05.

    Saw: "Meeting planned: ... 18:00. The members will be reminded 60 minutes before." - a meeting
    in the past, no one is ever reminded (the reminder job only looks at meetings still ahead).
    Should see: nothing planned, and the time said to have passed (pick another time); the question
    is dropped so her next message is hers again.
    """
    lea = await make_member(session, "Léa")
    project = await seed_project(session, lea)
    starts = paris(4, 18)
    await projects.ask_project_input(
        session, lea, project.id, "meeting", paris(4, 17, 55), starts_at=starts, remote=False
    )
    posted = await projects.give_project_input(session, lea, "Prepare the drone race", paris(4, 18, 5))
    assert posted.expired and posted.meeting is None
    assert await projects.pending_project_input(session, lea) is None


async def test_a_remote_meetings_link_does_not_swallow_the_punctuation_around_it(
    session: AsyncSession,
) -> None:
    """Léa plans a remote meeting: "Flight tests (https://meet.jit.si/drones)." - as people write.

    Saw: the reminder's "Open the link" button points to "https://meet.jit.si/drones)." - a room
    that does not exist (Jitsi opens an empty room named "drones).").
    Should see: the link https://meet.jit.si/drones.
    """
    lea = await make_member(session, "Léa")
    project = await seed_project(session, lea)
    await projects.ask_project_input(
        session, lea, project.id, "meeting", NOW, starts_at=NOW + timedelta(days=2), remote=True
    )
    posted = await projects.give_project_input(
        session, lea, "Flight tests (https://meet.jit.si/drones).", NOW
    )
    assert posted.meeting is not None
    assert posted.meeting.link == "https://meet.jit.si/drones"


async def test_a_remote_meeting_without_a_link_is_not_planned(session: AsyncSession) -> None:
    """Léa plans a remote meeting and types only "Flight tests" (she forgot the video link the
    prompt asked for).

    Saw: "Meeting planned"; the members are reminded of a remote meeting with no way to join it.
    Should see: a refusal asking for the meeting's link (the issue: "remote, with a link").
    """
    lea = await make_member(session, "Léa")
    project = await seed_project(session, lea)
    await projects.ask_project_input(
        session, lea, project.id, "meeting", NOW, starts_at=NOW + timedelta(days=2), remote=True
    )
    with pytest.raises(DomainError):
        await projects.give_project_input(session, lea, "Flight tests", NOW)


async def test_a_remote_meetings_link_is_not_shown_to_people_outside_the_project(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Drone club (on request) plans a remote meeting "Budget review https://meet.jit.si/drone-budget".
    Mallory, who is not a member (or was removed), opens the project from /projects.

    Saw: "Next meetings: • ... — Budget review https://meet.jit.si/drone-budget": anyone browsing
    the projects gets the private video room's address (and the meeting's time), removed members
    included.
    Should see: no meeting link for people outside the project (members see it in their reminder).
    """
    async with sessions.begin() as session:
        lea = await make_member(session, "Léa", telegram_id=LEA.id)
        project = await seed_project(session, lea, visibility=Visibility.ON_REQUEST)
        await projects.ask_project_input(
            session, lea, project.id, "meeting", NOW, starts_at=NOW + timedelta(days=2), remote=True
        )
        await projects.give_project_input(session, lea, "Budget review https://meet.jit.si/drone-budget", NOW)
    async with running_bot(_en(fake, database_url), Clock()):
        await say(fake, MALLORY, "/projects")
        view = await tap(fake, MALLORY, "Drone club")
    assert "meet.jit.si" not in (view.text or ""), view.text


async def test_the_meeting_confirmation_counts_members_in_the_right_number(
    fake: FakeBotApi, database_url: str
) -> None:
    """Léa, alone in her new project so far, plans a meeting.

    Saw: "Meeting planned: ... The 1 members will be reminded 60 minutes before." (a plain
    .format, not ngettext: wrong in English, « Les 1 membres » in French).
    Should see: a plural-aware sentence ("The 1 member" / "1 member will be reminded").
    """
    starts = paris(5, 18)
    minute = int(starts.timestamp()) // 60
    async with running_bot(_en(fake, database_url), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        await press_data(fake, LEA, f"pt:w:1:{minute}:0")
        await fake.wait_for_call("sendMessage", LEA.id, text_contains="subject")
        answer = await say(fake, LEA, "Prepare the drone race")
    assert "Meeting planned" in (answer.text or ""), answer.text
    assert "1 members" not in (answer.text or ""), answer.text


# --------------------------------------------------------------------------- owners' screens


async def test_search_results_beyond_the_first_page_can_be_reached(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Ten projects are tagged #drones. Tom types "/projects drones".

    Saw: "10 projects match « drones »:" and eight buttons - no Next button (the pager is left out
    for searches), so two matching projects cannot be reached from the search.
    Should see: every match reachable (a search shows up to 40 on one screen, since its words
    cannot ride in the buttons of a pager).
    """
    async with sessions.begin() as session:
        lea = await make_member(session, "Léa", telegram_id=LEA.id)
        for n in range(10):
            await seed_project(session, lea, f"Drone team {n}", chat_id=None)
    async with running_bot(_en(fake, database_url), Clock()):
        listing = await say(fake, TOM, "/projects drones")
    assert "10 projects match" in (listing.text or ""), listing.text
    labels = [label for label, _data in listing.buttons()]
    names = {label.split(" ", 1)[1] for label in labels}
    assert {f"Drone team {n}" for n in range(10)} <= names, labels


async def test_an_owner_can_remove_any_member_of_a_big_project(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The repair café has 45 members. Léa opens "Requests and members" to remove the latest one.

    Saw: the list stops at 40 members, with no paging: members 41 to 45 have no Remove button and
    cannot be removed from the bot at all.
    Should see: every member reachable (a next page, or a way to find them).
    """
    async with sessions.begin() as session:
        lea = await make_member(session, "Léa", telegram_id=LEA.id)
        project = await seed_project(session, lea, "Repair café", chat_id=None)
        for n in range(45):
            member = await make_member(session, f"M{n:02d}")
            await projects.join(session, member, project.id, NOW)
    async with running_bot(_en(fake, database_url), Clock()):
        await say(fake, LEA, "/myprojects")
        await tap(fake, LEA, "Repair café")
        manage = await tap(fake, LEA, "Requests and members")
    labels = [label for label, _data in manage.buttons()]
    assert any("M44" in label for label in labels) or any("Next" in label for label in labels), labels


async def test_owners_are_not_told_only_fab_managers_can_do_it(fake: FakeBotApi, database_url: str) -> None:
    """Léa, the only owner of Drone club, taps Leave; Tom, a member, opens an old "Requests and
    members" button of a project he does not own.

    Saw: both get "Only the fab managers can do that." - false (Léa owns the project; owners, not
    managers, manage it) and it hides the real reason (the last owner cannot leave).
    Should see: Léa told a project needs an owner (she cannot leave as the last one), Tom told only
    the project's owners can do that.
    """
    async with running_bot(_en(fake, database_url), Clock()):
        view = await create_project(fake, LEA, "Drone club", open_to_all=True)
        leave_toast = await _press(fake, LEA, view, "Leave")
        await say(fake, TOM, "/start")
        owner_only = await press_data(fake, TOM, "pm:1")
    assert "fab managers" not in leave_toast, leave_toast
    assert "fab managers" not in str(owner_only.params.get("text", "")), owner_only.params


async def test_an_owner_answering_a_request_already_decided_is_told_so(
    fake: FakeBotApi, database_url: str
) -> None:
    """Léa approves Tom's request from her phone, then taps Approve again on the same alert opened on
    her computer (or a co-owner does).

    Saw: "You are already in this project, or your request is waiting." - about Léa herself, which
    makes no sense to her.
    Should see: that the request was already answered.
    """
    async with running_bot(_en(fake, database_url), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=False)
        await say(fake, TOM, "/projects")
        await tap(fake, TOM, "Drone club")
        mark = fake.mark()
        await tap(fake, TOM, "Join")
        ask = await fake.wait_for_call("sendMessage", LEA.id, text_contains="asks to join", after=mark)
        approve = next(data for label, data in ask.buttons() if "Approve" in label)
        mark = fake.mark()
        fake.press_button(LEA, ask, "Approve")
        await fake.wait_for_call("editMessageText", LEA.id, after=mark)
        mark = fake.mark()
        fake.press(LEA, ask, str(approve))
        again = await fake.wait_for_call("answerCallbackQuery", after=mark)
    toast = str(again.params.get("text", ""))
    assert toast and "You are already in this project" not in toast, toast


async def test_an_owner_can_share_ownership_of_the_project(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The issue gives a project "owner(s)". Léa created Drone club; Tom is a member who will run it
    with her (and take over when she moves away).

    Saw: nothing makes anyone but the creator an owner: "Requests and members" offers only Remove;
    so Léa can never hand the project over nor leave it ("the last owner cannot leave" is then
    always true), and requests wait for her alone.
    Should see: a way for an owner to make a member a co-owner from the members screen.
    """
    async with sessions.begin() as session:
        lea = await make_member(session, "Léa", telegram_id=LEA.id)
        tom = await make_member(session, "Tom", telegram_id=TOM.id)
        project = await seed_project(session, lea, chat_id=None)
        await projects.join(session, tom, project.id, NOW)
    async with running_bot(_en(fake, database_url), Clock()):
        await say(fake, LEA, "/myprojects")
        await tap(fake, LEA, "Drone club")
        manage = await tap(fake, LEA, "Requests and members")
    labels = [label for label, _data in manage.buttons()]
    assert any("owner" in label.lower() for label in labels), labels


# --------------------------------------------------------------------------- creating


async def test_two_projects_cannot_end_up_with_the_same_name_in_another_case(session: AsyncSession) -> None:
    """Léa names her project "Drone club" (free then) and fills in the rest; meanwhile Tom creates
    "DRONE CLUB". Léa taps Create.

    Saw: both projects exist, "Drone club" and "DRONE CLUB", side by side in /projects: the name is
    checked case-insensitively only when typed, and the database's unique index is case-sensitive.
    Should see: Léa told the name is taken.
    """
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    await projects.start_project(session, lea, NOW)
    await projects.draft_answer(session, lea, "Drone club", NOW)
    await projects.draft_answer(session, lea, "We fly.", NOW)
    await projects.draft_choose(session, lea, NOW, visibility=Visibility.OPEN)
    await projects.draft_choose(session, lea, NOW, skip=True)
    await projects.draft_choose(session, lea, NOW, skip=True)
    await seed_project(session, tom, "DRONE CLUB", chat_id=None)
    with pytest.raises(DuplicateName):
        await projects.create_project(session, lea, NOW)


# --------------------------------------------------------------------------- races (PostgreSQL)


async def test_a_double_tap_on_join_is_refused_kindly(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """(PostgreSQL) Tom double-taps Join on the open Drone club (two callback queries handled at once).

    Saw on PostgreSQL: both presses find no membership and insert one; the second hits the unique
    index (IntegrityError): Tom gets "Something went wrong" and the managers an error report.
    Should see: the second press refused kindly (AlreadyMember), one membership, one invite.
    """
    async with sessions.begin() as session:
        lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
        project_id, tom_id = (await seed_project(session, lea)).id, tom.id

    async def join(session: AsyncSession) -> projects.JoinOutcome:
        member = await session.get(Member, tom_id)
        assert member is not None
        return await projects.join(session, member, project_id, NOW)

    outcome = await race(sessions, engine, join, join)
    assert isinstance(outcome, AlreadyMember), repr(outcome)


async def test_a_meeting_cancelled_twice_at_once_is_announced_once(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """Léa taps "Cancel the meeting" on her phone and on her computer at the same moment.

    Should see: the meeting cancelled once, Tom told once; the second press says it already was.
    """
    async with sessions.begin() as session:
        lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
        project = await seed_project(session, lea)
        await projects.join(session, tom, project.id, NOW)
        await projects.ask_project_input(
            session, lea, project.id, "meeting", NOW, starts_at=NOW + timedelta(days=2), remote=False
        )
        meeting = (await projects.give_project_input(session, lea, "Flight tests", NOW)).meeting
        assert meeting is not None
        lea_id, meeting_id = lea.id, meeting.id

    async def cancel(session: AsyncSession) -> projects.CancelledMeeting:
        owner = await session.get(Member, lea_id)
        assert owner is not None
        return await projects.cancel_meeting(session, owner, meeting_id, NOW)

    second = await race(sessions, engine, cancel, cancel)
    assert isinstance(second, projects.CancelledMeeting) and second.already, repr(second)
    async with sessions() as session:
        told = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "meeting_cancelled"))
        assert [m.chat_id for m in told] == [tom.telegram_id]


async def test_a_request_approved_twice_at_once_welcomes_the_member_once(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """(PostgreSQL) Léa taps Approve on Tom's request on her phone and on her computer at the same
    moment (or two co-owners do).

    Saw on PostgreSQL: both presses read "requested" and both approve: Tom gets two "Welcome to Drone
    club!" messages and two invite links (two links made in the group).
    Should see: one approval; the second press told the request was already answered.
    """
    async with sessions.begin() as session:
        lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
        project = await seed_project(session, lea, visibility=Visibility.ON_REQUEST)
        request_id = (await projects.join(session, tom, project.id, NOW)).membership.id
        lea_id = lea.id

    async def approve(session: AsyncSession) -> projects.ProjectMember:
        owner = await session.get(Member, lea_id)
        assert owner is not None
        return await projects.decide(session, owner, request_id, True, NOW)

    outcome = await race(sessions, engine, approve, approve)
    async with sessions() as session:
        kinds = [k for k, _chat in await outbox(session)]
    assert kinds.count("project_decision") == 1, kinds
    assert isinstance(outcome, DomainError), repr(outcome)
