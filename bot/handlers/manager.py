"""Fab manager screens: machines with today's bookings, training authorizations."""

from __future__ import annotations

from datetime import timedelta

from bot import keyboards
from bot.context import Turn
from bot.reply import Reply
from models import bookings, machines, members
from models.machines import MachineStatus
from models.opening import local_datetime

PAGE_SIZE = 8


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
    """List every machine with its status and today's bookings, a page at a time."""
    _ = turn._
    members.require_manager(turn.member)
    page = turn.args[0] if turn.callback and turn.callback.action == "mg:p" else 0
    today = turn.desk.rules.today(turn.now)
    day_start = local_datetime(today, 0, turn.texts.tz)
    todays = await bookings.bookings_between(turn.session, day_start, day_start + timedelta(days=1))
    listed = await machines.list_machines(turn.session)
    blocks = [] if listed else [_("No machine is set up yet.")]
    status_names = {
        MachineStatus.AVAILABLE: _("available"),
        MachineStatus.OUT_OF_SERVICE: _("out of service"),
        MachineStatus.RETIRED: _("retired"),
    }
    for machine in listed:
        flags = " 🎓" if machine.requires_training else ""
        lines = [f"{keyboards.machine_title(machine)}{flags} — {status_names[machine.status]}"]
        booked = [b for b in todays if b.machine_id == machine.id]
        for b in booked:
            lines.append(
                # The first name is enough to find the person in the lab (no more personal data than needed).
                f"    {turn.texts.time(b.start_at)}–{turn.texts.time(b.end_at)} · {b.member.first_name}"
            )
        if not booked:
            lines.append("    " + _("no booking today"))
        blocks.append("\n".join(lines))
    shown, has_next = page_of_blocks(blocks, page)
    title = _("Machines — {day}").format(day=turn.texts.day(today))
    markup = keyboards.pages_and_menu(turn.texts, "mg:p", page, has_next)
    return Reply(text="\n\n".join([title, *shown]), markup=markup)


async def pick_machine(turn: Turn) -> Reply:
    """Start an authorization: pick a machine that needs a training."""
    _ = turn._
    members.require_manager(turn.member)
    page = turn.args[0] if turn.args else 0
    candidates = await machines.machines_needing_training(turn.session)
    if not candidates:
        return Reply(
            text=_("No machine needs a training: every member can book every machine."),
            markup=keyboards.back_to_menu(turn.texts),
        )
    shown = candidates[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    has_next = len(candidates) > (page + 1) * PAGE_SIZE
    return Reply(
        text=_("Authorize a member — which machine?"),
        markup=keyboards.authorize_machines(turn.texts, shown, page, has_next),
    )


async def pick_member(turn: Turn) -> Reply:
    """Pick the member to authorize on the machine (those not yet authorized)."""
    _ = turn._
    members.require_manager(turn.member)
    machine = await machines.get_machine(turn.session, turn.args[0])
    page = turn.args[1]
    people, total = await machines.members_to_authorize(
        turn.session, machine, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    if not people:
        text = _("Every member who talked to the bot is already authorized on {machine}.").format(
            machine=machine.name
        )
    else:
        text = _("Who did the training on {machine}?").format(machine=machine.name)
    has_next = total > (page + 1) * PAGE_SIZE
    return Reply(text=text, markup=keyboards.authorize_members(turn.texts, machine, people, page, has_next))


async def grant(turn: Turn) -> Reply:
    """Authorize the member on the machine and tell them."""
    _ = turn._
    members.require_manager(turn.member)  # before any lookup: a member learns nothing from ids
    machine = await machines.get_machine(turn.session, turn.args[0])
    member = await members.get_member(turn.session, turn.args[1])
    created = await machines.authorize(turn.session, turn.member, member, machine=machine, now=turn.now)
    if not created:
        return Reply(
            toast=_("{member} was already authorized on {machine}.").format(
                member=member.display_name, machine=machine.name
            ),
            alert=True,
        )
    return Reply(
        text="✅ "
        + _("{member} is now authorized on {machine}.").format(
            member=member.display_name, machine=machine.name
        ),
        markup=keyboards.back_to_menu(turn.texts),
    )
