"""The booking's buttons: machine → day → start → length → confirm, and the waitlist of a full day."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Between, Button, Day, Moment, OneOf
from models.machines import KIND_ORDER, MachineKind

# A booking's length in minutes, as a length button carries it (a month at most: anything longer is forged).
Minutes = Annotated[int, Between(1, 31 * 24 * 60)]


class MachineList(Button, action="bk"):
    """Every machine, to pick one to book."""


class KindList(Button, action="bk:k"):
    """The machines of one kind (rebooking after a fault)."""

    kind: Annotated[MachineKind, OneOf(tuple(KIND_ORDER))]


class MachineChosen(Button, action="bk:m"):
    """A machine picked: its days."""

    machine: ID


class DayChosen(Button, action="bk:d"):
    """A day picked: its free start times."""

    machine: ID
    day: Day


class HourChosen(Button, action="bk:h"):
    """An hour picked (fine slot grids): the free starts in it."""

    machine: ID
    hour: Moment


class StartChosen(Button, action="bk:s"):
    """A start picked: the lengths that fit."""

    machine: ID
    start: Moment


class LengthChosen(Button, action="bk:l"):
    """A length picked: the booking about to be made, Confirm?"""

    machine: ID
    start: Moment
    minutes: Minutes


class Confirmed(Button, action="bk:ok"):
    """Confirm pressed: book it."""

    machine: ID
    start: Moment
    minutes: Minutes


class WaitForSlot(Button, action="wl"):
    """A full day: tell me when a slot frees up."""

    machine: ID
    day: Day


class AskTraining(Button, action="tr"):
    """A machine needing a training: ask for one."""

    machine: ID
