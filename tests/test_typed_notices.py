"""Typed outbox messages: rows queued before the notices existed still send, every kind has a
renderer, and a row that does not fit its kind is given up with the reason, not dropped silently."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import bot.core.outbox as sender
from bot.core.context import DESK_KEY, FabDesk
from bot.core.messages import ACTIONS, RENDERERS, Outgoing, renders
from models import notices
from models.bookings import Reminder
from models.outbox import OutboxMessage
from tests.factories import make_member, queue_row
from tests.fakebot import FakeBotApi
from tests.harness import Clock, running_bot, test_settings

S, E = "2030-03-05T13:00:00+00:00", "2030-03-05T14:30:00+00:00"  # a booking's start and end
W0, W1 = "2030-03-05T08:00:00+00:00", "2030-03-05T17:00:00+00:00"  # a maintenance window
GROUP = -100_555  # a project's Telegram group

# Payloads exactly as the code before the notices wrote them (one literal dict per enqueue site,
# with the variants a renderer reads differently), by kind.
ROWS_BEFORE_NOTICES: list[tuple[str, dict[str, Any]]] = [
    ("reminder", {"booking_id": 5, "machine": "Prusa MK4", "start": S, "end": E, "note": None}),
    ("reminder", {"booking_id": 6, "machine": "Trotec", "start": S, "end": E, "note": "in_maintenance"}),
    (
        "reminder",
        {
            "booking_id": 7,
            "machine": "Prusa MK4",
            "start": S,
            "end": E,
            "minutes_left": 30,
            "checkin_minutes": 15,
        },
    ),
    ("checkin_asked", {"booking_id": 7, "machine": "Prusa MK4", "start": S, "end": E, "minutes": 15}),
    (
        "no_show_released",
        {"booking_id": 7, "machine": "Prusa MK4", "machine_id": 1, "start": S, "end": E, "minutes": 15},
    ),
    (
        "training_request",
        {
            "member": "Alice Martin (@alice)",
            "member_first_name": "Alice",
            "member_id": 3,
            "machine": "Trotec",
            "machine_id": 2,
        },
    ),
    ("authorized", {"machine": "Trotec", "kind": None}),
    ("authorized", {"machine": None, "kind": "3d_printer"}),
    (
        "authorization_revoked",
        {"machine": None, "kind": "laser_cutter", "cancelled": [{"machine": "Trotec", "start": S, "end": E}]},
    ),
    (
        "authorization_revoked",
        {"machine": "Trotec", "kind": None, "cancelled": [], "reason": "safety"},
    ),
    (
        "training_lapsing",
        {
            "expires": S,
            "days": 30,
            "machine": "Trotec",
            "kind": None,
            "machine_id": 3,
            "later": [{"machine": "Trotec", "start": S, "end": E}],
        },
    ),
    (
        "ticket_alert",
        {
            "ticket_id": 9,
            "status": "open",
            "machine": "Prusa MK4",
            "severity": "unusable",
            "description": "La buse claque",
            "reporter": "Alice Martin",
            "photo_ids": [],
            "attached": False,
            "affected": 2,
        },
    ),
    (
        "ticket_update",
        {"ticket_id": 9, "machine": "Prusa MK4", "action": "take", "by": "Marc", "note": None},
    ),
    (
        "ticket_update",
        {
            "ticket_id": 9,
            "machine": "Prusa MK4",
            "action": "resolve",
            "by": "Marc",
            "note": "Buse changée",
            "machine_back": True,
            "bookings": [{"start": S, "end": E}],
        },
    ),
    (
        "booking_affected",
        {
            "booking_id": 5,
            "machine": "Prusa MK4",
            "machine_id": 1,
            "kind": "3d_printer",
            "start": S,
            "end": E,
        },
    ),
    (
        "machine_back",
        {
            "booking_id": 5,
            "machine": "Prusa MK4",
            "machine_id": 1,
            "kind": "3d_printer",
            "start": S,
            "end": E,
        },
    ),
    (
        "downtime_warning",
        {
            "booking_id": 5,
            "machine": "Trotec",
            "machine_id": 2,
            "kind": "laser_cutter",
            "start": S,
            "end": E,
            "window_start": W0,
            "window_end": W1,
            "reason": "Changement du tube",
        },
    ),
    (
        "closure_warning",
        {
            "booking_id": 5,
            "machine": "Prusa MK4",
            "machine_id": 1,
            "kind": "3d_printer",
            "start": S,
            "end": E,
            "day": "2026-03-10",
            "reason": "Inventaire",
        },
    ),
    (
        "downtime_called_off",
        {
            "booking_id": 5,
            "machine": "Trotec",
            "machine_id": 2,
            "kind": "laser_cutter",
            "start": S,
            "end": E,
            "window_start": W0,
            "window_end": W1,
        },
    ),
    (
        "session_reserves",
        {
            "booking_id": 5,
            "machine": "Trotec",
            "machine_id": 2,
            "kind": "laser_cutter",
            "start": S,
            "end": E,
            "window_start": W0,
            "window_end": W1,
            "title": "Formation laser",
        },
    ),
    (
        "session_reservation_freed",
        {
            "booking_id": 5,
            "machine": "Trotec",
            "machine_id": 2,
            "kind": "laser_cutter",
            "start": S,
            "end": E,
            "title": "Formation laser",
        },
    ),
    ("plan_due", {"ticket_id": 11, "machine": "Trotec", "task": "Nettoyer les miroirs"}),
    (
        "low_stock",
        {
            "consumable": "PLA noir",
            "consumable_id": 4,
            "quantity": "100",
            "minimum": "500",
            "unit": "g",
            "supplier": "",
            "reorder_url": "https://example.org/pla",
        },
    ),
    (
        "usage_question",
        {
            "booking_id": 5,
            "machine": "Prusa MK4",
            "start": S,
            "end": E,
            "consumables": [{"id": 4, "name": "PLA noir", "unit": "g"}],
        },
    ),
    (
        "update_due",
        {
            "item_id": 7,
            "name": "PrusaSlicer",
            "machine": "Prusa MK4",
            "version": "2.7.1",
            "every_days": 30,
            "due": "2030-03-01T09:00:00+00:00",
        },
    ),
    (
        "updates_due",
        {
            "items": [
                {
                    "item_id": 7,
                    "name": "PrusaSlicer",
                    "machine": "Prusa MK4",
                    "version": "2.7.1",
                    "every_days": 30,
                    "due": "2030-03-01T09:00:00+00:00",
                },
                {
                    "item_id": 8,
                    "name": "Firmware",
                    "machine": None,
                    "version": "",
                    "every_days": 90,
                    "due": "2030-02-01T09:00:00+00:00",
                },
            ],
            "count": 2,
        },
    ),
    (
        "digest",
        {
            "day": "2030-03-05",
            "anonymised": 1,
            "open_tickets": 1,
            "tickets": [{"id": 9, "machine": "Prusa MK4", "severity": "unusable", "title": "La buse claque"}],
            "low_stock": [{"name": "PLA noir", "quantity": "100", "minimum": "500", "unit": "g"}],
            "low_stock_count": 1,
            "updates_due": [{"name": "PrusaSlicer", "overdue_days": 4}],
            "updates_due_count": 1,
            "bookings": [["Prusa MK4", [[S, E]]]],
            "free": ["Trotec"],
        },
    ),
    (  # queued by an older version still: a count of bookings, no times, fewer keys
        "digest",
        {
            "day": "2030-03-05",
            "open_tickets": 0,
            "tickets": [],
            "low_stock": [],
            "updates_due_count": 0,
            "updates_due": [],
            "bookings": [["Prusa MK4", 2]],
        },
    ),
    (
        "weekly",
        {
            "from": "2030-02-25",
            "to": "2030-03-03",
            "hours": 12.5,
            "top": [["Prusa MK4", 10.5]],
            "bookings": 4,
            "cancelled": 1,
            "tickets_opened": 1,
            "tickets_resolved": 0,
            "repair_minutes": None,
        },
    ),
    (
        "project_join_request",
        {"membership_id": 21, "project": "Club drone", "member": "Alice Martin (@alice)"},
    ),
    ("project_unknown_join", {"request_id": 3, "project": "Club drone", "name": "Zoé"}),
    ("project_decision", {"project": "Club drone", "approved": True, "can_invite": False}),
    ("project_decision", {"project": "Club drone", "approved": False, "can_invite": True}),
    ("project_removed", {"project": "Club drone"}),
    ("project_owner", {"project": "Club drone"}),
    ("project_archived", {"project": "Club drone"}),
    ("project_rights_lost", {"project": "Club drone", "missing": ["invite"]}),
    ("project_announcement", {"project": "Club drone", "from": "Léa", "text": "Essais samedi !"}),
    (
        "meeting_reminder",
        {
            "project": "Club drone",
            "title": "Essais",
            "start": S,
            "remote": True,
            "link": "https://meet.example",
        },
    ),
    ("meeting_cancelled", {"project": "Club drone", "title": "Essais", "start": S, "by": "Léa"}),
    (
        "waitlist_freed",
        {"machine": "Prusa MK4", "machine_id": 1, "start": S, "end": E, "minutes": 90},
    ),
    (
        "booking_confirmed",
        {
            "booking_id": 3,
            "machine": "Prusa MK4",
            "kind": "3d_printer",
            "start": S,
            "end": E,
            "reminder_minutes": 30,
        },
    ),
    (
        "booked_for_you",
        {
            "booking_id": 4,
            "machine": "Prusa MK4",
            "kind": "3d_printer",
            "start": S,
            "end": E,
            "by": "Morgane",
            "weeks": 4,
            "reminder_minutes": 30,
        },
    ),
    ("waitlist_back", {"machine": "Prusa MK4", "machine_id": 1, "day": "2030-03-05"}),
    ("session_seat_given", {"session_id": 3, "title": "Atelier soudure", "start": S, "end": E}),
    (
        "session_cancelled",
        {"session_id": 3, "title": "Atelier soudure", "start": S, "end": E, "automatic": True, "minimum": 3},
    ),
    (
        "session_reminder",
        {"session_id": 3, "title": "Atelier soudure", "start": S, "end": E, "minutes_left": 120},
    ),
    (
        "session_cancelled_for_lack",
        {"session_id": 3, "title": "Atelier soudure", "start": S, "end": E, "signed_up": 1, "minimum": 3},
    ),
    ("waitlist_opened", {"machine": "Prusa MK4", "machine_id": 1, "day": "2030-03-05"}),
    ("instructor_role", {"given": True, "machine": "Trotec", "kind": None}),
    ("instructor_role", {"given": True, "machine": None, "kind": "laser_cutter"}),
    ("instructor_role", {"given": False, "machine": "Trotec", "kind": None}),
    ("instructor_role", {"given": False, "machine": None, "kind": None}),
    (
        "training_session_proposed",
        {"session_id": 3, "title": "Formation laser", "start": S, "end": E, "machine": "Trotec"},
    ),
    ("training_declined", {"machine": "Trotec", "reason": "Le laser est en panne.", "code": -1}),
    ("training_declined", {"machine": "Trotec", "code": 1}),
    (
        "session_announced",
        {"session_id": 3, "chat": "7002", "title": "Atelier soudure", "start": S, "end": E, "seats_left": 4},
    ),
    # The three that act in Telegram before (or instead of) sending a message.
    (
        "project_invite",
        {"project": "Club drone", "project_id": 2, "chat_id": GROUP, "membership_id": 21, "owners": ["Léa"]},
    ),
    ("chat_action", {"action": "approve", "chat_id": GROUP, "user_id": 7001, "project": "Club drone"}),
    (
        "project_request_withdrawn",
        {"project": "Club drone", "member": "Alice Martin (@alice)", "chat_id": 7002, "message_id": 999},
    ),
    (
        "session_announcement_changed",
        {
            "session_id": 3,
            "chat": "7002",
            "title": "Atelier soudure",
            "start": S,
            "end": E,
            "message_id": 998,
        },
    ),
]


def _app_kinds() -> dict[str, type[notices.Notice]]:
    """The kinds fabdesk declares (tests declare their own too)."""
    return {k: c for k, c in notices.kinds().items() if c.__module__.startswith("models.")}


def test_every_notice_has_one_renderer_or_action_and_every_renderer_a_notice() -> None:
    declared = set(_app_kinds().values())
    rendered, acted = set(RENDERERS), set(ACTIONS)
    assert not rendered & acted, "a kind is both rendered and acted on"
    assert declared - (rendered | acted) == set(), "notices nobody renders"
    assert (rendered | acted) - declared == set(), "renderers for no declared notice"
    assert {kind for kind, _ in ROWS_BEFORE_NOTICES} == set(_app_kinds()), "a kind without an old row here"


def test_the_sender_alone_registers_every_features_messages() -> None:
    """A CLI command or a job may deliver without building the app: importing the sender (and
    nothing else of the bot) must register every feature's messages (bot/features/messages.py)."""
    script = (
        "import importlib, pkgutil\n"
        "import models\n"
        "for module in pkgutil.iter_modules(models.__path__):\n"
        "    importlib.import_module(f'models.{module.name}')\n"
        "import bot.core.outbox\n"
        "from bot.core.messages import ACTIONS, RENDERERS\n"
        "from models import notices\n"
        "print(*sorted(k for k, c in notices.kinds().items() if c not in RENDERERS and c not in ACTIONS))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], "notices the sender cannot send: is their messages module imported?"


def test_a_second_renderer_for_a_notice_is_refused() -> None:
    """Two features rendering one notice: the one imported last would win, silently."""
    mine = RENDERERS[Reminder]
    with pytest.raises(TypeError, match=r"Reminder is already rendered by bot\.features\.booking\.messages"):

        @renders(Reminder)
        def _other(texts: Any, p: Reminder) -> Outgoing:
            return Outgoing("")

    assert RENDERERS[Reminder] is mine


@pytest.mark.parametrize(("kind", "payload"), ROWS_BEFORE_NOTICES, ids=[k for k, _ in ROWS_BEFORE_NOTICES])
def test_a_row_queued_before_the_notices_reads_back_with_the_same_keys(
    kind: str, payload: dict[str, Any]
) -> None:
    notice = notices.rebuild(kind, payload)
    assert notice.kind == kind
    stored = notice.payload()
    # Today's notices write the same keys with the same JSON values (and may add defaults).
    assert {key: stored[key] for key in payload} == payload


async def test_rows_queued_before_the_notices_are_all_rendered_and_sent(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    now = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        member = await make_member(session, "Alice", telegram_id=7002)
        for kind, payload in ROWS_BEFORE_NOTICES:
            chat_id = GROUP if kind == "chat_action" else member.telegram_id
            queue_row(session, chat_id=chat_id, member_id=member.id, kind=kind, payload=payload, now=now)
    async with running_bot(test_settings(fake, database_url), Clock(now)) as app:
        desk: FabDesk = app.bot_data[DESK_KEY]
        assert await sender.deliver_outbox(desk, app.bot, batch=100) == len(ROWS_BEFORE_NOTICES)
    async with sessions.begin() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [(r.kind, r.last_error) for r in rows if r.sent_at is None or r.last_error] == []
    texts = [
        c.params.get("text", "") for c in fake.calls_of("sendMessage", member.telegram_id) if c.status == 200
    ]
    actions = sum(kind in ("chat_action", "session_announcement_changed") for kind, _ in ROWS_BEFORE_NOTICES)
    # Every row but the group action became one message to Alice; the withdrawn request's message
    # was not found to edit, so it came as a new one (a session's announcement not found to edit, an
    # admin deleted it, is not posted again).
    assert len(texts) == len(ROWS_BEFORE_NOTICES) - actions
    assert any("Club drone" in t and "Alice Martin" in t for t in texts)
    assert [c.status for c in fake.calls_of("approveChatJoinRequest")] == [200]


async def test_a_row_that_does_not_fit_its_kind_is_given_up_with_the_reason_and_the_others_still_go(
    fake: FakeBotApi,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
    good = {"booking_id": 5, "machine": "Prusa MK4", "start": S, "end": E, "note": None}
    no_machine = {"booking_id": 6, "start": S, "end": E}
    private = {**good, "booking_id": "Évelyne Secretandre"}  # a value that must not reach the logs
    async with sessions.begin() as session:
        member = await make_member(session, "Alice", telegram_id=7003)
        ids = [
            queue_row(
                session, chat_id=member.telegram_id, member_id=member.id, kind="reminder", payload=p, now=now
            )
            for p in (good, no_machine, private, good)
        ]
        queue_row(session, chat_id=member.telegram_id, kind="no_such_kind", payload={}, now=now)
        await session.flush()
        first, missing, wrong_type, last = (row.id for row in ids)
    caplog.set_level(logging.INFO, logger="bot.core.outbox")
    async with running_bot(test_settings(fake, database_url), Clock(now)) as app:
        assert await sender.deliver_outbox(app.bot_data[DESK_KEY], app.bot) == 2
    async with sessions.begin() as session:
        rows = {r.id: r for r in await session.scalars(select(OutboxMessage))}
    assert rows[first].sent_at is not None and rows[last].sent_at is not None
    for row_id, reason in ((missing, "reminder: machine is missing"), (wrong_type, "reminder.booking_id")):
        row = rows[row_id]
        assert row.sent_at is None and row.failed_at is not None  # given up, not retried for 24 h
        assert row.last_error is not None and row.last_error.startswith(f"unreadable: {reason}")
    unknown = next(r for r in rows.values() if r.kind == "no_such_kind")
    assert unknown.failed_at is not None and unknown.last_error == "unreadable: unknown kind 'no_such_kind'"
    logged = [r.getMessage() for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(logged) == 3 and all(m.startswith("outbox message ") for m in logged)
    assert any("reminder" in m and "machine is missing" in m for m in logged)
    assert not any("Évelyne" in m for m in [*logged, *(r.last_error or "" for r in rows.values())])
    assert len([c for c in fake.calls_of("sendMessage", member.telegram_id) if c.status == 200]) == 2
