"""Maintenance, as the app factory registers it: a member's report (report.py), the managers' ticket
queue (tickets.py), and each machine's care: schedule, planned downtime, plans (machines.py)."""

from __future__ import annotations

from bot.core.feature import Feature
from bot.core.inputs import Awaited, typed_answer
from bot.features.maintenance import machines, report, routes, tickets
from models import maintenance

FEATURE = Feature(
    name="maintenance",
    commands={
        "report": report.pick_machine,
        # manager commands (the screens refuse members)
        "queue": tickets.show_queue,
        "machine": machines.machine_command,
    },
    presses={
        routes.ReportProblem: report.pick_machine,
        routes.ReportMachineChosen: report.describe,
        routes.SeverityChosen: report.submit,
        routes.ReportDropped: report.cancel,
        routes.QueuePage: tickets.show_queue,
        routes.TicketChosen: tickets.show_ticket,
        routes.TicketTaken: tickets.take,
        routes.ResolveAsked: tickets.ask_note,
        routes.EscalateAsked: tickets.ask_note,
        routes.RejectAsked: tickets.ask_note,
        routes.TicketPhotos: tickets.photos,
        routes.MachineShown: machines.machine_screen,
        routes.ScheduleFile: machines.schedule_file,
        routes.DowntimeAsked: machines.downtime_day,
        routes.DowntimeDayChosen: machines.downtime_start,
        routes.DowntimeStartChosen: machines.downtime_length,
        routes.DowntimeLengthChosen: machines.downtime_summary,
        routes.DowntimeConfirmed: machines.downtime_confirm,
        routes.CallOffAsked: machines.ask_call_off,
        routes.CallOffConfirmed: machines.call_off,
        routes.PlanShown: machines.plan_screen,
        routes.PlanIntervalChosen: machines.set_plan_interval,
        routes.PlanToggled: machines.toggle_plan,
    },
    awaits=[
        typed_answer(lambda turn: maintenance.pending_note(turn.session, turn.member), tickets.took_note),
        Awaited(report.took_message, catch_all=True),
    ],
)
