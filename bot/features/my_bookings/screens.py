"""My bookings: the member's upcoming bookings, each with Change (another length, another start) and
Cancel (each with a confirmation)."""

from __future__ import annotations

from datetime import timedelta

from bot import web
from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.i18n import N_
from bot.core.reply import Reply
from bot.features.booking.refusals import late_cancellation_warning
from bot.features.my_bookings import keyboards, routes
from bot.web import ical
from models import booked_for, booking_edits, bookings, feeds, quotas, waitlist
from models.bookings import ReminderNote
from models.errors import AlreadyCancelled, AlreadyStarted, SlotTaken

PAGE_SIZE = 10
NOTE_LABELS = {
    ReminderNote.MACHINE_UNAVAILABLE: N_("⛔ machine out of service"),
    ReminderNote.LAB_CLOSED: N_("🔒 the lab is closed then"),
    ReminderNote.IN_MAINTENANCE: N_("🗓 maintenance planned then"),
}


async def my_bookings(turn: Turn) -> Reply:
    """List the member's upcoming bookings, a page at a time."""
    _ = turn._
    page = turn.press.page if isinstance(turn.press, routes.BookingPage) else 0
    upcoming, total = await bookings.upcoming_for_member(
        turn.session, turn.member, turn.now, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    if not total:
        text = _("You have no upcoming booking.")
    else:
        if total <= PAGE_SIZE:
            lines = [_("Your upcoming bookings:"), ""]
        else:
            first = page * PAGE_SIZE + 1
            lines = [
                _("Your upcoming bookings ({first}–{last} of {total}):").format(
                    first=first, last=first + len(upcoming) - 1, total=total
                ),
                "",
            ]
        notes = await bookings.booking_notes(turn.session, upcoming, turn.desk.rules)
        bookers = await booked_for.booked_by_names(turn.session, upcoming)
        for b in upcoming:
            line = f"• {b.machine.name} — {turn.texts.when(b.start_at, b.end_at)}"
            if b.guest_label:  # a fab manager's booking for a guest or a workshop
                line += f" — « {b.guest_label} »"
            if b.id in bookers:
                line += " — " + _("booked by {name}").format(name=bookers[b.id])
            if b.id in notes:
                line += " — " + _(NOTE_LABELS[notes[b.id]])
            lines.append(line)
        text = "\n".join(lines)
    future = [b for b in upcoming if b.cancellable(turn.now)]
    has_next = total > (page + 1) * PAGE_SIZE
    feeds_on = turn.desk.settings.web_base_url is not None
    return Reply(text=text, markup=keyboards.my_bookings(turn.texts, future, page, has_next, feeds_on))


async def calendar_file(turn: Turn) -> Reply:
    """The member's upcoming bookings as an .ics file for their calendar."""
    upcoming, _total = await bookings.upcoming_for_member(turn.session, turn.member, turn.now, limit=500)
    content = ical.bookings_calendar(
        upcoming, name=turn._("My fab lab bookings"), now=turn.now, domain=turn.desk.calendar_domain
    )
    return Reply(
        text="📅 "
        + turn._("Your bookings for your calendar: open the file, or import it in your calendar app."),
        document=("fabdesk-bookings.ics", content),
        new_message=True,
    )


async def calendar_link(turn: Turn) -> Reply:
    """The member's private calendar link: what it is, and create, renew or turn it off."""
    _ = turn._
    if turn.desk.settings.web_base_url is None:
        return Reply(
            toast=_("Calendar links are not turned on in this lab: use the .ics file instead."), alert=True
        )
    feed = await feeds.feed_of(turn.session, turn.member)
    lines = [
        "🔗 " + _("Your calendar link"),
        "",
        _(
            "Subscribe to it in your calendar app (Google Calendar: Other calendars › From URL; Apple "
            "Calendar: File › New calendar subscription): your bookings appear and stay up to date."
        ),
        _("Anyone with the link sees your bookings: keep it to yourself. You can renew it or turn it off."),
        "",
    ]
    if feed is None:
        lines.append(_("You have no calendar link yet."))
    else:
        lines.append(web.feed_url(turn.desk.settings, feed.token) or "")
    return Reply(text="\n".join(lines), markup=keyboards.calendar_link(turn.texts, linked=feed is not None))


async def new_calendar_link(turn: Turn) -> Reply:
    if turn.desk.settings.web_base_url is not None:
        await feeds.new_feed(turn.session, turn.member, turn.now)
    reply = await calendar_link(turn)
    if reply.text:
        reply.toast = turn._("Your new link is ready; the previous one no longer works.")
    return reply


async def revoke_calendar_link(turn: Turn) -> Reply:
    revoked = await feeds.revoke_feed(turn.session, turn.member)
    reply = await calendar_link(turn)
    if reply.text and revoked:
        reply.toast = turn._("Your calendar link is turned off.")
    return reply


async def ask_cancel(turn: Turn) -> Reply:
    """Ask the member to confirm cancelling one of their bookings."""
    return await _ask_cancel(turn, turn.pressed(routes.CancelAsked).booking)


async def _ask_cancel(turn: Turn, booking_id: int) -> Reply:
    """Cancel it? Past the machine's cancellation deadline, saying that it counts as a no-show."""
    _ = turn._
    booking = await bookings.get_own_booking(turn.session, turn.member, booking_id)
    if booking.status is bookings.BookingStatus.CANCELLED:
        return Reply(toast=_("This booking was already cancelled."), alert=True)
    if not booking.cancellable(turn.now):  # pressed from an old message (a warning...)
        raise AlreadyStarted(str(booking.id))
    late = await bookings.late_cancellation(turn.session, turn.member, booking, turn.now)
    text = (
        _("Cancel this booking?")
        + f"\n\n{booking.machine.name}\n🗓 {turn.texts.when(booking.start_at, booking.end_at)}"
    )
    if late is not None:
        text += "\n\n⚠️ " + late_cancellation_warning(turn.texts, late)
    return Reply(text=text, markup=keyboards.confirm_cancel(turn.texts, booking, as_no_show=late is not None))


async def cancel(turn: Turn) -> Reply:
    """Cancel the booking, then show the list again; past the deadline (reached since), ask again."""
    booking_id = turn.pressed(routes.CancelConfirmed).booking
    try:
        booking = await waitlist.cancel_booking(
            turn.session, turn.member, booking_id, turn.now, turn.desk.rules
        )
    except quotas.LateCancellation:
        return await _ask_cancel(turn, booking_id)
    return await _cancelled(turn, booking)


async def cancel_as_no_show(turn: Turn) -> Reply:
    """Cancel the booking past the machine's deadline, recorded as a no-show, as the member accepted."""
    booking = await waitlist.cancel_booking(
        turn.session,
        turn.member,
        turn.pressed(routes.CancelAsNoShow).booking,
        turn.now,
        turn.desk.rules,
        no_show_accepted=True,
    )
    return await _cancelled(turn, booking)


async def _cancelled(turn: Turn, booking: bookings.Booking) -> Reply:
    reply = await my_bookings(turn)
    done = turn._("Your booking of {machine} on {when} is cancelled.").format(
        machine=booking.machine.name, when=turn.texts.when(booking.start_at, booking.end_at)
    )
    if booking.no_show_at is not None:
        done += " " + turn._("It counts as a no-show.")
    reply.text = f"🗑 {done}\n\n{reply.text}"
    reply.toast = turn._("Booking cancelled.")
    return reply


async def _editable(turn: Turn, booking_id: int) -> bookings.Booking:
    """The member's own booking, still ahead (a press from an old message is refused)."""
    booking = await bookings.get_own_booking(turn.session, turn.member, booking_id)
    if booking.status is bookings.BookingStatus.CANCELLED:
        raise AlreadyCancelled(str(booking.id))
    if not booking_edits.editable(booking, turn.now):
        raise AlreadyStarted(str(booking.id))
    return booking


def _booking_lines(turn: Turn, booking: bookings.Booking) -> str:
    return f"{booking.machine.name}\n🗓 {turn.texts.when(booking.start_at, booking.end_at)}"


async def edit(turn: Turn) -> Reply:
    """Offer the booking's other lengths from its start, and moving it to another time."""
    _ = turn._
    booking = await _editable(turn, turn.pressed(routes.EditAsked).booking)
    lengths = await booking_edits.lengths_from_start(
        turn.session, booking, booking.machine, turn.desk.rules, turn.now
    )
    lines = [_("Change this booking?"), "", _booking_lines(turn, booking), ""]
    if any(m != booking.minutes for m in lengths):
        lines.append(_("Make it end at another time, or move it:"))
    else:
        lines.append(_("It cannot be made longer (the machine is booked right after): you can move it."))
    return Reply(text="\n".join(lines), markup=keyboards.edit(turn.texts, booking, lengths))


async def move(turn: Turn) -> Reply:
    """Show the free starts of a day where the booking can move, keeping its length."""
    _ = turn._
    press = turn.pressed(routes.MoveDayChosen)
    booking = await _editable(turn, press.booking)
    rules = booking_edits.reaching(turn.desk.rules, booking, turn.now)
    found = await booking_edits.starts_to_move_to(
        turn.session, booking, booking.machine, rules.bookable_days(turn.now), rules, turn.now
    )
    starts = found.get(press.day, [])
    # The days with free starts a week either side of the one shown (a keyboard holds 100 buttons).
    other_days = [
        d for d, free in found.items() if free and d != press.day and abs((d - press.day).days) <= 7
    ]
    header = _("Move your booking of {machine} ({length}) to:").format(
        machine=booking.machine.name, length=turn.texts.duration(booking.minutes)
    )
    lines = [header, "", "🗓 " + turn.texts.day(press.day)]
    lines.append(_("Free start times:") if starts else _("No free start that day for this length."))
    if other_days:
        lines += ["", _("Or pick another day:")]
    markup = keyboards.move(turn.texts, booking, starts, other_days)
    return Reply(text="\n".join(lines), markup=markup)


async def confirm_edit(turn: Turn) -> Reply:
    """Show the booking before and after the change, with Yes / No."""
    _ = turn._
    press = turn.pressed(routes.EditChosen)
    booking = await _editable(turn, press.booking)
    await bookings.validate_slot(
        turn.session, booking.machine, press.start, press.minutes, turn.desk.rules, turn.now
    )
    end = press.start + timedelta(minutes=press.minutes)
    text = "\n".join(
        [
            _("Change this booking?"),
            "",
            booking.machine.name,
            _("Before: {when}").format(when=turn.texts.when(booking.start_at, booking.end_at)),
            _("After: {when}").format(when=turn.texts.when(press.start, end)),
        ]
    )
    return Reply(text=text, markup=keyboards.confirm_edit(turn.texts, booking, press.start, press.minutes))


async def apply_edit(turn: Turn) -> Reply:
    """Change the booking in place, then show the list again; a time just taken says so."""
    _ = turn._
    press = turn.pressed(routes.EditConfirmed)
    try:
        edited = await booking_edits.edit_booking(
            turn.session, turn.member, press.booking, press.start, press.minutes, turn.desk.rules, turn.now
        )
    except SlotTaken:
        booking = await _editable(turn, press.booking)
        lengths = await booking_edits.lengths_from_start(
            turn.session, booking, booking.machine, turn.desk.rules, turn.now
        )
        text = (
            _("Sorry, that time was just taken by someone else: your booking is unchanged.")
            + "\n\n"
            + _booking_lines(turn, booking)
        )
        return Reply(
            text=text,
            markup=keyboards.edit(turn.texts, booking, lengths),
            toast=_("That time was just taken."),
        )
    booking = edited.booking
    reply = await my_bookings(turn)
    done = _("Your booking of {machine} is now {when}.").format(
        machine=booking.machine.name, when=turn.texts.when(booking.start_at, booking.end_at)
    )
    reply.text = f"✏️ {done}\n\n{reply.text}"
    reply.toast = _("Booking changed.")
    return reply


FEATURE = Feature(
    name="my_bookings",
    commands={"mybookings": my_bookings},
    presses={
        routes.BookingList: my_bookings,
        routes.BookingPage: my_bookings,
        routes.CalendarFile: calendar_file,
        routes.CalendarLink: calendar_link,
        routes.CalendarLinkRenewed: new_calendar_link,
        routes.CalendarLinkTurnedOff: revoke_calendar_link,
        routes.CancelAsked: ask_cancel,
        routes.CancelConfirmed: cancel,
        routes.EditAsked: edit,
        routes.MoveDayChosen: move,
        routes.EditChosen: confirm_edit,
        routes.EditConfirmed: apply_edit,
        routes.CancelAsNoShow: cancel_as_no_show,
    },
)
