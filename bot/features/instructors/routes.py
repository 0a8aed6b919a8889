"""The instructors' buttons (managers only): the instructors, a member's roles toggled on machines
and kinds, withdrawing them all; a session's instructor assigned."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Button, OneOf
from bot.features.sessions.routes import MACHINE_KINDS
from models.machines import MachineKind


class InstructorList(Button, action="in"):
    """The instructors and their machines; find a member to promote."""


class RolesShown(Button, action="in:m"):
    """A member's instructor roles: a toggle per machine needing a training and per kind."""

    member: ID


class MachineToggled(Button, action="in:t"):
    """Give (or take back) the member's role on this machine."""

    member: ID
    machine: ID


class KindToggled(Button, action="in:k"):
    """Give (or take back) the member's role on every machine of this kind."""

    member: ID
    kind: Annotated[MachineKind, OneOf(MACHINE_KINDS)]


class WithdrawAsked(Button, action="in:w"):
    """Withdraw every instructor role of the member? (a confirmation)"""

    member: ID


class WithdrawConfirmed(Button, action="in:x"):
    """Withdraw them: the member no longer plans or runs sessions."""

    member: ID


class AssignAsked(Button, action="in:a"):
    """Who runs this session? The instructors of its machine or kind."""

    session: ID


class AssignChosen(Button, action="in:a:y"):
    """This member runs the session (and grants its authorizations)."""

    session: ID
    member: ID
