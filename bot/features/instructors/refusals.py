"""The instructors' refusals, by exact class: an instructor outside their machines or sessions."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.refusals import Refusals
from models import instructors

REFUSALS: Refusals = {
    instructors.NotYourSession: N_(
        "Only the fab managers and this session's instructor can do that. Nothing was changed."
    ),
    instructors.NotYourMachine: N_(
        "As an instructor, you can plan trainings only on the machines you instruct. Nothing was changed."
    ),
    instructors.NotAnInstructor: N_(
        "This member does not instruct this session's machine: make them its instructor first. Nothing was "
        "changed."
    ),
}
