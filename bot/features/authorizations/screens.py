"""Fab manager screens: machines with today's bookings, training authorizations."""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardMarkup

from bot import keyboards
from bot.context import Turn
from bot.reply import Reply
from models import authorizations, bookings, machines, members
from models.machines import Authorization, MachineKind, MachineStatus
from models.opening import LabCalendar, local_datetime

PAGE_SIZE = 8
SEARCH_LENGTH = 60  # characters of a typed search kept


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
    page = turn.args[0] if turn.callback and turn.callback.action == "mg:p" else 0
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
            # The first name is enough to find the person in the lab (no more personal data than needed).
            f"    {turn.texts.time(b.start_at)}–{turn.texts.time(b.end_at)} · {b.member.first_name}"
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
    markup = keyboards.pages_and_menu(turn.texts, "mg:p", page, has_next)
    return Reply(text="\n\n".join([title, *shown]), markup=markup)


async def pick_machine(turn: Turn) -> Reply:
    """Start an authorization: the manager types a member's name next, or picks a machine.

    "/authorize bob" searches at once."""
    _ = turn._
    members.require_manager(turn.member)
    message = turn.update.effective_message if turn.callback is None else None
    if message is not None and (words := " ".join((message.text or "").split()[1:])[:SEARCH_LENGTH]):
        return await _found(turn, words)
    page = turn.args[0] if turn.args else 0
    candidates = await machines.machines_needing_training(turn.session)
    if not candidates:
        return Reply(
            text=_("No machine needs a training: every member can book every machine."),
            markup=keyboards.back_to_menu(turn.texts),
        )
    await authorizations.ask_search(turn.session, turn.member, turn.now)
    shown = candidates[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    has_next = len(candidates) > (page + 1) * PAGE_SIZE
    return Reply(
        text=_("Authorize a member — type their name or @username, or pick a machine:"),
        markup=keyboards.authorize_machines(turn.texts, shown, page, has_next),
    )


async def ask_search(turn: Turn) -> Reply:
    """Ask for the name or @username of the member to find; the next message is it."""
    members.require_manager(turn.member)
    await authorizations.ask_search(turn.session, turn.member, turn.now)
    return Reply(
        text="🔎 " + turn._("Send the member's name or @username (or /cancel)."),
        markup=InlineKeyboardMarkup([keyboards.nav_row(turn.texts, ("au", (0,)))]),
    )


async def took_search(turn: Turn, text: str) -> Reply:
    """The message is a member's name: show who matches (the search stays open to refine it)."""
    reply = await _found(turn, " ".join(text.split())[:SEARCH_LENGTH])
    reply.new_message = True
    return reply


async def _found(turn: Turn, words: str) -> Reply:
    _ = turn._
    people, total = await authorizations.search(turn.session, turn.member, words, limit=PAGE_SIZE)
    if not people:
        await authorizations.ask_search(turn.session, turn.member, turn.now)
        return Reply(
            text=_("No member matches « {search} ». Send another name or @username (or /cancel).").format(
                search=words
            ),
            markup=InlineKeyboardMarkup([keyboards.nav_row(turn.texts, ("au", (0,)))]),
        )
    text = turn.texts.ngettext(
        "{count} member matches « {search} »:", "{count} members match « {search} »:", total
    ).format(count=total, search=words)
    if total > len(people):
        await authorizations.ask_search(turn.session, turn.member, turn.now)
        text += "\n" + _("Only the first {shown} are shown: send more of the name to narrow it.").format(
            shown=len(people)
        )
    return Reply(text=text, markup=keyboards.found_members(turn.texts, people))


async def member_screen(turn: Turn, member_id: int | None = None) -> Reply:
    """A member's authorizations (each can be withdrawn) and the machines to authorize them on."""
    _ = turn._
    texts = turn.texts
    seen = await authorizations.member_trainings(
        turn.session, turn.member, member_id if member_id is not None else turn.args[0]
    )
    await authorizations.end_search(turn.session, turn.member)
    person = seen.member
    lines = ["👤 " + person.display_name + (f" (@{person.username})" if person.username else "")]
    current = []
    for authorization in seen.authorizations:
        current.append((authorization.id, _authorization_name(turn, authorization, seen.machine_names)))
    if current:
        lines += ["", _("Authorized on:")]
        lines += [
            "• " + _("{machine}, since {day}").format(machine=name, day=texts.day(authorization.granted_at))
            for (_id, name), authorization in zip(current, seen.authorizations, strict=True)
        ]
    else:
        lines += ["", _("Not authorized on any machine that needs a training.")]
    if seen.to_authorize:
        lines += ["", _("Tap 🎓 to authorize them on a machine, ❌ to withdraw an authorization.")]
    return Reply(
        text="\n".join(lines),
        markup=keyboards.member_trainings(texts, person, current, seen.to_authorize),
    )


def _authorization_name(turn: Turn, authorization: Authorization, names: dict[int, str]) -> str:
    if authorization.machine_id is not None:
        return names.get(authorization.machine_id, "?")
    assert authorization.machine_kind is not None
    return _kind_name(turn, authorization.machine_kind)


def _kind_name(turn: Turn, kind: MachineKind) -> str:
    """An authorization covering a whole kind: « Découpeuses laser (toute la catégorie) »."""
    return turn._("{kind} (whole category)").format(kind=turn._(keyboards.KIND_NAMES[kind]))


async def ask_revoke(turn: Turn) -> Reply:
    """Ask before withdrawing an authorization, saying which bookings it would cancel."""
    _ = turn._
    authorization = await authorizations.get_authorization(turn.session, turn.member, turn.args[0])
    person = await members.get_member(turn.session, authorization.member_id)
    names = {m.id: m.name for m in await machines.list_machines(turn.session, include_retired=True)}
    doomed = await authorizations.bookings_needing_training(turn.session, person, authorization, turn.now)
    lines = [
        _("Withdraw the authorization of {member} on {machine}?").format(
            member=person.display_name, machine=_authorization_name(turn, authorization, names)
        )
    ]
    if doomed:
        lines.append(
            turn.texts.ngettext(
                "{count} upcoming booking on it will be cancelled:",
                "{count} upcoming bookings on it will be cancelled:",
                len(doomed),
            ).format(count=len(doomed))
        )
        lines += [f"• {b.machine.name}, {turn.texts.when(b.start_at, b.end_at)}" for b in doomed[:10]]
    lines.append(_("They will be told."))
    return Reply(
        text="\n".join(lines), markup=keyboards.confirm_revoke(turn.texts, authorization.id, person.id)
    )


async def revoke(turn: Turn) -> Reply:
    """Withdraw the authorization; the member is told and loses the bookings that needed it."""
    _ = turn._
    done = await authorizations.revoke(
        turn.session, turn.member, turn.args[0], turn.now, turn.desk.settings.tz
    )
    what = done.what or (_kind_name(turn, done.kind) if done.kind is not None else "?")
    head = "✅ " + _("{member} is no longer authorized on {machine}.").format(
        member=done.member.display_name, machine=what
    )
    if done.cancelled:
        head += " " + turn.texts.ngettext(
            "{count} upcoming booking was cancelled.",
            "{count} upcoming bookings were cancelled.",
            len(done.cancelled),
        ).format(count=len(done.cancelled))
    reply = await member_screen(turn, done.member.id)
    reply.text = head + "\n\n" + (reply.text or "")
    return reply


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
        markup=keyboards.after_grant(turn.texts, member.id),
    )
