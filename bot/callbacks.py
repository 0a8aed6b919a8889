"""Callback data: short, structured, built and parsed here only.

Data looks like "bk:s:12:29567040" (action "bk:s", integer arguments). Anything that does not
parse exactly is rejected; what parses is still re-checked by the domain on every press.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# action -> number of integer arguments
ACTIONS: dict[str, int] = {
    "pj": 1,  # projects  (page)
    "pj:v": 1,  # a project  (project)
    "pj:j": 1,  # join it  (project)
    "pj:l": 1,  # leave it  (project)
    "pj:w": 1,  # withdraw my request to join it  (project)
    "mp": 0,  # my projects
    "pr:a": 1,  # owner: approve a request to join  (membership)
    "pr:d": 1,  # owner: decline it  (membership)
    "pq:a": 1,  # owner: let a stranger's join request in  (join request)
    "pq:d": 1,  # owner: decline it  (join request)
    "pm": 1,  # owner: requests and members  (project)
    "pm:p": 2,  # ... another page  (project, page)
    "pm:o": 1,  # owner: make them a co-owner  (membership)
    "pm:x": 1,  # owner: remove a member? (membership)
    "pm:y": 1,  # owner: remove them  (membership)
    "pa": 1,  # owner: write an announcement  (project)
    "pc": 1,  # owner: link a channel (forward one of its messages next)  (project)
    "pt": 1,  # owner: plan a meeting, pick the day  (project)
    "pt:d": 2,  # ... the time  (project, yyyymmdd)
    "pt:s": 2,  # ... on site or remote  (project, start as epoch minutes)
    "pt:w": 3,  # ... its subject, typed  (project, start, 0 on site / 1 remote)
    "pt:x": 1,  # owner: cancel a meeting?  (meeting)
    "pt:y": 1,  # ... cancel it  (meeting)
    "pz": 1,  # owner or manager: archive?  (project)
    "pz:y": 1,  # archive it  (project)
    "np": 0,  # new project
    "np:v": 1,  # its visibility  (0 open / 1 on request)
    "np:k": 0,  # skip an optional step
    "np:ok": 0,  # create it
    "np:x": 0,  # drop it
    "lk": 1,  # in a group: link it to this project  (project)
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
