"""What people type into one-line fields (a machine's name, a reason), checked or cleaned.

Control characters (a NUL, which PostgreSQL refuses in text, a line break, an escape) and
invisible format characters (zero-width spaces, direction marks) have no place in a name: they
make two names look alike, or break a screen. The zero-width joiner inside an emoji (👩‍🔧) is kept.
"""

from __future__ import annotations

import unicodedata

_JOINER = "\u200d"
_EMOJI_SELECTOR = "\ufe0f"


def _hidden(text: str, index: int) -> bool:
    char = text[index]
    if unicodedata.category(char) == "Cc":
        return True
    if unicodedata.category(char) != "Cf":
        return False
    if char != _JOINER or not 0 < index < len(text) - 1:
        return True
    # Between two symbols (emoji), a joiner draws one picture; anywhere else it hides. The symbol
    # before it may carry its emoji presentation selector (🏳️‍🌈, ❤️‍🔥: U+FE0F then the joiner).
    before = index - 1
    if text[before] == _EMOJI_SELECTOR and before > 0:
        before -= 1
    return not all(unicodedata.category(text[i]).startswith("S") for i in (before, index + 1))


def has_hidden_characters(text: str) -> bool:
    """Whether the text holds a control or invisible format character."""
    return any(_hidden(text, index) for index in range(len(text)))


def one_line(text: str, limit: int) -> str:
    """The text without control or invisible characters, its blanks folded, cut to `limit`."""
    kept = "".join(
        " " if char.isspace() else char
        for index, char in enumerate(text)
        if char.isspace() or not _hidden(text, index)
    )
    return " ".join(kept.split())[:limit]
