"""The update register's messages to the managers: one check fell due, or several together."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.core.messages import Outgoing, and_more, renders
from bot.features import keyboards
from bot.features.updates import routes
from bot.features.updates.keyboards import actions, item_label
from bot.features.updates.screens import item_name
from models.updates import UpdateDue, UpdatesDue

# One reminder lists at most this many items with a button each (the rest are counted).
UPDATE_ROWS = 20


@renders(UpdateDue)
def _update_due(texts: Texts, p: UpdateDue) -> Outgoing:
    text = "🔄 " + texts.gettext("Time to check for updates: {name}, version {version}.").format(
        name=item_name(p.name, p.machine), version=p.version or "?"
    )
    return Outgoing(text, actions(texts, p.item_id))


@renders(UpdatesDue)
def _updates_due(texts: Texts, p: UpdatesDue) -> Outgoing:
    """Checks that fell due together: one message, a line and a button per item (the button opens
    the item, with Updated / Up to date / Snooze / Not applicable)."""
    _ = texts.gettext
    count = p.count
    lines = [
        "🔄 "
        + texts.ngettext(
            "Time to check for updates, {count} item:", "Time to check for updates, {count} items:", count
        ).format(count=count)
    ]
    items = p.items
    lines += [f"• {item_name(i.name, i.machine)}" + (f" · {i.version}" if i.version else "") for i in items]
    lines += and_more(texts, count - len(items), "/updates")
    rows = [
        [keyboards.button(item_label(i.version or "", i.name, "🔄"), routes.ItemChosen(i.item_id))]
        for i in items[:UPDATE_ROWS]
    ]
    if count > len(rows):
        rows.append([keyboards.button("📋 " + _("All updates"), routes.ItemList(0))])
    return Outgoing("\n".join(lines), InlineKeyboardMarkup(rows))
