"""The update register: software, firmware and systems the fab manager checks for updates."""

from __future__ import annotations

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.i18n import N_
from bot.core.inputs import typed_answer
from bot.core.reply import Reply
from bot.features import keyboards
from bot.features.updates import keyboards as updates_keyboards
from bot.features.updates import routes
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


async def register_list(turn: Turn) -> Reply:
    """Every item, the soonest due first."""
    _ = turn._
    members.require_manager(turn.member)
    page = turn.press.page if isinstance(turn.press, routes.ItemList) else 0  # /updates: the first
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
    has_next = len(items) > (page + 1) * PAGE_SIZE
    return Reply(text=text, markup=updates_keyboards.items(turn.texts, shown, turn.now, page, has_next))


async def item_screen(turn: Turn, item_id: int, toast: str | None = None) -> Reply:
    """An item: version, when the next check is due, its history of versions."""
    _ = turn._
    texts = turn.texts
    members.require_manager(turn.member)
    item = await updates.get_item(turn.session, item_id)
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
    return Reply(text="\n".join(lines), markup=updates_keyboards.actions(texts, item.id), toast=toast)


async def show_item(turn: Turn) -> Reply:
    return await item_screen(turn, turn.pressed(routes.ItemChosen).item)


async def ask_version(turn: Turn) -> Reply:
    """Ask the manager for the version now installed (their next message)."""
    item_id = turn.pressed(routes.ItemUpdated).item
    item = await updates.ask_version(turn.session, turn.member, item_id, turn.now)
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
    item_id = turn.pressed(routes.ItemUpToDate).item
    item = await updates.mark_done(turn.session, turn.member, item_id, None, turn.now)
    return await item_screen(turn, item.id, toast=turn._("Recorded."))


async def snooze(turn: Turn) -> Reply:
    item = await updates.snooze(turn.session, turn.member, turn.pressed(routes.ItemSnoozed).item, turn.now)
    return await item_screen(turn, item.id, toast=turn._("Snoozed for a week."))


async def not_applicable(turn: Turn) -> Reply:
    item_id = turn.pressed(routes.ItemNotApplicable).item
    item = await updates.set_not_applicable(turn.session, turn.member, item_id, turn.now)
    return await item_screen(turn, item.id, toast=turn._("No more reminders for this item."))


FEATURE = Feature(
    name="updates",
    commands={"updates": register_list},
    presses={
        routes.ItemList: register_list,
        routes.ItemChosen: show_item,
        routes.ItemUpdated: ask_version,
        routes.ItemUpToDate: up_to_date,
        routes.ItemSnoozed: snooze,
        routes.ItemNotApplicable: not_applicable,
    },
    awaits=[typed_answer(lambda turn: updates.pending_version(turn.session, turn.member), took_version)],
)
