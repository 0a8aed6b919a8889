"""Inline keyboards: pure functions from data to InlineKeyboardMarkup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.core import routes
from bot.i18n import N_, Texts
from models.bookings import Booking, DayAvailability
from models.machines import KIND_ORDER, Machine, MachineKind
from models.members import Member

KIND_ICONS = {
    MachineKind.PRINTER_3D: "🧱",
    MachineKind.LASER_CUTTER: "⚡",
    MachineKind.CNC: "⚙️",
    MachineKind.PC: "💻",
    MachineKind.ELECTRONICS_BENCH: "🔌",
    MachineKind.OTHER: "🔧",
}
KIND_NAMES = {
    MachineKind.PRINTER_3D: N_("3D printers"),
    MachineKind.LASER_CUTTER: N_("Laser cutters"),
    MachineKind.CNC: N_("CNC machines"),
    MachineKind.PC: N_("Computers"),
    MachineKind.ELECTRONICS_BENCH: N_("Electronics benches"),
    MachineKind.OTHER: N_("Other equipment"),
}
MAX_LENGTH_BUTTONS = 12
# Characters of a button's label a phone shows whole (Telegram cuts the rest): what changes comes first.
LABEL_LIMIT = 30


def button(text: str, action: str, *args: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.build(action, *args))


def clip_label(*parts: str, icon: str = "", limit: int = LABEL_LIMIT, sep: str = " · ") -> str:
    """A short button label: the icon, then the parts joined by `sep`, the last one clipped in its
    middle (its start and its end stay: « Fusion…Poste CAO 1 » and « Fusion…Poste CAO 2 » remain two
    buttons) so the text fits `limit` characters. Put what changes (a quantity, a version) first:
    « ⚠️ 60 fl · Contrep…600 × 300 »."""
    parts = tuple(p for p in parts if p)
    head = sep.join(parts[:-1]) + sep if len(parts) > 1 else ""
    last = parts[-1] if parts else ""
    room = limit - len(head)
    if room < 8:  # the first parts alone are too long: clip the whole
        head, last, room = "", head + last, limit
    if len(last) > room:
        tail_room = (room - 1) * 3 // 4  # the end tells siblings apart (« … CAO 2 », « … 5 mm »)
        end = _whole_words(last.split()[::-1], tail_room, reverse=True) or last[len(last) - tail_room :]
        head_room = room - 1 - len(end)
        start = _whole_words(last.split(), head_room) or last[:head_room]
        last = f"{start.rstrip(' ·—-,(')}…{end.lstrip(' ·—-,)')}"
    return f"{icon} {head}{last}" if icon else head + last


def _whole_words(words: list[str], room: int, *, reverse: bool = False) -> str:
    """As many whole words (from the start, or from the end) as fit `room` characters."""
    taken: list[str] = []
    for word in words:
        if len(" ".join([*taken, word])) > room:
            break
        taken.append(word)
    return " ".join(taken[::-1] if reverse else taken)


# Units of consumables, short enough for a button and still readable.
SHORT_UNITS = {
    "feuilles": "fl",
    "feuille": "fl",
    "pièces": "pc",
    "pièce": "pc",
    "pieces": "pc",
    "sheets": "sh",
}


def short_unit(unit: str) -> str:
    """A unit short enough for a button: « g », « ml », « feuilles » → « fl », « pièces » → « pc »."""
    if len(unit) <= 4:
        return unit
    return SHORT_UNITS.get(unit.casefold(), unit[:3] + ".")


def rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def nav_row(texts: Texts, back: tuple[str, tuple[int, ...]] | None) -> list[InlineKeyboardButton]:
    """The Back / Cancel row every screen ends with."""
    _ = texts.gettext
    row = [button("⬅️ " + _("Back"), back[0], *back[1])] if back else []
    row.append(button("✖️ " + _("Cancel"), "close"))
    return row


def epoch_minutes(moment: datetime) -> int:
    """A moment as a button carries it (bot/core/routes.py reads it back)."""
    return routes.minutes_since_epoch(moment)


def date_code(day: date) -> int:
    """A day as a button carries it, yyyymmdd (bot/core/routes.py reads it back)."""
    return day.year * 10000 + day.month * 100 + day.day


def main_menu(texts: Texts, member: Member) -> InlineKeyboardMarkup:
    _ = texts.gettext
    keyboard = [
        [button("📅 " + _("Book a machine"), "bk")],
        [button("🗂 " + _("My bookings"), "my"), button("⚠️ " + _("Report a problem"), "rp")],
        [button("🧩 " + _("Projects"), "pj", 0), button("🕒 " + _("Opening hours"), "hours")],
    ]
    if member.is_manager:
        keyboard.append([button("🧾 " + _("Maintenance queue"), "q", 0)])
        keyboard.append([button("📦 " + _("Stock"), "st", 0), button("🔄 " + _("Updates"), "up", 0)])
        keyboard.append([button("🛠 " + _("Machines today"), "mg"), button("🎓 " + _("Authorize"), "au", 0)])
    keyboard.append([button("❓ " + _("Help"), "help"), button("🌐 " + _("Language"), "lang")])
    return InlineKeyboardMarkup(keyboard)


def back_to_menu(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button("🏠 " + texts.gettext("Main menu"), "menu")]])


def machine_title(machine: Machine) -> str:
    """The icon of the kind and the name of the machine, e.g. 🧱 Prusa MK4."""
    return f"{KIND_ICONS[machine.kind]} {machine.name}"


def machine_label(texts: Texts, machine: Machine, authorized: bool) -> str:
    label = machine_title(machine)
    if not machine.bookable:
        return "⛔ " + label + " — " + texts.gettext("out of service")
    if not authorized:
        return label + " 🎓"
    return label


def machines(texts: Texts, entries: Sequence[tuple[Machine, bool]]) -> InlineKeyboardMarkup:
    """One button per machine, kind after kind; `entries` pairs a machine with "member is authorized"."""
    keyboard = [[button(machine_label(texts, m, ok), "bk:m", m.id)] for m, ok in entries]
    keyboard.append(nav_row(texts, ("menu", ())))
    return InlineKeyboardMarkup(keyboard)


def days(texts: Texts, machine: Machine, availability: Sequence[DayAvailability]) -> InlineKeyboardMarkup:
    """Open days of the horizon; a full day says so."""
    day_buttons = []
    for entry in availability:
        if not entry.open:
            continue
        label = texts.short_day(entry.day)
        if not entry.free_starts:
            label += " · " + texts.gettext("full")
        day_buttons.append(button(label, "bk:d", machine.id, date_code(entry.day)))
    keyboard = rows(day_buttons, 2)
    keyboard.append(nav_row(texts, ("bk", ())))
    return InlineKeyboardMarkup(keyboard)


# Telegram takes at most 100 buttons a keyboard; a day with more free starts is shown hour by hour.
MAX_START_BUTTONS = 48


def start_times(
    texts: Texts,
    machine: Machine,
    starts: Sequence[datetime],
    back: tuple[str, tuple[int, ...]] | None = None,
) -> InlineKeyboardMarkup:
    """Free starts of a day; too many of them are grouped by hour first."""
    if len(starts) > MAX_START_BUTTONS:
        return start_hours(texts, machine, starts)
    keyboard = rows([button(texts.time(s), "bk:s", machine.id, epoch_minutes(s)) for s in starts], 4)
    keyboard.append(nav_row(texts, back or ("bk:m", (machine.id,))))
    return InlineKeyboardMarkup(keyboard)


def full_day(texts: Texts, machine: Machine, day: date, waitable: bool = True) -> InlineKeyboardMarkup:
    """A full day: wait for a slot to free up (when some are still ahead), or go back to the days."""
    rows = [nav_row(texts, ("bk:m", (machine.id,)))]
    if waitable:
        rows.insert(
            0, [button("🔔 " + texts.gettext("Tell me if a slot frees up"), "wl", machine.id, date_code(day))]
        )
    return InlineKeyboardMarkup(rows)


def start_hours(texts: Texts, machine: Machine, starts: Sequence[datetime]) -> InlineKeyboardMarkup:
    """One button per hour holding free starts ("14:00…"), for fine slot grids."""
    hours: dict[datetime, None] = {}
    for start in starts:
        local = start.astimezone(texts.tz)
        hours.setdefault(local.replace(minute=0, second=0, microsecond=0), None)
    keyboard = rows([button(texts.time(h) + "…", "bk:h", machine.id, epoch_minutes(h)) for h in hours], 4)
    keyboard.append(nav_row(texts, ("bk:m", (machine.id,))))
    return InlineKeyboardMarkup(keyboard)


def pick_lengths(lengths: Sequence[int], limit: int = MAX_LENGTH_BUTTONS) -> list[int]:
    """Keep a readable set of lengths: all when few, else the first ones and whole hours."""
    if len(lengths) <= limit:
        return list(lengths)
    kept = [m for i, m in enumerate(lengths) if i < 4 or m % 60 == 0]
    return [*kept[: limit - 1], lengths[-1]] if len(kept) > limit else kept


def lengths(texts: Texts, machine: Machine, start: datetime, options: Sequence[int]) -> InlineKeyboardMarkup:
    minute = epoch_minutes(start)
    buttons = [
        button(
            f"{texts.duration(m)} → {texts.time(start + timedelta(minutes=m))}",
            "bk:l",
            machine.id,
            minute,
            m,
        )
        for m in pick_lengths(options)
    ]
    keyboard = rows(buttons, 2)
    keyboard.append(nav_row(texts, ("bk:d", (machine.id, date_code(start.astimezone(texts.tz).date())))))
    return InlineKeyboardMarkup(keyboard)


def confirm(texts: Texts, machine: Machine, start: datetime, minutes: int) -> InlineKeyboardMarkup:
    minute = epoch_minutes(start)
    return InlineKeyboardMarkup(
        [
            [button("✅ " + texts.gettext("Confirm"), "bk:ok", machine.id, minute, minutes)],
            nav_row(texts, ("bk:s", (machine.id, minute))),
        ]
    )


def alternatives(
    texts: Texts, machine: Machine, starts: Sequence[datetime], minutes: int
) -> InlineKeyboardMarkup:
    """The next free slots of the same length, one tap from the confirmation."""
    keyboard = [
        [
            button(
                texts.moment(s),
                "bk:l",
                machine.id,
                epoch_minutes(s),
                minutes,
            )
        ]
        for s in starts
    ]
    keyboard.append(nav_row(texts, ("bk:m", (machine.id,))))
    return InlineKeyboardMarkup(keyboard)


def ask_training(texts: Texts, machine: Machine) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button("🎓 " + texts.gettext("Ask for a training"), "tr", machine.id)],
            nav_row(texts, ("bk", ())),
        ]
    )


def booked(texts: Texts) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [[button("🗂 " + _("My bookings"), "my"), button("🏠 " + _("Main menu"), "menu")]]
    )


def my_bookings(
    texts: Texts, bookings: Sequence[Booking], page: int = 0, has_next: bool = False, feeds: bool = False
) -> InlineKeyboardMarkup:
    keyboard = [
        [
            button(
                "❌ " + texts.gettext("Cancel") + f" · {b.machine.name}, {texts.moment(b.start_at)}",
                "my:c",
                b.id,
            )
        ]
        for b in bookings
    ]
    if row := pager(texts, "my:p", (), page, has_next):
        keyboard.append(row)
    if bookings:
        keyboard.append([button("📆 " + texts.gettext("Add to my calendar (.ics)"), "my:ics")])
    if feeds:
        keyboard.append([button("🔗 " + texts.gettext("Calendar link"), "my:cal")])
    keyboard.append([button("📅 " + texts.gettext("Book a machine"), "bk")])
    keyboard.append([button("🏠 " + texts.gettext("Main menu"), "menu")])
    return InlineKeyboardMarkup(keyboard)


def confirm_cancel(texts: Texts, booking: Booking) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("🗑 " + _("Yes, cancel it"), "my:y", booking.id)],
            [button("⬅️ " + _("No, keep it"), "my")],
        ]
    )


def languages(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button("🇫🇷 Français", "lang:fr"), button("🇬🇧 English", "lang:en")],
            [button("🔄 " + texts.gettext("Follow my Telegram language"), "lang:auto")],
            [button("🏠 " + texts.gettext("Main menu"), "menu")],
        ]
    )


def pager(
    texts: Texts, action: str, fixed: tuple[int, ...], page: int, has_next: bool
) -> list[InlineKeyboardButton]:
    row = []
    if page > 0:
        row.append(button("◀️ " + texts.gettext("Previous"), action, *fixed, page - 1))
    if has_next:
        row.append(button(texts.gettext("Next") + " ▶️", action, *fixed, page + 1))
    return row


def pages_and_menu(texts: Texts, action: str, page: int, has_next: bool) -> InlineKeyboardMarkup:
    """Previous / Next (when there are other pages) and the way back to the main menu."""
    keyboard = [row] if (row := pager(texts, action, (), page, has_next)) else []
    keyboard.append([button("🏠 " + texts.gettext("Main menu"), "menu")])
    return InlineKeyboardMarkup(keyboard)


# Characters of a name on a button: a phone shows about 30 across; what follows the name must stay visible.
BUTTON_NAME = 28


def clip_name(name: str, limit: int = BUTTON_NAME) -> str:
    """A name short enough for a button, cut with an ellipsis."""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def label(name: str, action: str = "", icon: str = "") -> str:
    """A button label that puts what differs from button to button (the name) first: « Trotec · Retirer »."""
    text = f"{icon} {clip_name(name)}" if icon else clip_name(name)
    return f"{text} · {action}" if action else text


def member_label(member: Member) -> str:
    return label(member.display_name + (f" (@{member.username})" if member.username else ""))


def authorize_machines(
    texts: Texts, machines_: Sequence[Machine], page: int, has_next: bool
) -> InlineKeyboardMarkup:
    keyboard = [[button("🔎 " + texts.gettext("Search"), "au:f")]]
    keyboard += [[button(label(machine_title(m)), "au:m", m.id, 0)] for m in machines_]
    if row := pager(texts, "au", (), page, has_next):
        keyboard.append(row)
    keyboard.append(nav_row(texts, ("menu", ())))
    return InlineKeyboardMarkup(keyboard)


def authorize_members(
    texts: Texts, machine: Machine, people: Sequence[Member], page: int, has_next: bool
) -> InlineKeyboardMarkup:
    keyboard = [[button(member_label(p), "au:g", machine.id, p.id)] for p in people]
    if row := pager(texts, "au:m", (machine.id,), page, has_next):
        keyboard.append(row)
    keyboard.append([button("🔎 " + texts.gettext("Search"), "au:f")])
    keyboard.append(nav_row(texts, ("au", (0,))))
    return InlineKeyboardMarkup(keyboard)


def found_members(texts: Texts, people: Sequence[Member]) -> InlineKeyboardMarkup:
    """Members a search found: each opens the member's authorizations."""
    keyboard = [[button(member_label(p), "au:u", p.id)] for p in people]
    keyboard.append([button("🔎 " + texts.gettext("New search"), "au:f")])
    keyboard.append(nav_row(texts, ("au", (0,))))
    return InlineKeyboardMarkup(keyboard)


# Telegram takes at most 100 buttons a keyboard.
MAX_TRAINING_BUTTONS = 45


def member_trainings(
    texts: Texts,
    member: Member,
    current: Sequence[tuple[int, str]],
    to_authorize: Sequence[Machine],
) -> InlineKeyboardMarkup:
    """A member's authorizations, each with Remove; the machines they may be authorized on."""
    _ = texts.gettext
    keyboard = [
        [button(label(name, _("Remove"), "❌"), "au:r", authorization_id)]
        for authorization_id, name in current[:MAX_TRAINING_BUTTONS]
    ]
    keyboard += [
        [button(label(m.name, _("Authorize"), "🎓"), "au:g", m.id, member.id)]
        for m in to_authorize[:MAX_TRAINING_BUTTONS]
    ]
    keyboard.append([button("🔎 " + _("Another member"), "au:f")])
    keyboard.append(nav_row(texts, ("au", (0,))))
    return InlineKeyboardMarkup(keyboard)


def confirm_revoke(texts: Texts, authorization_id: int, member_id: int) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("🗑 " + _("Yes, withdraw it"), "au:y", authorization_id)],
            [button("⬅️ " + _("No, keep it"), "au:u", member_id)],
        ]
    )


def after_grant(texts: Texts, member_id: int) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("👤 " + _("Their authorizations"), "au:u", member_id)],
            [button("🏠 " + _("Main menu"), "menu")],
        ]
    )


def grant_request(texts: Texts, machine_id: int, member_id: int, first_name: str) -> InlineKeyboardMarkup:
    """The button a manager gets with a training request."""
    label = "✅ " + texts.gettext("Authorize {name}").format(name=first_name)
    return InlineKeyboardMarkup([[button(label, "au:g", machine_id, member_id)]])


def single(texts: Texts, icon: str, label: str, action: str, *args: int) -> InlineKeyboardMarkup:
    """One button (its label a message id translated here)."""
    return InlineKeyboardMarkup([[button(f"{icon} {texts.gettext(label)}", action, *args)]])


def rebook(texts: Texts, kind: MachineKind, booking_id: int) -> InlineKeyboardMarkup:
    """For a member whose booking is affected: book another machine of the kind, or see the booking."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [
                button(
                    "📅 " + _("Book another one: {kind}").format(kind=_(KIND_NAMES[kind])),
                    "bk:k",
                    KIND_ORDER.index(kind),
                )
            ],
            [button("🗂 " + _("My bookings"), "my")],
        ]
    )


def booking_in_downtime(texts: Texts, booking_id: int, machine_id: int) -> InlineKeyboardMarkup:
    """For a member whose booking falls in a planned downtime: cancel it, book another time, or see
    their bookings (each press is checked again: their own booking, still upcoming)."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("❌ " + _("Cancel this booking"), "my:c", booking_id)],
            [button("📅 " + _("Book another time"), "bk:m", machine_id)],
            [button("🗂 " + _("My bookings"), "my")],
        ]
    )


SEVERITY_ICONS = {"unusable": "⛔", "degraded": "⚠️", "minor": "🔧"}
SEVERITY_NAMES = {
    "unusable": N_("Unusable — must not be used"),
    "degraded": N_("Degraded — usable with care"),
    "minor": N_("Minor — cosmetic or a consumable"),
}


def severity_label(texts: Texts, severity: str) -> str:
    return f"{SEVERITY_ICONS[severity]} {texts.gettext(SEVERITY_NAMES[severity])}"


def severities(texts: Texts) -> InlineKeyboardMarkup:
    """The three severities (the report is sent when one is pressed), and Cancel."""
    keyboard = [[button(severity_label(texts, s), "rp:s", n)] for n, s in enumerate(SEVERITY_NAMES)]
    keyboard.append([button("✖️ " + texts.gettext("Cancel"), "rp:x")])
    return InlineKeyboardMarkup(keyboard)


def cancel_report(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button("✖️ " + texts.gettext("Cancel"), "rp:x")]])


def report_machines(texts: Texts, machines_: Sequence[Machine]) -> InlineKeyboardMarkup:
    keyboard = [[button(machine_title(m), "rp:m", m.id)] for m in machines_]
    keyboard.append(nav_row(texts, ("menu", ())))
    return InlineKeyboardMarkup(keyboard)


def ticket_actions(texts: Texts, ticket_id: int, status: str, photos: int = 0) -> InlineKeyboardMarkup:
    """What a manager can do to a ticket in its state (the domain checks again on every press)."""
    _ = texts.gettext
    keyboard: list[list[InlineKeyboardButton]] = []
    if status in ("open", "escalated"):
        keyboard.append([button("🙋 " + _("Take it"), "tk:t", ticket_id)])
    if status in ("open", "in_progress", "escalated"):
        keyboard.append([button("✅ " + _("Resolve"), "tk:r", ticket_id)])
        row = [button("↗️ " + _("Escalate"), "tk:e", ticket_id)] if status != "escalated" else []
        row.append(button("🚫 " + _("Reject"), "tk:x", ticket_id))
        keyboard.append(row)
    details = [button("📋 " + _("Details"), "tk", ticket_id)]
    if photos:
        details.append(button("📷 " + _("Photos ({count})").format(count=photos), "tk:p", ticket_id))
    keyboard.append(details)
    return InlineKeyboardMarkup(keyboard)


def queue(
    texts: Texts, entries: Sequence[tuple[int, str]], page: int, has_next: bool
) -> InlineKeyboardMarkup:
    keyboard = [[button(label, "tk", ticket_id)] for ticket_id, label in entries]
    if row := pager(texts, "q", (), page, has_next):
        keyboard.append(row)
    keyboard.append([button("🏠 " + texts.gettext("Main menu"), "menu")])
    return InlineKeyboardMarkup(keyboard)
