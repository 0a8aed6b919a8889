"""Moved to bot/features/updates/. bot/notifications.py still imports these names from here: this
re-export goes once the notifications move to their features."""

from __future__ import annotations

from bot.features.updates.keyboards import actions, item_label
from bot.features.updates.screens import item_name

__all__ = ["actions", "item_label", "item_name"]
