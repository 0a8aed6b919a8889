"""Telegram's signed launch data (`Telegram.WebApp.initData`): who opened the Mini App.

Telegram signs the launch data with the bot's token: the secret is HMAC-SHA256 of the token with
the key "WebAppData", and `hash` is HMAC-SHA256 of the data-check string (every other field as
`key=value`, sorted, joined by newlines) with that secret. A page served by anyone else, data
signed for another bot, an edited field or an `auth_date` older than the allowed age is refused.
Nothing is remembered between calls: every API call carries the launch data (no cookie session).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode

# Launch data is a few hundred bytes; anything much longer is not Telegram's.
MAX_LENGTH = 4096
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=1)


class BadLaunchData(Exception):
    """The launch data is missing, malformed, forged or too old (the reason is for the logs)."""


@dataclass(frozen=True)
class LaunchUser:
    """The Telegram user the launch data names."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


def _secret(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def _signature(fields: dict[str, str], token: str) -> str:
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    return hmac.new(_secret(token), check.encode(), hashlib.sha256).hexdigest()


def check_launch_data(init_data: str, token: str, now: datetime, max_age: timedelta) -> LaunchUser:
    """The user of genuine, recent launch data; BadLaunchData otherwise."""
    if not init_data or len(init_data) > MAX_LENGTH:
        raise BadLaunchData("missing or oversized")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise BadLaunchData("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise BadLaunchData("a field given twice")
    given = fields.pop("hash", "")
    if not hmac.compare_digest(given.encode(), _signature(fields, token).encode()):
        raise BadLaunchData("bad signature")
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), tz=now.tzinfo)
    except (KeyError, ValueError, OverflowError, OSError):
        raise BadLaunchData("no auth_date") from None
    if now - signed_at > max_age or signed_at - now > CLOCK_SKEW:
        raise BadLaunchData("stale")
    try:
        user = json.loads(fields["user"])
        if not isinstance(user, dict) or not isinstance(user.get("id"), int) or isinstance(user["id"], bool):
            raise ValueError
        text = {
            key: value if isinstance(value := user.get(key), str) else None
            for key in ("first_name", "last_name", "username", "language_code")
        }
    except (KeyError, ValueError):
        raise BadLaunchData("no user") from None
    return LaunchUser(
        id=user["id"],
        first_name=(text["first_name"] or "")[:64] or str(user["id"]),
        last_name=text["last_name"][:64] if text["last_name"] else None,
        username=text["username"][:32] if text["username"] else None,
        language_code=text["language_code"][:8] if text["language_code"] else None,
    )


def sign_launch_data(token: str, user: dict[str, object], auth_date: datetime, **extra: str) -> str:
    """Launch data as Telegram would sign it for this bot (for the tests and a local try-out)."""
    fields = {
        "auth_date": str(int(auth_date.timestamp())),
        "query_id": "AAH-fabdesk",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        **extra,
    }
    fields["hash"] = _signature(fields, token)
    return urlencode(fields)
