"""Callback data: short, structured, built and parsed here only.

Data looks like "bk:s:12:29567040" (action "bk:s", integer arguments). Anything that does not
parse exactly is rejected; what parses is still re-checked by the domain on every press.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# action -> number of integer arguments
ACTIONS: dict[str, int] = {}

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
