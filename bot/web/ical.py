"""Bookings as iCalendar files (.ics), for members' and managers' calendars (icalendar library)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from models.bookings import Booking
from models.sessions import LabSession

PRODUCT = "-//fabdesk//bookings//EN"


def bookings_calendar(
    bookings: Iterable[Booking],
    *,
    name: str,
    now: datetime,
    summary: str | None = None,
    location: str = "",
    domain: str = "fabdesk",
) -> bytes:
    """An .ics file with one event per booking; `summary` replaces the machine's name (e.g. "Booked"
    on a machine's schedule, where who booked is nobody else's business)."""
    from icalendar import Event  # here: most updates never need it, and it weighs 8 MB

    calendar = _calendar(name)
    for booking in bookings:
        event = Event()
        # A stable uid: importing the file again updates the events instead of doubling them; the
        # lab's own domain (its bot's name) keeps two labs' booking #12 apart in one calendar.
        event.add("uid", f"booking-{booking.id}@{domain}")
        event.add("dtstamp", now)
        event.add("dtstart", booking.start_at)
        event.add("dtend", booking.end_at)
        event.add("summary", summary or booking.machine.name)
        place = location or booking.machine.location
        if place:
            event.add("location", place)
        calendar.add_component(event)
    return calendar.to_ical()


def _calendar(name: str) -> Any:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def session_calendar(lab_session: LabSession, *, now: datetime, domain: str = "fabdesk") -> bytes:
    """An .ics file with the session as its one event (a stable uid: importing it again updates it)."""
    from icalendar import Event

    calendar = _calendar(lab_session.title)
    event = Event()
    event.add("uid", f"session-{lab_session.id}@{domain}")
    event.add("dtstamp", now)
    event.add("dtstart", lab_session.start_at)
    event.add("dtend", lab_session.end_at)
    event.add("summary", lab_session.title)
    if lab_session.place:
        event.add("location", lab_session.place)
    if lab_session.description:
        event.add("description", lab_session.description)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
