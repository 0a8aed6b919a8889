"""Today at a glance, for the fab managers (/machines): each booked machine with its times, then
the free and the out-of-service ones in a line each."""

from __future__ import annotations

from datetime import timedelta

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.reply import Reply
from bot.features import keyboards
from bot.features.machines_today import keyboards as today_keyboards
from bot.features.machines_today import routes
from models import bookings, machines, members
from models.machines import MachineStatus
from models.opening import LabCalendar, local_datetime

# Characters of machine blocks on one page of /machines, well under Telegram's 4096.
PAGE_BUDGET = 3000


def page_of_blocks(blocks: list[str], page: int, budget: int = PAGE_BUDGET) -> tuple[list[str], bool]:
    """Split text blocks into pages of at most `budget` characters (a block is never split);
    return the blocks of one page and whether a next page exists."""
    pages: list[list[str]] = [[]]
    size = 0
    for block in blocks:
        if pages[-1] and size + len(block) > budget:
            pages.append([])
            size = 0
        pages[-1].append(block)
        size += len(block) + 1
    page = min(page, len(pages) - 1)
    return pages[page], page < len(pages) - 1


async def machines_today(turn: Turn) -> Reply:
    """Today at a glance: each booked machine with its times, then the others in one line each
    (free all day, out of service), a page at a time."""
    _ = turn._
    members.require_manager(turn.member)
    page = turn.press.page if isinstance(turn.press, routes.MachinesTodayPage) else 0
    today = turn.desk.rules.today(turn.now)
    day_start = local_datetime(today, 0, turn.texts.tz)
    todays = await bookings.bookings_between(turn.session, day_start, day_start + timedelta(days=1))
    listed = await machines.list_machines(turn.session)
    calendar = await LabCalendar.load(turn.session, today, today, turn.texts.tz)
    blocks = [] if listed else [_("No machine is set up yet.")]
    status_names = {
        MachineStatus.OUT_OF_SERVICE: _("out of service"),
        MachineStatus.RETIRED: _("retired"),
    }
    free: list[str] = []
    down: list[str] = []
    for machine in listed:
        booked = [b for b in todays if b.machine_id == machine.id]
        if not booked:
            (free if machine.bookable else down).append(machine.name)
            continue
        flags = " 🎓" if machine.requires_training else ""
        status = f" — {status_names[machine.status]}" if machine.status in status_names else ""
        lines = [f"{keyboards.machine_title(machine)}{flags}{status}"]
        lines += [
            # The first name is enough to find the person in the lab (no more personal data than needed);
            # a guest's or a workshop's booking shows its label.
            f"    {turn.texts.time(b.start_at)}–{turn.texts.time(b.end_at)} · {b.holder}"
            for b in booked
        ]
        blocks.append("\n".join(lines))
    if free and not calendar.intervals(today):
        blocks.append(_("The lab is closed today."))
    elif free:
        blocks.append("✅ " + _("Free all day: {machines}").format(machines=", ".join(free)))
    if down:
        blocks.append("⛔ " + _("Out of service: {machines}").format(machines=", ".join(down)))
    shown, has_next = page_of_blocks(blocks, page)
    title = _("Machines — {day}").format(day=turn.texts.day(today))
    return Reply(
        text="\n\n".join([title, *shown]), markup=today_keyboards.pages_and_menu(turn.texts, page, has_next)
    )


FEATURE = Feature(
    name="machines_today",
    commands={"machines": machines_today},
    presses={routes.MachinesToday: machines_today, routes.MachinesTodayPage: machines_today},
)
