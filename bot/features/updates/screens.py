"""The update register: software, firmware and systems the fab manager checks for updates."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import keyboards
from bot.context import Turn
from bot.i18n import N_, Texts
from bot.reply import Reply
from models import members, updates
from models.updates import CheckAction, UpdateItem

PAGE_SIZE = 10
CHECK_NAMES = {
    CheckAction.DONE: N_("checked"),
    CheckAction.SNOOZED: N_("snoozed a week"),
    CheckAction.NOT_APPLICABLE: N_("marked not applicable"),
}


def item_name(name: str, machine: str | None) -> str:
    """The item's name, and its machine's unless the name says it already (« Fusion 360 — Poste CAO 1 »)."""
    if machine and machine.casefold() not in name.casefold():
        return f"{name} ({machine})"
    return name


def item_title(item: UpdateItem) -> str:
    version = f" {item.current_version}" if item.current_version else ""
    return item_name(item.name, item.machine.name if item.machine else None) + version


def item_label(version: str, name: str, icon: str = "") -> str:
    """A button: the version first (what changes), then the name, short enough for a phone."""
    return keyboards.clip_label(version, name, icon=icon)


def _due_label(texts: Texts, item: UpdateItem, turn: Turn) -> str:
    icon = "➖" if item.not_applicable else "🔔" if item.is_due(turn.now) else "✅"
    return item_label(item.current_version, item.name, icon)


def actions(texts: Texts, item_id: int) -> InlineKeyboardMarkup:
    """Done (asks the version) / Same version / Snooze a week / Not applicable."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [
                keyboards.button("✅ " + _("Updated"), "up:d", item_id),
                keyboards.button("👌 " + _("Up to date"), "up:k", item_id),
            ],
            [
                keyboards.button("💤 " + _("Snooze a week"), "up:s", item_id),
                keyboards.button("➖ " + _("Not applicable"), "up:n", item_id),
            ],
            [keyboards.button("⬅️ " + _("Back"), "up", 0)],
        ]
    )


async def register_list(turn: Turn) -> Reply:
    """Every item, the soonest due first."""
    _ = turn._
    members.require_manager(turn.member)
    page = turn.args[0] if turn.args else 0
    items = await updates.list_items(turn.session)
    if not items:
        return Reply(
            text=_("The update register is empty: declare items in the inventory file."),
            markup=keyboards.back_to_menu(turn.texts),
        )
    due = sum(1 for i in items if i.is_due(turn.now))
    text = (
        _("Software and firmware to check:")
        + "\n"
        + turn.texts.ngettext("{count} check is due.", "{count} checks are due.", due).format(count=due)
    )
    shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    keyboard = [[keyboards.button(_due_label(turn.texts, i, turn), "up:i", i.id)] for i in shown]
    if row := keyboards.pager(turn.texts, "up", (), page, len(items) > (page + 1) * PAGE_SIZE):
        keyboard.append(row)
    keyboard.append([keyboards.button("🏠 " + _("Main menu"), "menu")])
    return Reply(text=text, markup=InlineKeyboardMarkup(keyboard))


async def item_screen(turn: Turn, item_id: int | None = None, toast: str | None = None) -> Reply:
    """An item: version, when the next check is due, its history of versions."""
    _ = turn._
    texts = turn.texts
    members.require_manager(turn.member)
    item = await updates.get_item(turn.session, item_id or turn.args[0])
    lines = [f"🔄 {item_title(item)}"]
    lines.append(
        texts.ngettext(
            "Checked every {count} day.", "Checked every {count} days.", item.check_every_days
        ).format(count=item.check_every_days)
    )
    if item.not_applicable:
        lines.append(_("Not applicable: no reminder."))
    elif item.is_due(turn.now):
        lines.append("🔔 " + _("A check is due since {day}.").format(day=texts.day(item.due_at)))
    else:
        lines.append(_("Next check: {day}.").format(day=texts.day(item.due_at)))
    history = await updates.history(turn.session, item.id)
    if history:
        lines += ["", _("History:")]
        for check in history:
            change = (
                f" {check.version_before or '?'} → {check.version_after}"
                if check.version_after != check.version_before
                else ""
            )
            who = f" — {check.member.first_name}" if check.member else ""
            lines.append(f"• {texts.moment(check.at)} {_(CHECK_NAMES[check.action])}{change}{who}")
    return Reply(text="\n".join(lines), markup=actions(texts, item.id), toast=toast)


async def show_item(turn: Turn) -> Reply:
    return await item_screen(turn)


async def ask_version(turn: Turn) -> Reply:
    """Ask the manager for the version now installed (their next message)."""
    item = await updates.ask_version(turn.session, turn.member, turn.args[0], turn.now)
    text = _version_prompt(turn, item)
    return Reply(text=text, new_message=True)


def _version_prompt(turn: Turn, item: UpdateItem) -> str:
    current = item.current_version or "?"
    return (
        f"🔄 {item.name}\n"
        + turn._("Which version is installed now (it was {version})? Send it in a message.").format(
            version=current
        )
        + "\n"
        + turn._("/cancel to stop.")
    )


async def took_version(turn: Turn, text: str) -> Reply:
    item = await updates.give_version(turn.session, turn.member, text, turn.now)
    reply = await item_screen(turn, item.id)
    reply.text = "✅ " + turn._("Recorded.") + "\n\n" + (reply.text or "")
    reply.new_message = True
    return reply


async def up_to_date(turn: Turn) -> Reply:
    item = await updates.mark_done(turn.session, turn.member, turn.args[0], None, turn.now)
    return await item_screen(turn, item.id, toast=turn._("Recorded."))


async def snooze(turn: Turn) -> Reply:
    item = await updates.snooze(turn.session, turn.member, turn.args[0], turn.now)
    return await item_screen(turn, item.id, toast=turn._("Snoozed for a week."))


async def not_applicable(turn: Turn) -> Reply:
    item = await updates.set_not_applicable(turn.session, turn.member, turn.args[0], turn.now)
    return await item_screen(turn, item.id, toast=turn._("No more reminders for this item."))
