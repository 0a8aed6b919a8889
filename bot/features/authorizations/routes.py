"""The authorizations' buttons: a machine needing a training → a member → authorize; or a member
found by name → their authorizations → authorize or withdraw one."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Between, Button

Page = Annotated[int, Between(0, 9999)]


class MachineList(Button, action="au"):
    """The machines needing a training, a page of them, to authorize a member on one."""

    page: Page


class MachineChosen(Button, action="au:m"):
    """A machine picked: the members not yet authorized on it, a page of them."""

    machine: ID
    page: Page


class GrantPressed(Button, action="au:g"):
    """Authorize this member on this machine (also sent with a member's training request)."""

    machine: ID
    member: ID


class SearchAsked(Button, action="au:f"):
    """Find a member: their name or @username is typed next."""


class MemberChosen(Button, action="au:u"):
    """A member's authorizations, and the machines to authorize them on."""

    member: ID


class RevokeAsked(Button, action="au:r"):
    """Withdraw this authorization? (says which bookings it would cancel)"""

    authorization: ID


class RevokeConfirmed(Button, action="au:y"):
    """Withdraw it for this reason (1-based, models/authorizations.py: REVOKE_REASONS): the member is told."""

    authorization: ID
    reason: Annotated[int, Between(1, 3)]


class RevokeReasonAsked(Button, action="au:o"):
    """Withdraw it for another reason: the manager types it next."""

    authorization: ID
