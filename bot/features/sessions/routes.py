"""The sessions' buttons: the list, a session's page, signing up and cancelling, its .ics; for the
managers, planning a session one choice at a time, cancelling one, and marking who came."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Between, Button, Day, Flag, OneOf
from models.machines import MachineKind
from models.session_guests import AgeBracket, Situation
from models.sessions import SessionKind

Page = Annotated[int, Between(0, 999)]
# The wire order of the choices: append, never reorder.
KINDS = (SessionKind.TRAINING, SessionKind.WORKSHOP, SessionKind.MEDIATION, SessionKind.EVENT)
MACHINE_KINDS = (
    MachineKind.PRINTER_3D,
    MachineKind.LASER_CUTTER,
    MachineKind.CNC,
    MachineKind.PC,
    MachineKind.ELECTRONICS_BENCH,
    MachineKind.OTHER,
)


class SessionList(Button, action="ses"):
    """The upcoming sessions, a page of them."""

    page: Page


class SessionPage(Button, action="ses:v"):
    """A session's page: when, where, what, the seats left, and what the member can do."""

    session: ID


class SignUpPressed(Button, action="ses:s"):
    """Sign up (or join the waitlist when the seats are taken)."""

    session: ID


class CancelSignUp(Button, action="ses:c"):
    """Cancel my sign-up, leave the waitlist, or decline a seat given from the waitlist."""

    session: ID


class CalendarFile(Button, action="ses:i"):
    """The session as an .ics file."""

    session: ID


class PlanAsked(Button, action="ses:p"):
    """Plan a session (managers): its type first."""


class KindChosen(Button, action="ses:p:k"):
    """The type of the session planned."""

    kind: Annotated[SessionKind, OneOf(KINDS)]


class MachineChosen(Button, action="ses:p:m"):
    """A training's machine."""

    machine: ID


class MachineKindChosen(Button, action="ses:p:mk"):
    """A training on every machine of a kind."""

    kind: Annotated[MachineKind, OneOf(MACHINE_KINDS)]


class DayChosen(Button, action="ses:p:d"):
    day: Day


class TimeChosen(Button, action="ses:p:t"):
    """The start, in minutes after local midnight."""

    minute: Annotated[int, Between(0, 1439)]


class LengthChosen(Button, action="ses:p:l"):
    minutes: Annotated[int, Between(15, 1440)]


class SeatsChosen(Button, action="ses:p:n"):
    seats: Annotated[int, Between(1, 500)]


class MinimumChosen(Button, action="ses:p:q"):
    minimum: Annotated[int, Between(0, 500)]


class SkipPressed(Button, action="ses:p:x"):
    """No description, or no place (at the lab): the next step."""


class CancelSessionAsked(Button, action="ses:x"):
    """Cancel this session? (says how many will be told)"""

    session: ID


class CancelSessionConfirmed(Button, action="ses:x:y"):
    session: ID


class Attendance(Button, action="ses:a"):
    """The participants, to mark who came."""

    session: ID


class AttendanceMarked(Button, action="ses:a:m"):
    """This participant came (or did not)."""

    signup: ID
    came: Flag


class RepeatChosen(Button, action="ses:r"):
    """Plan the session again each week, at the same time, for this many more weeks."""

    session: ID
    weeks: Annotated[int, Between(1, 12)]


class ReserveToggled(Button, action="ses:p:r"):
    """Reserve this machine for the session's time (or no longer)."""

    machine: ID


class ReserveDone(Button, action="ses:p:rd"):
    """The machines reserved are chosen (maybe none): the title next."""


# --- public sessions' guests (models/session_guests.py) ---------------------------------------

AGE_BRACKETS = (AgeBracket.UNDER_18, AgeBracket.FROM_18_TO_25, AgeBracket.FROM_26_TO_64, AgeBracket.OVER_65)
SITUATIONS = (
    Situation.EMPLOYED,
    Situation.JOB_SEEKER,
    Situation.STUDENT,
    Situation.RETIRED,
    Situation.OTHER,
)


class PublicChosen(Button, action="ses:p:o"):
    """Whether the session planned is open to the public (takes guests)."""

    public: Flag


class GuestAsked(Button, action="ses:g"):
    """Add a guest to a public session: their name is typed next, then their contact."""

    session: ID


class GuestAgeChosen(Button, action="ses:g:a"):
    guest: ID
    bracket: Annotated[AgeBracket, OneOf(AGE_BRACKETS)]


class GuestSituationChosen(Button, action="ses:g:s"):
    guest: ID
    situation: Annotated[Situation, OneOf(SITUATIONS)]


class GuestProfileSkipped(Button, action="ses:g:x"):
    """No answer to this question (0: the age bracket, 1: the situation)."""

    guest: ID
    step: Annotated[int, Between(0, 1)]


class WalkInAdded(Button, action="ses:a:w"):
    """A guest who came without signing up: counted, as come."""

    session: ID


class GuestMarked(Button, action="ses:a:g"):
    """This guest came (or did not)."""

    guest: ID
    came: Flag


class GuestsToRemove(Button, action="ses:g:r"):
    """The guests of a session not started, to take one off (they cancelled)."""

    session: ID


class GuestRemoved(Button, action="ses:g:d"):
    """Take this guest off: their seat is free again (the waitlist's first gets it)."""

    guest: ID
