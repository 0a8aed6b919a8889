"""Instructors, for the fab managers: members promoted to train others on given machines or kinds.

/instructors lists them; a member's roles screen (also from their authorizations' screen) toggles a
role per machine needing a training and per kind, or withdraws them all after a confirmation. An
instructor plans training sessions on their machines and runs the sessions they instruct
(bot/features/sessions); a manager assigns a session's instructor from its page."""

from __future__ import annotations

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.reply import Reply
from bot.features import keyboards as shared
from bot.features.instructors import keyboards, routes
from bot.features.sessions.screens import session_page
from models import instructors, machines, members, sessions
from models.errors import NotFound
from models.instructors import InstructorRole
from models.machines import MachineKind
from models.sessions import SessionKind


def role_names(turn: Turn, roles: list[InstructorRole], names: dict[int, str]) -> list[str]:
    """« Découpeuses laser (toute la catégorie) », « Trotec Speedy 100 »."""
    return [
        turn._("{kind} (whole category)").format(kind=turn._(shared.KIND_NAMES[r.machine_kind]))
        if r.machine_kind is not None
        else names.get(r.machine_id or 0, "?")
        for r in roles
    ]


async def _machine_names(turn: Turn) -> dict[int, str]:
    return {m.id: m.name for m in await machines.list_machines(turn.session, include_retired=True)}


async def instructor_list(turn: Turn) -> Reply:
    """The instructors and what they instruct; find a member to promote one."""
    _ = turn._
    members.require_manager(turn.member)
    found = await instructors.all_instructors(turn.session)
    names = await _machine_names(turn)
    lines = ["🧑‍🏫 " + _("Instructors")]
    if not found:
        lines += ["", _("Nobody is an instructor yet.")]
    for person, roles in found:
        lines.append("• " + person.display_name + " — " + ", ".join(role_names(turn, roles, names)))
    lines += [
        "",
        _(
            "An instructor plans training sessions on their machines, marks who came and so authorizes "
            "them. Tap 🔎 to find a member to promote, or an instructor to change their machines."
        ),
    ]
    return Reply(text="\n".join(lines), markup=keyboards.instructor_list(turn.texts, [p for p, _r in found]))


async def roles_screen(turn: Turn, member_id: int | None = None, head: str = "") -> Reply:
    """A member's instructor roles, with a toggle per machine needing a training and per kind."""
    _ = turn._
    members.require_manager(turn.member)  # before any lookup: a member learns nothing from ids
    if member_id is None:
        member_id = turn.pressed(routes.RolesShown).member
    person = await members.get_member(turn.session, member_id)
    if person.erased_at is not None:
        raise NotFound(f"member {member_id}")
    roles = await instructors.roles_of(turn.session, person.id)
    candidates = await machines.machines_needing_training(turn.session)
    held = {r.machine_kind for r in roles if r.machine_kind is not None}
    kinds = [k for k in MachineKind if k in held or any(m.kind is k for m in candidates)]
    lines = [head, ""] if head else []
    lines.append("🧑‍🏫 " + _("{member} — instructor roles").format(member=person.display_name))
    if roles:
        lines += [_("Instructs:")] + ["• " + n for n in role_names(turn, roles, await _machine_names(turn))]
    else:
        lines.append(_("Not an instructor."))
    lines += [
        "",
        _(
            "Tap a machine or a kind to give or take back the role (✅: held). An instructor plans "
            "training sessions on it, marks who came and so authorizes them."
        ),
    ]
    return Reply(
        text="\n".join(lines),
        markup=keyboards.role_toggles(turn.texts, person, roles, kinds, candidates),
    )


async def toggled(turn: Turn) -> Reply:
    """Give or take back one role, and show the roles again."""
    _ = turn._
    press = turn.press
    if isinstance(press, routes.KindToggled):
        holds = await instructors.toggle_role(
            turn.session, turn.member, press.member, kind=press.kind, now=turn.now
        )
        what = _("{kind} (whole category)").format(kind=_(shared.KIND_NAMES[press.kind]))
    else:
        press = turn.pressed(routes.MachineToggled)
        holds = await instructors.toggle_role(
            turn.session, turn.member, press.member, machine_id=press.machine, now=turn.now
        )
        what = (await machines.get_machine(turn.session, press.machine)).name
    reply = await roles_screen(turn, press.member)
    toast = _("Now instructs: {what}") if holds else _("No longer instructs: {what}")
    reply.toast = toast.format(what=what)
    return reply


async def ask_withdraw(turn: Turn) -> Reply:
    """Withdraw every role? The sessions they planned stay, run by the managers."""
    members.require_manager(turn.member)
    person = await members.get_member(turn.session, turn.pressed(routes.WithdrawAsked).member)
    text = turn._(
        "Withdraw every instructor role of {member}? They will no longer plan training sessions nor run the "
        "sessions they instruct (those stay planned, run by the fab managers)."
    ).format(member=person.display_name)
    return Reply(text=text, markup=keyboards.confirm_withdraw(turn.texts, person.id))


async def withdraw(turn: Turn) -> Reply:
    member_id = turn.pressed(routes.WithdrawConfirmed).member
    count = await instructors.withdraw(turn.session, turn.member, member_id, turn.now)
    head = "🗑 " + turn.texts.ngettext(
        "{count} instructor role withdrawn.", "{count} instructor roles withdrawn.", count
    ).format(count=count)
    return await roles_screen(turn, member_id, head)


async def ask_assign(turn: Turn) -> Reply:
    """Who runs this session: a manager (you) or an instructor of its machine or kind."""
    _ = turn._
    members.require_manager(turn.member)
    lab_session = await sessions.get_session(turn.session, turn.pressed(routes.AssignAsked).session)
    if lab_session.cancelled:
        raise sessions.SessionCancelled(str(lab_session.id))
    people = [turn.member]
    if lab_session.kind is SessionKind.TRAINING:
        people += [
            p
            for p in await instructors.instructors_for(
                turn.session, machine_id=lab_session.machine_id, machine_kind=lab_session.machine_kind
            )
            if p.id != turn.member.id
        ]
    text = _("Who runs « {title} »? They see its participants, mark who came and so authorize them.").format(
        title=lab_session.title
    )
    return Reply(text=text, markup=keyboards.assign(turn.texts, lab_session.id, people))


async def assign(turn: Turn) -> Reply:
    press = turn.pressed(routes.AssignChosen)
    await sessions.assign_instructor(turn.session, turn.member, press.session, press.member)
    person = await members.get_member(turn.session, press.member)
    head = "✅ " + turn._("{member} runs this session.").format(member=person.display_name)
    return await session_page(turn, press.session, head)


FEATURE = Feature(
    name="instructors",
    commands={"instructors": instructor_list},
    presses={
        routes.InstructorList: instructor_list,
        routes.RolesShown: roles_screen,
        routes.MachineToggled: toggled,
        routes.KindToggled: toggled,
        routes.WithdrawAsked: ask_withdraw,
        routes.WithdrawConfirmed: withdraw,
        routes.AssignAsked: ask_assign,
        routes.AssignChosen: assign,
    },
)
