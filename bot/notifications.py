"""How each outbox message reads, in its recipient's language, and the job that sends them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot import keyboards
from bot.context import Context, FabDesk, fit_message, get_desk
from bot.i18n import Texts
from models import outbox
from models.machines import MachineKind
from models.members import Member

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024  # Telegram's limit for a photo caption


@dataclass(frozen=True)
class Outgoing:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a Telegram file id, sent with the text as its caption


Payload = dict[str, Any]


def _when(texts: Texts, payload: Payload, start: str = "start", end: str = "end") -> str:
    return texts.span(datetime.fromisoformat(payload[start]), datetime.fromisoformat(payload[end]))


def _training_request(texts: Texts, p: Payload) -> Outgoing:
    text = "🎓 " + texts.gettext("{member} asks for a training on {machine}.").format(
        member=p["member"], machine=p["machine"]
    )
    return Outgoing(
        text, keyboards.grant_request(texts, p["machine_id"], p["member_id"], p["member_first_name"])
    )


def _authorized(texts: Texts, p: Payload) -> Outgoing:
    what = p.get("machine") or texts.gettext(keyboards.KIND_NAMES[MachineKind(p["kind"])])
    text = "🎓 " + texts.gettext("You are now authorized on {machine}: you can book it.").format(machine=what)
    return Outgoing(text, keyboards.single(texts, "📅", "Book a machine", "bk"))


def _ticket_alert(texts: Texts, p: Payload) -> Outgoing:
    _ = texts.gettext
    severity = keyboards.severity_label(texts, p["severity"])
    if p["attached"]:
        head = _("New report on ticket #{ticket} — {machine}").format(
            ticket=p["ticket_id"], machine=p["machine"]
        )
    else:
        head = _("Ticket #{ticket} opened — {machine}").format(ticket=p["ticket_id"], machine=p["machine"])
    lines = [f"🛠 {head}", severity, "", _("Reported by {name}:").format(name=p["reporter"]), p["description"]]
    if p.get("affected"):
        lines += [
            "",
            texts.ngettext(
                "The machine is out of service; {count} member with a booking was told.",
                "The machine is out of service; {count} members with a booking were told.",
                p["affected"],
            ).format(count=p["affected"]),
        ]
    photos = p.get("photo_ids") or []
    if len(photos) > 1:
        lines += ["", _("{count} photos: see the ticket.").format(count=len(photos))]
    markup = keyboards.ticket_actions(texts, p["ticket_id"], "open")
    return Outgoing("\n".join(lines), markup, photos[0] if photos else None)


def _ticket_update(texts: Texts, p: Payload) -> Outgoing:
    _ = texts.gettext
    messages = {
        "take": _("Your report on {machine} (ticket #{ticket}) was taken in hand by {by}."),
        "resolve": _("Ticket #{ticket} on {machine} is resolved ({by})."),
        "escalate": _("Ticket #{ticket} on {machine} was passed on to a specialist or the vendor ({by})."),
        "reject": _("Ticket #{ticket} on {machine} was closed without repair ({by})."),
    }
    text = "🛠 " + messages[p["action"]].format(machine=p["machine"], ticket=p["ticket_id"], by=p["by"])
    if p.get("note"):
        text += "\n\n" + _("Note: {note}").format(note=p["note"])
    return Outgoing(text)


def _booking_affected(texts: Texts, p: Payload) -> Outgoing:
    text = "⚠️ " + texts.gettext(
        "{machine} was reported unusable and is out of service. Your booking on {when} is kept for now, "
        "but the machine may not be repaired by then."
    ).format(machine=p["machine"], when=_when(texts, p))
    return Outgoing(text, keyboards.rebook(texts, MachineKind(p["kind"]), p["booking_id"]))


def _machine_back(texts: Texts, p: Payload) -> Outgoing:
    text = "✅ " + texts.gettext("{machine} is back in service. Your booking on {when} stands.").format(
        machine=p["machine"], when=_when(texts, p)
    )
    return Outgoing(text, keyboards.single(texts, "🗂", "My bookings", "my"))


def _downtime_warning(texts: Texts, p: Payload) -> Outgoing:
    _ = texts.gettext
    text = "🗓 " + _(
        "{machine} will be out of service for maintenance: {window}. "
        "Your booking on {when} falls in that time."
    ).format(machine=p["machine"], window=_when(texts, p, "window_start", "window_end"), when=_when(texts, p))
    if p.get("reason"):
        text += "\n" + _("Reason: {reason}").format(reason=p["reason"])
    return Outgoing(text, keyboards.rebook(texts, MachineKind(p["kind"]), p["booking_id"]))


def _plan_due(texts: Texts, p: Payload) -> Outgoing:
    text = "🧰 " + texts.gettext(
        "Preventive maintenance due on {machine}: {task} (ticket #{ticket})."
    ).format(machine=p["machine"], task=p["task"], ticket=p["ticket_id"])
    return Outgoing(text, keyboards.ticket_actions(texts, p["ticket_id"], "open"))


RENDERERS: dict[str, Callable[[Texts, Payload], Outgoing]] = {
    "training_request": _training_request,
    "authorized": _authorized,
    "ticket_alert": _ticket_alert,
    "ticket_update": _ticket_update,
    "booking_affected": _booking_affected,
    "machine_back": _machine_back,
    "downtime_warning": _downtime_warning,
    "plan_due": _plan_due,
}


async def send(bot: Bot, chat_id: int, outgoing: Outgoing) -> None:
    if outgoing.photo:
        await bot.send_photo(
            chat_id,
            outgoing.photo,
            caption=fit_message(outgoing.text, CAPTION_LIMIT),
            reply_markup=outgoing.markup,
        )
    else:
        await bot.send_message(chat_id, fit_message(outgoing.text), reply_markup=outgoing.markup)


async def deliver_outbox(desk: FabDesk, bot: Bot, batch: int = 100) -> int:
    """Send the pending outbox messages, recording each; return how many were delivered.

    One sender at a time (a lock), so a message is never sent twice by two overlapping runs.
    """
    delivered = 0
    async with desk.outbox_lock:
        while True:
            async with desk.sessions() as session:
                messages = await outbox.pending(session, batch)
                people = {m.member_id for m in messages if m.member_id is not None}
                members = {m.id: m for m in [await session.get(Member, i) for i in people] if m is not None}
                work = [
                    (m.id, m.chat_id, m.kind, dict(m.payload), desk.texts(members.get(m.member_id or -1)))
                    for m in messages
                ]
            if not work:
                return delivered
            for message_id, chat_id, kind, payload, texts in work:
                outcome = await _send_one(bot, chat_id, kind, payload, texts)
                async with desk.sessions.begin() as session:
                    if outcome is None:
                        await outbox.mark_sent(session, message_id, desk.clock())
                        delivered += 1
                    else:
                        error, final = outcome
                        await outbox.mark_failed(session, message_id, desk.clock(), error, final=final)
                if outcome is not None and not outcome[1] and outcome[0].startswith("retry after"):
                    return delivered  # Telegram asks to slow down: the rest waits for the next run
            if len(work) < batch:
                return delivered


async def _send_one(
    bot: Bot, chat_id: int, kind: str, payload: Payload, texts: Texts
) -> tuple[str, bool] | None:
    """Send one message; None when delivered, else (error, whether it is final)."""
    render = RENDERERS.get(kind)
    if render is None:
        return f"unknown kind {kind}", True
    try:
        await send(bot, chat_id, render(texts, payload))
    except RetryAfter as exc:
        return f"retry after {exc.retry_after}", False
    except (Forbidden, BadRequest) as exc:
        # Blocked the bot, or never opened a chat with it: retrying would not help.
        log.info("outbox message to %s not deliverable: %s", chat_id, exc.message)
        return exc.message, True
    except TelegramError as exc:
        log.warning("outbox message to %s failed, will retry: %s", chat_id, exc)
        return str(exc), False
    return None


async def send_outbox(context: Context) -> None:
    """Job: send what the outbox holds (also run right after an update that queued messages)."""
    await deliver_outbox(get_desk(context), context.bot)


def wake_sender(context: Context) -> None:
    """Send the outbox now, without making the person who pressed wait for it."""
    context.application.create_task(send_outbox(context), name="outbox")
