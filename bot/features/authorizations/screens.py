"""Training authorizations, for the fab managers: who may use the machines needing a training.

Pick a machine, then the member who did the training; or find a member by name (/authorize bob, or
typed after 🔎) and see, grant or withdraw their authorizations."""

from __future__ import annotations

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.inputs import typed_answer
from bot.core.reply import Reply
from bot.features import keyboards
from bot.features.authorizations import keyboards as authorization_keyboards
from bot.features.authorizations import routes
from bot.features.authorizations.reasons import reason_text
from bot.features.trainings.messages import long_day
from models import authorizations, machines, members
from models.machines import Authorization, MachineKind

PAGE_SIZE = 8
SEARCH_LENGTH = 60  # characters of a typed search kept


async def pick_machine(turn: Turn) -> Reply:
    """Start an authorization: the manager types a member's name next, or picks a machine.

    "/authorize bob" searches at once."""
    _ = turn._
    members.require_manager(turn.member)
    message = turn.update.effective_message if turn.press is None else None
    if message is not None and (words := " ".join((message.text or "").split()[1:])[:SEARCH_LENGTH]):
        return await _found(turn, words)
    page = turn.press.page if isinstance(turn.press, routes.MachineList) else 0
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
        markup=authorization_keyboards.authorize_machines(turn.texts, shown, page, has_next),
    )


async def ask_search(turn: Turn) -> Reply:
    """Ask for the name or @username of the member to find; the next message is it."""
    members.require_manager(turn.member)
    await authorizations.ask_search(turn.session, turn.member, turn.now)
    return Reply(
        text="🔎 " + turn._("Send the member's name or @username (or /cancel)."),
        markup=authorization_keyboards.search_again(turn.texts),
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
            markup=authorization_keyboards.search_again(turn.texts),
        )
    text = turn.texts.ngettext(
        "{count} member matches « {search} »:", "{count} members match « {search} »:", total
    ).format(count=total, search=words)
    if total > len(people):
        await authorizations.ask_search(turn.session, turn.member, turn.now)
        text += "\n" + _("Only the first {shown} are shown: send more of the name to narrow it.").format(
            shown=len(people)
        )
    return Reply(text=text, markup=authorization_keyboards.found_members(turn.texts, people))


async def member_screen(turn: Turn, member_id: int | None = None) -> Reply:
    """A member's authorizations (each can be withdrawn) and the machines to authorize them on."""
    _ = turn._
    texts = turn.texts
    if member_id is None:
        member_id = turn.pressed(routes.MemberChosen).member
    seen = await authorizations.member_trainings(turn.session, turn.member, member_id)
    await authorizations.end_search(turn.session, turn.member)
    person = seen.member
    lines = ["👤 " + person.display_name + (f" (@{person.username})" if person.username else "")]
    current = []
    for authorization in seen.authorizations:
        current.append((authorization.id, _authorization_name(turn, authorization, seen.machine_names)))
    if current:
        lines += ["", _("Authorized on:")]
        for (_id, name), authorization in zip(current, seen.authorizations, strict=True):
            line = "• " + _("{machine}, since {day}").format(
                machine=name, day=texts.day(authorization.granted_at)
            )
            if (expires := seen.expiries.get(authorization.id)) is not None:
                until = long_day(texts, expires)
                line += " — " + (
                    _("lapsed on {day}").format(day=until)
                    if expires <= turn.now
                    else _("valid until {day}").format(day=until)
                )
            lines.append(line)
    else:
        lines += ["", _("Not authorized on any machine that needs a training.")]
    if seen.to_authorize:
        lines += ["", _("Tap 🎓 to authorize them on a machine, ❌ to withdraw an authorization.")]
    return Reply(
        text="\n".join(lines),
        markup=authorization_keyboards.member_trainings(texts, person, current, seen.to_authorize),
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
    authorization = await authorizations.get_authorization(
        turn.session, turn.member, turn.pressed(routes.RevokeAsked).authorization
    )
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
    lines.append(_("They will be told, with the reason. Why do you withdraw it?"))
    return Reply(
        text="\n".join(lines),
        markup=authorization_keyboards.confirm_revoke(turn.texts, authorization.id, person.id),
    )


async def revoke(turn: Turn) -> Reply:
    """Withdraw the authorization for the reason picked; the member is told (with the reason) and
    loses the bookings that needed it."""
    press = turn.pressed(routes.RevokeConfirmed)
    return await _withdraw(turn, press.authorization, authorizations.REVOKE_REASONS[press.reason - 1])


async def ask_reason(turn: Turn) -> Reply:
    """Ask the manager to type why they withdraw the authorization; the next message is it."""
    _ = turn._
    authorization_id = turn.pressed(routes.RevokeReasonAsked).authorization
    await authorizations.ask_reason(turn.session, turn.member, authorization_id, turn.now)
    authorization = await authorizations.get_authorization(turn.session, turn.member, authorization_id)
    return Reply(
        text="✏️ " + _("Send the reason in one message (the member will read it), or /cancel."),
        markup=authorization_keyboards.typing_reason(turn.texts, authorization.member_id),
    )


async def took_reason(turn: Turn, text: str) -> Reply:
    """The message is the reason: withdraw the authorization with it (a reason refused is asked again)."""
    asked = await authorizations.pending_reason(turn.session, turn.member, turn.now)
    assert asked is not None  # typed_answer found it
    reason = authorizations.clean_reason(text)
    await authorizations.end_reason(turn.session, turn.member)
    reply = await _withdraw(turn, asked.authorization_id, reason)
    reply.new_message = True
    return reply


async def _withdraw(turn: Turn, authorization_id: int, reason: str) -> Reply:
    _ = turn._
    done = await authorizations.revoke(
        turn.session, turn.member, authorization_id, turn.now, turn.desk.settings.tz, reason=reason
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
    head += "\n" + _("Reason given: {reason}").format(reason=reason_text(turn.texts, reason))
    reply = await member_screen(turn, done.member.id)
    reply.text = head + "\n\n" + (reply.text or "")
    return reply


async def pick_member(turn: Turn) -> Reply:
    """Pick the member to authorize on the machine (those not yet authorized)."""
    _ = turn._
    members.require_manager(turn.member)
    press = turn.pressed(routes.MachineChosen)
    machine = await machines.get_machine(turn.session, press.machine)
    page = press.page
    people, total = await machines.members_to_authorize(
        turn.session, machine, offset=page * PAGE_SIZE, limit=PAGE_SIZE, now=turn.now
    )
    if not people:
        text = _("Every member who talked to the bot is already authorized on {machine}.").format(
            machine=machine.name
        )
    else:
        text = _("Who did the training on {machine}?").format(machine=machine.name)
    has_next = total > (page + 1) * PAGE_SIZE
    return Reply(
        text=text,
        markup=authorization_keyboards.authorize_members(turn.texts, machine, people, page, has_next),
    )


async def grant(turn: Turn) -> Reply:
    """Authorize the member on the machine and tell them."""
    _ = turn._
    members.require_manager(turn.member)  # before any lookup: a member learns nothing from ids
    press = turn.pressed(routes.GrantPressed)
    machine = await machines.get_machine(turn.session, press.machine)
    member = await members.get_member(turn.session, press.member)
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
        markup=authorization_keyboards.after_grant(turn.texts, member.id),
    )


FEATURE = Feature(
    name="authorizations",
    commands={"authorize": pick_machine},
    presses={
        routes.MachineList: pick_machine,
        routes.MachineChosen: pick_member,
        routes.GrantPressed: grant,
        routes.SearchAsked: ask_search,
        routes.MemberChosen: member_screen,
        routes.RevokeAsked: ask_revoke,
        routes.RevokeConfirmed: revoke,
        routes.RevokeReasonAsked: ask_reason,
    },
    awaits=[
        typed_answer(
            lambda turn: authorizations.pending_search(turn.session, turn.member, turn.now), took_search
        ),
        typed_answer(
            lambda turn: authorizations.pending_reason(turn.session, turn.member, turn.now), took_reason
        ),
    ],
)
