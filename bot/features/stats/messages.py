"""The lab's summaries for the managers: the morning digest and the weekly figures.

They live with the statistics because they are the lab seen as a whole, like /stats, and are
written by models/digest.py rather than by any one feature: the digest gathers several features'
news (tickets, stock, updates, bookings, erased members) and links to each feature's list; the weekly
summary's button opens the statistics.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.core.context import clip
from bot.core.i18n import Texts
from bot.core.messages import Outgoing, and_more, renders
from bot.features import keyboards
from bot.features.maintenance import routes as maintenance
from bot.features.stats import routes
from bot.features.stock import routes as stock
from bot.features.updates import routes as updates
from models.digest import Digest, Weekly

DIGEST_TIMES = 8  # bookings of one machine listed in the digest, the rest as "…"


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
        lines += and_more(texts, p.open_tickets - len(p.tickets), "/queue")
    if p.low_stock:
        quiet = False
        lines += ["", _("Below minimum:")]
        lines += [
            f"• {c.name} — {texts.quantity(c.quantity, c.unit)} / {texts.quantity(c.minimum, c.unit)}"
            for c in p.low_stock
        ]
        lines += and_more(texts, p.low_stock_count - len(p.low_stock), "/stock")
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
        lines += and_more(texts, p.updates_due_count - len(p.updates_due), "/updates")
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
        [keyboards.button("🧾 " + _("Maintenance queue"), maintenance.QueuePage(0))],
        [
            keyboards.button("📦 " + _("Stock"), stock.ConsumableList(0)),
            keyboards.button("🔄 " + _("Updates"), updates.ItemList(0)),
        ],
    ]
    return Outgoing("\n".join(lines), InlineKeyboardMarkup(rows))


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
    return Outgoing("\n".join(lines), keyboards.single(texts, "📊", "Statistics", routes.PeriodChosen(0)))
