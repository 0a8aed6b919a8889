"""Project groups on a real database: creating, joining, owners' rights, the group, meetings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import outbox as outbox_domain
from models import projects
from models.errors import NotAllowed, NotFound
from models.members import Member
from models.outbox import OutboxMessage
from models.projects import (
    AlreadyMember,
    BadProjectText,
    BotRights,
    DuplicateName,
    JoinDecision,
    MembershipStatus,
    Project,
    Role,
    Visibility,
)
from tests.factories import NOW, make_member

GROUP = -100_555
FULL_RIGHTS = BotRights(admin=True, can_invite=True, can_restrict=True)


async def outbox(session: AsyncSession) -> list[tuple[str, int]]:
    rows = await session.execute(select(OutboxMessage.kind, OutboxMessage.chat_id).order_by(OutboxMessage.id))
    return [(r.kind, r.chat_id) for r in rows]


async def new_project(
    session: AsyncSession,
    owner: Member,
    name: str = "Drone club",
    visibility: Visibility = Visibility.OPEN,
    *,
    linked: bool = True,
) -> Project:
    await projects.start_project(session, owner, NOW)
    await projects.draft_answer(session, owner, name, NOW)
    await projects.draft_answer(session, owner, "We build and fly FPV drones.", NOW)
    await projects.draft_choose(session, owner, NOW, visibility=visibility)
    await projects.draft_answer(session, owner, "Drones, électronique #FPV", NOW)
    await projects.draft_choose(session, owner, NOW, skip=True)
    project = await projects.create_project(session, owner, NOW)
    if linked:
        await projects.link_chat(session, owner, project.id, GROUP, "Drone club 🛸", FULL_RIGHTS, NOW)
    return await projects.get_project(session, project.id)


async def test_a_project_is_created_step_by_step_and_its_creator_owns_it(session: AsyncSession) -> None:
    lea = await make_member(session, "Léa")
    project = await new_project(session, lea, visibility=Visibility.ON_REQUEST, linked=False)
    assert (project.name, project.visibility, project.tag_list) == (
        "Drone club",
        Visibility.ON_REQUEST,
        ["drones", "électronique", "fpv"],
    )
    assert projects.is_owner(project, lea) and project.storage_url is None and project.chat_id is None
    assert await projects.current_project_draft(session, lea) is None
    # Names are unique whatever their case.
    await projects.start_project(session, lea, NOW)
    with pytest.raises(DuplicateName):
        await projects.draft_answer(session, lea, "DRONE CLUB", NOW)


@pytest.mark.parametrize(
    ("stage_answers", "bad"),
    [
        ([], " "),
        ([], "x" * 81),
        (["Name", "Description"], "not a link"),
    ],
)
async def test_bad_answers_are_refused_and_the_question_stays(
    session: AsyncSession, stage_answers: list[str], bad: str
) -> None:
    lea = await make_member(session, "Léa")
    await projects.start_project(session, lea, NOW)
    for answer in stage_answers:
        await projects.draft_answer(session, lea, answer, NOW)
    if stage_answers:
        await projects.draft_choose(session, lea, NOW, visibility=Visibility.OPEN)
        await projects.draft_choose(session, lea, NOW, skip=True)  # no tags: now the link
    draft = await projects.current_project_draft(session, lea)
    assert draft is not None
    stage = draft.stage
    with pytest.raises(BadProjectText):
        await projects.draft_answer(session, lea, bad, NOW)
    assert draft.stage == stage


async def test_joining_an_open_project_is_immediate_and_sends_an_invite(session: AsyncSession) -> None:
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    project = await new_project(session, lea)
    outcome = await projects.join(session, tom, project.id, NOW)
    assert outcome.membership.status is MembershipStatus.APPROVED and not outcome.needs_owner
    assert outcome.can_invite
    assert await outbox(session) == [("project_invite", tom.telegram_id)]
    with pytest.raises(AlreadyMember):
        await projects.join(session, tom, project.id, NOW)


async def test_joining_on_request_asks_the_owners_who_decide(session: AsyncSession) -> None:
    lea, tom, zoe = (
        await make_member(session, "Léa"),
        await make_member(session, "Tom"),
        await make_member(session, "Zoé"),
    )
    project = await new_project(session, lea, visibility=Visibility.ON_REQUEST)
    request = (await projects.join(session, tom, project.id, NOW)).membership
    assert request.status is MembershipStatus.REQUESTED
    assert await outbox(session) == [("project_join_request", lea.telegram_id)]
    with pytest.raises(NotAllowed):  # Zoé owns nothing
        await projects.decide(session, zoe, request.id, True, NOW)
    await projects.decide(session, lea, request.id, True, NOW)
    assert request.status is MembershipStatus.APPROVED and request.decided_by_id == lea.id
    assert [k for k, chat in await outbox(session) if chat == tom.telegram_id] == [
        "project_decision",
        "project_invite",
    ]
    with pytest.raises(projects.AlreadyDecided):  # decided already
        await projects.decide(session, lea, request.id, False, NOW)


async def test_a_withdrawn_request_is_not_sent_edits_what_was_sent_and_keeps_a_refusal(
    session: AsyncSession,
) -> None:
    lea, tom, zoe = (
        await make_member(session, "Léa"),
        await make_member(session, "Tom"),
        await make_member(session, "Zoé"),
    )
    project = await new_project(session, lea, visibility=Visibility.ON_REQUEST)
    membership = (await projects.join(session, zoe, project.id, NOW)).membership
    await projects.decide(session, lea, membership.id, True, NOW)
    await projects.make_owner(session, lea, membership.id, NOW)  # Léa and Zoé own it
    request = (await projects.join(session, tom, project.id, NOW)).membership
    asks = list(
        await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "project_join_request"))
    )
    to_lea, to_zoe = (
        next(m for m in asks if m.chat_id == o.telegram_id and m.payload["membership_id"] == request.id)
        for o in (lea, zoe)
    )
    await outbox_domain.mark_sent(session, to_lea.id, NOW, 41)  # Léa's went out; Zoé's not yet
    later = NOW + timedelta(minutes=5)
    await projects.withdraw_request(session, tom, project.id, later)
    assert request.status is MembershipStatus.LEFT and projects.withdrew(request)
    assert to_zoe.failed_at == later and to_zoe.sent_at is None  # never sent now
    edits = list(
        await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "project_request_withdrawn"))
    )
    assert [(e.chat_id, e.payload["message_id"]) for e in edits] == [(lea.telegram_id, 41)]
    with pytest.raises(projects.RequestWithdrawn):
        await projects.decide(session, zoe, request.id, True, later)
    with pytest.raises(NotFound):  # nothing left to withdraw
        await projects.withdraw_request(session, tom, project.id, later)
    # A member who leaves is not taken for one who withdrew; the creator neither.
    await projects.leave(session, lea, project.id, later)
    assert not projects.withdrew(projects.membership_of(await projects.get_project(session, project.id), lea))
    again = await projects.join(session, tom, project.id, later)
    assert again.membership.status is MembershipStatus.REQUESTED and not projects.withdrew(again.membership)


async def test_join_requests_from_telegram_are_decided_from_what_fabdesk_knows(session: AsyncSession) -> None:
    lea, tom, ana = (
        await make_member(session, "Léa"),
        await make_member(session, "Tom"),
        await make_member(session, "Ana"),
    )
    project = await new_project(session, lea, visibility=Visibility.ON_REQUEST)
    # Tom was accepted: let in.
    tom_request = (await projects.join(session, tom, project.id, NOW)).membership
    await projects.decide(session, lea, tom_request.id, True, NOW)
    assert (
        await projects.handle_join_request(session, GROUP, tom.telegram_id, "Tom", NOW)
        is JoinDecision.APPROVED
    )
    assert tom_request.status is MembershipStatus.JOINED and tom_request.joined_at == NOW
    # Ana was declined: kept out.
    ana_request = (await projects.join(session, ana, project.id, NOW)).membership
    await projects.decide(session, lea, ana_request.id, False, NOW)
    assert (
        await projects.handle_join_request(session, GROUP, ana.telegram_id, "Ana", NOW)
        is JoinDecision.DECLINED
    )
    # A stranger with a forwarded link: put to the owners, who decide.
    assert await projects.handle_join_request(session, GROUP, 777, "Mallory", NOW) is JoinDecision.PENDING
    (stranger,) = (await projects.pending_requests(session, project))[1]
    await projects.decide_unknown(session, lea, stranger.id, False, NOW)
    # Another group: not ours.
    assert await projects.handle_join_request(session, -100_999, 777, "Mallory", NOW) is None
    actions = [
        p
        for k, p in (await session.execute(select(OutboxMessage.kind, OutboxMessage.payload))).all()
        if k == "chat_action"
    ]
    assert [(a["action"], a["user_id"]) for a in actions] == [
        ("approve", tom.telegram_id),
        ("decline", ana.telegram_id),
        ("decline", 777),
    ]


async def test_only_owners_remove_members_and_the_last_owner_cannot_leave(session: AsyncSession) -> None:
    lea, tom, zoe = (
        await make_member(session, "Léa"),
        await make_member(session, "Tom"),
        await make_member(session, "Zoé"),
    )
    project = await new_project(session, lea)
    tom_in = (await projects.join(session, tom, project.id, NOW)).membership
    await projects.handle_join_request(session, GROUP, tom.telegram_id, "Tom", NOW)
    zoe_in = (await projects.join(session, zoe, project.id, NOW)).membership
    with pytest.raises(NotAllowed):
        await projects.remove_member(session, zoe, tom_in.id, NOW)
    owner_row = projects.membership_of(project, lea)
    assert owner_row is not None
    with pytest.raises(NotFound):  # owners are not removed this way
        await projects.remove_member(session, lea, owner_row.id, NOW)
    await projects.remove_member(session, lea, tom_in.id, NOW)
    assert tom_in.status is MembershipStatus.REMOVED
    kinds = [k for k, _chat in await outbox(session)]
    assert kinds.count("chat_action") == 2 and "project_removed" in kinds  # approve, then remove
    # A removed member asking again goes to the owners, even for an open project.
    again = await projects.join(session, tom, project.id, NOW)
    assert again.needs_owner and again.membership.status is MembershipStatus.REQUESTED
    with pytest.raises(NotAllowed):
        await projects.leave(session, lea, project.id, NOW)
    await projects.leave(session, zoe, project.id, NOW)
    assert zoe_in.status is MembershipStatus.LEFT


async def test_linking_a_group_needs_an_owner_and_the_right_rights(session: AsyncSession) -> None:
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    project = await new_project(session, lea, linked=False)
    other = await new_project(session, lea, "Repair café", linked=False)
    with pytest.raises(NotAllowed):
        await projects.link_chat(session, tom, project.id, GROUP, "G", FULL_RIGHTS, NOW)
    no_ban = BotRights(admin=True, can_invite=True, can_restrict=False)
    assert no_ban.missing == ["restrict"] and BotRights(False, False, False).missing == ["admin"]
    with pytest.raises(projects.NoGroup):
        await projects.link_chat(session, lea, project.id, GROUP, "G", no_ban, NOW)
    await projects.link_chat(session, lea, project.id, GROUP, "G", FULL_RIGHTS, NOW)
    await projects.link_chat(session, lea, other.id, GROUP, "G", FULL_RIGHTS, NOW)  # the group moves
    assert project.chat_id is None and other.chat_id == GROUP
    assert [p.name for p in await projects.linkable_projects(session, lea)] == ["Drone club", "Repair café"]


async def test_lost_rights_are_told_to_the_owners_once_and_joining_falls_back(session: AsyncSession) -> None:
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    project = await new_project(session, lea)
    lost = BotRights(admin=False, can_invite=False, can_restrict=False)
    await projects.bot_rights_changed(session, GROUP, lost, NOW)
    await projects.bot_rights_changed(session, GROUP, lost, NOW)
    assert [k for k, _c in await outbox(session)] == ["project_rights_lost"]
    outcome = await projects.join(session, tom, project.id, NOW)
    assert not outcome.can_invite and ("project_invite", tom.telegram_id) not in await outbox(session)
    await projects.bot_rights_changed(session, GROUP, FULL_RIGHTS, NOW)
    assert project.chat_lost_at is None


async def lea_tom_and_zoe(session: AsyncSession) -> tuple[Member, Member, Member, Project]:
    """Léa's linked project; Tom joined it and is in its group, Zoé joined it but is not in the group."""
    lea, tom, zoe = (
        await make_member(session, "Léa"),
        await make_member(session, "Tom"),
        await make_member(session, "Zoé"),
    )
    project = await new_project(session, lea)
    await projects.join(session, tom, project.id, NOW)
    await projects.handle_join_request(session, GROUP, tom.telegram_id, "Tom", NOW)
    await projects.join(session, zoe, project.id, NOW)
    return lea, tom, zoe, project


async def test_announcements_reach_members_outside_the_group_and_meetings_remind_once(
    session: AsyncSession,
) -> None:
    lea, tom, zoe, project = await lea_tom_and_zoe(session)
    with pytest.raises(NotAllowed):
        await projects.ask_project_input(session, tom, project.id, "announcement", NOW)
    await projects.ask_project_input(session, lea, project.id, "announcement", NOW)
    posted = await projects.give_project_input(session, lea, "Meeting moved to Thursday", NOW)
    assert posted.reached == 1
    assert [chat for k, chat in await outbox(session) if k == "project_announcement"] == [zoe.telegram_id]

    starts = NOW + timedelta(days=2)
    with pytest.raises(BadProjectText):
        await projects.ask_project_input(
            session, lea, project.id, "meeting", NOW, starts_at=NOW - timedelta(hours=1)
        )
    await projects.ask_project_input(session, lea, project.id, "meeting", NOW, starts_at=starts, remote=True)
    posted = await projects.give_project_input(session, lea, "Flight tests — https://meet.jit.si/drones", NOW)
    assert posted.meeting is not None and posted.meeting.link == "https://meet.jit.si/drones"
    assert await projects.remind_meetings(session, timedelta(hours=1), starts - timedelta(hours=2)) == 0
    assert await projects.remind_meetings(session, timedelta(hours=1), starts - timedelta(minutes=59)) == 3
    assert await projects.remind_meetings(session, timedelta(hours=1), starts - timedelta(minutes=30)) == 0


async def test_an_owner_cancels_a_meeting_its_members_are_told_and_it_is_not_reminded(
    session: AsyncSession,
) -> None:
    lea, tom, zoe, project = await lea_tom_and_zoe(session)
    outsider = await make_member(session, "Paul")
    starts = NOW + timedelta(days=2)
    await projects.ask_project_input(session, lea, project.id, "meeting", NOW, starts_at=starts, remote=False)
    meeting = (await projects.give_project_input(session, lea, "Flight tests", NOW)).meeting
    assert meeting is not None
    before = len(await outbox(session))

    with pytest.raises(NotAllowed):  # a member, not an owner
        await projects.cancel_meeting(session, tom, meeting.id, NOW)
    with pytest.raises(NotAllowed):
        await projects.cancel_meeting(session, outsider, meeting.id, NOW)
    with pytest.raises(NotFound):
        await projects.cancel_meeting(session, lea, meeting.id + 99, NOW)
    with pytest.raises(projects.MeetingStarted):
        await projects.cancel_meeting(session, lea, meeting.id, starts)
    done = await projects.cancel_meeting(session, lea, meeting.id, NOW)

    assert (done.told, done.already) == (2, False) and meeting.cancelled_at == NOW
    told = (await outbox(session))[before:]
    assert sorted(told) == sorted(
        [("meeting_cancelled", tom.telegram_id), ("meeting_cancelled", zoe.telegram_id)]
    )
    assert await projects.upcoming_meetings(session, project.id, NOW) == []
    assert await projects.remind_meetings(session, timedelta(hours=1), starts - timedelta(minutes=59)) == 0
    again = await projects.cancel_meeting(session, lea, meeting.id, NOW)
    assert again.already and len(await outbox(session)) == before + 2


async def test_a_channel_is_linked_only_after_its_owner_asked_and_only_by_a_forward(
    session: AsyncSession,
) -> None:
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    project = await new_project(session, lea, linked=False)
    channel = -100_9090
    with pytest.raises(NotFound):  # nobody asked to link a channel
        await projects.link_channel(
            session, lea, channel, "Drone news", FULL_RIGHTS, NOW, sender_is_admin=True
        )
    with pytest.raises(NotAllowed):
        await projects.ask_project_input(session, tom, project.id, "channel", NOW)
    await projects.ask_project_input(session, lea, project.id, "channel", NOW)
    with pytest.raises(projects.ForwardExpected):  # a typed message is not the channel
        await projects.give_project_input(session, lea, "Drone news", NOW)
    with pytest.raises(projects.NotGroupAdmin):
        await projects.link_channel(
            session, lea, channel, "Drone news", FULL_RIGHTS, NOW, sender_is_admin=False
        )
    assert (
        await projects.pending_project_input(session, lea) is not None
    )  # still asked: fix it, forward again
    linked = await projects.link_channel(
        session, lea, channel, "Drone news", FULL_RIGHTS, NOW, sender_is_admin=True
    )
    assert (linked.chat_id, linked.chat_title) == (channel, "Drone news")
    assert await projects.pending_project_input(session, lea) is None


async def test_archiving_is_for_owners_and_managers(session: AsyncSession) -> None:
    lea, tom = await make_member(session, "Léa"), await make_member(session, "Tom")
    manager = await make_member(session, "Morgane", manager=True)
    project = await new_project(session, lea)
    with pytest.raises(NotAllowed):
        await projects.archive(session, tom, project.id, NOW)
    await projects.archive(session, manager, project.id, NOW)
    assert (await projects.find_projects(session))[1] == 0
    with pytest.raises(NotFound):
        await projects.join(session, tom, project.id, NOW)


async def test_search_finds_words_in_names_descriptions_and_tags(session: AsyncSession) -> None:
    lea = await make_member(session, "Léa")
    await new_project(session, lea, linked=False)
    await new_project(session, lea, "Repair café", linked=False)
    assert [p.name for p in (await projects.find_projects(session, search="fpv"))[0]] == [
        "Drone club",
        "Repair café",
    ]
    assert [p.name for p in (await projects.find_projects(session, search="repair"))[0]] == ["Repair café"]
    assert (await projects.find_projects(session, search="%"))[1] == 0  # no wildcard sneaks in
    owners = [m.role for m in (await projects.get_project(session, 1)).memberships]
    assert owners == [Role.OWNER]
