"""Training requests meet sessions: the member's choice between a session and a request, and the
manager's answers to a request (propose a session, decline with a reason)."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Between, Button
from models.session_requests import COMMON_REASONS


class RequestSent(Button, action="rq"):
    """Send my training request to the fab managers anyway (sessions were offered first)."""

    machine: ID


class ProposeAsked(Button, action="rq:p"):
    """Answer a request with a session: the upcoming training sessions of its machine or kind."""

    request: ID


class ProposeChosen(Button, action="rq:s"):
    """Propose this session: the member is told, with a one-tap sign-up."""

    request: ID
    session: ID


class DeclineAsked(Button, action="rq:d"):
    """Decline a request: a common reason in one tap, or a typed one."""

    request: ID


class DeclineChosen(Button, action="rq:r"):
    """Decline with one of the common reasons."""

    request: ID
    reason: Annotated[int, Between(0, len(COMMON_REASONS) - 1)]
