"""The managers' endpoints of the Mini App (each an `Endpoint` with managers_only = True)."""

from __future__ import annotations

from typing import Any

# (path under /app/api/, endpoint), as in bot/web/member_api.py.
ENDPOINTS: list[tuple[str, Any]] = []
