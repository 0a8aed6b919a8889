"""The application factory: everything is built here from a Settings object, nothing at import."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    MenuButtonCommands,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    SimpleUpdateProcessor,
    filters,
)

from bot import web
from bot.core import routes
from bot.core.context import DESK_KEY, Context, FabDesk, Turn, get_desk, screen
from bot.core.errors import on_error
from bot.core.feature import Feature, Screen
from bot.core.i18n import LANGUAGES, N_, Texts
from bot.core.inputs import message_router
from bot.core.jobs import (
    apply_retention,
    ask_about_usage,
    ask_to_check_in,
    cancel_sessions_below_minimum,
    open_due_plan_tickets,
    release_no_shows,
    remind_due_updates,
    remind_meetings,
    remind_sessions,
    send_daily_digest,
    send_due_reminders,
    send_weekly_summary,
    warn_lapsing_trainings,
)
from bot.core.lanes import LanedRateLimiter
from bot.core.outbox import send_outbox, wake_sender
from bot.core.presses import PressAnswers, PressQueue
from bot.core.reply import Reply
from bot.core.settings import Settings, SettingsError, Webhook
from bot.core.startup import telegram_reason
from bot.core.transport import build_request
from bot.features.menu import screens as menu
from bot.features.registry import features
from models import members
from models.base import utcnow
from models.bookings import BookingRules
from models.db import create_engine, session_factory

log = logging.getLogger(__name__)
WEB_KEY = "fabdesk.web"  # the HTTP server of calendar links, when FABDESK_HTTP_PORT is set

# Pending outbox messages are also sent right after the update that queued them; this is the
# catch-up (after a restart, or a failed send).
OUTBOX_INTERVAL_S = 15
# Telegram lets a bot send about 30 messages a second. AIORateLimiter's default (30 a second) lets
# 30 go at once, then 30 more within the same second: Telegram answers those with 429 and a pause
# of a second or more. One message every 1/29 s never bursts (benchmarks/: 600 reminders at 25.7/s
# and no 429, against 24.5/s and twenty 429s). bot/core/lanes.py: presses first, bulk after.
MESSAGES_PER_SECOND = 29

MEMBER_COMMANDS = [
    ("book", N_("Book a machine")),
    ("mybookings", N_("My bookings")),
    ("mytrainings", N_("My trainings and when they lapse")),
    ("report", N_("Report a problem with a machine")),
    ("projects", N_("Projects: find one, join it, start yours")),
    ("newproject", N_("Start a project")),
    ("sessions", N_("Trainings, workshops and events")),
    ("hours", N_("Opening hours and closure days")),
    ("privacy", N_("Your personal data: what is kept, export, erasure")),
    ("language", N_("Choose your language")),
    ("help", N_("What I can do")),
    ("cancel", N_("Leave what you are doing")),
]
MANAGER_COMMANDS = [
    ("queue", N_("Maintenance queue")),
    ("machine", N_("A machine's status and maintenance log")),
    ("stock", N_("Consumables")),
    ("stats", N_("Statistics")),
    ("updates", N_("Software and firmware updates")),
    ("machines", N_("Machines and today's bookings")),
    ("authorize", N_("Authorize a member on a machine")),
    ("instructors", N_("Instructors and their machines")),
]
# What updates the bot asks Telegram for (the rest is never fetched).
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.CHAT_JOIN_REQUEST,
    Update.MY_CHAT_MEMBER,
    Update.CHAT_MEMBER,
    Update.CHANNEL_POST,
]


# Connections kept open beside the updates: the outbox sender, the press answers and the scheduled jobs
# that may run at once (most jobs last a few milliseconds; a burst beyond this opens overflow ones).
JOB_CONNECTIONS = 4
OVERFLOW_CONNECTIONS = 8


def pool_for(settings: Settings) -> dict[str, Any]:
    """PostgreSQL's pool for this bot: every concurrent update and the jobs hold a connection kept open,
    so a busy minute does not open and close connections (SQLAlchemy's default of 5 did, dozens per 10 s
    under PTB's 8 concurrent updates). SQLite keeps its own single connection (models/db.py)."""
    if make_url(settings.database_url).get_backend_name() == "sqlite":
        return {}
    return {
        "pool_size": settings.concurrent_updates + JOB_CONNECTIONS,
        "max_overflow": OVERFLOW_CONNECTIONS,
    }


def build_application(
    settings: Settings, *, clock: Callable[[], datetime] = utcnow, engine: AsyncEngine | None = None
) -> Application:  # type: ignore[type-arg]
    """Build the bot: database, handlers, jobs. Nothing is started."""
    engine = engine or create_engine(
        settings.database_url, sqlite_driver=settings.sqlite_driver, **pool_for(settings)
    )
    desk = FabDesk(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        clock=clock,
        rules=BookingRules(
            tz=settings.tz,
            horizon_days=settings.booking_horizon_days,
            reminder_lead=timedelta(minutes=settings.reminder_minutes),
        ),
        wake_outbox=wake_sender,
        presses=PressAnswers(deadline_s=settings.press_answer_seconds or None),
    )
    processor = SimpleUpdateProcessor(settings.concurrent_updates)
    application = (
        Application.builder()
        # The pools PTB's builder gives its own transports: 256 connections, and one for getUpdates.
        .request(build_request(settings.transport, connection_pool_size=256))
        .get_updates_request(build_request(settings.transport, connection_pool_size=1))
        .token(settings.token())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.file_base_url)
        .rate_limiter(LanedRateLimiter(MESSAGES_PER_SECOND / settings.replicas, max_retries=2))
        .concurrent_updates(processor)
        .update_queue(PressQueue(desk.presses))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    desk.presses.bot, desk.presses.processor = application.bot, processor
    application.bot_data[DESK_KEY] = desk
    register_handlers(application)
    schedule_jobs(application)
    return application


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Register every handler, in the order they are tried: each feature's own handlers (group and
    channel events), then every feature's commands and the one router of typed presses, then the
    catch-alls (a stale or forged press, an unknown command, typed text)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    registered = features()
    for feature in registered:
        for handler in feature.handlers:
            application.add_handler(handler)
    commands: dict[str, Screen] = {}
    for feature in registered:
        for name, render in feature.commands.items():
            if name in commands:
                raise ValueError(f"/{name} is answered by {feature.name} and by another feature")
            commands[name] = render
    for name, render in commands.items():
        application.add_handler(CommandHandler(name, screen(render), filters=private))
    application.add_handler(CallbackQueryHandler(screen(press_router(registered)), pattern=_typed_press))
    # Anything else pressed: an old keyboard, another bot's data, or forged data.
    application.add_handler(CallbackQueryHandler(screen(menu.stale_button)))

    application.add_handler(MessageHandler(private & filters.COMMAND, screen(menu.unknown_command)))
    # Typed text and photos: what a feature asked for (a note, an amount, a report...), or chatter.
    awaited = [waiting for feature in registered for waiting in feature.awaits]
    application.add_handler(
        MessageHandler(private & ~filters.COMMAND, message_router(awaited, menu.plain_text))
    )
    application.add_error_handler(on_error)


def _typed_press(data: object) -> bool:
    return isinstance(data, str) and routes.parse(data) is not None


def press_router(registered: Sequence[Feature]) -> Screen:
    """The one screen of every typed button: the screen its feature routes it to."""
    table: dict[type[routes.Button], Screen] = {}
    for feature in registered:
        for button, render in feature.presses.items():
            if button in table:
                raise ValueError(f"{button.__name__} is routed by {feature.name} and by another feature")
            table[button] = render

    async def route(turn: Turn) -> Reply:
        render = table.get(type(turn.press)) if turn.press is not None else None
        if render is None:  # a button declared and built, but no screen for it: a stale one
            return await menu.stale_button(turn)
        return await render(turn)

    return route


def schedule_jobs(application: Application) -> None:  # type: ignore[type-arg]
    """Start the time-driven jobs: they read what is due from the database, so `first` can be soon."""
    desk: FabDesk = application.bot_data[DESK_KEY]
    job_queue = application.job_queue
    if job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    job_queue.run_repeating(
        send_due_reminders, interval=desk.settings.reminder_interval_seconds, first=2, name="reminders"
    )
    job_queue.run_repeating(
        release_no_shows, interval=desk.settings.reminder_interval_seconds, first=3, name="no_shows"
    )
    job_queue.run_repeating(
        ask_to_check_in, interval=desk.settings.reminder_interval_seconds, first=4, name="checkin_asks"
    )
    job_queue.run_repeating(send_outbox, interval=OUTBOX_INTERVAL_S, first=1, name="outbox")
    job_queue.run_repeating(
        open_due_plan_tickets, interval=desk.settings.plan_check_interval_seconds, first=5, name="plans"
    )
    # Each of these derives what is due from the database: a run after downtime catches up, once.
    job_queue.run_repeating(ask_about_usage, interval=300, first=20, name="usage")
    job_queue.run_repeating(remind_due_updates, interval=3600, first=30, name="updates")
    job_queue.run_repeating(send_daily_digest, interval=60, first=10, name="digest")
    job_queue.run_repeating(remind_meetings, interval=60, first=15, name="meetings")
    job_queue.run_repeating(remind_sessions, interval=60, first=16, name="session_reminders")
    job_queue.run_repeating(cancel_sessions_below_minimum, interval=300, first=25, name="session_minimum")
    job_queue.run_repeating(apply_retention, interval=6 * 3600, first=60, name="retention")
    job_queue.run_repeating(send_weekly_summary, interval=300, first=20, name="weekly")
    job_queue.run_repeating(warn_lapsing_trainings, interval=3600, first=40, name="trainings")


def _commands(texts: Texts, entries: list[tuple[str, str]]) -> list[BotCommand]:
    return [BotCommand(name, texts.gettext(description)) for name, description in entries]


async def publish_commands(
    application: Application,  # type: ignore[type-arg]
    demoted: Sequence[int] = (),
) -> None:
    """Register the command menus: member commands for everyone, manager ones in managers' chats;
    former managers get the members' menu back."""
    desk: FabDesk = application.bot_data[DESK_KEY]
    bot = application.bot
    for language in LANGUAGES:
        texts = Texts(language, desk.settings.tz)
        code = None if language == desk.settings.default_language else language
        members_menu = _commands(texts, MEMBER_COMMANDS)
        managers_menu = members_menu + _commands(texts, MANAGER_COMMANDS)
        await bot.set_my_commands(members_menu, scope=BotCommandScopeDefault(), language_code=code)
        for chat_id in desk.settings.manager_ids:
            try:
                await bot.set_my_commands(
                    managers_menu, scope=BotCommandScopeChat(chat_id), language_code=code
                )
            except TelegramError as exc:  # the manager has not opened a chat with the bot yet
                log.warning("could not set the manager commands for chat %s: %s", chat_id, exc)
        for chat_id in demoted:
            try:
                await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id), language_code=code)
            except TelegramError as exc:
                log.warning("could not remove the manager commands of chat %s: %s", chat_id, exc)


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    desk: FabDesk = application.bot_data[DESK_KEY]
    desk.calendar_domain = f"{application.bot.username or 'bot'}.fabdesk".lower()
    if (webhook := desk.settings.webhook()) is not None:
        await register_webhook(application.bot, webhook)
    application.bot_data[WEB_KEY] = web.start(desk, lambda: wake_sender(CallbackContext(application)))
    async with desk.sessions.begin() as session:
        demoted = await members.sync_managers(session, desk.settings.manager_ids)
    try:
        await publish_commands(application, demoted)
    except TelegramError as exc:
        log.warning("could not publish the command menu: %s", exc)
    try:
        await publish_menu_button(application.bot, desk.settings)
    except TelegramError as exc:
        log.warning("could not set the chat's menu button: %s", exc)


async def publish_menu_button(bot: Bot, settings: Settings) -> None:
    """The chat's menu button opens the Mini App when it is on, and lists the commands otherwise
    (so that turning the app off takes its button away too)."""
    if settings.app_url is None:
        await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
        return
    texts = Texts(settings.default_language, settings.tz)
    button = MenuButtonWebApp(texts.gettext("Planning"), WebAppInfo(settings.app_url))
    await bot.set_chat_menu_button(menu_button=button)


async def register_webhook(bot: Bot, webhook: Webhook) -> None:
    """Tell Telegram where to post updates. Wait while Telegram cannot be reached (a Raspberry Pi
    booting); stop with one line when Telegram refuses the address (PTB would retry it forever,
    saying so only at DEBUG level). PTB then sets the same webhook again as it starts."""
    while True:
        try:
            await bot.set_webhook(webhook.url, secret_token=webhook.secret, allowed_updates=ALLOWED_UPDATES)
            return
        except BadRequest as exc:  # before NetworkError: in PTB, BadRequest is one
            raise SettingsError(f"FABDESK_WEBHOOK_URL: Telegram refused it: {exc.message}") from None
        except RetryAfter as exc:
            await asyncio.sleep(exc.retry_after if isinstance(exc.retry_after, int) else 5)
        except NetworkError as exc:
            log.warning(
                "Telegram cannot be reached to set the webhook: %s; trying again in 5 s", telegram_reason(exc)
            )
            await asyncio.sleep(5)


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    await web.stop(application.bot_data.pop(WEB_KEY, None))
    await application.bot_data[DESK_KEY].presses.close()
    await application.bot_data[DESK_KEY].engine.dispose()


__all__ = ["ALLOWED_UPDATES", "Context", "build_application", "get_desk", "publish_commands"]
