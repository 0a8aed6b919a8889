"""A public session's guests: a manager adds one (name, then contact, then, if the lab asks, the
age bracket and situation, each skippable), counts a walk-in at attendance, and marks who came."""

from __future__ import annotations

from bot.core.context import Turn
from bot.core.reply import Reply
from bot.features.sessions import keyboards, routes
from models import session_guests
from models.session_guests import SessionGuest


async def guest_asked(turn: Turn) -> Reply:
    """Add a guest: their name first."""
    lab_session = await session_guests.ask_guest(
        turn.session, turn.member, turn.pressed(routes.GuestAsked).session, turn.now
    )
    return Reply(
        text="👤 "
        + turn._("A guest for « {title} »: send their first and last name.").format(title=lab_session.title),
        markup=keyboards.guest_typing(turn.texts, lab_session.id),
    )


async def took_guest_text(turn: Turn, text: str) -> Reply:
    """The name (the contact is asked next), or the contact (the guest is added). A text refused is
    answered with the reason, and the same question stands."""
    row = await session_guests.pending_guest(turn.session, turn.member, turn.now)
    session_id = row.session_id if row is not None else 0
    guest = await session_guests.took_guest_text(turn.session, turn.member, text, turn.now)
    if guest is None:
        return Reply(
            text="📞 " + turn._("Send their phone number or e-mail address, to reach them if need be."),
            markup=keyboards.guest_typing(turn.texts, session_id),
            new_message=True,
        )
    if turn.desk.settings.session_guest_profile:
        return _ask_age(turn, guest, new_message=True)
    return await _added(turn, guest, new_message=True)


def _ask_age(turn: Turn, guest: SessionGuest, *, new_message: bool = False) -> Reply:
    return Reply(
        text="🎂 "
        + turn._(
            "{name} is signed up. Their age bracket? (optional, for the lab's anonymous figures)"
        ).format(name=guest.name),
        markup=keyboards.guest_ages(turn.texts, guest.id),
        new_message=new_message,
    )


async def _added(turn: Turn, guest: SessionGuest, *, new_message: bool = False) -> Reply:
    """The session's page with the news (a walk-in: the attendance list)."""
    from bot.features.sessions import screens  # screens registers these handlers

    if guest.walk_in:
        return await screens.attendance(turn, guest.session_id)
    reply = await screens.session_page(
        turn, guest.session_id, "✅ " + turn._("{name} is signed up as a guest.").format(name=guest.name)
    )
    reply.new_message = new_message
    return reply


async def age_chosen(turn: Turn) -> Reply:
    press = turn.pressed(routes.GuestAgeChosen)
    guest = await session_guests.set_profile(
        turn.session, turn.member, press.guest, age_bracket=press.bracket
    )
    return _ask_situation(turn, guest)


def _ask_situation(turn: Turn, guest: SessionGuest) -> Reply:
    return Reply(
        text="💼 " + turn._("Their situation? (optional)"),
        markup=keyboards.guest_situations(turn.texts, guest.id),
    )


async def situation_chosen(turn: Turn) -> Reply:
    press = turn.pressed(routes.GuestSituationChosen)
    guest = await session_guests.set_profile(
        turn.session, turn.member, press.guest, situation=press.situation
    )
    return await _added(turn, guest)


async def profile_skipped(turn: Turn) -> Reply:
    """No answer: the next question, or the session."""
    press = turn.pressed(routes.GuestProfileSkipped)
    guest = await session_guests.set_profile(turn.session, turn.member, press.guest)
    if press.step == 0:
        return _ask_situation(turn, guest)
    return await _added(turn, guest)


async def walk_in_added(turn: Turn) -> Reply:
    """A guest came without signing up: counted, as come."""
    from bot.features.sessions import screens

    session_id = turn.pressed(routes.WalkInAdded).session
    guest = await session_guests.add_walk_in(turn.session, turn.member, session_id, turn.now)
    if turn.desk.settings.session_guest_profile:
        reply = _ask_age(turn, guest)
        reply.text = "➕ " + turn._("A walk-in guest is counted. Their age bracket? (optional)")
        return reply
    reply = await screens.attendance(turn, session_id)
    reply.toast = turn._("A walk-in guest is counted.")
    return reply


async def guest_marked(turn: Turn) -> Reply:
    from bot.features.sessions import screens

    press = turn.pressed(routes.GuestMarked)
    guest = await session_guests.mark_guest(turn.session, turn.member, press.guest, press.came, turn.now)
    reply = await screens.attendance(turn, guest.session_id)
    reply.toast = turn._("Guest marked as come.") if press.came else turn._("Guest marked as absent.")
    return reply


async def guests_to_remove(turn: Turn) -> Reply:
    """The session's guests: tap one to take them off (their seat is free again)."""
    session_id = turn.pressed(routes.GuestsToRemove).session
    listed = [g for g in await session_guests.guests_of(turn.session, session_id) if not g.walk_in]
    text = (
        "🙅 " + turn._("Which guest cancelled? Their seat goes to the first on the waitlist.")
        if listed
        else turn._("This session has no guest.")
    )
    return Reply(text=text, markup=keyboards.guests_to_remove(turn.texts, session_id, listed))


async def guest_removed(turn: Turn) -> Reply:
    """Take the guest off; back to the session's page."""
    from bot.features.sessions import screens

    guest = await session_guests.remove_guest(
        turn.session, turn.member, turn.pressed(routes.GuestRemoved).guest, turn.now
    )
    head = "🙅 " + turn._("{name} is no longer signed up; the seat is free again.").format(name=guest.name)
    return await screens.session_page(turn, guest.session_id, head)
