"""My bookings' buttons: the list and its pages, the calendar file and link, cancelling a booking."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Between, Button


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


class CancelAsNoShow(Button, action="my:yn"):
    """Yes, cancel it past the machine's cancellation deadline: it counts as a no-show."""

    booking: ID
