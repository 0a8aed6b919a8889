"""An owner's word to the members: an announcement, or a meeting (day → time → where → subject)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.context import Turn, clip
from bot.core.reply import Reply
from bot.features.projects import keyboards, routes
from bot.features.projects.screens import project_view
from models import projects
from models.errors import NotFound
from models.opening import local_datetime

MEETING_DAYS = 14  # a meeting is planned within the next two weeks, today included


async def ask_announcement(turn: Turn) -> Reply:
    """The announcement is typed next."""
    project_id = turn.pressed(routes.WriteAnnouncement).project
    project = await projects.ask_project_input(
        turn.session, turn.member, project_id, "announcement", turn.now
    )
    text = (
        f"📣 {project.name}\n"
        + turn._("Send the announcement in one message: it goes to the members who are not in the group.")
        + "\n"
        + turn._("/cancel to stop.")
    )
    return Reply(text=text, new_message=True)


async def meeting_day(turn: Turn) -> Reply:
    """Which day is the meeting?"""
    project = await projects.get_project(turn.session, turn.pressed(routes.PlanMeeting).project)
    projects.require_owner(project, turn.member)
    days = [turn.desk.rules.today(turn.now) + timedelta(days=n) for n in range(MEETING_DAYS)]
    return Reply(
        text=f"📅 {project.name}\n\n" + turn._("Which day is the meeting?"),
        markup=keyboards.meeting_days(turn.texts, project, days),
    )


async def meeting_time(turn: Turn) -> Reply:
    """At what time? (every half hour from 8:00 to 21:30, those still ahead)"""
    press = turn.pressed(routes.MeetingDayChosen)
    project = await projects.get_project(turn.session, press.project)
    projects.require_owner(project, turn.member)
    day = press.day
    today = turn.desk.rules.today(turn.now)
    if not today <= day <= today + timedelta(days=MEETING_DAYS - 1):
        raise NotFound(f"day {day}")
    starts = [local_datetime(day, minute, turn.texts.tz) for minute in range(8 * 60, 22 * 60, 30)]
    starts = [s for s in starts if s > turn.now]
    text = f"📅 {project.name} — {turn.texts.day(day)}\n\n" + turn._("At what time?")
    return Reply(text=text, markup=keyboards.meeting_times(turn.texts, project, starts))


async def meeting_where(turn: Turn) -> Reply:
    """On site or remote?"""
    press = turn.pressed(routes.MeetingTimeChosen)
    project = await projects.get_project(turn.session, press.project)
    projects.require_owner(project, turn.member)
    return Reply(
        text=f"📅 {project.name}\n\n" + turn._("Where?"),
        markup=keyboards.meeting_places(turn.texts, project, press.start),
    )


async def meeting_text(turn: Turn) -> Reply:
    """The meeting's subject (and a remote one's video link) is typed next."""
    press = turn.pressed(routes.MeetingPlaceChosen)
    starts_at = press.start
    project = await projects.ask_project_input(
        turn.session,
        turn.member,
        press.project,
        "meeting",
        turn.now,
        starts_at=starts_at,
        remote=press.remote,
    )
    prompt = (
        turn._("Send the meeting's subject in one message (with the video link for a remote one).")
        if press.remote
        else turn._("Send the meeting's subject in one message.")
    )
    return Reply(
        text=f"📅 {project.name} — {turn.texts.day_time(starts_at)}\n"
        + prompt
        + "\n"
        + turn._("/cancel to stop."),
        new_message=True,
    )


async def ask_cancel_meeting(turn: Turn) -> Reply:
    """Cancel this meeting? (Say who will be told.)"""
    meeting = await projects.get_meeting(turn.session, turn.pressed(routes.AskCancelMeeting).meeting)
    project = await projects.get_project(turn.session, meeting.project_id)
    projects.require_owner(project, turn.member)
    when = turn.texts.day_time(meeting.starts_at)
    text = f"📅 {project.name} — {when}\n{clip(meeting.title, 200)}\n\n" + turn._(
        "Cancel this meeting? The project's members are told. (To move it, cancel it and plan it again.)"
    )
    return Reply(text=text, markup=keyboards.confirm_cancel_meeting(turn.texts, meeting))


async def cancel_meeting(turn: Turn) -> Reply:
    """Cancel the meeting; the project's members are told."""
    meeting_id = turn.pressed(routes.MeetingCancelled).meeting
    done = await projects.cancel_meeting(turn.session, turn.member, meeting_id, turn.now)
    when = turn.texts.day_time(done.meeting.starts_at)
    if done.already:
        toast = turn._("This meeting was already cancelled: {when}.").format(when=when)
    else:
        toast = (
            turn._("Meeting cancelled: {when}.").format(when=when)
            + " "
            + turn.texts.ngettext("{count} member was told.", "{count} members were told.", done.told).format(
                count=done.told
            )
        )
    return await project_view(turn, done.project.id, toast=toast)


async def took_project_input(turn: Turn, text: str) -> Reply:
    """The announcement or the meeting's subject, typed: send it, or plan the meeting."""
    posted = await projects.give_project_input(turn.session, turn.member, text, turn.now)
    if posted.expired:
        return Reply(
            text=turn._("The meeting's time has passed meanwhile: nothing was planned. Pick a time again."),
            markup=keyboards.plan_again(turn.texts, posted.project.id),
        )
    if posted.meeting is not None:
        minutes = int(turn.desk.settings.meeting_reminder_minutes)
        when = turn.texts.day_time(posted.meeting.starts_at)
        body = (
            turn._("Meeting planned: {when}.").format(when=when)
            + " "
            + turn.texts.ngettext(
                "{count} member will be reminded {minutes} minutes before.",
                "{count} members will be reminded {minutes} minutes before.",
                posted.reached,
            ).format(count=posted.reached, minutes=minutes)
        )
    else:
        body = turn.texts.ngettext(
            "Announcement sent to {count} member.", "Announcement sent to {count} members.", posted.reached
        ).format(count=posted.reached)
    return Reply(text="✅ " + body, markup=keyboards.back_to_project(turn.texts, posted.project.id))
