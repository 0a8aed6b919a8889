"""The members' endpoints of the Mini App: who I am, the lab's week, booking, my bookings."""

from __future__ import annotations

from typing import Any

from bot.web.api import Call, Endpoint
from bot.web.page_texts import PageTexts


class Me(Endpoint):
    """The member, their language and what they may see (the managers' tabs)."""

    async def show(self, call: Call) -> object:
        member = call.member
        return {
            "id": member.id,
            "name": member.display_name,
            "language": call.texts.language,
            "manager": member.is_manager,
        }


# (path under /app/api/, endpoint), the path a regular expression whose groups reach the endpoint.
ENDPOINTS: list[tuple[str, Any]] = [
    ("me", Me),
    ("texts", PageTexts),
]
