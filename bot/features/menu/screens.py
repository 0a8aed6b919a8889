"""Greeting, main menu, help, language, /cancel, and answers to what the bot does not understand."""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardMarkup

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.reply import Reply
from bot.features import keyboards
from bot.features.checkin import screens as checkin_screens
from bot.features.menu import keyboards as menu_keyboards
from bot.features.menu import routes
from bot.features.sessions import screens as sessions_screens
from models import members, opening, typed_booking
from models.base import clear_pending
from models.errors import NotFound

# Closure days shown by /hours: those of the coming weeks, a few at most.
CLOSURES_AHEAD_DAYS = 90
CLOSURES_SHOWN = 10


def _menu_text(turn: Turn) -> str:
    return turn._("What would you like to do?")


async def start(turn: Turn) -> Reply:
    """Greet the member (registered on the way in) and show the main menu; a deep link from a
    machine's QR code (/start m12) opens that machine's page instead."""
    message = turn.update.effective_message
    payload = (message.text or "").partition(" ")[2].strip() if message is not None else ""
    if (machine_id := checkin_screens.machine_payload(payload)) is not None:
        return await checkin_screens.machine_page(turn, machine_id)
    await typed_booking.forget_step(turn.session, turn.member)  # left the booking, if any
    if (session_id := sessions_screens.session_payload(payload)) is not None:
        return await sessions_screens.session_page(turn, session_id)  # from an announcement's link
    greeting = turn._(
        "Hello {name}! I am the front desk of the fab lab: book a machine, see or cancel your bookings."
    ).format(name=turn.member.first_name)
    return Reply(
        text=f"{greeting}\n\n{_menu_text(turn)}",
        markup=_main_menu(turn),
        new_message=True,
    )


def _main_menu(turn: Turn) -> InlineKeyboardMarkup:
    return menu_keyboards.main_menu(turn.texts, turn.member, turn.desk.settings.app_url)


async def menu(turn: Turn) -> Reply:
    """Show the main menu in place of the current screen."""
    await typed_booking.forget_step(turn.session, turn.member)  # left the booking, if any
    return Reply(text=_menu_text(turn), markup=_main_menu(turn))


async def close(turn: Turn) -> Reply:
    """Leave the current screen; nothing was changed."""
    await typed_booking.forget_step(turn.session, turn.member)  # left the booking, if any
    return Reply(text=turn._("Cancelled. Nothing was changed."), markup=keyboards.back_to_menu(turn.texts))


async def cancel_command(turn: Turn) -> Reply:
    """/cancel: leave whatever was under way: a report being written, a note being asked for."""
    await clear_pending(turn.session, turn.member.id)
    return Reply(
        text=turn._("Cancelled. Nothing was changed.") + "\n\n" + _menu_text(turn),
        markup=_main_menu(turn),
    )


async def help_screen(turn: Turn) -> Reply:
    """Explain what the bot does and its commands."""
    _ = turn._
    lines = [
        _("I am the fab lab's front desk."),
        "",
        "/book — " + _("book a machine"),
        "/mybookings — " + _("see or cancel your bookings"),
        "/mytrainings — " + _("your trainings and when they lapse"),
        "/report — " + _("report a problem with a machine"),
        "/projects — " + _("the lab's projects: find one, join it, or start yours"),
        "/sessions — " + _("trainings, workshops and events: sign up, or join the waitlist"),
        "/hours, /horaires — " + _("opening hours and closure days"),
        "/privacy — " + _("your personal data: what is kept, /mydata to get it, /forgetme to erase it"),
        "/language — " + _("choose French or English"),
        "/cancel — " + _("leave what you are doing"),
    ]
    if turn.member.is_manager:
        lines += [
            "",
            _("For fab managers:"),
            "/queue — " + _("the maintenance queue"),
            "/stock — " + _("consumables: restocks, counts, corrections"),
            "/stats — " + _("the lab's use: hours, busiest times, repairs, a chart and a CSV"),
            "/updates — " + _("software and firmware to check for updates"),
            "/machine — " + _("a machine's status, maintenance log and planned downtime"),
            "/machines — " + _("machines and today's bookings"),
            "/authorize — "
            + _("find a member, authorize them on a machine that needs a training, or withdraw it"),
            "/instructors — " + _("members who train others on given machines: promote one, or withdraw it"),
        ]
    reminder = turn.desk.settings.reminder_minutes
    if reminder:
        lines += [
            "",
            turn.texts.ngettext(
                "I remind you {minutes} minute before each booking.",
                "I remind you {minutes} minutes before each booking.",
                reminder,
            ).format(minutes=reminder),
        ]
    return Reply(text="\n".join(lines), markup=keyboards.back_to_menu(turn.texts))


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


async def opening_hours(turn: Turn) -> Reply:
    """/hours, /horaires: the week's opening hours and the closure days ahead."""
    _ = turn._
    texts = turn.texts
    week = await opening.weekly_hours(turn.session)
    today = turn.desk.rules.today(turn.now)
    closures = await opening.closed_days(turn.session, today, today + timedelta(days=CLOSURES_AHEAD_DAYS))
    lines = ["🕒 " + _("Opening hours"), ""]
    for weekday in range(7):
        intervals = week[weekday]
        hours = ", ".join(f"{_clock(a)}–{_clock(b)}" for a, b in intervals) if intervals else _("closed")
        lines.append(_("{day}: {hours}").format(day=texts.weekday(weekday), hours=hours))
    lines.append("")
    if closures:
        lines.append(_("Closed on:"))
        for day in sorted(closures)[:CLOSURES_SHOWN]:
            reason = closures[day]
            lines.append(f"• {texts.day(day)}" + (f" — {reason}" if reason else ""))
    else:
        lines.append(_("No closure day planned in the coming weeks."))
    return Reply(text="\n".join(lines), markup=keyboards.back_to_menu(texts))


async def language_screen(turn: Turn) -> Reply:
    """Offer the languages the bot speaks."""
    return Reply(text=turn._("Which language should I use?"), markup=menu_keyboards.languages(turn.texts))


async def set_language(turn: Turn) -> Reply:
    """Store the chosen language and answer in it."""
    if not isinstance(turn.press, routes.LanguageChosen):
        raise NotFound("not a language press")
    await members.set_language(turn.session, turn.member, turn.press.language)
    turn.texts = turn.desk.texts(turn.member)
    return Reply(
        text=turn._("I will speak English with you.") + "\n\n" + _menu_text(turn),
        markup=_main_menu(turn),
    )


async def unknown_command(turn: Turn) -> Reply:
    """Answer a command the bot does not know."""
    return Reply(
        text=turn._("I do not know that command. Here is what I can do:"),
        markup=_main_menu(turn),
    )


async def plain_text(turn: Turn) -> Reply:
    """Answer free text: everything here is done with buttons."""
    return Reply(
        text=turn._("I work with buttons: pick what you want below."),
        markup=_main_menu(turn),
    )


async def stale_button(turn: Turn) -> Reply:
    """Answer a press on a button this bot does not know (old, foreign or forged)."""
    return Reply(toast=turn._("This button is no longer valid."), alert=True)


FEATURE = Feature(
    name="menu",
    commands={
        "start": start,
        "help": help_screen,
        "cancel": cancel_command,
        "language": language_screen,
        "hours": opening_hours,
        "horaires": opening_hours,
    },
    presses={
        routes.MainMenu: menu,
        routes.Closed: close,
        routes.Help: help_screen,
        routes.LanguageList: language_screen,
        routes.FrenchChosen: set_language,
        routes.EnglishChosen: set_language,
        routes.TelegramLanguageChosen: set_language,
        routes.OpeningHours: opening_hours,
    },
)
