"""What members and managers type (descriptions, notes), cleaned."""

from __future__ import annotations

from models.maintenance.errors import EmptyText


def _clean(text_: str, limit: int) -> str:
    """Text as typed, without NULs and surrounding blanks, cut to `limit`; blank text is refused."""
    cleaned = text_.replace("\x00", "").strip()
    if not cleaned:
        raise EmptyText("empty")
    return cleaned[:limit]
