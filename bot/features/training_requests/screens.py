"""Training requests meet sessions.

A member asking for a training on a machine first sees its next training sessions (sign up in one
tap) and may still send the request. A manager answers a request by proposing one of the upcoming
training sessions of that machine or kind (the member is told, with a one-tap sign-up), by declining
it with a reason (a common one in one tap, or typed), or by authorizing the member at once."""

from __future__ import annotations

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.inputs import typed_answer
from bot.core.reply import Reply
from bot.features import keyboards as shared
from bot.features.training_requests import keyboards, routes
from models import machines, session_requests, sessions
from models.machines import Machine
from models.sessions import SignUpStatus

OFFERED = 5  # training sessions shown at most


async def ask_training(turn: Turn, machine: Machine) -> Reply:
    """The next training sessions of the machine or its kind, each a one-tap sign-up, and the
    request; with no session planned, the request goes to the managers at once."""
    offered = await sessions.upcoming_trainings(turn.session, turn.member, machine, turn.now, limit=OFFERED)
    if not offered:
        return await send_request(turn, machine)
    lines = ["🎓 " + turn._("Next training sessions on {machine}:").format(machine=machine.name), ""]
    for seen in offered:
        mine = ""
        if seen.mine is SignUpStatus.SIGNED_UP:
            mine = " — " + turn._("you are signed up")
        elif seen.mine is SignUpStatus.WAITLISTED:
            mine = " — " + turn._("you are on the waitlist")
        when = turn.texts.when(seen.session.start_at, seen.session.end_at)
        lines.append(f"• {when} — {seen.session.title}{mine}")
    lines += ["", turn._("Tap a session to sign up, or ask the fab managers for another date.")]
    return Reply(text="\n".join(lines), markup=keyboards.offered_sessions(turn.texts, machine.id, offered))


async def send_request(turn: Turn, machine: Machine | None = None) -> Reply:
    """Record the member's training request and pass it on to the fab managers."""
    _ = turn._
    if machine is None:
        machine = await machines.get_machine(turn.session, turn.pressed(routes.RequestSent).machine)
    _request, created = await machines.request_training(
        turn.session, turn.member, machine, manager_ids=turn.desk.settings.manager_ids, now=turn.now
    )
    if not created:
        return Reply(
            text=_("Your request for a training on {machine} is already with the fab managers.").format(
                machine=machine.name
            ),
            markup=shared.back_to_menu(turn.texts),
        )
    return Reply(
        text=_("Your request was sent to the fab managers. You will get a message when you are authorized."),
        markup=shared.back_to_menu(turn.texts),
    )


async def propose_asked(turn: Turn) -> Reply:
    """The upcoming training sessions of the request's machine or kind, to propose one."""
    _ = turn._
    seen = await session_requests.request_of(
        turn.session, turn.member, turn.pressed(routes.ProposeAsked).request
    )
    offered = await sessions.upcoming_trainings(turn.session, None, seen.machine, turn.now, limit=8)
    if not offered:
        text = _("No training session on {machine} is planned: plan one, then propose it.").format(
            machine=seen.machine.name
        )
    else:
        text = _("Which session do you propose to {member} for {machine}?").format(
            member=seen.member.display_name, machine=seen.machine.name
        )
    return Reply(text="🗓 " + text, markup=keyboards.sessions_to_propose(turn.texts, seen.request.id, offered))


async def propose_chosen(turn: Turn) -> Reply:
    """Propose the session: the member is told; the same proposal again tells nobody twice."""
    _ = turn._
    press = turn.pressed(routes.ProposeChosen)
    seen, lab_session = await session_requests.propose(
        turn.session, turn.member, press.request, press.session, turn.now
    )
    name = seen.member.display_name
    if not seen.newly:
        return Reply(
            toast=_("You already proposed this session to {member}.").format(member=name), alert=True
        )
    text = "✅ " + _("{member} is told about « {title} » ({when}) and can sign up in one tap.").format(
        member=name, title=lab_session.title, when=turn.texts.when(lab_session.start_at, lab_session.end_at)
    )
    return Reply(text=text, markup=shared.back_to_menu(turn.texts))


async def decline_asked(turn: Turn) -> Reply:
    """Why decline? A common reason in one tap, or the manager's own, typed."""
    request_id = turn.pressed(routes.DeclineAsked).request
    seen = await session_requests.ask_reason(turn.session, turn.member, request_id, turn.now)
    text = "✖️ " + turn._(
        "Why do you decline the training request of {member} on {machine}? Tap a reason, or send your own."
    ).format(member=seen.member.display_name, machine=seen.machine.name)
    return Reply(text=text, markup=keyboards.decline_reasons(turn.texts, request_id))


async def decline_chosen(turn: Turn) -> Reply:
    press = turn.pressed(routes.DeclineChosen)
    return await _declined(turn, press.request, code=press.reason)


async def took_reason(turn: Turn, text: str) -> Reply:
    """The typed reason: the request is declined with it (a refused one is asked again)."""
    waiting = await session_requests.pending_reason(turn.session, turn.member, turn.now)
    assert waiting is not None  # typed_answer found it
    reply = await _declined(turn, waiting.request_id, reason=text)
    reply.new_message = True
    return reply


async def _declined(turn: Turn, request_id: int, *, reason: str = "", code: int = -1) -> Reply:
    seen = await session_requests.decline(
        turn.session, turn.member, request_id, turn.now, reason=reason, code=code
    )
    text = "✖️ " + turn._("The request of {member} on {machine} is declined; they are told why.").format(
        member=seen.member.display_name, machine=seen.machine.name
    )
    return Reply(text=text, markup=shared.back_to_menu(turn.texts))


FEATURE = Feature(
    name="training_requests",
    presses={
        routes.RequestSent: send_request,
        routes.ProposeAsked: propose_asked,
        routes.ProposeChosen: propose_chosen,
        routes.DeclineAsked: decline_asked,
        routes.DeclineChosen: decline_chosen,
    },
    awaits=[
        typed_answer(
            lambda turn: session_requests.pending_reason(turn.session, turn.member, turn.now), took_reason
        )
    ],
)
