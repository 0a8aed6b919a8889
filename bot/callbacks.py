"""Callback data: short, structured, built and parsed here only.

Data looks like "bk:s:12:29567040" (action "bk:s", integer arguments). Anything that does not
parse exactly is rejected; what parses is still re-checked by the domain on every press.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# action -> number of integer arguments
ACTIONS: dict[str, int] = {
    "menu": 0,  # main menu
    "close": 0,  # leave the current screen
    "help": 0,
    "rp": 0,  # report a problem: pick the machine
    "rp:m": 1,  # machine picked -> describe  (machine)
    "rp:s": 1,  # severity picked -> the report is sent  (severity index)
    "rp:x": 0,  # drop the report being written
    "q": 1,  # manager: the maintenance queue  (page)
    "tk": 1,  # manager: a ticket's detail and history  (ticket)
    "tk:t": 1,  # take it  (ticket)
    "tk:r": 1,  # resolve (asks for a note)  (ticket)
    "tk:e": 1,  # escalate (asks for a note)  (ticket)
    "tk:x": 1,  # reject (asks for a reason)  (ticket)
    "tk:p": 1,  # the ticket's photos  (ticket)
    "mc": 1,  # manager: a machine's status, maintenance log and plans  (machine)
    "mc:ics": 1,  # manager: the machine's schedule as an .ics file  (machine)
    "dt": 1,  # manager: plan a downtime, pick the day  (machine)
    "dt:d": 2,  # day picked -> start  (machine, yyyymmdd)
    "dt:s": 2,  # start picked -> length  (machine, start as epoch minutes)
    "dt:l": 3,  # length picked -> what it affects, Confirm?  (machine, start, minutes)
    "dt:ok": 3,  # confirmed -> downtime planned  (machine, start, minutes)
    "dt:x": 1,  # manager: call off a planned downtime?  (downtime)
    "dt:y": 1,  # call it off  (downtime)
    "pl": 1,  # manager: a maintenance plan  (plan)
    "pl:i": 2,  # set the plan's interval to a preset  (plan, preset index)
    "pl:a": 1,  # pause or resume the plan  (plan)
    "st": 1,  # manager: consumables  (page)
    "st:c": 1,  # a consumable: quantity, movements, actions  (consumable)
    "st:r": 2,  # restock by a preset amount  (consumable, preset index)
    "st:t": 2,  # ask for a typed amount  (consumable, 0 restock / 1 count / 2 correction)
    "su:c": 2,  # member: what they used after a booking, pick the consumable  (booking, consumable)
    "su:a": 3,  # ... a preset amount  (booking, consumable, preset index)
    "su:o": 2,  # ... another amount, typed  (booking, consumable)
    "su:x": 1,  # ... nothing to record  (booking)
    "up": 1,  # manager: the update register  (page)
    "up:i": 1,  # an item and its history  (item)
    "up:d": 1,  # checked, updated: ask the version  (item)
    "up:k": 1,  # checked, same version  (item)
    "up:s": 1,  # snooze a week  (item)
    "up:n": 1,  # not applicable  (item)
    "ss": 1,  # manager: statistics over a period  (days; 0: choose the period)
    "ss:c": 1,  # ... the bookings as CSV  (days)
    "pv": 0,  # the privacy notice
    "pv:x": 0,  # export my data
    "pv:f": 0,  # erase my data?
    "pv:y": 0,  # erase it
    "my": 0,  # my bookings
    "my:p": 1,  # my bookings, another page  (page)
    "my:ics": 0,  # my bookings as an .ics file
    "my:cal": 0,  # my calendar link
    "my:cn": 0,  # a new calendar link (the old one stops)
    "my:cx": 0,  # turn the calendar link off
    "my:c": 1,  # ask to cancel  (booking)
    "my:y": 1,  # cancel confirmed  (booking)
    "mg": 0,  # manager: machines and today's bookings
    "mg:p": 1,  # the same, another page  (page)
    "au": 1,  # manager: authorize, pick machine  (page)
    "au:m": 2,  # manager: machine picked, pick member  (machine, page)
    "au:g": 2,  # manager: grant  (machine, member)
    "au:f": 0,  # manager: find a member (their name is typed next)
    "au:u": 1,  # manager: a member's authorizations  (member)
    "au:r": 1,  # manager: withdraw an authorization?  (authorization)
    "au:y": 1,  # manager: withdraw it  (authorization)
    "hours": 0,  # opening hours and closure days
    "lang": 0,  # language choices
    "lang:fr": 0,
    "lang:en": 0,
    "lang:auto": 0,
}

MAX_LENGTH = 64  # Telegram's limit on callback_data, in bytes
# Every argument (ids, yyyymmdd dates, epoch minutes) fits a signed 32-bit integer column; anything
# larger is forged and would make PostgreSQL refuse the query.
MAX_ARG = 2**31 - 1
_INT = re.compile(r"^(0|[1-9][0-9]{0,9})$")


@dataclass(frozen=True)
class Callback:
    action: str
    args: tuple[int, ...]


def build(action: str, *args: int) -> str:
    """Build callback data for an action; a wrong arity is a programming error."""
    if ACTIONS.get(action) != len(args) or any(not 0 <= a <= MAX_ARG for a in args):
        raise ValueError(f"bad callback {action}{args}")
    data = ":".join([action, *map(str, args)])
    if len(data.encode()) > MAX_LENGTH:
        raise ValueError(f"callback data too long: {data}")
    return data


def parse(data: str | None) -> Callback | None:
    """Parse callback data, or return None for anything malformed, unknown or forged."""
    if not data or len(data) > MAX_LENGTH:
        return None
    parts = data.split(":")
    for split in range(len(parts), 0, -1):
        action = ":".join(parts[:split])
        arity = ACTIONS.get(action)
        if arity is None:
            continue
        raw = parts[split:]
        if len(raw) != arity or not all(_INT.match(p) for p in raw):
            return None
        args = tuple(int(p) for p in raw)
        if any(a > MAX_ARG for a in args):
            return None
        return Callback(action, args)
    return None


def pattern(prefix: str) -> str:
    """A regex for CallbackQueryHandler matching one family of actions ("bk" matches "bk" and "bk:...")."""
    return rf"^{re.escape(prefix)}(:|$)"
