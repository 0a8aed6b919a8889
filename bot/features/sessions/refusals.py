"""Why a session could not be planned, joined, left or marked, by the refusal's exact class."""

from __future__ import annotations

from bot.core.i18n import N_, Texts
from bot.core.refusals import Refusals
from models import errors, session_guests, sessions
from models.errors import DomainError


def _too_late(texts: Texts, refusal: DomainError) -> str:
    assert isinstance(refusal, sessions.CancelTooLate)
    return texts.gettext(
        "Sign-ups can only be cancelled until {moment}: your seat is kept. Tell the lab's team if you "
        "cannot come."
    ).format(moment=texts.moment(refusal.deadline))


def _already_reserved(texts: Texts, refusal: DomainError) -> str:
    assert isinstance(refusal, errors.AlreadyReserved)
    return texts.gettext(
        "{machine} is already reserved by the session « {title} » for part of that time. Nothing was changed."
    ).format(machine=refusal.machine, title=refusal.title)


REFUSALS: Refusals = {
    errors.AlreadyReserved: _already_reserved,
    sessions.BadSessionTimes: N_("A session must end after it starts, on the same day. Nothing was changed."),
    sessions.BadSeats: N_("A session has between 1 and 500 seats. Nothing was changed."),
    sessions.BadMinimum: N_(
        "The minimum number of participants must be between 0 and the number of seats. Nothing was changed."
    ),
    sessions.BadSessionTitle: N_(
        "The title must be 1 to 100 characters long (the description 2,000 at most). Nothing was changed."
    ),
    sessions.SessionHiddenCharacters: N_(
        "The title or the place holds an invisible or control character: please type it again."
    ),
    sessions.TrainingNeedsMachine: N_(
        "A training is for one machine or one kind of machine. Nothing was changed."
    ),
    sessions.SessionCancelled: N_("This session was cancelled. Nothing was changed."),
    sessions.SessionStarted: N_("This session has already started. Nothing was changed."),
    sessions.SessionNotStarted: N_("Attendance can be marked once the session has started."),
    sessions.CancelTooLate: _too_late,
    sessions.AlreadyRepeated: N_("This session already repeats every week. Nothing was changed."),
    sessions.BadRepeat: N_("A session repeats for 1 to 12 more weeks. Nothing was changed."),
    sessions.NotSignedUp: N_("You are not signed up to this session. Nothing was changed."),
    session_guests.NotPublic: N_("Only a session open to the public takes guests. Nothing was changed."),
    session_guests.SessionFull: N_("Every seat is taken: no guest can be added. Nothing was changed."),
    session_guests.BadGuestName: N_(
        "Please send the guest's name: 1 to 80 characters, with letters, and no invisible character."
    ),
    session_guests.BadGuestContact: N_(
        "Please send a phone number (such as 06 12 34 56 78 or +33 6 12 34 56 78) or an e-mail address."
    ),
}
