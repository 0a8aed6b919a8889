"""Project groups end to end: the real application, the fake Bot API, a project's Telegram group."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.projects import Meeting, MembershipStatus, Project, ProjectMember
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import Clock, press_data, running_bot, say, tap, test_settings

GROUP = -100_4242
LEA = FakeUser(3001, "Léa", username="lea", language_code="en")
TOM = FakeUser(3002, "Tom", language_code="en")
ZOE = FakeUser(3003, "Zoé", language_code="en")
MALLORY = FakeUser(3666, "Mallory", language_code="en")


async def create_project(fake: FakeBotApi, owner: FakeUser, name: str, open_to_all: bool) -> ApiCall:
    await say(fake, owner, "/newproject")
    await say(fake, owner, name)
    await say(fake, owner, "We build and fly FPV drones on Saturdays.")
    await tap(fake, owner, "Anyone" if open_to_all else "On request")
    await say(fake, owner, "drones, électronique")
    await say(fake, owner, "https://cloud.example.org/drones")
    return await tap(fake, owner, "Create")


async def link_group(fake: FakeBotApi, owner: FakeUser, *, admin: bool = True) -> ApiCall:
    """Send /link in the group as `owner` (an administrator of the group unless told otherwise)."""
    if admin:
        fake.chat_members[(GROUP, owner.id)] = {"status": "creator", "is_anonymous": False}
    mark = fake.mark()
    fake.send_message(owner, "/link", chat_id=GROUP, chat_type="supergroup", title="Drone club")
    return await fake.wait_for_call("sendMessage", GROUP, after=mark)


async def invite_of(fake: FakeBotApi, user: FakeUser, after: int) -> ApiCall:
    return await fake.wait_for(
        lambda c: c.method == "sendMessage" and c.chat_id == user.id and "Join the group" in (c.text or ""),
        after=after,
    )


async def membership(sessions: async_sessionmaker[AsyncSession], user: FakeUser) -> ProjectMember | None:
    from models.members import Member

    async with sessions() as session:
        return await session.scalar(
            select(ProjectMember)
            .join(Member, ProjectMember.member_id == Member.id)
            .where(Member.telegram_id == user.id)
        )


async def test_an_owner_creates_a_project_links_its_group_and_a_member_gets_in(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        created = await create_project(fake, LEA, "Drone club", open_to_all=True)
        assert "Drone club is created" in (created.text or "") and "/link" in (created.text or "")

        linked = await link_group(fake, LEA)
        assert "This group is now the group of Drone club" in (linked.text or "")
        asked = {call.params["user_id"] for call in fake.calls_of("getChatMember")}
        assert asked == {fake.bot_id, LEA.id}  # the bot's rights, and whether Léa administers the group

        # Tom finds it and joins: an invite link that makes a join request.
        listing = await say(fake, TOM, "/projects drone")
        assert "1 project matches « drone »" in (listing.text or "")
        view = await tap(fake, TOM, "Drone club")
        assert "We build and fly FPV drones" in (view.text or "") and "#drones #électronique" in (
            view.text or ""
        )
        mark = fake.mark()
        await tap(fake, TOM, "Join")
        invite = await invite_of(fake, TOM, mark)
        created_link = fake.calls_of("createChatInviteLink")[-1]
        assert created_link.params["chat_id"] == GROUP and created_link.params["creates_join_request"] is True
        url = invite.buttons()[0][1]
        assert url == created_link.result["invite_link"]

        # Tom follows the link: Telegram sends the join request, the bot approves it.
        mark = fake.mark()
        fake.join_request(TOM, GROUP, invite_link=url)
        approved = await fake.wait_for_call("approveChatJoinRequest", after=mark)
        assert (approved.params["chat_id"], approved.params["user_id"]) == (GROUP, TOM.id)

        # Members see the shared folder.
        view = await say(fake, TOM, "/projects")
        view = await tap(fake, TOM, "Drone club")
        assert ("📁 Shared folder", "https://cloud.example.org/drones") in view.buttons()
    joined = await membership(sessions, TOM)
    assert joined is not None and joined.status is MembershipStatus.JOINED


async def test_on_request_project_owner_approves_strangers_are_put_to_owners_and_removal_works(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await create_project(fake, LEA, "Repair café", open_to_all=False)
        await link_group(fake, LEA)

        # Zoé asks; Léa approves from her alert; Zoé gets the invite and gets in.
        await say(fake, ZOE, "/projects")
        await tap(fake, ZOE, "Repair café")
        mark = fake.mark()
        await tap(fake, ZOE, "Join")
        ask = await fake.wait_for_call(
            "sendMessage", LEA.id, text_contains="asks to join Repair café", after=mark
        )
        mark = fake.mark()
        fake.press_button(LEA, ask, "Approve")
        await fake.wait_for_call("editMessageText", LEA.id, after=mark)
        welcome = await fake.wait_for_call("sendMessage", ZOE.id, text_contains="Welcome", after=mark)
        assert "Repair café" in (welcome.text or "")
        invite = await invite_of(fake, ZOE, mark)
        mark = fake.mark()
        fake.join_request(ZOE, GROUP, invite_link=invite.buttons()[0][1])
        await fake.wait_for_call("approveChatJoinRequest", after=mark)

        # Mallory got a forwarded link: the owners are asked, Léa declines, Telegram is told.
        mark = fake.mark()
        fake.join_request(MALLORY, GROUP, invite_link=invite.buttons()[0][1])
        stranger = await fake.wait_for_call(
            "sendMessage", LEA.id, text_contains="without having gone through", after=mark
        )
        assert "Mallory" in (stranger.text or "")
        assert not [c for c in fake.calls[mark:] if c.method == "approveChatJoinRequest"]
        fake.press_button(LEA, stranger, "Decline")
        declined = await fake.wait_for_call("declineChatJoinRequest", after=mark)
        assert declined.params["user_id"] == MALLORY.id

        # Léa removes Zoé: banned then unbanned (removed, free to come back through fabdesk later).
        await say(fake, LEA, "/myprojects")
        await tap(fake, LEA, "Repair café")
        manage = await tap(fake, LEA, "Requests and members")
        assert "Zoé" in (manage.text or "")
        await tap(fake, LEA, "Remove Zoé")
        mark = fake.mark()
        await tap(fake, LEA, "Yes, remove")
        ban = await fake.wait_for_call("banChatMember", after=mark)
        unban = await fake.wait_for_call("unbanChatMember", after=mark)
        assert ban.params["user_id"] == unban.params["user_id"] == ZOE.id
        told = await fake.wait_for_call("sendMessage", ZOE.id, text_contains="removed", after=mark)
        assert "Repair café" in (told.text or "")
    removed = await membership(sessions, ZOE)
    assert removed is not None and removed.status is MembershipStatus.REMOVED


async def test_link_says_what_rights_are_missing_and_only_owners_link(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        fake.chat_members[(GROUP, fake.bot_id)] = {
            "status": "administrator",
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": False,
            "can_manage_video_chats": False,
            "can_restrict_members": False,
            "can_promote_members": False,
            "can_change_info": False,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
        }
        missing = await link_group(fake, LEA)
        assert "I cannot manage this group yet" in (missing.text or "")
        assert (
            "right to ban users" in (missing.text or "")
            and "invite" not in (missing.text or "").split("•")[-1]
        )
        del fake.chat_members[(GROUP, fake.bot_id)]
        stranger = await link_group(fake, TOM, admin=False)
        assert "Only the owner of a project can link a group" in (stranger.text or "")
    async with sessions() as session:
        project = await session.scalar(select(Project))
        assert project is not None and project.chat_id is None


async def test_when_the_bot_loses_its_rights_owners_are_told_and_joining_falls_back(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        await link_group(fake, LEA)
        mark = fake.mark()
        fake.push_update(
            {
                "my_chat_member": {
                    "chat": {"id": GROUP, "type": "supergroup", "title": "Drone club"},
                    "from": LEA.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": {
                        **fake.chat_members.get((GROUP, fake.bot_id), {}),
                        "status": "administrator",
                        "user": fake.bot_user,
                        "can_be_edited": False,
                        "is_anonymous": False,
                        "can_manage_chat": True,
                        "can_delete_messages": False,
                        "can_manage_video_chats": False,
                        "can_restrict_members": True,
                        "can_promote_members": False,
                        "can_change_info": False,
                        "can_invite_users": True,
                        "can_post_stories": False,
                        "can_edit_stories": False,
                        "can_delete_stories": False,
                    },
                    "new_chat_member": {"status": "member", "user": fake.bot_user},
                }
            }
        )
        lost = await fake.wait_for_call(
            "sendMessage", LEA.id, text_contains="lost my administrator rights", after=mark
        )
        assert "Drone club" in (lost.text or "")
        await say(fake, TOM, "/projects")
        await tap(fake, TOM, "Drone club")
        mark = fake.mark()
        joined = await tap(fake, TOM, "Join")
        answer = fake.calls_of("answerCallbackQuery")[-1].params.get("text", "")
        assert "cannot invite you to the group for now: ask Léa" in answer
        assert not [c for c in fake.calls[mark:] if c.method == "createChatInviteLink"]
        assert "cannot let new members into the group" in (joined.text or "")


async def test_forged_project_buttons_are_refused(fake: FakeBotApi, database_url: str) -> None:
    from tests.harness import press_data

    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=False)
        await say(fake, TOM, "/start")
        for data in ("pm:1", "pm:y:1", "pr:a:1", "pa:1", "pt:1", "pz:y:1", "pq:a:1"):
            answer = await press_data(fake, TOM, data)
            text = answer.params.get("text", "")
            assert answer.params.get("show_alert") and text and "Something went wrong" not in text, (
                data,
                text,
            )
        await say(fake, TOM, "/projects")
        view = await tap(fake, TOM, "Drone club")
        assert not any("Requests and members" in label for label, _d in view.buttons())


async def test_an_owner_cancels_a_meeting_and_the_members_are_told(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        await say(fake, TOM, "/projects")
        await tap(fake, TOM, "Drone club")
        await tap(fake, TOM, "Join")
        await say(fake, LEA, "/projects")
        await tap(fake, LEA, "Drone club")
        await tap(fake, LEA, "Meeting")
        await tap(fake, LEA, "Tue 5 Mar")
        await tap(fake, LEA, "18:00")
        await tap(fake, LEA, "On site, at the lab")
        planned = await say(fake, LEA, "Flight tests")
        assert "Meeting planned: Tuesday 5 March 18:00" in (planned.text or "")
        # A member sees the meeting but cannot cancel it; the owner can.
        await say(fake, TOM, "/projects")
        seen = await tap(fake, TOM, "Drone club")
        assert "Flight tests" in (seen.text or "") and not any("Cancel" in b for b, _d in seen.buttons())
        await say(fake, LEA, "/projects")
        await tap(fake, LEA, "Drone club")
        ask = await tap(fake, LEA, "Cancel the meeting of Tue 5 Mar 18:00")
        assert "Cancel this meeting?" in (ask.text or "") and "Flight tests" in (ask.text or "")
        mark = fake.mark()
        view = await tap(fake, LEA, "Cancel the meeting")
        toast = fake.calls_of("answerCallbackQuery")[-1]
        assert "Meeting cancelled: Tuesday 5 March 18:00. 1 member was told." in str(toast.params.get("text"))
        assert "Flight tests" not in (view.text or "")
        told = await fake.wait_for_call("sendMessage", TOM.id, text_contains="cancelled", after=mark)
        assert "The meeting of Drone club on Tuesday 5 March 18:00 is cancelled (by Léa)" in (told.text or "")
        # Tom pressing the owner's button (forged) is refused.
        refused = await press_data(fake, TOM, "pt:y:1")
        assert "Only the project's owners can do that" in str(refused.params.get("text"))
    async with sessions() as session:
        meeting = await session.get(Meeting, 1)
        assert meeting is not None and meeting.cancelled_at is not None


CHANNEL = -100_9090


async def test_an_owner_links_a_channel_by_forwarding_one_of_its_posts_and_a_member_gets_in(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    fake.chats[CHANNEL] = {"type": "channel", "title": "Drone news"}
    post = {
        "type": "channel",
        "chat": {"id": CHANNEL, "type": "channel", "title": "Drone news"},
        "message_id": 7,
        "date": 1_900_000_000,
    }

    async def forward(user: FakeUser) -> ApiCall:
        mark = fake.mark()
        fake.send_message(user, "Next flight on Saturday", forward_origin=post)
        return await fake.wait_for_call("sendMessage", user.id, after=mark)

    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        # /link posted in the channel (where nobody can be told apart) says how a channel is linked.
        mark = fake.mark()
        fake.push_update(
            {
                "channel_post": {
                    "message_id": 1,
                    "date": 1_900_000_000,
                    "chat": {"id": CHANNEL, "type": "channel", "title": "Drone news"},
                    "text": "/link",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                }
            }
        )
        how = await fake.wait_for_call("sendMessage", CHANNEL, after=mark)
        assert "press Link a channel, and forward me a message from here" in (how.text or "")
        await create_project(fake, LEA, "Drone club", open_to_all=True)
        await say(fake, LEA, "/projects")
        await tap(fake, LEA, "Drone club")
        asked = await tap(fake, LEA, "Link a channel")
        assert "forward me one of its messages" in (asked.text or "")
        typed = await say(fake, LEA, "Drone news")  # typed, not forwarded
        assert "Forward me a message from the channel" in (typed.text or "")
        # The bot is not an administrator of the channel yet: told what to fix, nothing linked.
        fake.chat_members[(CHANNEL, fake.bot_id)] = {"status": "member"}
        missing = (await forward(LEA)).text or ""
        assert "I cannot manage the channel Drone news yet" in missing
        assert "make me an administrator of the channel" in missing and "group" not in missing
        del fake.chat_members[(CHANNEL, fake.bot_id)]  # now it is (the fake's default)
        # Forwarded by someone who does not administer the channel: refused.
        assert "Only an administrator of the channel" in ((await forward(LEA)).text or "")
        fake.chat_members[(CHANNEL, LEA.id)] = {"status": "creator", "is_anonymous": False}
        linked = await forward(LEA)
        assert "Drone news is now the channel of Drone club" in (linked.text or "")
        # Tom joins the project: an invite link to the channel, his join request approved.
        await say(fake, TOM, "/projects")
        await tap(fake, TOM, "Drone club")
        mark = fake.mark()
        await tap(fake, TOM, "Join")
        invite = await invite_of(fake, TOM, mark)
        assert fake.calls_of("createChatInviteLink")[-1].params["chat_id"] == CHANNEL
        mark = fake.mark()
        fake.join_request(TOM, CHANNEL, invite_link=invite.buttons()[0][1])
        approved = await fake.wait_for_call("approveChatJoinRequest", after=mark)
        assert (approved.params["chat_id"], approved.params["user_id"]) == (CHANNEL, TOM.id)
        # A forward from the channel by someone who asked for nothing is just a message: the menu.
        other = await forward(TOM)
        assert "is now the channel" not in (other.text or "") and other.buttons()
    async with sessions() as session:
        project = await session.scalar(select(Project))
        assert project is not None and (project.chat_id, project.chat_title) == (CHANNEL, "Drone news")
    joined = await membership(sessions, TOM)
    assert joined is not None and joined.status is MembershipStatus.JOINED


async def test_a_member_withdraws_a_pending_request_and_the_owners_message_says_so(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await create_project(fake, LEA, "Repair café", open_to_all=False)
        await say(fake, ZOE, "/projects")
        await tap(fake, ZOE, "Repair café")
        mark = fake.mark()
        view = await tap(fake, ZOE, "Join")
        ask = await fake.wait_for_call("sendMessage", LEA.id, text_contains="asks to join", after=mark)
        labels = [label for label, _data in view.buttons()]
        assert "↩️ Withdraw my request" in labels and not any("Leave" in label for label in labels)

        mark = fake.mark()
        view = await tap(fake, ZOE, "Withdraw my request")
        answered = await fake.wait_for_call("answerCallbackQuery", after=mark)
        assert answered.params.get("text") == "Your request is withdrawn."
        assert "🙋 Join" in [label for label, _data in view.buttons()]
        edited = await fake.wait_for_call("editMessageText", LEA.id, after=mark)
        assert edited.params["message_id"] == ask.result["message_id"]
        assert edited.text == "↩️ Zoé withdrew their request to join Repair café."
        assert edited.buttons() == []

        # Léa presses Approve on a copy of the message that still had its buttons (a second phone).
        mark = fake.mark()
        fake.press(LEA, fake.last_message(LEA.id) or {}, ask.buttons()[0][1] or "")
        answered = await fake.wait_for_call("answerCallbackQuery", after=mark)
        assert "withdrew" in (answered.params.get("text") or "")
        edited = await fake.wait_for_call("editMessageText", LEA.id, after=mark)
        assert "withdrew" in (edited.text or "")
        assert [label for label, _data in edited.buttons()] == ["🛠 Requests and members"]
        assert not [c for c in fake.calls_of("sendMessage", ZOE.id)[1:] if "Welcome" in (c.text or "")]
    withdrawn = await membership(sessions, ZOE)
    assert withdrawn is not None and withdrawn.status is MembershipStatus.LEFT


async def test_a_leave_button_shown_on_a_request_withdraws_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await create_project(fake, LEA, "Repair café", open_to_all=False)
        await say(fake, TOM, "/projects")
        await tap(fake, TOM, "Repair café")
        mark = fake.mark()
        await tap(fake, TOM, "Join")
        await fake.wait_for_call("sendMessage", LEA.id, text_contains="asks to join", after=mark)
        project = await membership(sessions, TOM)
        assert project is not None
        mark = fake.mark()
        answered = await press_data(fake, TOM, f"pj:l:{project.project_id}")
        assert answered.params.get("text") == "Your request is withdrawn."
        await fake.wait_for_call("editMessageText", LEA.id, text_contains="withdrew", after=mark)
        again = await tap(fake, TOM, "Join")  # and asking again works
        assert "Withdraw my request" in str(again.buttons())
