"""fabdesk settings: one class, read from the environment and `.env`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from models.sessions import SessionRules

SUPPORTED_LANGUAGES = ("fr", "en")
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
# Telegram allows 1 to 256 of these characters; fewer than 16 would be easy to guess.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
OFFICIAL_API = "https://api.telegram.org/bot"
TELEGRAM_WEBHOOK_PORTS = (443, 80, 88, 8443)
WEBHOOK_PATH = re.compile(r"^[A-Za-z0-9._~/-]*$")  # the listener matches the path as a pattern


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


class Settings(BaseSettings):
    """Everything fabdesk reads from its environment (prefix `FABDESK_`)."""

    model_config = SettingsConfigDict(
        env_prefix="FABDESK_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    bot_token: SecretStr | None = None
    # The bot's @username, for the machines' QR codes (fabdesk qr); None: asked of Telegram (getMe).
    bot_username: str | None = Field(default=None, pattern=r"^@?[A-Za-z][A-Za-z0-9_]{3,31}$")
    telegram_base_url: str = OFFICIAL_API
    telegram_base_file_url: str | None = None
    database_url: str = "sqlite+aiosqlite:///fabdesk.db"
    manager_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Europe/Paris"
    default_language: Literal["fr", "en"] = "fr"
    reminder_minutes: int = Field(default=30, ge=0, le=24 * 60)
    booking_horizon_days: int = Field(default=14, ge=1, le=90)
    reminder_interval_seconds: int = Field(default=60, ge=5, le=3600)
    plan_check_interval_seconds: int = Field(default=600, ge=30, le=86400)
    digest_time: time = time(8, 30)
    meeting_reminder_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    # Sessions (models/sessions.py): the reminder's lead, how long before the start members may still
    # cancel their sign-up, and when a session under its minimum number of participants is cancelled.
    session_reminder_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60)
    session_cancel_hours: int = Field(default=2, ge=0, le=14 * 24)
    session_minimum_hours: int = Field(default=24, ge=0, le=14 * 24)
    # Ask a public session's guests their age bracket and situation (optional), for the funders' report.
    session_guest_profile: bool = False
    # The lab's announcement channel or group (its id, or @username): new sessions are posted there.
    announce_chat: str | None = Field(default=None, pattern=r"^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$")
    retention_months: int = Field(default=24, ge=0, le=240)
    privacy_contact: str = ""
    privacy_notice: str = ""
    http_port: int | None = Field(default=None, ge=1, le=65535)
    http_host: str = "127.0.0.1"
    public_url: str | None = None
    # How old a Mini App's signed launch data may be (Telegram signs it when the app is opened).
    app_auth_max_age_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Webhook mode (instead of long polling): Telegram posts updates to webhook_url, which a reverse
    # proxy forwards to webhook_listen:webhook_port (the same path).
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    error_reports: bool = True
    # How many fabdesk processes send with this bot token (replicas, or a standby next to the poller):
    # each sends at most its share of Telegram's bot-wide budget, 29/N messages a second.
    replicas: int = Field(default=1, ge=1, le=29)
    concurrent_updates: int = Field(default=8, ge=1, le=256)
    # A press is answered at once (its spinner stops) when every update slot is taken, or when its
    # screen has not answered within this many seconds; 0: the screen always answers (bot/core/presses.py).
    press_answer_seconds: float = Field(default=1.0, ge=0, le=10)
    # How the bot talks HTTP to Telegram: aiohttp (bot/core/transport.py, about a third of the CPU per
    # call), or httpx, python-telegram-bot's own.
    transport: Literal["aiohttp", "httpx"] = "aiohttp"
    # How SQLite's statements run: inline on the event loop (models/sqlite_inline.py: no thread hop, a
    # lock held by another process is waited for asleep), or each on aiosqlite's thread.
    sqlite_driver: Literal["inline", "aiosqlite"] = "inline"
    # The event loop `fabdesk run` runs on: uvloop's when it is installed (auto), or Python's own.
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # FABDESK_DATABASE_URL as the fab manager wrote it (before the async driver is put in), to show it.
    _database_url_as_written: str | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_database_url(cls, data: Any, handler: Any) -> Any:
        written = data.get("database_url") if isinstance(data, dict) else None
        settings = handler(data)
        if isinstance(written, str):
            settings._database_url_as_written = written
        return settings

    @field_validator("manager_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            try:
                return [int(p) for p in parts if p]
            except ValueError:
                raise ValueError("expected Telegram user ids separated by commas, e.g. 12345,67890") from None
        return value

    @field_validator("digest_time", mode="before")
    @classmethod
    def _hhmm(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = value.strip().split(":")
            if len(parts) != 2 or not all(p.isdigit() for p in parts):
                raise ValueError("expected a local time like 08:30")
            hours, minutes = int(parts[0]), int(parts[1])
            if not (0 <= hours < 24 and 0 <= minutes < 60):
                raise ValueError("expected a local time like 08:30")
            return time(hours, minutes)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)") from None
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_PATTERN.match(value.get_secret_value()):
            raise ValueError("does not look like a bot token from @BotFather (digits:letters)")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept the usual URL spellings and pick the async driver fabdesk uses."""
        for plain, driver in (
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if value.startswith(plain):
                value = driver + value[len(plain) :]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use a sqlite:/// or postgresql:// URL")
        try:
            make_url(value).port  # noqa: B018 - parsing the port is the check
        except ValueError:
            raise ValueError("is not a valid database URL (check the host and port)") from None
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_PATTERN.match(value.get_secret_value()):
            raise ValueError("use 16 to 256 letters, digits, _ or - (.env.example shows how to make one)")
        return value

    @field_validator("telegram_base_url", "telegram_base_file_url", "public_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def shown_database_url(self) -> str:
        """The database URL as written in the settings (sqlite:///fabdesk.db by default), password masked."""
        written = self._database_url_as_written or "sqlite:///fabdesk.db"
        try:
            return make_url(written).render_as_string(hide_password=True)
        except ValueError:  # pragma: no cover - the validator parsed it
            return make_url(self.database_url).render_as_string(hide_password=True)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def session_rules(self) -> SessionRules:
        return SessionRules(
            cancel_before=timedelta(hours=self.session_cancel_hours),
            reminder_lead=timedelta(minutes=self.session_reminder_minutes),
            minimum_before=timedelta(hours=self.session_minimum_hours),
        )

    @property
    def file_base_url(self) -> str:
        """The file download URL, derived from the API URL unless set."""
        if self.telegram_base_file_url:
            return self.telegram_base_file_url
        base = self.telegram_base_url
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base

    @property
    def web_base_url(self) -> str | None:
        """Where people reach fabdesk's HTTP server (calendar links), or None when it is off."""
        if self.http_port is None:
            return None
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def app_url(self) -> str | None:
        """The Mini App's address, or None when it is off: Telegram opens Mini Apps over HTTPS only,
        so it takes FABDESK_PUBLIC_URL in https and the HTTP server on."""
        if self.http_port is None or not (self.public_url or "").startswith("https://"):
            return None
        return f"{self.web_base_url}/app/"

    def webhook(self) -> Webhook | None:
        """The webhook to serve, or None to long-poll; fail with a line naming the setting."""
        if self.webhook_url is None:
            return None
        if self.webhook_secret is None:
            raise SettingsError(
                "FABDESK_WEBHOOK_SECRET is not set: a webhook needs a secret (letters, digits, _ or -) "
                "so that only Telegram can post updates to it"
            )
        url = urlsplit(self.webhook_url)
        try:
            port = url.port
        except ValueError:
            port = -1
        if not url.hostname or port == -1:
            raise SettingsError(
                "FABDESK_WEBHOOK_URL: needs a host name, like https://fablab.example.org/telegram"
            )
        if url.query or url.fragment or not WEBHOOK_PATH.match(url.path):
            raise SettingsError(
                "FABDESK_WEBHOOK_URL: keep its path to letters, digits and - _ . ~ / (no ? or #)"
            )
        if self.telegram_base_url == OFFICIAL_API:
            if url.scheme != "https":
                raise SettingsError("FABDESK_WEBHOOK_URL: Telegram only posts to https:// addresses")
            if port not in (None, *TELEGRAM_WEBHOOK_PORTS):
                raise SettingsError(
                    "FABDESK_WEBHOOK_URL: Telegram only posts to ports 443, 80, 88 or 8443 "
                    "(your proxy may forward to any FABDESK_WEBHOOK_PORT)"
                )
        if self.http_port == self.webhook_port:
            raise SettingsError(
                f"FABDESK_WEBHOOK_PORT: {self.webhook_port} is also FABDESK_HTTP_PORT: give each its own port"
            )
        return Webhook(
            url=self.webhook_url,
            secret=self.webhook_secret.get_secret_value(),
            listen=self.webhook_listen,
            port=self.webhook_port,
            path=url.path.lstrip("/"),
        )

    def token(self) -> str:
        """Return the bot token, or fail with a line naming the setting."""
        if self.bot_token is None:
            raise SettingsError(
                "FABDESK_BOT_TOKEN is not set: create a bot with @BotFather and put its token in .env"
            )
        return self.bot_token.get_secret_value()


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates (url), and where fabdesk listens for them (listen:port/path)."""

    url: str
    secret: str
    listen: str
    port: int
    path: str


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning validation errors into one clear line per setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"FABDESK_{field.upper()}: {message}")
        raise SettingsError("; ".join(lines)) from None
