"""The sessions' keyboards: the list, a session's page, the planning's choices, attendance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import N_, Texts
from bot.features.instructors import routes as instructor_routes
from bot.features.keyboards import (
    KIND_NAMES,
    button,
    clip_label,
    machine_title,
    menu_button,
    nav_row,
    pager,
    rows,
)
from bot.features.menu.routes import MainMenu
from bot.features.sessions import routes
from models.machines import Machine, MachineKind
from models.session_guests import AgeBracket, Situation
from models.sessions import SessionGuest, SessionKind, SignUp, SignUpStatus, Upcoming

KIND_LABELS = {
    SessionKind.TRAINING: "🎓",
    SessionKind.WORKSHOP: "🛠",
    SessionKind.MEDIATION: "🤝",
    SessionKind.EVENT: "🎉",
}


def session_list(
    texts: Texts, shown: Sequence[Upcoming], page: int, has_next: bool, *, manager: bool
) -> InlineKeyboardMarkup:
    keyboard = [
        [
            button(
                clip_label(
                    texts.moment(u.session.start_at),
                    u.session.title,
                    icon=KIND_LABELS[u.session.kind],
                    limit=40,
                ),
                routes.SessionPage(u.session.id),
            )
        ]
        for u in shown
    ]
    if row := pager(texts, page, has_next, routes.SessionList):
        keyboard.append(row)
    if manager:
        keyboard.append([button("➕ " + texts.gettext("Plan a session"), routes.PlanAsked())])
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)


def session_page(
    texts: Texts, seen: Upcoming, now: datetime, *, manager: bool, assigns: bool = False
) -> InlineKeyboardMarkup:
    """Sign up / join the waitlist, or cancel; the .ics; for those who run it (`manager`: a manager or
    its instructor), attendance and cancelling; for the managers (`assigns`), its instructor."""
    _ = texts.gettext
    lab_session = seen.session
    session_id = lab_session.id
    keyboard: list[list[InlineKeyboardButton]] = []
    open_ = not lab_session.cancelled and lab_session.start_at > now
    if open_ and seen.mine is None:
        label = "✅ " + _("Sign up") if seen.seats_left else "⏳ " + _("Join the waitlist")
        keyboard.append([button(label, routes.SignUpPressed(session_id))])
    elif open_ and seen.mine is SignUpStatus.SIGNED_UP:
        keyboard.append([button("🙅 " + _("Cancel my sign-up"), routes.CancelSignUp(session_id))])
    elif open_ and seen.mine is SignUpStatus.WAITLISTED:
        keyboard.append([button("🙅 " + _("Leave the waitlist"), routes.CancelSignUp(session_id))])
    if not lab_session.cancelled and seen.mine is SignUpStatus.SIGNED_UP:
        keyboard.append([button("📆 " + _("Add to my calendar (.ics)"), routes.CalendarFile(session_id))])
    if assigns and open_ and lab_session.public:  # guests are the managers' (models/session_guests.py)
        guest_row = [button("🙅 " + _("Remove a guest"), routes.GuestsToRemove(session_id))]
        if seen.seats_left:
            guest_row.insert(0, button("👤 " + _("Add a guest"), routes.GuestAsked(session_id)))
        keyboard.append(guest_row)
    if manager and not lab_session.cancelled:
        if lab_session.start_at <= now:
            keyboard.append([button("📋 " + _("Mark who came"), routes.Attendance(session_id))])
        else:
            keyboard.append([button("🗑 " + _("Cancel this session"), routes.CancelSessionAsked(session_id))])
    if assigns and not lab_session.cancelled:
        assign = instructor_routes.AssignAsked(session_id)
        keyboard.append([button("🧑‍🏫 " + _("Choose its instructor"), assign)])
    keyboard.append(nav_row(texts, routes.SessionList(0)))
    return InlineKeyboardMarkup(keyboard)


def repeat_weeks(texts: Texts, session_id: int) -> InlineKeyboardMarkup:
    """After planning: repeat it weekly for 1 to 12 more weeks, or see it as it is."""
    keyboard = rows([button(str(n), routes.RepeatChosen(session_id, n)) for n in range(1, 13)], 6)
    keyboard.append([button("🗓 " + texts.gettext("See the session"), routes.SessionPage(session_id))])
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)


def seat_given(texts: Texts, session_id: int) -> InlineKeyboardMarkup:
    """With the news of a seat given from the waitlist: the session, or decline the seat."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("🗓 " + _("See the session"), routes.SessionPage(session_id))],
            [button("🙅 " + _("Decline the seat"), routes.CancelSignUp(session_id))],
        ]
    )


def to_session(texts: Texts, session_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button("🗓 " + texts.gettext("See the session"), routes.SessionPage(session_id))],
            [menu_button(texts)],
        ]
    )


def to_sessions(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button("🗓 " + texts.gettext("Other sessions"), routes.SessionList(0))], [menu_button(texts)]]
    )


def confirm_cancel(texts: Texts, session_id: int) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("🗑 " + _("Yes, cancel the session"), routes.CancelSessionConfirmed(session_id))],
            [button("⬅️ " + _("No, keep it"), routes.SessionPage(session_id))],
        ]
    )


def attendance(
    texts: Texts, session_id: int, people: Sequence[SignUp], guests: Sequence[SessionGuest] = ()
) -> InlineKeyboardMarkup:
    """A row a participant: their name (tap: came) and ❌ (did not come); then the guests (a walk-in
    without a name: « Guest 2 »), and a button counting one more walk-in."""
    marks = {None: "❔", True: "✅", False: "❌"}
    keyboard = [
        [
            button(
                clip_label(signup.member.display_name, icon=marks[signup.attended]),
                routes.AttendanceMarked(signup.id, True),
            ),
            button("❌", routes.AttendanceMarked(signup.id, False)),
        ]
        for signup in people[:48]
    ]
    for number, guest in enumerate(guests[: max(0, 90 - len(keyboard))], start=1):
        name = guest.name or texts.gettext("Guest {number}").format(number=number)
        keyboard.append(
            [
                button(clip_label(name, icon=marks[guest.attended]), routes.GuestMarked(guest.id, True)),
                button("❌", routes.GuestMarked(guest.id, False)),
            ]
        )
    keyboard.append([button("➕ " + texts.gettext("A walk-in guest came"), routes.WalkInAdded(session_id))])
    keyboard.append(nav_row(texts, routes.SessionPage(session_id)))
    return InlineKeyboardMarkup(keyboard)


# --- planning ---------------------------------------------------------------------------------

SESSION_KIND_NAMES = {
    SessionKind.TRAINING: N_("Machine training"),
    SessionKind.WORKSHOP: N_("Workshop"),
    SessionKind.MEDIATION: N_("Mediation session"),
    SessionKind.EVENT: N_("Open-lab event"),
}


def kinds(texts: Texts) -> InlineKeyboardMarkup:
    keyboard = [
        [button(f"{KIND_LABELS[k]} {texts.gettext(SESSION_KIND_NAMES[k])}", routes.KindChosen(k))]
        for k in routes.KINDS
    ]
    keyboard.append(nav_row(texts, routes.SessionList(0)))
    return InlineKeyboardMarkup(keyboard)


def training_targets(
    texts: Texts, machines: Sequence[Machine], kinds: Sequence[MachineKind] = routes.MACHINE_KINDS
) -> InlineKeyboardMarkup:
    """The machines a training may be on, and the kinds (an instructor's own ones only)."""
    _ = texts.gettext
    keyboard = [[button(machine_title(m), routes.MachineChosen(m.id))] for m in machines[:30]]
    kinds_ = [
        button(_("All: {kind}").format(kind=_(KIND_NAMES[k])), routes.MachineKindChosen(k)) for k in kinds
    ]
    keyboard += rows(kinds_, 2)
    keyboard.append(nav_row(texts, routes.PlanAsked()))
    return InlineKeyboardMarkup(keyboard)


def days(texts: Texts, choices: Sequence[date]) -> InlineKeyboardMarkup:
    keyboard = rows([button(texts.short_day(d), routes.DayChosen(d)) for d in choices], 3)
    keyboard.append(nav_row(texts, routes.PlanAsked()))
    return InlineKeyboardMarkup(keyboard)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def times(texts: Texts, minutes: Sequence[int]) -> InlineKeyboardMarkup:
    keyboard = rows([button(_clock(m), routes.TimeChosen(m)) for m in minutes], 4)
    keyboard.append(nav_row(texts, routes.PlanAsked()))
    return InlineKeyboardMarkup(keyboard)


def lengths(texts: Texts, choices: Sequence[int]) -> InlineKeyboardMarkup:
    keyboard = rows([button(texts.duration(m), routes.LengthChosen(m)) for m in choices], 4)
    keyboard.append(nav_row(texts, routes.PlanAsked()))
    return InlineKeyboardMarkup(keyboard)


def numbers(
    texts: Texts, choices: Sequence[int], press: type[routes.SeatsChosen] | type[routes.MinimumChosen]
) -> InlineKeyboardMarkup:
    keyboard = rows([button(str(n), press(n)) for n in choices], 4)
    keyboard.append(nav_row(texts, routes.PlanAsked()))
    return InlineKeyboardMarkup(keyboard)


def reserve(texts: Texts, machines: Sequence[Machine], chosen: Sequence[int]) -> InlineKeyboardMarkup:
    """A toggle a machine (✅ reserved for the session, ⬜ not), then go on."""
    keyboard = [
        [
            button(
                clip_label(m.name, icon="✅" if m.id in chosen else "⬜", limit=40),
                routes.ReserveToggled(m.id),
            )
        ]
        for m in machines[:30]
    ]
    keyboard.append([button("➡️ " + texts.gettext("Continue"), routes.ReserveDone())])
    keyboard.append(nav_row(texts, routes.PlanAsked()))
    return InlineKeyboardMarkup(keyboard)


def skip(texts: Texts, label: str) -> InlineKeyboardMarkup:
    """While a description or a place is awaited: skip it, or leave."""
    return InlineKeyboardMarkup([[button("⏭ " + label, routes.SkipPressed())], nav_row(texts, MainMenu())])


def typing(texts: Texts) -> InlineKeyboardMarkup:
    """While the title is awaited: leave."""
    return InlineKeyboardMarkup([nav_row(texts, MainMenu())])


def public_or_not(texts: Texts) -> InlineKeyboardMarkup:
    """Open to the public (guests added by name), or to members only."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("🌍 " + _("Yes, open to the public"), routes.PublicChosen(True))],
            [button("🔒 " + _("No, members only"), routes.PublicChosen(False))],
            nav_row(texts, routes.PlanAsked()),
        ]
    )


AGE_BRACKET_NAMES = {
    AgeBracket.UNDER_18: N_("Under 18"),
    AgeBracket.FROM_18_TO_25: N_("18–25"),
    AgeBracket.FROM_26_TO_64: N_("26–64"),
    AgeBracket.OVER_65: N_("65 and over"),
}
SITUATION_NAMES = {
    Situation.EMPLOYED: N_("In work"),
    Situation.JOB_SEEKER: N_("Job seeker"),
    Situation.STUDENT: N_("Student"),
    Situation.RETIRED: N_("Retired"),
    Situation.OTHER: N_("Other"),
}


def guest_ages(texts: Texts, guest_id: int) -> InlineKeyboardMarkup:
    _ = texts.gettext
    keyboard = rows(
        [button(_(AGE_BRACKET_NAMES[a]), routes.GuestAgeChosen(guest_id, a)) for a in routes.AGE_BRACKETS], 2
    )
    keyboard.append([button("⏭ " + _("Skip"), routes.GuestProfileSkipped(guest_id, 0))])
    return InlineKeyboardMarkup(keyboard)


def guest_situations(texts: Texts, guest_id: int) -> InlineKeyboardMarkup:
    _ = texts.gettext
    keyboard = rows(
        [button(_(SITUATION_NAMES[s]), routes.GuestSituationChosen(guest_id, s)) for s in routes.SITUATIONS],
        2,
    )
    keyboard.append([button("⏭ " + _("Skip"), routes.GuestProfileSkipped(guest_id, 1))])
    return InlineKeyboardMarkup(keyboard)


def guest_typing(texts: Texts, session_id: int) -> InlineKeyboardMarkup:
    """While a guest's name or contact is awaited: back to the session."""
    return InlineKeyboardMarkup([nav_row(texts, routes.SessionPage(session_id))])


def guests_to_remove(texts: Texts, session_id: int, guests: Sequence[SessionGuest]) -> InlineKeyboardMarkup:
    """A button a guest (tap: taken off the session), then back to the session."""
    keyboard = [
        [button(clip_label(g.name or "—", icon="🙅"), routes.GuestRemoved(g.id))] for g in guests[:48]
    ]
    keyboard.append(nav_row(texts, routes.SessionPage(session_id)))
    return InlineKeyboardMarkup(keyboard)
