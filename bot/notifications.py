"""How each outbox message reads, in its recipient's language, and the job that sends them."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot import keyboards
from bot.context import MAX_MESSAGE_LENGTH, Context, FabDesk, clip, fit_message, get_desk, worker_alive
from bot.core import lanes
from bot.i18n import N_, Texts
from models import members as members_domain
from models import outbox
from models import projects as projects_domain
from models.authorizations import AuthorizationRevoked
from models.bookings import Reminder, ReminderNote
from models.digest import Digest, Weekly
from models.machines import Authorized, MachineKind, TrainingRequested
from models.maintenance import (
    DOCUMENT_PREFIX,
    BookingAffected,
    DowntimeCalledOff,
    DowntimeWarning,
    MachineBack,
    PlanDue,
    TicketAlert,
    TicketUpdate,
)
from models.members import Member
from models.notices import Notice, UnreadablePayload, rebuild
from models.projects import (
    ChatAction,
    MeetingCancelled,
    MeetingReminder,
    ProjectAnnouncement,
    ProjectArchived,
    ProjectDecision,
    ProjectInvite,
    ProjectJoinRequest,
    ProjectOwner,
    ProjectRemoved,
    ProjectRequestWithdrawn,
    ProjectRightsLost,
    ProjectUnknownJoin,
)
from models.stock import LowStock, UsageQuestion
from models.updates import UpdateDue, UpdatesDue
from models.waitlist import WaitlistBack, WaitlistFreed, WaitlistOpened

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024  # Telegram's limit for a photo caption
DIGEST_TIMES = 8  # bookings of one machine listed in the digest, the rest as "…"


@dataclass(frozen=True)
class Outgoing:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a Telegram file id, sent with the text as its caption


Payload = dict[str, Any]
N = TypeVar("N", bound=Notice)
Render = Callable[[Texts, N], Outgoing]
Act = Callable[[Bot, Texts, N], Awaitable[Outgoing | None]]

# How each kind of notice reads (RENDERERS) or what it does in a group (ACTIONS), by its class: the
# decorators below check, for mypy, that a renderer takes the notice it is registered for.
RENDERERS: dict[type[Notice], Render[Any]] = {}
ACTIONS: dict[type[Notice], Act[Any]] = {}


def renders(kind: type[N]) -> Callable[[Render[N]], Render[N]]:
    """Register the function as the way `kind` reads."""

    def register(render: Render[N]) -> Render[N]:
        RENDERERS[kind] = render
        return render

    return register


def acts(kind: type[N]) -> Callable[[Act[N]], Act[N]]:
    """Register the function as what `kind` does (it may also return a message to send)."""

    def register(act: Act[N]) -> Act[N]:
        ACTIONS[kind] = act
        return act

    return register


def render(texts: Texts, notice: Notice) -> Outgoing:
    """The message a notice becomes in the recipient's language (not for the ACTIONS kinds)."""
    return RENDERERS[type(notice)](texts, notice)


def _when(texts: Texts, start: datetime, end: datetime) -> str:
    return texts.span(start, end)


# A reminder of a booking the lab can no longer honour as planned warns instead of just reminding.
REMINDER_WARNINGS = {
    ReminderNote.MACHINE_UNAVAILABLE: N_(
        "About your booking of {machine} on {when}: this machine is out of service for now. "
        "Please check with the fab managers before coming."
    ),
    ReminderNote.LAB_CLOSED: N_(
        "About your booking of {machine} on {when}: the lab is closed at that time now. "
        "Please check with the fab managers before coming."
    ),
    ReminderNote.IN_MAINTENANCE: N_(
        "About your booking of {machine} on {when}: maintenance is planned on this machine at that time. "
        "Please check with the fab managers before coming."
    ),
}


@renders(Reminder)
def _reminder(texts: Texts, p: Reminder) -> Outgoing:
    template = "⏰ " + texts.gettext("Reminder: you booked {machine} on {when}.")
    if p.note:
        template = "⚠️ " + texts.gettext(REMINDER_WARNINGS[p.note])
    when = texts.when(p.start, p.end)
    return Outgoing(template.format(machine=p.machine, when=when), keyboards.booked(texts))


@renders(TrainingRequested)
def _training_request(texts: Texts, p: TrainingRequested) -> Outgoing:
    text = "🎓 " + texts.gettext("{member} asks for a training on {machine}.").format(
        member=p.member, machine=p.machine
    )
    return Outgoing(text, keyboards.grant_request(texts, p.machine_id, p.member_id, p.member_first_name))


def _kind_name(texts: Texts, kind: MachineKind | None) -> str:
    if kind is None:
        raise UnreadablePayload("neither a machine nor a kind of machine")
    return texts.gettext(keyboards.KIND_NAMES[kind])


@renders(Authorized)
def _authorized(texts: Texts, p: Authorized) -> Outgoing:
    what = p.machine or _kind_name(texts, p.machine_kind)
    text = "🎓 " + texts.gettext("You are now authorized on {machine}: you can book it.").format(machine=what)
    return Outgoing(text, keyboards.single(texts, "📅", "Book a machine", "bk"))


@renders(AuthorizationRevoked)
def _authorization_revoked(texts: Texts, p: AuthorizationRevoked) -> Outgoing:
    _ = texts.gettext
    what = p.machine or _("{kind} (whole category)").format(kind=_kind_name(texts, p.machine_kind))
    lines = ["🎓 " + _("Your authorization on {machine} was withdrawn.").format(machine=what)]
    cancelled = p.cancelled
    if cancelled:
        lines.append(
            texts.ngettext(
                "This booking, which needs that training, is cancelled:",
                "These bookings, which need that training, are cancelled:",
                len(cancelled),
            )
        )
        lines += [f"• {b.machine}, {_when(texts, b.start, b.end)}" for b in cancelled]
    lines.append(_("Ask the lab's team if you think this is a mistake."))
    return Outgoing("\n".join(lines), keyboards.single(texts, "🗂", "My bookings", "my"))


@renders(TicketAlert)
def _ticket_alert(texts: Texts, p: TicketAlert) -> Outgoing:
    _ = texts.gettext
    severity = keyboards.severity_label(texts, p.severity)
    if p.attached:
        head = _("New report on ticket #{ticket} — {machine}").format(ticket=p.ticket_id, machine=p.machine)
    else:
        head = _("Ticket #{ticket} opened — {machine}").format(ticket=p.ticket_id, machine=p.machine)
    before = [f"🛠 {head}", severity, "", _("Reported by {name}:").format(name=p.reporter)]
    after = []
    if p.affected:
        after += [
            "",
            texts.ngettext(
                "The machine is out of service; {count} member with a booking was told.",
                "The machine is out of service; {count} members with a booking were told.",
                p.affected,
            ).format(count=p.affected),
        ]
    photos = p.photo_ids
    if len(photos) > 1:
        after += ["", _("{count} photos: see the ticket.").format(count=len(photos))]
    # With a photo the text is a caption (1,024 characters): the description gives way, not the rest.
    room = (CAPTION_LIMIT if photos else MAX_MESSAGE_LENGTH) - len("\n".join([*before, "", *after])) - 2
    text = "\n".join([*before, clip(p.description, max(room, 40)), *after])
    markup = keyboards.ticket_actions(texts, p.ticket_id, p.status)
    return Outgoing(text, markup, photos[0] if photos else None)


@renders(TicketUpdate)
def _ticket_update(texts: Texts, p: TicketUpdate) -> Outgoing:
    _ = texts.gettext
    messages = {
        "take": _("Your report on {machine} (ticket #{ticket}) was taken in hand by {by}."),
        "resolve": _("Ticket #{ticket} on {machine} is resolved ({by})."),
        "escalate": _("Ticket #{ticket} on {machine} was passed on to a specialist or the vendor ({by})."),
        "reject": _("Ticket #{ticket} on {machine} was closed without repair ({by})."),
    }
    text = "🛠 " + messages[p.action].format(machine=p.machine, ticket=p.ticket_id, by=p.by)
    if p.note:
        text += "\n\n" + _("Note: {note}").format(note=p.note)
    if not p.machine_back:
        return Outgoing(text)
    # The machine is back in service: said here, in the reporter's one message about the outcome.
    text += "\n\n✅ " + _("{machine} is back in service.").format(machine=p.machine)
    for booking in p.bookings:
        text += "\n" + _("Your booking stands: {machine}, {when}.").format(
            machine=p.machine, when=_when(texts, booking.start, booking.end)
        )
    markup = keyboards.single(texts, "🗂", "My bookings", "my") if p.bookings else None
    return Outgoing(text, markup)


@renders(BookingAffected)
def _booking_affected(texts: Texts, p: BookingAffected) -> Outgoing:
    text = "⚠️ " + texts.gettext(
        "{machine} was reported unusable and is out of service. Your booking on {when} is kept for now, "
        "but the machine may not be repaired by then."
    ).format(machine=p.machine, when=_when(texts, p.start, p.end))
    return Outgoing(text, keyboards.rebook(texts, p.machine_kind, p.booking_id))


@renders(MachineBack)
def _machine_back(texts: Texts, p: MachineBack) -> Outgoing:
    text = "✅ " + texts.gettext("{machine} is back in service. Your booking on {when} stands.").format(
        machine=p.machine, when=_when(texts, p.start, p.end)
    )
    return Outgoing(text, keyboards.single(texts, "🗂", "My bookings", "my"))


@renders(DowntimeWarning)
def _downtime_warning(texts: Texts, p: DowntimeWarning) -> Outgoing:
    _ = texts.gettext
    lines = [
        "🗓 "
        + _("{machine} will be out of service for maintenance: {window}.").format(
            machine=p.machine, window=_when(texts, p.window_start, p.window_end)
        )
    ]
    if p.reason:
        lines.append(_("Reason: {reason}").format(reason=p.reason))
    lines += [
        "",
        _("Your booking: {machine}, {when}.").format(machine=p.machine, when=_when(texts, p.start, p.end)),
        # What plan_downtime does: the booking is kept (marked affected), the member decides.
        _(
            "It is not cancelled, but the machine cannot be used during the maintenance: cancel it, "
            "or book another time. If the maintenance is called off, I will tell you."
        ),
    ]
    return Outgoing("\n".join(lines), keyboards.booking_in_downtime(texts, p.booking_id, p.machine_id))


@renders(DowntimeCalledOff)
def _downtime_called_off(texts: Texts, p: DowntimeCalledOff) -> Outgoing:
    text = "✅ " + texts.gettext(
        "The maintenance of {machine} planned for {window} is called off. Your booking on {when} stands."
    ).format(
        machine=p.machine,
        window=_when(texts, p.window_start, p.window_end),
        when=_when(texts, p.start, p.end),
    )
    return Outgoing(text, keyboards.single(texts, "🗂", "My bookings", "my"))


@renders(PlanDue)
def _plan_due(texts: Texts, p: PlanDue) -> Outgoing:
    text = "🧰 " + texts.gettext(
        "Preventive maintenance due on {machine}: {task} (ticket #{ticket})."
    ).format(machine=p.machine, task=p.task, ticket=p.ticket_id)
    return Outgoing(text, keyboards.ticket_actions(texts, p.ticket_id, "open"))


@renders(LowStock)
def _low_stock(texts: Texts, p: LowStock) -> Outgoing:
    _ = texts.gettext
    text = "📦 " + _("Low stock: {name}, {quantity} left (minimum {minimum}).").format(
        name=p.consumable,
        quantity=texts.quantity(p.quantity, p.unit),
        minimum=texts.quantity(p.minimum, p.unit),
    )
    if p.supplier:
        text += "\n" + _("Supplier: {supplier}").format(supplier=p.supplier)
    rows = [[keyboards.button("📦 " + _("Stock"), "st:c", p.consumable_id)]]
    if p.reorder_url:
        rows.insert(0, [InlineKeyboardButton("🛒 " + _("Reorder"), url=p.reorder_url)])
    return Outgoing(text, InlineKeyboardMarkup(rows))


@renders(UsageQuestion)
def _usage_question(texts: Texts, p: UsageQuestion) -> Outgoing:
    _ = texts.gettext
    text = "🧾 " + _(
        "Your booking of {machine} ({when}) is over. Did you use any consumables? It keeps the stock right."
    ).format(machine=p.machine, when=_when(texts, p.start, p.end))
    rows = [
        [keyboards.button(keyboards.clip_label(c.name, icon="📦"), "su:c", p.booking_id, c.id)]
        for c in p.consumables
    ]
    rows.append([keyboards.button("⏭ " + _("Nothing to record"), "su:x", p.booking_id)])
    return Outgoing(text, InlineKeyboardMarkup(rows))


@renders(UpdateDue)
def _update_due(texts: Texts, p: UpdateDue) -> Outgoing:
    from bot.handlers.updates import actions, item_name

    text = "🔄 " + texts.gettext("Time to check for updates: {name}, version {version}.").format(
        name=item_name(p.name, p.machine), version=p.version or "?"
    )
    return Outgoing(text, actions(texts, p.item_id))


# One reminder lists at most this many items with a button each (the rest are counted).
UPDATE_ROWS = 20


@renders(UpdatesDue)
def _updates_due(texts: Texts, p: UpdatesDue) -> Outgoing:
    """Checks that fell due together: one message, a line and a button per item (the button opens
    the item, with Updated / Up to date / Snooze / Not applicable)."""
    from bot.handlers.updates import item_label, item_name

    _ = texts.gettext
    count = p.count
    lines = [
        "🔄 "
        + texts.ngettext(
            "Time to check for updates, {count} item:", "Time to check for updates, {count} items:", count
        ).format(count=count)
    ]
    items = p.items
    lines += [f"• {item_name(i.name, i.machine)}" + (f" · {i.version}" if i.version else "") for i in items]
    lines += _and_more(texts, count - len(items), "/updates")
    rows = [
        [keyboards.button(item_label(i.version or "", i.name, "🔄"), "up:i", i.item_id)]
        for i in items[:UPDATE_ROWS]
    ]
    if count > len(rows):
        rows.append([keyboards.button("📋 " + _("All updates"), "up", 0)])
    return Outgoing("\n".join(lines), InlineKeyboardMarkup(rows))


def _and_more(texts: Texts, hidden: int, command: str) -> list[str]:
    """ "… and 60 more: /stock", when a list was shortened."""
    if hidden <= 0:
        return []
    return ["… " + texts.gettext("and {count} more: {command}").format(count=hidden, command=command)]


@renders(Digest)
def _digest(texts: Texts, p: Digest) -> Outgoing:
    _ = texts.gettext
    lines = ["☀️ " + _("Good morning! The lab on {day}:").format(day=texts.day(p.day))]
    quiet = True
    if p.open_tickets:
        quiet = False
        lines += [
            "",
            texts.ngettext("{count} open ticket:", "{count} open tickets:", p.open_tickets).format(
                count=p.open_tickets
            ),
        ]
        lines += [
            f"• {keyboards.SEVERITY_ICONS[t.severity]} #{t.id} {t.machine} — {clip(t.title, 60)}"
            for t in p.tickets
        ]
        lines += _and_more(texts, p.open_tickets - len(p.tickets), "/queue")
    if p.low_stock:
        quiet = False
        lines += ["", _("Below minimum:")]
        lines += [
            f"• {c.name} — {texts.quantity(c.quantity, c.unit)} / {texts.quantity(c.minimum, c.unit)}"
            for c in p.low_stock
        ]
        lines += _and_more(texts, p.low_stock_count - len(p.low_stock), "/stock")
    if p.updates_due_count:
        quiet = False
        lines += [
            "",
            texts.ngettext(
                "{count} update check due:", "{count} update checks due:", p.updates_due_count
            ).format(count=p.updates_due_count),
        ]
        for update in p.updates_due:
            late = update.overdue_days
            overdue = texts.ngettext("{count} day overdue", "{count} days overdue", late).format(count=late)
            lines.append(f"• {update.name}" + (f" — {overdue}" if late else ""))
        lines += _and_more(texts, p.updates_due_count - len(p.updates_due), "/updates")
    if p.bookings:
        lines += ["", _("Today's bookings:")]
        for name, times in p.bookings:
            if isinstance(times, int):  # queued by an older version: a count, no times
                lines.append(
                    f"• {name} — "
                    + texts.ngettext("{count} booking", "{count} bookings", times).format(count=times)
                )
                continue
            spans = [f"{texts.time(a)}–{texts.time(b)}" for a, b in times]
            shown = ", ".join(spans[:DIGEST_TIMES]) + (" …" if len(spans) > DIGEST_TIMES else "")
            lines.append(f"• {name} — {shown}")
        if p.free:
            lines.append(_("Free all day: {machines}").format(machines=", ".join(p.free)))
    if quiet:
        lines += ["", "✅ " + _("All clear: no open ticket, no stock below minimum, no update due.")]
    if p.anonymised:
        lines += [
            "",
            "🔒 "
            + texts.ngettext(
                "{count} member inactive too long had their personal data erased.",
                "{count} members inactive too long had their personal data erased.",
                p.anonymised,
            ).format(count=p.anonymised),
        ]
    rows = [
        [keyboards.button("🧾 " + _("Maintenance queue"), "q", 0)],
        [keyboards.button("📦 " + _("Stock"), "st", 0), keyboards.button("🔄 " + _("Updates"), "up", 0)],
    ]
    return Outgoing("\n".join(lines), InlineKeyboardMarkup(rows))


# --------------------------------------------------------------------------- projects


@renders(ProjectJoinRequest)
def _project_join_request(texts: Texts, p: ProjectJoinRequest) -> Outgoing:
    _ = texts.gettext
    text = "🙋 " + _("{member} asks to join {project}.").format(member=p.member, project=p.project)
    markup = InlineKeyboardMarkup(
        [
            [
                keyboards.button("✅ " + _("Approve"), "pr:a", p.membership_id),
                keyboards.button("✖️ " + _("Decline"), "pr:d", p.membership_id),
            ]
        ]
    )
    return Outgoing(text, markup)


@renders(ProjectUnknownJoin)
def _project_unknown_join(texts: Texts, p: ProjectUnknownJoin) -> Outgoing:
    _ = texts.gettext
    text = "❔ " + _(
        "{name} asks to join the group of {project}, without having gone through the bot "
        "(a forwarded link?). Let them in?"
    ).format(name=p.name, project=p.project)
    markup = InlineKeyboardMarkup(
        [
            [
                keyboards.button("✅ " + _("Approve"), "pq:a", p.request_id),
                keyboards.button("✖️ " + _("Decline"), "pq:d", p.request_id),
            ]
        ]
    )
    return Outgoing(text, markup)


def request_withdrawn_text(texts: Texts, member: str, project: str) -> str:
    return "↩️ " + texts.gettext("{member} withdrew their request to join {project}.").format(
        member=member, project=project
    )


@acts(ProjectRequestWithdrawn)
async def _project_request_withdrawn(bot: Bot, texts: Texts, p: ProjectRequestWithdrawn) -> Outgoing | None:
    """Turn an owner's "asks to join" message into "withdrew", without its buttons."""
    text = request_withdrawn_text(texts, p.member, p.project)
    try:
        await bot.edit_message_text(text, chat_id=p.chat_id, message_id=p.message_id)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return None
        # The message is gone (deleted by the owner): say it in a new one.
        log.info("could not edit a join request message: %s", exc.message)
        return Outgoing(text)
    return None


@renders(ProjectDecision)
def _project_decision(texts: Texts, p: ProjectDecision) -> Outgoing:
    _ = texts.gettext
    if not p.approved:
        return Outgoing("🙁 " + _("Your request to join {project} was declined.").format(project=p.project))
    text = "🎉 " + _("Welcome to {project}!").format(project=p.project)
    if not p.can_invite:
        text += " " + _(
            "The project has no group the bot can invite you to: its owners will tell you where to meet."
        )
    return Outgoing(text)


@acts(ProjectInvite)
async def _project_invite(bot: Bot, texts: Texts, p: ProjectInvite) -> Outgoing:
    """Create an invite link to the group (with a join request, so the bot checks who comes in)."""
    _ = texts.gettext
    try:
        link = await bot.create_chat_invite_link(
            p.chat_id, name=f"fabdesk {p.membership_id}"[:32], creates_join_request=True
        )
    except (BadRequest, Forbidden) as exc:
        # The bot cannot invite there (rights lost, group gone): the member must not wait for nothing.
        log.info("no invite link for project %s: %s", p.project, exc.message)
        names = ", ".join(p.owners) or "?"
        return Outgoing(
            "⚠️ "
            + _(
                "I could not make an invite link to the group of {project}: ask its owners ({owners})."
            ).format(project=p.project, owners=names)
        )
    text = "🔗 " + _(
        "Join the group of {project} with this link: Telegram will ask, and I will let you in."
    ).format(project=p.project)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("➡️ " + _("Join the group"), url=link.invite_link)]])
    return Outgoing(text, markup)


@acts(ChatAction)
async def _chat_action(bot: Bot, texts: Texts, p: ChatAction) -> Outgoing | None:
    """Do what was decided in a project's group: approve or decline a join request, remove someone."""
    chat_id, user_id = p.chat_id, p.user_id
    if p.action == "approve":
        await bot.approve_chat_join_request(chat_id, user_id)
    elif p.action == "decline":
        await bot.decline_chat_join_request(chat_id, user_id)
    elif p.action == "remove":
        await bot.ban_chat_member(chat_id, user_id)
        await bot.unban_chat_member(chat_id, user_id, only_if_banned=True)  # removed, not banned for ever
    return None


@renders(ProjectArchived)
def _project_archived(texts: Texts, p: ProjectArchived) -> Outgoing:
    return Outgoing(
        "🗄 "
        + texts.gettext("The project {project} was archived: your request to join it is closed.").format(
            project=p.project
        )
    )


@renders(ProjectOwner)
def _project_owner(texts: Texts, p: ProjectOwner) -> Outgoing:
    return Outgoing("👑 " + texts.gettext("You are now an owner of {project}.").format(project=p.project))


@renders(ProjectRemoved)
def _project_removed(texts: Texts, p: ProjectRemoved) -> Outgoing:
    return Outgoing(
        "👋 " + texts.gettext("You were removed from the project {project}.").format(project=p.project)
    )


@renders(ProjectRightsLost)
def _project_rights_lost(texts: Texts, p: ProjectRightsLost) -> Outgoing:
    text = "⚠️ " + texts.gettext(
        "I lost my administrator rights in the group of {project}: I can no longer let members in. "
        "Make me an administrator again (with the rights to invite and to ban members)."
    ).format(project=p.project)
    return Outgoing(text)


@renders(ProjectAnnouncement)
def _project_announcement(texts: Texts, p: ProjectAnnouncement) -> Outgoing:
    head = texts.gettext("Announcement from {name} ({project}):").format(name=p.sender, project=p.project)
    return Outgoing(f"📣 {head}\n\n{p.text}")


@renders(MeetingReminder)
def _meeting_reminder(texts: Texts, p: MeetingReminder) -> Outgoing:
    _ = texts.gettext
    start = p.start
    where = _("remote") if p.remote else _("on site, at the lab")
    text = "📅 " + _("Meeting of {project}: {when}, {where}.").format(
        project=p.project, when=texts.day_time(start), where=where
    )
    text += "\n" + p.title
    markup = None
    if p.link:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("🔗 " + _("Open the link"), url=p.link)]])
    return Outgoing(text, markup)


@renders(MeetingCancelled)
def _meeting_cancelled(texts: Texts, p: MeetingCancelled) -> Outgoing:
    start = p.start
    text = "✖ " + texts.gettext("The meeting of {project} on {when} is cancelled (by {name}).").format(
        project=p.project, when=texts.day_time(start), name=p.by
    )
    return Outgoing(text + "\n" + p.title)


@renders(WaitlistFreed)
def _waitlist_freed(texts: Texts, p: WaitlistFreed) -> Outgoing:
    _ = texts.gettext
    start, end = p.start, p.end
    text = "🔔 " + _("A slot freed up on {machine}: {when}. The first to tap gets it!").format(
        machine=p.machine, when=texts.when(start, end)
    )
    day = keyboards.date_code(start.astimezone(texts.tz).date())
    markup = InlineKeyboardMarkup(
        [
            [
                keyboards.button(
                    "✅ " + _("Book it"),
                    "bk:ok",
                    p.machine_id,
                    keyboards.epoch_minutes(start),
                    p.minutes,
                )
            ],
            [keyboards.button("🕑 " + _("Other times that day"), "bk:d", p.machine_id, day)],
        ]
    )
    return Outgoing(text, markup)


@renders(WaitlistBack)
def _waitlist_back(texts: Texts, p: WaitlistBack) -> Outgoing:
    text = texts.gettext("{machine} is back in service: have a look at {day}.")
    return _waitlist_look(texts, p, text)


@renders(WaitlistOpened)
def _waitlist_opened(texts: Texts, p: WaitlistOpened) -> Outgoing:
    text = texts.gettext("A planned maintenance of {machine} is called off: have a look at {day}.")
    return _waitlist_look(texts, p, text)


def _waitlist_look(texts: Texts, p: WaitlistBack | WaitlistOpened, text: str) -> Outgoing:
    """A member waiting for a day: there may be free times now, with a button to see them."""
    day = p.day
    button = keyboards.button(
        "📅 " + texts.gettext("See the free times"), "bk:d", p.machine_id, keyboards.date_code(day)
    )
    text = "✅ " + text.format(machine=p.machine, day=texts.day(day))
    return Outgoing(text, InlineKeyboardMarkup([[button]]))


@renders(Weekly)
def _weekly(texts: Texts, p: Weekly) -> Outgoing:
    _ = texts.gettext
    first, last = p.first, p.last
    lines = [
        "📊 "
        + _("Last week at the lab ({first} – {last}):").format(first=texts.day(first), last=texts.day(last)),
        "",
        _("Hours booked: {hours}").format(hours=texts.hours(p.hours)),
    ]
    lines += [f"• {name} — {texts.hours(hours)}" for name, hours in p.top]
    lines += [
        _("Bookings: {count}, of which cancelled: {cancelled}.").format(
            count=p.bookings, cancelled=p.cancelled
        ),
        _("Tickets opened: {opened}, resolved: {resolved}.").format(
            opened=p.tickets_opened, resolved=p.tickets_resolved
        ),
    ]
    if p.repair_minutes is not None:
        lines.append(_("Mean time to repair: {duration}.").format(duration=texts.duration(p.repair_minutes)))
    return Outgoing("\n".join(lines), keyboards.single(texts, "📊", "Statistics", "ss", 0))


async def send(bot: Bot, chat_id: int, outgoing: Outgoing) -> int:
    """Send the message; return its Telegram message id."""
    caption = fit_message(outgoing.text, CAPTION_LIMIT)
    if outgoing.photo and outgoing.photo.startswith(DOCUMENT_PREFIX):
        document = outgoing.photo.removeprefix(DOCUMENT_PREFIX)
        sent = await bot.send_document(chat_id, document, caption=caption, reply_markup=outgoing.markup)
    elif outgoing.photo:
        sent = await bot.send_photo(chat_id, outgoing.photo, caption=caption, reply_markup=outgoing.markup)
    else:
        sent = await bot.send_message(chat_id, fit_message(outgoing.text), reply_markup=outgoing.markup)
    return sent.message_id


@dataclass(frozen=True)
class Outcome:
    """What became of one send: delivered, or an error that is final or worth retrying later."""

    error: str | None = None
    final: bool = False
    blocked: bool = False  # the person blocked the bot (403)
    slow_down: bool = False  # Telegram answered 429
    migrated_to: int | None = None  # the group became a supergroup with this id: redirect, retry
    message_id: int | None = None  # the Telegram message sent


class _Held:
    """The rows of a batch this process holds: the claim is renewed every third of the lease while
    the batch is sent, however long one send takes (a 429 pause inside the rate limiter, a slow
    network), so no other process takes a row this one is sending."""

    def __init__(self, desk: FabDesk, ids: list[int]) -> None:
        self.desk = desk
        self.unsent = list(ids)
        self.ours = set(ids)

    async def keep(self) -> None:
        desk = self.desk
        while self.unsent:
            await asyncio.sleep(outbox.LEASE.total_seconds() / 3)
            try:
                async with desk.sessions.begin() as session:
                    self.ours = await outbox.renew(
                        session, list(self.unsent), desk.worker, desk.clock() + outbox.LEASE
                    )
            except Exception as exc:  # the database is briefly away: the claim holds a while yet
                log.warning("could not renew the outbox claim: %s", exc)

    def done(self, message_id: int) -> None:
        if message_id in self.unsent:
            self.unsent.remove(message_id)


@lanes.in_bulk_lane
async def deliver_outbox(
    desk: FabDesk, bot: Bot, batch: int = 20, delivered_kinds: Counter[str] | None = None
) -> int:
    """Send the pending outbox messages, recording each; return how many were delivered.

    Each batch is claimed in the database first (models/outbox.py: claim), so any number of
    processes may send from one database and each message goes once; within a process, one run at a
    time (a lock). A message that failed for a passing reason is retried at a later run, not in a
    tight loop. `delivered_kinds`, if given, counts what was delivered by kind.
    """
    delivered = 0
    worker = desk.worker
    async with desk.outbox_lock:
        async with desk.sessions.begin() as session:
            await outbox.release_dead_claims(session, worker, desk.clock(), worker_alive)
        while True:
            async with desk.sessions.begin() as session:
                messages = await outbox.claim(session, worker, desk.clock(), batch)
                people = {m.member_id for m in messages if m.member_id is not None}
                members = {m.id: m for m in [await session.get(Member, i) for i in people] if m is not None}
                work = []
                for m in messages:
                    member = members.get(m.member_id) if m.member_id is not None else None
                    blocked = member is not None and member.blocked_at is not None
                    work.append(
                        (m.id, m.chat_id, m.kind, dict(m.payload), desk.texts(member), blocked, m.expires_at)
                    )
            held = _Held(desk, [w[0] for w in work])
            keeper = asyncio.create_task(held.keep(), name="outbox claim")
            try:
                outcome_of_batch = await _send_batch(desk, bot, work, held, delivered_kinds)
            finally:
                keeper.cancel()
            delivered += outcome_of_batch.delivered
            if outcome_of_batch.slow_down:
                return delivered  # Telegram asks to slow down: the rest waits for the next run
            if len(work) < batch or outcome_of_batch.retry_later:
                return delivered


@dataclass
class _Batch:
    delivered: int = 0
    retry_later: bool = False
    slow_down: bool = False


async def _send_batch(
    desk: FabDesk,
    bot: Bot,
    work: list[tuple[int, int, str, Payload, Texts, bool, datetime | None]],
    held: _Held,
    delivered_kinds: Counter[str] | None,
) -> _Batch:
    """Send a claimed batch in order, recording each outcome in its own transaction."""
    worker = desk.worker
    result = _Batch()
    for position, (message_id, chat_id, kind, payload, texts, blocked, expires_at) in enumerate(work):
        if message_id not in held.ours:
            continue  # our claim ran out and another process took it over: it sends it
        if expires_at is not None and desk.clock() >= expires_at:
            outcome = Outcome("expired before it could be sent", final=True)
        elif blocked:
            outcome = Outcome("skipped: the person blocked the bot", final=True)
        else:
            outcome = await _send_one(bot, chat_id, kind, payload, texts)
        async with desk.sessions.begin() as session:
            if outcome.error is None:
                await outbox.mark_sent(session, message_id, desk.clock(), outcome.message_id, worker=worker)
                result.delivered += 1
                if delivered_kinds is not None:
                    delivered_kinds[kind] += 1
            elif outcome.migrated_to is not None:  # follow the group to its new id, try again
                await projects_domain.chat_migrated(session, chat_id, outcome.migrated_to)
                await outbox.release(session, message_id, worker)
            elif not outcome.slow_down:  # a 429 is not the message's fault: no attempt counted
                await outbox.mark_failed(
                    session, message_id, desk.clock(), outcome.error, final=outcome.final, worker=worker
                )
            if outcome.blocked:
                await members_domain.mark_blocked(session, chat_id, desk.clock())
            if outcome.slow_down:  # the rest of the batch is given back, for the next run
                for rest_id, *_rest in work[position:]:
                    await outbox.release(session, rest_id, worker)
        held.done(message_id)
        if outcome.slow_down:
            result.slow_down = True
            return result
        result.retry_later |= outcome.error is not None and not outcome.final
    return result


async def _send_one(bot: Bot, chat_id: int, kind: str, payload: Payload, texts: Texts) -> Outcome:
    """Send one message (or do one action in a group) and say how it went.

    The row's payload is rebuilt into its notice first: a row that does not fit (a required field
    missing, a value of the wrong type, a kind this version does not know) is given up with the
    reason, which names fields, never their values."""
    try:
        notice = rebuild(kind, payload)
        if (act := ACTIONS.get(type(notice))) is not None:
            outgoing = await act(bot, texts, notice)
        elif (render_ := RENDERERS.get(type(notice))) is not None:
            outgoing = render_(texts, notice)
        else:
            return Outcome(f"unknown kind {kind}", final=True)
        sent = await send(bot, chat_id, outgoing) if outgoing is not None else None
    except UnreadablePayload as exc:
        log.warning("outbox message %s unreadable, given up: %s", kind, exc)
        return Outcome(f"unreadable: {exc}", final=True)
    except RetryAfter as exc:
        return Outcome(str(exc), slow_down=True)  # "Flood control exceeded. Retry in N seconds"
    except ChatMigrated as exc:
        return Outcome(f"chat migrated to {exc.new_chat_id}", migrated_to=exc.new_chat_id)
    except Forbidden as exc:
        log.info("outbox message to %s not deliverable: %s", chat_id, exc.message)
        return Outcome(exc.message, final=True, blocked="blocked" in exc.message.lower())
    except BadRequest as exc:
        # The chat does not exist (a manager who never opened the bot), or the message is wrong:
        # retrying would not help.
        log.info("outbox message to %s refused: %s", chat_id, exc.message)
        return Outcome(exc.message, final=True)
    except TelegramError as exc:
        log.warning("outbox message to %s failed, will retry: %s", chat_id, exc)
        return Outcome(str(exc))
    except Exception as exc:  # one message that cannot be written must not hold up the others
        log.exception("outbox message %s to %s cannot be rendered", kind, chat_id)
        return Outcome(f"cannot render: {exc!r}", final=True)
    return Outcome(message_id=sent)


async def send_outbox(context: Context) -> None:
    """Job: send what the outbox holds (also run right after an update that queued messages)."""
    await deliver_outbox(get_desk(context), context.bot)


def wake_sender(context: Context) -> None:
    """Send the outbox now, without making the person who pressed wait for it."""
    context.application.create_task(send_outbox(context), name="outbox")
