"""Checks on what owners type: names, descriptions, tags and links."""

from __future__ import annotations

import re

from models.projects.errors import BadProjectText
from models.projects.tables import MAX_TAGS

_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]{3,490}$")


_URL_IN_TEXT = re.compile(r"https?://\S+")


def clean_text(text: str, limit: int, *, single_line: bool = False) -> str:
    cleaned = text.replace("\x00", "").strip()
    if single_line:
        cleaned = " ".join(cleaned.split())
    if not cleaned or len(cleaned) > limit:
        raise BadProjectText(cleaned[:40])
    return cleaned


def parse_tags(text: str) -> str:
    """ "Drones, électronique #repair" → "drones,électronique,repair" (lower case, at most 8)."""
    tags = []
    # NUL is no character to keep (PostgreSQL refuses it in text).
    for raw in re.split(r"[,;#\s]+", text.replace("\x00", "").lower()):
        tag = raw.strip()[:24]
        if tag and tag not in tags:
            tags.append(tag)
    if not tags or len(tags) > MAX_TAGS:
        raise BadProjectText(text[:40])
    return ",".join(tags)


def check_url(text: str) -> str:
    url = text.strip()
    if not _URL.match(url):
        raise BadProjectText(url[:40])
    return url
