"""What a feature's refusal texts are, and how the features' tables become one.

Each feature says, in bot/features/<feature>/refusals.py, the sentence each of its domain errors is
refused with (by exact class); bot/features/refusals.py merges them with the generic ones and looks a
refusal up. Two features claiming one class is a mistake refused at import, not a silent winner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.core.i18n import Texts
from models.errors import DomainError

# A message id (translated when shown), or a function writing the sentence from the refusal's details.
Refusal = str | Callable[[Texts, DomainError], str]
Refusals = Mapping[type[DomainError], Refusal]


def merge(tables: Mapping[str, Refusals]) -> dict[type[DomainError], Refusal]:
    """One table from each owner's (by its name); ValueError for a class two owners claim."""
    merged: dict[type[DomainError], Refusal] = {}
    owners: dict[type[DomainError], str] = {}
    for owner, table in tables.items():
        for cls, refusal in table.items():
            if cls in owners:
                raise ValueError(f"{cls.__qualname__} has a refusal text in both {owners[cls]} and {owner}")
            owners[cls] = owner
            merged[cls] = refusal
    return merged
