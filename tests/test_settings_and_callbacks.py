"""Settings validation and callback data parsing: bad values are refused with a clear message."""

from __future__ import annotations

import re

import pytest

from bot.core.settings import Settings, SettingsError, load_settings
from tests import wire

TOKEN = "123456:ABCdefGhIJKlmnoPQRstuVWXyz_0123456"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("FABDESK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_are_safe_and_documented_ones() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///fabdesk.db"
    assert settings.timezone == "Europe/Paris" and settings.default_language == "fr"
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.file_base_url == "https://api.telegram.org/file/bot"
    assert settings.reminder_minutes == 30 and settings.manager_ids == []
    with pytest.raises(SettingsError, match=r"^FABDESK_BOT_TOKEN is not set"):
        settings.token()


def test_values_come_from_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text(f"FABDESK_BOT_TOKEN={TOKEN}\nFABDESK_MANAGER_IDS=11, 22;33\n")
    monkeypatch.setenv("FABDESK_DATABASE_URL", "postgresql://u:p@db/fab")
    monkeypatch.setenv("FABDESK_TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    settings = load_settings()
    assert settings.token() == TOKEN
    assert settings.manager_ids == [11, 22, 33]
    assert settings.database_url == "postgresql+asyncpg://u:p@db/fab"
    assert settings.file_base_url == "http://127.0.0.1:8081/file/bot"
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("FABDESK_BOT_TOKEN", "not-a-token", "FABDESK_BOT_TOKEN"),
        ("FABDESK_MANAGER_IDS", "12,abc", "FABDESK_MANAGER_IDS"),
        ("FABDESK_TIMEZONE", "Europe/Atlantis", "FABDESK_TIMEZONE"),
        ("FABDESK_DEFAULT_LANGUAGE", "de", "FABDESK_DEFAULT_LANGUAGE"),
        ("FABDESK_DATABASE_URL", "mysql://x/y", "FABDESK_DATABASE_URL"),
        ("FABDESK_REMINDER_MINUTES", "-5", "FABDESK_REMINDER_MINUTES"),
        ("FABDESK_TELEGRAM_BASE_URL", "ftp://x", "FABDESK_TELEGRAM_BASE_URL"),
    ],
)
def test_a_malformed_value_stops_with_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith(named + ":") and "\n" not in message
    assert "Traceback" not in message


def test_a_webhook_needs_a_long_secret_https_and_its_own_port() -> None:
    assert load_settings(bot_token=TOKEN).webhook() is None  # long polling by default
    with pytest.raises(SettingsError, match=r"^FABDESK_WEBHOOK_SECRET is not set"):
        load_settings(webhook_url="https://fab.example.org/tg").webhook()
    with pytest.raises(SettingsError, match=r"^FABDESK_WEBHOOK_SECRET: use 16 to 256"):
        load_settings(webhook_url="https://fab.example.org/tg", webhook_secret="short")
    with pytest.raises(SettingsError, match=r"^FABDESK_WEBHOOK_SECRET: use 16 to 256"):
        load_settings(webhook_url="https://fab.example.org/tg", webhook_secret="has spaces in it, 1234567")
    secret = "s" * 32
    with pytest.raises(SettingsError, match=r"^FABDESK_WEBHOOK_URL: Telegram only posts to https://"):
        load_settings(webhook_url="http://fab.example.org/tg", webhook_secret=secret).webhook()
    with pytest.raises(SettingsError, match=r"^FABDESK_WEBHOOK_PORT: 8443 is also FABDESK_HTTP_PORT"):
        load_settings(
            webhook_url="https://fab.example.org/tg", webhook_secret=secret, http_port=8443
        ).webhook()
    for url, says in [
        ("https:///tg", "needs a host name"),
        ("https://fab.example.org:8080/tg", "ports 443, 80, 88 or 8443"),
        ("https://fab.example.org/t g", "keep its path"),
        ("https://fab.example.org/tg+(x)", "keep its path"),
        ("https://fab.example.org/tg?x=1", "keep its path"),
    ]:
        with pytest.raises(SettingsError, match=f"^FABDESK_WEBHOOK_URL: .*{re.escape(says)}"):
            load_settings(webhook_url=url, webhook_secret=secret).webhook()
    webhook = load_settings(webhook_url="https://fab.example.org/fabdesk/tg", webhook_secret=secret).webhook()
    assert webhook is not None
    assert (webhook.listen, webhook.port, webhook.path) == ("127.0.0.1", 8443, "fabdesk/tg")
    # A local Bot API server may post to plain http (the tests' fake does).
    local = load_settings(
        telegram_base_url="http://127.0.0.1:8081/bot",
        webhook_url="http://127.0.0.1:9000/",
        webhook_secret=secret,
    )
    assert local.webhook() is not None


def test_settings_class_is_the_one_place_settings_come_from() -> None:
    assert set(Settings.model_fields) >= {
        "bot_token",
        "telegram_base_url",
        "database_url",
        "manager_ids",
        "timezone",
        "default_language",
        "reminder_minutes",
    }


def test_every_setting_is_documented_in_env_example() -> None:
    from pathlib import Path

    example = (Path(__file__).parent.parent / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"FABDESK_{name.upper()}=" in example, name


@pytest.mark.parametrize(
    ("action", "args"),
    [("menu", ()), ("bk:m", (3,)), ("bk:ok", (12, 29567040, 90)), ("my:y", (7,)), ("lang:fr", ())],
)
def test_callback_data_round_trips(action: str, args: tuple[int, ...]) -> None:
    data = wire.build(action, *args)
    assert len(data.encode()) <= 64
    assert wire.parse(data) == wire.Callback(action, args)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "nope",
        "bk:m",
        "bk:m:1:2",
        "bk:m:x",
        "bk:m:-1",
        "bk:m:01",
        "bk:m:1.5",
        "my:y:" + "9" * 13,
        "a" * 65,
        "bk:m: 1",
        "lang:de",
        "menu:",
    ],
)
def test_malformed_callback_data_is_rejected(data: str | None) -> None:
    assert wire.parse(data) is None


def test_building_bad_callback_data_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        wire.build("bk:m")
    with pytest.raises(ValueError):
        wire.build("unknown", 1)


def test_long_texts_are_cut_to_telegrams_limit_at_a_line_break() -> None:
    from bot.core.context import MAX_MESSAGE_LENGTH, fit_message

    short = "one\ntwo"
    assert fit_message(short) is short
    long = "\n".join(f"line {i:05d}" for i in range(2000))
    cut = fit_message(long)
    assert len(cut) <= MAX_MESSAGE_LENGTH
    assert cut.endswith("\n…") and cut.splitlines()[-2].startswith("line ")
    assert len(fit_message("x" * 5000)) <= MAX_MESSAGE_LENGTH
    emoji = fit_message("🧱" * 3000)
    assert len(emoji.encode("utf-16-le")) // 2 <= MAX_MESSAGE_LENGTH
