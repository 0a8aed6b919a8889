"""Finding a person in free text, whatever the case and accents, and blotting them out.

Used by erasure: « Évelyne », "EVELYNE" and "evelyne" are one name; "@eve_77", "eve_77" and
"https://t.me/eve_77" one username. Matching happens on a folded copy of the text (NFKD, accents
dropped, casefold); the span found is replaced in the original text, which keeps the rest as it was.
A nickname or a description ("the tall one from Tuesday") cannot be recognised: /privacy says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

REDACTED = "—"

# Terms shorter than this are not looked for: "Al" would blot out every "al" in the lab's texts.
MIN_TERM = 3

# A phone number: "+33 6 12 34 56 78", "0033 6…", "06.12.34.56.78", "(0)6-12-34-56-78". Checked
# further by its digits (see `_is_phone`), so a date or a version number is not taken for one.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d .\-()\u00a0\u202f]{6,}\d(?!\w)")
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,}(?!\w)")


def fold(text: str) -> tuple[str, list[int]]:
    """The text without accents, case-folded, and for each of its characters the index of the
    original character it comes from."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue
            for folded_char in part.casefold():
                folded.append(folded_char)
                origin.append(index)
    return "".join(folded), origin


# Combining marks (accents once decomposed), for the quick fold.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold_term(text: str) -> str:
    """The folded text, without the index back to the original (most texts hold no trace at all)."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


def _is_phone(span: str) -> bool:
    digits = re.sub(r"\D", "", span)
    if span.startswith(("+", "00")):
        return 8 <= len(digits) <= 15
    # A national number: a leading 0 and nine or ten digits after it (06 12 34 56 78).
    return span.lstrip("(").startswith("0") and 10 <= len(digits) <= 11


def _phones(folded: str) -> list[tuple[int, int]]:
    """Spans of the phone numbers in the folded text ("06 12 34 56 78 10 fois": the number, not the 10)."""
    spans = []
    for match in _PHONE.finditer(folded):
        start, candidate = match.start(), match.group()
        while candidate and not _is_phone(candidate):
            cut = max(candidate.rfind(c) for c in " .-()\u00a0\u202f")
            candidate = candidate[:cut].rstrip(" .-(\u00a0\u202f") if cut > 0 else ""
        if candidate:
            spans.append((start, start + len(candidate)))
    return spans


def _replace(text: str, folded: str, origin: list[int], spans: Iterable[tuple[int, int]]) -> str:
    """Replace the folded spans' original characters (and the accents left over) by REDACTED."""
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        first = max(origin[start], last)
        stop = origin[end - 1] + 1
        while stop < len(text) and unicodedata.combining(text[stop]):
            stop += 1
        if stop <= first:
            continue
        pieces += [text[last:first], REDACTED]
        last = stop
    pieces.append(text[last:])
    return "".join(pieces)


class Traces:
    """What identifies one person: their names (or whole phrases of theirs) and usernames."""

    def __init__(self, phrases: Iterable[str | None], usernames: Iterable[str | None] = ()) -> None:
        alternatives: list[tuple[int, str]] = []
        for username in {fold_term(u.lstrip("@")) for u in usernames if u}:
            if len(username) < MIN_TERM:
                continue
            name = re.escape(username)
            link = rf"(?:https?://)?(?:www\.)?(?:t|telegram)\.me/@?{name}"
            alternatives += [(len(username) + 100, link), (len(username) + 1, rf"@?{name}")]
        for phrase in {fold_term(p).strip() for p in phrases if p}:
            words = phrase.split()
            if len(phrase) < MIN_TERM or not words:
                continue
            alternatives.append((len(phrase), r"\s+".join(re.escape(w) for w in words)))
        # Longest first: "Evelyne Secretandre" is blotted out as one, not as "— —".
        alternatives.sort(key=lambda item: item[0], reverse=True)
        self.pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(a for _, a in alternatives) + r")(?!\w)")
            if alternatives
            else None
        )

    def found_in(self, text: str, *, folded: str | None = None) -> bool:
        """Whether the text (or its `fold_term`, given) names the person."""
        if folded is None:
            folded = fold_term(text)
        return self.pattern is not None and self.pattern.search(folded) is not None

    def scrub(self, text: str, *, contacts: bool = False) -> str:
        """The text without the person's names and usernames; with `contacts`, without any phone
        number or e-mail address either (for text written about that person)."""
        if self.pattern is None and not contacts:
            return text
        if not contacts and self.pattern is not None and self.pattern.search(fold_term(text)) is None:
            return text  # nothing of theirs: the common case, without the character-by-character fold
        folded, origin = fold(text)
        spans: list[tuple[int, int]] = []
        if self.pattern is not None:
            spans += [m.span() for m in self.pattern.finditer(folded)]
        if contacts:
            spans += [m.span() for m in _EMAIL.finditer(folded)]
            spans += _phones(folded)
        if not spans:
            return text
        return _replace(text, folded, origin, _merge(spans))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, overlapping spans joined (an e-mail address holding the username is one span)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
