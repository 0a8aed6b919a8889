"""A project's Telegram group and channel: /link, the chooser under it, a forwarded channel post,
and Telegram's own events (join requests, members coming and going, the bot's rights, migration)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import (
    Bot,
    Chat,
    ChatMemberAdministrator,
    ChatMemberOwner,
    Message,
    MessageOriginChannel,
    Update,
)
from telegram.error import TelegramError

from bot.core import routes as core_routes
from bot.core.context import Context, Turn, get_desk, screen
from bot.core.feature import Screen
from bot.core.i18n import N_, Texts
from bot.core.reply import Reply
from bot.features.menu import screens as menu
from bot.features.projects import keyboards, routes
from models import projects
from models.projects import BotRights

log = logging.getLogger(__name__)

MISSING_RIGHTS = {
    "admin": N_("make me an administrator of this group"),
    "invite": N_("give me the right to invite users via link"),
    "restrict": N_("give me the right to ban users (to remove members who leave the project)"),
}
GROUPS = ("group", "supergroup")


def rights_of(member: object) -> BotRights:
    """The bot's rights from a ChatMember object."""
    if isinstance(member, ChatMemberOwner):
        return BotRights(admin=True, can_invite=True, can_restrict=True)
    if isinstance(member, ChatMemberAdministrator):
        return BotRights(
            admin=True,
            can_invite=bool(member.can_invite_users),
            can_restrict=bool(member.can_restrict_members),
        )
    return BotRights(admin=False, can_invite=False, can_restrict=False)


def _missing_text(texts: Texts, rights: BotRights, *, channel: str | None = None) -> str:
    """What the bot still needs in the group (or in the channel of that title)."""
    _ = texts.gettext
    if channel is None:
        head, admin = _("I cannot manage this group yet. Please:"), _(MISSING_RIGHTS["admin"])
    else:
        head = _("I cannot manage the channel {channel} yet. Please:").format(channel=channel)
        admin = _("make me an administrator of the channel")
    lines = [admin if code == "admin" else _(MISSING_RIGHTS[code]) for code in rights.missing]
    return "\n".join([head] + [f"• {line}" for line in lines])


# --------------------------------------------------------------------------- the group: /link


def _link_screen(rights: BotRights, chosen: int | None, sender_is_admin: bool) -> Screen:
    """Link the group to the sender's project (`chosen`, or their only one, or ask which), with what
    Telegram said of the bot's rights and of the sender, read before the update's transaction."""

    async def render(turn: Turn) -> Reply:
        chat = turn.update.effective_chat
        assert chat is not None
        if rights.missing:
            return Reply(text=_missing_text(turn.texts, rights), new_message=True)
        if chosen is None:
            owned = await projects.linkable_projects(turn.session, turn.member)
            if not owned:
                return Reply(
                    text=turn._(
                        "Only the owner of a project can link a group to it. "
                        "Create one with /newproject in a private chat with me."
                    ),
                    new_message=True,
                )
            if len(owned) > 1:
                return Reply(
                    text=turn._("Which project is this group for?"),
                    markup=keyboards.group_projects(owned),
                    new_message=True,
                )
            project_id = owned[0].id
        else:
            project_id = chosen
        project = await projects.link_chat(
            turn.session,
            turn.member,
            project_id,
            chat.id,
            chat.title or "",
            rights,
            turn.now,
            sender_is_admin=sender_is_admin,
        )
        return Reply(
            text="✅ "
            + turn._("This group is now the group of {project}: I will let its members in.").format(
                project=project.name
            ),
        )

    return render


async def _bot_rights(bot: Bot, chat_id: int) -> BotRights:
    try:
        return rights_of(await bot.get_chat_member(chat_id, bot.id))
    except TelegramError as exc:
        log.info("could not read the bot's rights in %s: %s", chat_id, exc)
        return BotRights(admin=False, can_invite=False, can_restrict=False)


async def _sender_is_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Whether the person is an administrator (or the creator) of the group or channel."""
    try:
        status = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.info("could not read a member's status in %s: %s", chat_id, exc)
        return False
    return isinstance(status, (ChatMemberOwner, ChatMemberAdministrator))


async def link_command(update: Update, context: Context) -> None:
    """/link in a group: check the bot's rights and the sender's, then link the group to their project."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type not in GROUPS:
        return
    rights = await _bot_rights(context.bot, chat.id)
    admin = await _sender_is_admin(context.bot, chat.id, user.id)
    await screen(_link_screen(rights, None, admin))(update, context)


async def link_pressed(update: Update, context: Context) -> None:
    """The project chosen for a group (buttons under /link). Not routed like the other presses: the
    bot's rights and the sender's are asked of Telegram first, outside the update's transaction."""
    chat, user, query = update.effective_chat, update.effective_user, update.callback_query
    if user is None or query is None:  # pragma: no cover - a callback query always has both
        return
    press = core_routes.parse(query.data)
    if chat is None or chat.type not in GROUPS or not isinstance(press, routes.GroupProjectChosen):
        # Such a button exists in groups only: pressed elsewhere (or garbled), it is stale or forged,
        # and still gets its answer (an unanswered press leaves the person's button spinning).
        await screen(menu.stale_button)(update, context)
        return
    rights = await _bot_rights(context.bot, chat.id)
    admin = await _sender_is_admin(context.bot, chat.id, user.id)
    await screen(_link_screen(rights, press.project, admin))(update, context)


async def link_elsewhere(turn: Turn) -> Reply:
    """/link sent to the bot in private: say where it goes."""
    return Reply(
        text=turn._(
            "Send /link in your project's Telegram group, after adding me to it as an administrator "
            "(with the rights to invite users via link and to ban users)."
        )
        + "\n"
        + turn._("For a channel, press Link a channel on the project's screen.")
    )


# --------------------------------------------------------------------------- a channel


async def ask_channel(turn: Turn) -> Reply:
    """Link a channel to the project: say how (a channel has no sender to answer /link)."""
    project_id = turn.pressed(routes.LinkChannel).project
    project = await projects.ask_project_input(turn.session, turn.member, project_id, "channel", turn.now)
    text = (
        f"📢 {project.name}\n"
        + turn._(
            "To link a channel: add me to it as an administrator (with the rights to invite users via "
            "link and to ban users), then forward me one of its messages here."
        )
        + "\n"
        + turn._("/cancel to stop.")
    )
    return Reply(text=text, new_message=True)


@dataclass(frozen=True)
class ChannelCheck:
    """A channel a private message was forwarded from: the bot's rights there, and whether the
    sender administers it (read from Telegram before the update's transaction opens)."""

    chat: Chat
    rights: BotRights
    sender_is_admin: bool


async def check_channel(bot: Bot, chat: Chat, user_id: int) -> ChannelCheck:
    return ChannelCheck(chat, await _bot_rights(bot, chat.id), await _sender_is_admin(bot, chat.id, user_id))


async def check_forward(bot: Bot, incoming: Message, user_id: int) -> ChannelCheck | None:
    """A message forwarded from a channel may be the channel its owner is linking: ask Telegram about
    both rights there (before the update's transaction opens)."""
    if not isinstance(incoming.forward_origin, MessageOriginChannel):
        return None
    return await check_channel(bot, incoming.forward_origin.chat, user_id)


async def took_forward(turn: Turn, incoming: Message, check: ChannelCheck | None) -> Reply | None:
    """The forwarded channel, if the member was asked for one."""
    if check is None or not await projects.awaits_channel(turn.session, turn.member):
        return None
    return await took_channel(turn, check)


async def took_channel(turn: Turn, check: ChannelCheck) -> Reply:
    """A message forwarded from a channel, after "Link a channel": link it if both rights are there."""
    if check.rights.missing:
        return Reply(text=_missing_text(turn.texts, check.rights, channel=check.chat.title or ""))
    if not check.sender_is_admin:
        return Reply(text=turn._("Only an administrator of the channel can link it to a project."))
    channel = check.chat
    project = await projects.link_channel(
        turn.session,
        turn.member,
        channel.id,
        channel.title or "",
        check.rights,
        turn.now,
        sender_is_admin=True,
    )
    text = "✅ " + turn._("{channel} is now the channel of {project}: I will let its members in.").format(
        channel=channel.title or "", project=project.name
    )
    return Reply(text=text, markup=keyboards.back_to_project(turn.texts, project.id))


async def link_in_channel(update: Update, context: Context) -> None:
    """/link posted in a channel: nobody can be told apart there; say how a channel is linked."""
    chat = update.effective_chat
    if chat is None:
        return
    texts = get_desk(context).texts()
    try:
        await context.bot.send_message(
            chat.id,
            texts.gettext(
                "To link this channel to a project: open the project in a private chat with me, press "
                "Link a channel, and forward me a message from here."
            ),
        )
    except TelegramError as exc:
        log.info("could not answer /link in channel %s: %s", chat.id, exc)


# --------------------------------------------------------------------------- Telegram's events


async def on_member_status(update: Update, context: Context) -> None:
    """Someone joined or left a group by themselves: keep the project's "in the group" right."""
    change = update.chat_member
    if change is None:
        return
    in_group = change.new_chat_member.status in ("member", "administrator", "creator", "restricted")
    desk = get_desk(context)
    async with desk.sessions.begin() as session:
        await projects.member_moved(
            session, change.chat.id, change.new_chat_member.user.id, in_group, desk.clock()
        )


async def on_migration(update: Update, context: Context) -> None:
    """A group became a supergroup (a new chat id): the project follows it."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    desk = get_desk(context)
    async with desk.sessions.begin() as session:
        await projects.chat_migrated(session, message.chat.id, message.migrate_to_chat_id)
    desk.wake_outbox(context)


async def on_join_request(update: Update, context: Context) -> None:
    """Telegram asks whether someone may join a group: decide from what fabdesk knows."""
    request = update.chat_join_request
    if request is None:
        return
    desk = get_desk(context)
    user = request.from_user
    async with desk.sessions.begin() as session:
        decision = await projects.handle_join_request(
            session, request.chat.id, user.id, user.full_name, desk.clock()
        )
    if decision is not None:
        desk.wake_outbox(context)


async def on_bot_status(update: Update, context: Context) -> None:
    """The bot's rights changed in a group: a project's owners are told when it can no longer invite."""
    change = update.my_chat_member
    if change is None or change.chat.type not in ("group", "supergroup", "channel"):
        return
    desk = get_desk(context)
    async with desk.sessions.begin() as session:
        project = await projects.bot_rights_changed(
            session, change.chat.id, rights_of(change.new_chat_member), desk.clock()
        )
    if project is not None:
        desk.wake_outbox(context)
