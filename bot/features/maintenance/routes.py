"""Maintenance's buttons: a member reports a problem; a fab manager works the ticket queue, and looks
after each machine (its schedule, planned downtimes, preventive maintenance plans)."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Between, Button, Day, Moment, OneOf
from models.maintenance import SEVERITY_ORDER, Severity

# A plan's interval presets, as (days, hours of use): a button carries the preset's index, so this
# order is part of the wire format (append, never reorder).
PLAN_PRESETS: tuple[tuple[int | None, int | None], ...] = (
    (7, None),
    (14, None),
    (30, None),
    (90, None),
    (None, 50),
    (None, 100),
    (None, 200),
    (None, 500),
)
Preset = Annotated[int, Between(0, len(PLAN_PRESETS) - 1)]
# A downtime's length in minutes, as its button carries it (a month at most: anything longer is forged;
# the screens accept only the lengths they offer).
Minutes = Annotated[int, Between(1, 31 * 24 * 60)]
Page = Annotated[int, Between(0, 9999)]

# ----------------------------------------------------------------------------- reporting a problem


class ReportProblem(Button, action="rp"):
    """Report a problem: pick the machine."""


class ReportMachineChosen(Button, action="rp:m"):
    """The machine with a problem picked: describe it."""

    machine: ID


class SeverityChosen(Button, action="rp:s"):
    """How bad it is picked: the report is sent."""

    severity: Annotated[Severity, OneOf(tuple(SEVERITY_ORDER))]


class ReportDropped(Button, action="rp:x"):
    """Drop the report being written."""


# ----------------------------------------------------------------------------- the manager's queue


class QueuePage(Button, action="q"):
    """The maintenance queue, a page of it."""

    page: Page


class TicketChosen(Button, action="tk"):
    """A ticket's detail and history."""

    ticket: ID


class TicketTaken(Button, action="tk:t"):
    """Take the ticket in hand."""

    ticket: ID


class ResolveAsked(Button, action="tk:r"):
    """Resolve the ticket: ask for the resolution note."""

    ticket: ID


class EscalateAsked(Button, action="tk:e"):
    """Escalate the ticket: ask for the escalation note."""

    ticket: ID


class RejectAsked(Button, action="tk:x"):
    """Reject the ticket: ask for the reason."""

    ticket: ID


class TicketPhotos(Button, action="tk:p"):
    """The ticket's photos."""

    ticket: ID


# ----------------------------------------------------------------------------- a machine's care


class MachineShown(Button, action="mc"):
    """A machine's status, maintenance log and plans."""

    machine: ID


class ScheduleFile(Button, action="mc:ics"):
    """The machine's schedule as an .ics file."""

    machine: ID


class DowntimeAsked(Button, action="dt"):
    """Plan a downtime: pick the day."""

    machine: ID


class DowntimeDayChosen(Button, action="dt:d"):
    """The downtime's day picked: its start."""

    machine: ID
    day: Day


class DowntimeStartChosen(Button, action="dt:s"):
    """The downtime's start picked: its length."""

    machine: ID
    start: Moment


class DowntimeLengthChosen(Button, action="dt:l"):
    """The downtime's length picked: what it affects, Confirm?"""

    machine: ID
    start: Moment
    minutes: Minutes


class DowntimeConfirmed(Button, action="dt:ok"):
    """Confirm pressed: plan the downtime."""

    machine: ID
    start: Moment
    minutes: Minutes


class CallOffAsked(Button, action="dt:x"):
    """Call off a planned downtime?"""

    downtime: ID


class CallOffConfirmed(Button, action="dt:y"):
    """Call the downtime off."""

    downtime: ID


class PlanShown(Button, action="pl"):
    """A maintenance plan: its interval and pause/resume."""

    plan: ID


class PlanIntervalChosen(Button, action="pl:i"):
    """One of the interval presets picked for the plan."""

    plan: ID
    preset: Preset


class PlanToggled(Button, action="pl:a"):
    """Pause or resume the plan."""

    plan: ID
