"""Members' personal data: /privacy (what, why, how long), /mydata (an export), /forgetme (erasure)."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.core.context import Turn
from bot.core.feature import Feature
from bot.core.reply import Reply
from bot.features.privacy import keyboards, routes
from models import authorizations, privacy


async def privacy_notice(turn: Turn) -> Reply:
    """What fabdesk stores about members, why, and for how long."""
    _ = turn._
    settings = turn.desk.settings
    if settings.privacy_notice:
        text = settings.privacy_notice
    else:
        months = settings.retention_months
        lines = [
            "🔒 " + _("Your personal data at the lab"),
            "",
            _(
                "What is kept: your Telegram name, username and id, your language, your bookings, "
                "your fault reports (text and photos), your trainings, your projects, "
                "and what you recorded of the stock."
            ),
            _(
                "Why: to run the bookings, the maintenance of the machines and the projects of the lab. "
                "Nothing is shared with anyone outside the lab, nor used for anything else."
            ),
        ]
        if months:
            lines.append(
                turn.texts.ngettext(
                    "How long: while you use the bot, and {count} month after your last message; then your "
                    "data is erased automatically.",
                    "How long: while you use the bot, and {count} months after your last message; then your "
                    "data is erased automatically.",
                    months,
                ).format(count=months)
            )
        lines += [
            "",
            _("Your rights: /mydata sends you everything stored about you; /forgetme erases it."),
            _(
                "Erasure finds your name, username, phone number and e-mail address in what was written "
                'about you, but it cannot recognise a nickname or a description of you ("the tall one '
                "from Tuesday\"): ask the lab's team to correct those texts."
            ),
        ]
        if settings.privacy_contact:
            lines.append(_("Questions: {contact}").format(contact=settings.privacy_contact))
        else:
            lines.append(_("Questions, or a text to correct: ask the lab's team, at the lab."))
        text = "\n".join(lines)
    text += "\n\n" + _helper_line(turn)
    return Reply(text=text, markup=keyboards.notice(turn.texts, turn.member.shown_as_helper))


def _helper_line(turn: Turn) -> str:
    """Whether the member is named, on the machines' pages, as someone who can help."""
    if turn.member.shown_as_helper:
        return "🙋 " + turn._(
            "You are shown, on the pages of the machines you are trained on, as someone who can help."
        )
    return "🙋 " + turn._(
        "Trained on a machine? You can be shown on its page as someone who can help (your name and "
        "username, nothing else). Off until you turn it on."
    )


async def show_as_helper(turn: Turn) -> Reply:
    """Show the member as a helper on the machines they are trained on (their consent, recorded)."""
    changed = authorizations.show_as_helper(turn.member, True, turn.now)
    reply = await privacy_notice(turn)
    return replace(reply, toast=turn._("You are shown as a helper.") if changed else None)


async def hide_as_helper(turn: Turn) -> Reply:
    """Stop naming the member as a helper."""
    changed = authorizations.show_as_helper(turn.member, False, turn.now)
    reply = await privacy_notice(turn)
    return replace(reply, toast=turn._("You are no longer shown as a helper.") if changed else None)


async def my_data(turn: Turn) -> Reply:
    """Send the member a JSON file of everything stored about them."""
    data = await privacy.export_member_data(turn.session, turn.member)
    data["exported_at"] = turn.now.isoformat()
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    # The photos of her reports are Telegram's: the file says which; here they are themselves.
    photos = [p for r in data["reports"] for p in r["photo_ids"]]
    if (draft := data["in_progress"]["report_draft"]) is not None:
        photos += draft["photo_ids"]
    text = "📦 " + turn._("Here is everything the lab's bot stores about you (a JSON file).")
    if photos:
        text += "\n" + turn.texts.ngettext(
            "The photo you sent with your reports follows it.",
            "The {count} photos you sent with your reports follow it.",
            len(photos),
        ).format(count=len(photos))
    return Reply(
        text=text,
        photos=photos,
        document=(f"fabdesk-my-data-{turn.now:%Y-%m-%d}.json", content),
        toast=turn._("Your data is on its way."),
        new_message=True,
    )


async def ask_forget(turn: Turn) -> Reply:
    """Explain what erasure does and ask for a confirmation."""
    _ = turn._
    text = "\n".join(
        [
            "🧹 " + _("Erase your personal data?"),
            "",
            _(
                "Erased: your name, username and Telegram id, the text and photos of your reports, your "
                "trainings, your part in projects (the projects you started stay, without your name), "
                "and your upcoming bookings (cancelled)."
            ),
            _(
                "Kept without your name, for the lab's records: the hours of your past bookings "
                "(statistics), the maintenance history, and the stock movements."
            ),
            _("This cannot be undone. You can still use the bot afterwards, as a new member."),
        ]
    )
    return Reply(text=text, markup=keyboards.confirm_erasure(turn.texts))


async def forget(turn: Turn) -> Reply:
    """Erase the member's data; say what was kept."""
    _ = turn._
    done = await privacy.erase_member(
        turn.session, turn.member, privacy.ErasureReason.REQUEST, turn.now, turn.texts.tz
    )
    lines = ["✅ " + _("Your personal data is erased.")]
    kept = []
    if done.bookings_kept:
        kept.append(
            turn.texts.ngettext("{count} booking", "{count} bookings", done.bookings_kept).format(
                count=done.bookings_kept
            )
        )
    if done.reports_kept:
        kept.append(
            turn.texts.ngettext(
                "{count} fault report (without its text)",
                "{count} fault reports (without their text)",
                done.reports_kept,
            ).format(count=done.reports_kept)
        )
    if done.movements_kept:
        kept.append(
            turn.texts.ngettext(
                "{count} stock movement", "{count} stock movements", done.movements_kept
            ).format(count=done.movements_kept)
        )
    if kept:
        lines.append(_("Kept without your name, for the lab's records: {what}.").format(what=", ".join(kept)))
    if done.bookings_cancelled:
        lines.append(
            turn.texts.ngettext(
                "{count} upcoming booking was cancelled.",
                "{count} upcoming bookings were cancelled.",
                done.bookings_cancelled,
            ).format(count=done.bookings_cancelled)
        )
    lines.append(_("Goodbye, and thank you for using the lab!"))
    return Reply(text="\n".join(lines))


FEATURE = Feature(
    name="privacy",
    commands={"privacy": privacy_notice, "mydata": my_data, "forgetme": ask_forget},
    presses={
        routes.PrivacyNotice: privacy_notice,
        routes.ExportAsked: my_data,
        routes.ErasureAsked: ask_forget,
        routes.ErasureConfirmed: forget,
        routes.HelperShown: show_as_helper,
        routes.HelperHidden: hide_as_helper,
    },
)
