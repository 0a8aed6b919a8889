"""A new project, step by step: name → description → who can join → tags → link → Create?"""

from __future__ import annotations

from bot.core.context import Turn
from bot.core.reply import Reply
from bot.features import keyboards as common
from bot.features.projects import keyboards, routes
from bot.features.projects.screens import project_view
from models import projects
from models.projects import Visibility


def _draft_prompt(turn: Turn, draft: projects.ProjectDraft) -> Reply:
    """The question of the draft's current step (each a new message, below the member's answer)."""
    _ = turn._
    if draft.stage == "name":
        text = "🧩 " + _("A new project! What is its name?")
        return Reply(text=text, markup=keyboards.draft_step(turn.texts), new_message=True)
    if draft.stage == "description":
        text = _("Describe {name} in a few lines: what you make, who it is for.").format(name=draft.name)
        return Reply(text=text, markup=keyboards.draft_step(turn.texts), new_message=True)
    if draft.stage == "visibility":
        return Reply(text=_("Who can join?"), markup=keyboards.draft_visibility(turn.texts), new_message=True)
    if draft.stage == "tags":
        text = _("A few tags to be found by, separated by commas (e.g. drones, électronique).")
        return Reply(text=text, markup=keyboards.draft_step(turn.texts, skippable=True), new_message=True)
    if draft.stage == "link":
        text = _("A link to the project's shared folder or repository (https://…)?")
        return Reply(text=text, markup=keyboards.draft_step(turn.texts, skippable=True), new_message=True)
    kind = _("open to all") if draft.visibility is Visibility.OPEN else _("joining on request")
    lines = [_("Create this project?"), "", f"🧩 {draft.name} — {kind}", draft.description or ""]
    if draft.tags:
        lines.append(" ".join(f"#{t}" for t in draft.tags.split(",")))
    if draft.storage_url:
        lines.append(f"📁 {draft.storage_url}")
    return Reply(text="\n".join(lines), markup=keyboards.draft_confirm(turn.texts), new_message=True)


async def new_project(turn: Turn) -> Reply:
    """Start a draft (or pick up the one under way): its first question."""
    draft = await projects.start_project(turn.session, turn.member, turn.now)
    return _draft_prompt(turn, draft)


async def took_draft_text(turn: Turn, text: str) -> Reply:
    """An answer typed for the draft's current step."""
    draft = await projects.draft_answer(turn.session, turn.member, text, turn.now)
    return _draft_prompt(turn, draft)


async def draft_visibility(turn: Turn) -> Reply:
    """Who can join, pressed."""
    visibility = turn.pressed(routes.DraftVisibility).visibility
    draft = await projects.draft_choose(turn.session, turn.member, turn.now, visibility=visibility)
    return _draft_prompt(turn, draft)


async def draft_skip(turn: Turn) -> Reply:
    """An optional step skipped."""
    draft = await projects.draft_choose(turn.session, turn.member, turn.now, skip=True)
    return _draft_prompt(turn, draft)


async def draft_create(turn: Turn) -> Reply:
    """Create the project, and say how to give it a group."""
    project = await projects.create_project(turn.session, turn.member, turn.now)
    reply = await project_view(turn, project.id)
    reply.text = (
        "🎉 "
        + turn._(
            "{project} is created. To give it a Telegram group: add me to the group as an administrator, "
            "then send /link there."
        ).format(project=project.name)
        + "\n\n"
        + (reply.text or "")
    )
    return reply


async def draft_cancel(turn: Turn) -> Reply:
    """Drop the draft."""
    await projects.drop_project_inputs(turn.session, turn.member)
    return Reply(text=turn._("Cancelled. Nothing was changed."), markup=common.back_to_menu(turn.texts))
