"""My bookings' buttons: the list and its pages, the calendar file and link, cancelling or changing one."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Between, Button, Day, Moment
from bot.features.booking.routes import Minutes


class BookingList(Button, action="my"):
    """The member's upcoming bookings, first page."""


class BookingPage(Button, action="my:p"):
    """Another page of the member's upcoming bookings."""

    page: Annotated[int, Between(0, 9999)]


class CalendarFile(Button, action="my:ics"):
    """The upcoming bookings as an .ics file."""


class CalendarLink(Button, action="my:cal"):
    """The member's private calendar link."""


class CalendarLinkRenewed(Button, action="my:cn"):
    """A new calendar link (the old one stops working)."""


class CalendarLinkTurnedOff(Button, action="my:cx"):
    """Turn the calendar link off."""


class CancelAsked(Button, action="my:c"):
    """Cancel pressed on a booking: Cancel it?"""

    booking: ID


class CancelConfirmed(Button, action="my:y"):
    """Yes, cancel it."""

    booking: ID


class EditAsked(Button, action="my:e"):
    """Change pressed on a booking: its other lengths, and Move."""

    booking: ID


class MoveDayChosen(Button, action="my:md"):
    """Move a booking: the free starts of one day that keep its length."""

    booking: ID
    day: Day


class EditChosen(Button, action="my:ep"):
    """A new span picked for a booking: Change it?"""

    booking: ID
    start: Moment
    minutes: Minutes


class EditConfirmed(Button, action="my:ey"):
    """Yes, change it."""

    booking: ID
    start: Moment
    minutes: Minutes


class CancelAsNoShow(Button, action="my:yn"):
    """Yes, cancel it past the machine's cancellation deadline: it counts as a no-show."""

    booking: ID
