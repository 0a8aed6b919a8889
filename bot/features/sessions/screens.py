"""Sessions: trainings, workshops, mediation sessions and open-lab events members sign up to.

/sessions (and the main menu's button) lists the upcoming ones with their seats left; a session's
page signs up, joins the waitlist, cancels, gives the .ics. Managers plan a session with buttons
(type, machine or kind for a training, day, start, length, seats, minimum) and type its title,
description and place; they cancel one (with a confirmation) and, once it has started, mark who
came: at a training, that authorizes the member on its machine or kind. Instructors
(bot/features/instructors) plan trainings on their machines and get these buttons on the sessions
they run."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.inputs import typed_answer
from bot.core.reply import Reply
from bot.features import keyboards as shared
from bot.features.sessions import guests, keyboards, messages, routes
from bot.web import ical
from models import instructors, machines, members, session_guests, sessions
from models.machines import MachineKind
from models.opening import local_datetime
from models.sessions import DraftStage, LabSession, SessionGuest, SessionKind, SignUpStatus, Upcoming

PAGE_SIZE = 8
# How long after its start a session stays on a manager's list (to mark who came): a Saturday
# workshop is still there on Monday morning.
ATTENDANCE_WINDOW = timedelta(days=3)
PLANNING_DAYS = 28
FIRST_START, LAST_START = 8 * 60, 21 * 60 + 30  # the start times offered, every half hour
LENGTHS = (30, 60, 90, 120, 180, 240, 360, 480)
SEATS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30)
MINIMUMS = (0, 1, 2, 3, 4, 5, 6, 8, 10)


def seats_line(turn: Turn, seen: Upcoming) -> str:
    """« 3 places restantes », « Complet — liste d'attente »."""
    if seen.seats_left:
        return turn.texts.ngettext("{count} seat left", "{count} seats left", seen.seats_left).format(
            count=seen.seats_left
        )
    return turn._("Full — waitlist")


def _what(turn: Turn, lab_session: LabSession) -> str:
    """The type of the session, and a training's machine or kind."""
    kind = turn._(keyboards.SESSION_KIND_NAMES[lab_session.kind])
    if lab_session.kind is not SessionKind.TRAINING:
        return kind
    if lab_session.machine is not None:
        return f"{kind} — {lab_session.machine.name}"
    if lab_session.machine_kind is not None:
        return f"{kind} — {turn._(shared.KIND_NAMES[lab_session.machine_kind])}"
    return kind


async def session_list(turn: Turn) -> Reply:
    """The upcoming sessions with their seats left (managers, and instructors for the sessions they
    run, also see those started lately: to mark who came)."""
    _ = turn._
    page = turn.press.page if isinstance(turn.press, routes.SessionList) else 0
    manager = turn.member.is_manager or await instructors.is_instructor(turn.session, turn.member)
    since = turn.now - ATTENDANCE_WINDOW if manager else None
    listed = await sessions.upcoming(turn.session, turn.member, turn.now, limit=200, since=since)
    if manager and not turn.member.is_manager:  # an instructor: only their own sessions once started
        listed = [
            u
            for u in listed
            if u.session.start_at > turn.now or await sessions.may_run(turn.session, turn.member, u.session)
        ]
    shown = listed[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    if not listed:
        lines = ["🗓 " + _("No session is planned for now.")]
    else:
        lines = ["🗓 " + _("Upcoming sessions:"), ""]
        for seen in shown:
            mine = ""
            if seen.mine is SignUpStatus.SIGNED_UP:
                mine = " — " + _("you are signed up")
            elif seen.mine is SignUpStatus.WAITLISTED:
                mine = " — " + _("you are on the waitlist")
            when = turn.texts.moment(seen.session.start_at)
            lines.append(f"• {when} — {seen.session.title} — {seats_line(turn, seen)}{mine}")
        lines += ["", _("Tap a session to see it and sign up.")]
    has_next = len(listed) > (page + 1) * PAGE_SIZE
    return Reply(
        text="\n".join(lines),
        markup=keyboards.session_list(turn.texts, shown, page, has_next, manager=manager),
    )


async def session_page(turn: Turn, session_id: int | None = None, head: str = "") -> Reply:
    """A session: when (in the lab's time zone), where, what, the seats left, the member's place."""
    _ = turn._
    if session_id is None:
        session_id = _session_of(turn)
    seen = await sessions.describe(turn.session, session_id, turn.member)
    lab_session = seen.session
    lines = [head, ""] if head else []
    lines += [
        f"{keyboards.KIND_LABELS[lab_session.kind]} {lab_session.title}",
        _what(turn, lab_session),
        "🕒 " + turn.texts.when(lab_session.start_at, lab_session.end_at),
    ]
    if lab_session.place:
        lines.append("📍 " + lab_session.place)
    if reserved := await sessions.reserved_machines(turn.session, lab_session.id):
        lines.append("🔒 " + _("Reserved: {machines}").format(machines=", ".join(m.name for m in reserved)))
    if lab_session.instructor_id is not None:
        instructor = await members.get_member(turn.session, lab_session.instructor_id)
        if instructor.erased_at is None:
            lines.append("🧑‍🏫 " + _("Instructor: {name}").format(name=instructor.display_name))
    if lab_session.description:
        lines += ["", lab_session.description, ""]
    if lab_session.cancelled:
        lines.append("🚫 " + _("This session was cancelled."))
    else:
        lines.append(
            "💺 "
            + _("{left} ({seats} seats in all)").format(left=seats_line(turn, seen), seats=lab_session.seats)
        )
        if lab_session.minimum:
            lines.append(
                turn.texts.ngettext(
                    "It takes place with at least {count} participant.",
                    "It takes place with at least {count} participants.",
                    lab_session.minimum,
                ).format(count=lab_session.minimum)
            )
    if seen.mine is SignUpStatus.SIGNED_UP:
        lines.append("✅ " + _("You are signed up."))
        deadline = turn.desk.settings.session_rules.cancel_deadline(lab_session)
        if deadline > turn.now and not lab_session.cancelled:
            lines.append(_("You can cancel until {moment}.").format(moment=turn.texts.moment(deadline)))
    elif seen.mine is SignUpStatus.WAITLISTED:
        signup = await sessions.own_signup(turn.session, turn.member, lab_session.id)
        position = await sessions.waitlist_position(turn.session, signup) if signup else 1
        lines.append(
            "⏳ "
            + _("You are on the waitlist (number {position}): you will be told if a seat frees up.").format(
                position=position
            )
        )
    runs = await sessions.may_run(turn.session, turn.member, lab_session)
    if turn.member.is_manager and lab_session.public:
        lines.append("🌍 " + _("Open to the public: guests are added by the lab's team."))
        await session_guests.drop_guest_input(turn.session, turn.member)
        guests_here = [g for g in await session_guests.guests_of(turn.session, session_id) if not g.walk_in]
        if guests_here:
            lines.append(_("Guests:") + "".join(_guest_line(g) for g in guests_here[:30]))
    markup = keyboards.session_page(turn.texts, seen, turn.now, manager=runs, assigns=turn.member.is_manager)
    return Reply(text="\n".join(lines), markup=markup)


def _guest_line(guest: SessionGuest) -> str:
    """« • Jeanne Martin — 06 12 34 56 78 » (erased ones are not listed: their session is long over)."""
    return f"\n• {guest.name} — {guest.contact}" if guest.name else ""


def session_payload(payload: str) -> int | None:
    """The session id of a deep link's payload ("s12", from an announcement), or None."""
    digits = payload.removeprefix(messages.SESSION_PAYLOAD)
    if payload[:1] != messages.SESSION_PAYLOAD or not digits.isdigit() or len(digits) > 9:
        return None
    return int(digits)


def _session_of(turn: Turn) -> int:
    press = turn.press
    if isinstance(
        press,
        routes.SessionPage
        | routes.SignUpPressed
        | routes.CancelSignUp
        | routes.CalendarFile
        | routes.CancelSessionAsked
        | routes.CancelSessionConfirmed
        | routes.Attendance,
    ):
        return press.session
    return turn.pressed(routes.SessionPage).session


async def sign_up(turn: Turn) -> Reply:
    """Sign up, or join the waitlist when the seats are taken; a second press says so."""
    _ = turn._
    done = await sessions.sign_up(turn.session, turn.member, _session_of(turn), turn.now)
    if done.signup.status is SignUpStatus.SIGNED_UP:
        head = "✅ " + _("You are signed up. See you there!")
        toast = _("Signed up.") if done.newly else _("You were already signed up.")
    else:
        head = "⏳ " + _("The session is full: you are on the waitlist.")
        toast = _("On the waitlist.") if done.newly else _("You were already on the waitlist.")
    reply = await session_page(turn, done.signup.session_id, head)
    reply.toast = toast
    return reply


async def cancel_signup(turn: Turn) -> Reply:
    """Cancel my sign-up (or leave the waitlist, or decline a given seat): the seat goes on."""
    _ = turn._
    signup, _promoted = await sessions.cancel_signup(
        turn.session, turn.member, _session_of(turn), turn.desk.settings.session_rules, turn.now
    )
    return await session_page(turn, signup.session_id, "🙅 " + _("Your sign-up is cancelled."))


async def calendar_file(turn: Turn) -> Reply:
    """The session as an .ics file for the member's calendar."""
    seen = await sessions.describe(turn.session, _session_of(turn), turn.member)
    content = ical.session_calendar(seen.session, now=turn.now, domain=turn.desk.calendar_domain)
    return Reply(
        text="📆 "
        + turn._("The session for your calendar: open the file, or import it in your calendar app."),
        markup=keyboards.to_session(turn.texts, seen.session.id),
        document=(f"fabdesk-session-{seen.session.id}.ics", content),
        new_message=True,
    )


async def ask_cancel_session(turn: Turn) -> Reply:
    """Cancel this session? Says who will be told."""
    _ = turn._
    seen = await sessions.describe(turn.session, _session_of(turn), turn.member)
    await sessions.require_runner(turn.session, turn.member, seen.session)
    if seen.session.cancelled:
        raise sessions.SessionCancelled(str(seen.session.id))
    guests_here = await session_guests.guests_of(turn.session, seen.session.id)
    told = seen.taken - len(guests_here) + seen.waiting
    text = _("Cancel « {title} » ({when})?").format(
        title=seen.session.title, when=turn.texts.when(seen.session.start_at, seen.session.end_at)
    )
    text += "\n" + turn.texts.ngettext(
        "{count} person signed up or waiting will be told.",
        "{count} people signed up or waiting will be told.",
        told,
    ).format(count=told)
    if guests_here:
        text += "\n" + turn.texts.ngettext(
            "{count} guest is not on Telegram: tell them yourself.",
            "{count} guests are not on Telegram: tell them yourself.",
            len(guests_here),
        ).format(count=len(guests_here))
        text += "".join(_guest_line(g) for g in guests_here)
    return Reply(text=text, markup=keyboards.confirm_cancel(turn.texts, seen.session.id))


async def cancel_session(turn: Turn) -> Reply:
    """Cancel the session: everyone signed up or waiting is told."""
    session_id = _session_of(turn)
    told = await sessions.cancel_session(
        turn.session, turn.member, session_id, turn.now, booking_rules=turn.desk.rules
    )
    head = "🗑 " + turn.texts.ngettext(
        "The session is cancelled; {count} person will be told.",
        "The session is cancelled; {count} people will be told.",
        told,
    ).format(count=told)
    return await session_page(turn, session_id, head)


async def attendance(turn: Turn, session_id: int | None = None) -> Reply:
    """The participants: tap a name if they came, ❌ if not (a training authorizes who came)."""
    _ = turn._
    session_id = session_id if session_id is not None else _session_of(turn)
    people = await sessions.participants(turn.session, turn.member, session_id)
    lab_session = await sessions.get_session(turn.session, session_id)
    lines = [f"📋 {lab_session.title} — {turn.texts.when(lab_session.start_at, lab_session.end_at)}"]
    figures = await sessions.attendance_of(turn.session, session_id)
    guests_here = await session_guests.guests_of(turn.session, session_id)
    if guests_here:
        came = sum(1 for g in guests_here if g.attended)
        lines.append(_("Guests who came: {came} of {count}.").format(came=came, count=len(guests_here)))
    if not figures.participants:
        lines.append(_("Nobody signed up."))
    else:
        lines.append(
            _("{came} of {count} came. Tap a name if they came, ❌ if not.").format(
                came=figures.attended, count=figures.participants
            )
        )
        if erased := figures.participants - len(people):
            lines.append(
                turn.texts.ngettext(
                    "{count} of them had their data erased: counted without their name.",
                    "{count} of them had their data erased: counted without their names.",
                    erased,
                ).format(count=erased)
            )
        if lab_session.kind is SessionKind.TRAINING:
            lines.append(_("Those who came are authorized on the training's machines."))
    return Reply(
        text="\n".join(lines), markup=keyboards.attendance(turn.texts, session_id, people, guests_here)
    )


async def mark_attendance(turn: Turn) -> Reply:
    press = turn.pressed(routes.AttendanceMarked)
    signup = await sessions.mark_attendance(
        turn.session, turn.member, press.signup, press.came, turn.now, turn.desk.settings.tz
    )
    reply = await attendance(turn, signup.session_id)
    name = signup.member.display_name
    reply.toast = (
        turn._("{name} came.").format(name=name)
        if press.came
        else turn._("{name} did not come.").format(name=name)
    )
    return reply


# --- planning ---------------------------------------------------------------------------------


async def plan_asked(turn: Turn) -> Reply:
    """Plan a session: its type first (an instructor plans a training: its machine first)."""
    if not turn.member.is_manager:
        await sessions.require_planner(turn.session, turn.member, SessionKind.TRAINING)
        return await kind_chosen(turn, SessionKind.TRAINING)
    return Reply(text="➕ " + turn._("What kind of session?"), markup=keyboards.kinds(turn.texts))


async def kind_chosen(turn: Turn, kind: SessionKind | None = None) -> Reply:
    kind = kind or turn.pressed(routes.KindChosen).kind
    await sessions.start_draft(turn.session, turn.member, kind, turn.now)
    if kind is SessionKind.TRAINING:
        trained = await machines.machines_needing_training(turn.session)
        kinds: tuple[MachineKind, ...] = routes.MACHINE_KINDS
        if not turn.member.is_manager:  # an instructor: the machines and kinds they instruct
            roles = await instructors.roles_of(turn.session, turn.member.id)
            held = {r.machine_kind for r in roles if r.machine_kind is not None}
            own = {r.machine_id for r in roles}
            trained = [m for m in trained if m.id in own or m.kind in held]
            kinds = tuple(k for k in kinds if k in held)
        return Reply(
            text="🎓 " + turn._("A training on which machine, or on every machine of a kind?"),
            markup=keyboards.training_targets(turn.texts, trained, kinds),
        )
    return _ask_day(turn)


async def machine_chosen(turn: Turn) -> Reply:
    machine = await machines.get_machine(turn.session, turn.pressed(routes.MachineChosen).machine)
    await sessions.set_draft(
        turn.session,
        turn.member,
        turn.now,
        machine_id=machine.id,
        machine_kind=None,
        reserved=str(machine.id),
    )
    return _ask_day(turn)


async def machine_kind_chosen(turn: Turn) -> Reply:
    kind = turn.pressed(routes.MachineKindChosen).kind
    await sessions.set_draft(turn.session, turn.member, turn.now, machine_id=None, machine_kind=kind)
    return _ask_day(turn)


def _ask_day(turn: Turn) -> Reply:
    """The days ahead with a start time still to come (today only until its last start)."""
    today = turn.desk.rules.today(turn.now)
    days = [today + timedelta(days=n) for n in range(PLANNING_DAYS)]
    choices = [d for d in days if _start(turn, d, LAST_START) > turn.now]
    return Reply(text="📅 " + turn._("Which day?"), markup=keyboards.days(turn.texts, choices))


async def day_chosen(turn: Turn) -> Reply:
    day = turn.pressed(routes.DayChosen).day
    await sessions.set_draft(turn.session, turn.member, turn.now, day=day)
    starts = [m for m in range(FIRST_START, LAST_START + 1, 30) if _start(turn, day, m) > turn.now]
    if not starts:  # a day pressed on an older screen, gone by now: the days again
        return _ask_day(turn)
    return Reply(
        text="🕒 " + turn._("{day}: at what time does it start?").format(day=turn.texts.day(day)),
        markup=keyboards.times(turn.texts, starts),
    )


def _start(turn: Turn, day: date, minute: int) -> datetime:
    return local_datetime(day, minute, turn.desk.settings.tz)


async def time_chosen(turn: Turn) -> Reply:
    await sessions.set_draft(
        turn.session, turn.member, turn.now, start_minute=turn.pressed(routes.TimeChosen).minute
    )
    return Reply(text="⏱ " + turn._("How long does it last?"), markup=keyboards.lengths(turn.texts, LENGTHS))


async def length_chosen(turn: Turn) -> Reply:
    await sessions.set_draft(
        turn.session, turn.member, turn.now, minutes=turn.pressed(routes.LengthChosen).minutes
    )
    return Reply(
        text="💺 " + turn._("How many seats?"),
        markup=keyboards.numbers(turn.texts, SEATS, routes.SeatsChosen),
    )


async def seats_chosen(turn: Turn) -> Reply:
    seats = turn.pressed(routes.SeatsChosen).seats
    await sessions.set_draft(turn.session, turn.member, turn.now, seats=seats)
    choices = [m for m in MINIMUMS if m <= seats]
    text = "👥 " + turn._(
        "At least how many participants? Below that number {hours} h before the start, the session is "
        "cancelled and its participants told (0: it always takes place)."
    ).format(hours=turn.desk.settings.session_minimum_hours)
    return Reply(text=text, markup=keyboards.numbers(turn.texts, choices, routes.MinimumChosen))


async def minimum_chosen(turn: Turn) -> Reply:
    await sessions.set_draft(
        turn.session, turn.member, turn.now, minimum=turn.pressed(routes.MinimumChosen).minimum
    )
    return Reply(
        text="🌍 "
        + turn._(
            "Is it open to the public? You will then add guests who are not members, by their name and "
            "phone number or e-mail address."
        ),
        markup=keyboards.public_or_not(turn.texts),
    )


async def public_chosen(turn: Turn) -> Reply:
    draft = await sessions.set_draft(
        turn.session,
        turn.member,
        turn.now,
        public=turn.pressed(routes.PublicChosen).public,
    )
    return await _ask_reserve(turn, draft.reserved_ids)


async def _ask_reserve(turn: Turn, chosen: list[int]) -> Reply:
    """Which machines nobody may book during the session (a training's own is chosen already)."""
    listed = [m for m in await machines.list_machines(turn.session) if m.bookable]
    if not turn.member.is_manager:  # an instructor reserves only the machines they instruct
        listed = [
            m
            for m in listed
            if await instructors.instructs(turn.session, turn.member, machine_id=m.id, machine_kind=None)
        ]
    text = "🔒 " + turn._(
        "Reserve machines for the session? Nobody can book them during it; members who booked them "
        "then are warned. Tap to choose, then Continue."
    )
    return Reply(text=text, markup=keyboards.reserve(turn.texts, listed, chosen))


async def reserve_toggled(turn: Turn) -> Reply:
    machine = await machines.get_machine(turn.session, turn.pressed(routes.ReserveToggled).machine)
    chosen = (await sessions.get_draft(turn.session, turn.member, turn.now)).reserved_ids
    chosen = [i for i in chosen if i != machine.id] if machine.id in chosen else [*chosen, machine.id][:30]
    draft = await sessions.set_draft(
        turn.session, turn.member, turn.now, reserved=",".join(str(i) for i in chosen)
    )
    return await _ask_reserve(turn, draft.reserved_ids)


async def reserve_done(turn: Turn) -> Reply:
    await sessions.set_draft(turn.session, turn.member, turn.now, stage=DraftStage.TITLE)
    return _ask_title(turn)


def _ask_description(turn: Turn) -> Reply:
    return Reply(
        text="📝 " + turn._("Send a description: what members will do, what to bring."),
        markup=keyboards.skip(turn.texts, turn._("No description")),
        new_message=turn.press is None,
    )


def _ask_place(turn: Turn) -> Reply:
    return Reply(
        text="📍 " + turn._("Send the place, or a link for a remote session."),
        markup=keyboards.skip(turn.texts, turn._("At the lab")),
        new_message=turn.press is None,
    )


async def took_text(turn: Turn, text: str) -> Reply:
    """The title, then the description, then the place, typed; the place plans the session. A text
    the rules refuse is answered with the reason, and the same question stands."""
    draft = await sessions.get_draft(turn.session, turn.member, turn.now)
    return await _next_step(turn, draft.stage, text)


async def skip_pressed(turn: Turn) -> Reply:
    """No description, or no place: the next step (a title cannot be skipped)."""
    draft = await sessions.get_draft(turn.session, turn.member, turn.now)
    if draft.stage not in (DraftStage.DESCRIPTION, DraftStage.PLACE):
        return _ask_title(turn)
    return await _next_step(turn, draft.stage, "")


def _ask_title(turn: Turn) -> Reply:
    return Reply(
        text="✏️ " + turn._("Send the session's title (100 characters at most)."),
        markup=keyboards.typing(turn.texts),
        new_message=turn.press is None,
    )


async def _next_step(turn: Turn, stage: str | None, text: str) -> Reply:
    if stage == DraftStage.TITLE:
        await sessions.set_draft(
            turn.session,
            turn.member,
            turn.now,
            title=sessions.clean_title(text),
            stage=DraftStage.DESCRIPTION,
        )
        return _ask_description(turn)
    if stage == DraftStage.DESCRIPTION:
        description = sessions.clean_description(text)
        await sessions.set_draft(
            turn.session, turn.member, turn.now, description=description, stage=DraftStage.PLACE
        )
        return _ask_place(turn)
    if stage != DraftStage.PLACE:
        return _ask_title(turn)
    planned = await sessions.plan_draft(
        turn.session, turn.member, turn.desk.settings.tz, turn.now, place=text
    )
    await sessions.announce(turn.session, planned, turn.desk.settings.announce_chat, turn.now)
    reply = await session_page(
        turn, planned.id, "✅ " + turn._("The session is planned: members can sign up.")
    )
    weekday = turn.texts.day(planned.start_at.astimezone(turn.desk.settings.tz).date()).split()[0]
    reply.text = (
        (reply.text or "")
        + "\n\n🔁 "
        + turn._("Repeat it weekly? Tap for how many more weeks (every {weekday} at {time}).").format(
            weekday=weekday, time=turn.texts.time(planned.start_at)
        )
    )
    reply.markup = keyboards.repeat_weeks(turn.texts, planned.id)
    reply.new_message = turn.press is None
    return reply


async def repeat_chosen(turn: Turn) -> Reply:
    """Plan the session again each week; the weeks that could not be (closed, past) are listed."""
    _ = turn._
    press = turn.pressed(routes.RepeatChosen)
    done = await sessions.repeat_weekly(
        turn.session, turn.member, press.session, press.weeks, turn.desk.settings.tz, turn.now
    )
    for planned in done.planned:
        await sessions.announce(turn.session, planned, turn.desk.settings.announce_chat, turn.now)
    lines = [
        "🔁 "
        + turn.texts.ngettext(
            "{count} more session planned:", "{count} more sessions planned:", len(done.planned)
        ).format(count=len(done.planned))
    ]
    lines += [f"• {turn.texts.when(p.start_at, p.end_at)}" for p in done.planned]
    if done.skipped:
        lines += ["", _("Not planned:")]
        for skipped in done.skipped:
            why = (
                _("the lab is closed ({reason})").format(reason=skipped.closure)
                if skipped.closed and skipped.closure
                else _("the lab is closed")
                if skipped.closed
                else _("already past")
            )
            lines.append(f"• {turn.texts.day(skipped.day)} — {why}")
    return Reply(text="\n".join(lines), markup=keyboards.to_session(turn.texts, press.session))


FEATURE = Feature(
    name="sessions",
    commands={"sessions": session_list},
    presses={
        routes.SessionList: session_list,
        routes.SessionPage: session_page,
        routes.SignUpPressed: sign_up,
        routes.CancelSignUp: cancel_signup,
        routes.CalendarFile: calendar_file,
        routes.PlanAsked: plan_asked,
        routes.KindChosen: kind_chosen,
        routes.MachineChosen: machine_chosen,
        routes.MachineKindChosen: machine_kind_chosen,
        routes.DayChosen: day_chosen,
        routes.TimeChosen: time_chosen,
        routes.LengthChosen: length_chosen,
        routes.SeatsChosen: seats_chosen,
        routes.MinimumChosen: minimum_chosen,
        routes.SkipPressed: skip_pressed,
        routes.CancelSessionAsked: ask_cancel_session,
        routes.CancelSessionConfirmed: cancel_session,
        routes.Attendance: attendance,
        routes.AttendanceMarked: mark_attendance,
        routes.RepeatChosen: repeat_chosen,
        routes.ReserveToggled: reserve_toggled,
        routes.ReserveDone: reserve_done,
        routes.PublicChosen: public_chosen,
        routes.GuestAsked: guests.guest_asked,
        routes.GuestAgeChosen: guests.age_chosen,
        routes.GuestSituationChosen: guests.situation_chosen,
        routes.GuestProfileSkipped: guests.profile_skipped,
        routes.WalkInAdded: guests.walk_in_added,
        routes.GuestMarked: guests.guest_marked,
        routes.GuestsToRemove: guests.guests_to_remove,
        routes.GuestRemoved: guests.guest_removed,
    },
    awaits=[
        typed_answer(lambda turn: sessions.pending_text(turn.session, turn.member, turn.now), took_text),
        typed_answer(
            lambda turn: session_guests.pending_guest(turn.session, turn.member, turn.now),
            guests.took_guest_text,
        ),
    ],
)
