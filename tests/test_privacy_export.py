"""/mydata holds everything stored about the member: every row of every table pointing to her (issue 12)."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import members, privacy
from models.audit import ChangeKind, ManagerChange
from models.authorizations import MemberSearch, RevokeReasonInput
from models.base import Base
from models.booked_for import OnBehalfAsk
from models.bookings import Booking, BookingStatus
from models.downtime import Downtime
from models.feeds import CalendarFeed
from models.instructors import InstructorRole
from models.machines import Authorization, MachineKind, TrainingRequest
from models.maintenance import (
    Action,
    EventKind,
    NoteRequest,
    Report,
    ReportDraft,
    Severity,
    Ticket,
    TicketEvent,
    TicketOrigin,
    TicketStatus,
)
from models.members import Member
from models.projects import (
    ChatJoinRequest,
    JoinDecision,
    Meeting,
    MembershipStatus,
    Project,
    ProjectDraft,
    ProjectInput,
    ProjectMember,
    ProjectStatus,
    Role,
    Visibility,
)
from models.session_guests import GuestInput
from models.session_requests import DeclineReasonInput
from models.sessions import LabSession, SessionDraft, SessionGuest, SessionKind, SignUp, SignUpStatus
from models.stock import Consumable, MovementReason, StockInput, StockMovement
from models.typed_booking import BookingStep
from models.updates import CheckAction, UpdateCheck, UpdateItem, VersionInput
from models.waitlist import WaitlistEntry
from tests.factories import NOW, make_machine, make_member, queue_row
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import Clock, running_bot, say, tap, test_settings

T = [NOW + timedelta(minutes=i) for i in range(90)]  # distinct times, to find each one in the export
EVE = FakeUser(7_770_777, "Évelyne", last_name="Secretandre", username="eve_private_77", language_code="fr")

# Columns not in the export, and why. Bookkeeping of the bot, or a secret.
NOT_EXPORTED = {
    ("calendar_feeds", "token"),  # the link is a secret: the export says it exists
    ("outbox", "last_error"),  # Telegram's answer to a failed attempt
    ("outbox", "next_attempt_at"),  # when a failed message is retried
    ("report_drafts", "album"),  # Telegram's id of an album being received
}
# Rows where the member acted on someone else's data: only her action is hers.
HER_ACTION_ONLY = {
    ("authorizations", "granted_by_id"): {"granted_at", "machine_kind"},
    ("authorizations", "revoked_by_id"): {"revoked_at", "machine_id"},
    ("project_members", "decided_by_id"): {"status", "decided_at"},
    ("chat_join_requests", "decided_by_id"): {"decision", "decided_at"},
    ("bookings", "booked_by_id"): {"start_at", "end_at", "created_at"},
    ("session_signups", "attendance_marked_by_id"): {"attended"},
    ("session_guests", "added_by_id"): {"added_at"},  # that she added a guest, not the guest's name
    ("training_requests", "answered_by_id"): {"declined_at", "decline_reason"},
    ("instructor_roles", "granted_by_id"): {"granted_at", "machine_kind"},
    ("lab_sessions", "instructor_id"): {"title", "start_at"},
}


async def everything_about(session: AsyncSession, eve: Member, bob: Member) -> None:
    """A row in every table that points to a member, pointing to Évelyne (or decided by her)."""
    printer = await make_machine(session, "Prusa MK4")
    ticket = Ticket(
        machine_id=printer.id,
        origin=TicketOrigin.REPORT,
        severity=Severity.MINOR,
        status=TicketStatus.RESOLVED,
        title="Buse bouchée, ticket d'Évelyne",
        assignee_id=eve.id,
        created_at=T[1],
        updated_at=T[2],
        closed_at=T[3],
    )
    project = Project(
        name="Club drones",
        description="Des drones pour tous (Secretandre)",
        status=ProjectStatus.ACTIVE,
        visibility=Visibility.OPEN,
        tags="drones,secretandre",
        storage_url="https://cloud.example.org/s/drones",
        chat_id=-100_777,
        chat_title="Groupe du club drones",
        chat_lost_at=T[4],
        created_by_id=eve.id,
        created_at=T[5],
    )
    pla = Consumable(name="PLA", unit="g", quantity_milli=10**6, minimum_milli=0, active=True, created_at=NOW)
    item = UpdateItem(
        name="PrusaSlicer", current_version="2.8", check_every_days=30, last_checked_at=NOW, created_at=NOW
    )
    session.add_all([ticket, project, pla, item])
    await session.flush()
    booking = Booking(
        member_id=eve.id,
        machine_id=printer.id,
        start_at=T[6],
        end_at=T[7],
        status=BookingStatus.CANCELLED,
        created_at=T[8],
        cancelled_at=T[9],
        reminded_at=T[10],
        usage_asked_at=T[11],
    )
    session.add(booking)
    # As a fab manager: a booking for Bob, one for a workshop (held under her name).
    session.add_all(
        [
            Booking(
                member_id=bob.id,
                machine_id=printer.id,
                start_at=T[80],
                end_at=T[81],
                created_at=T[82],
                booked_by_id=eve.id,
            ),
            Booking(
                member_id=eve.id,
                machine_id=printer.id,
                start_at=T[83],
                end_at=T[84],
                created_at=T[85],
                booked_by_id=eve.id,
                guest_label="Atelier découverte d'Évelyne",
            ),
        ]
    )
    await session.flush()
    session.add_all(
        [
            Authorization(member_id=eve.id, machine_id=printer.id, granted_at=T[12], last_used_at=T[59]),
            Authorization(
                member_id=bob.id,
                machine_kind=MachineKind.LASER_CUTTER,
                granted_by_id=eve.id,
                granted_at=T[13],
            ),
            Authorization(  # a manager's withdrawal is hers too
                member_id=bob.id,
                machine_id=printer.id,
                granted_at=T[50],
                revoked_at=T[51],
                revoked_by_id=eve.id,
            ),
            CalendarFeed(member_id=eve.id, token="secret-token-of-eve", created_at=T[14], last_used_at=T[15]),
            ManagerChange(  # a change she made from the Mini App
                manager_id=eve.id,
                at=T[52],
                what=ChangeKind.MACHINE,
                target_id=printer.id,
                details={"name": "Prusa MK4 renommée", "texts": ["location"]},
            ),
            Downtime(
                machine_id=printer.id,
                start_at=T[16],
                end_at=T[17],
                reason="Calibrage",
                created_by_id=eve.id,
                created_at=T[18],
                cancelled_at=T[19],
            ),
            ProjectDraft(
                member_id=eve.id,
                stage="link",
                name="Atelier soudure",
                description="Souder sans se brûler",
                visibility=Visibility.ON_REQUEST,
                tags="soudure",
                storage_url="https://pad.example.org/soudure",
                updated_at=T[20],
            ),
            ReportDraft(
                member_id=eve.id,
                machine_id=printer.id,
                description="Le plateau chauffe mal",
                photo_ids=["AgAD-draft-photo"],
                album="album-1",
                updated_at=T[21],
            ),
            TrainingRequest(member_id=eve.id, machine_id=printer.id, requested_at=T[22], granted_at=T[23]),
            TrainingRequest(
                member_id=eve.id,
                machine_id=printer.id,
                requested_at=T[71],
                declined_at=T[72],
                decline_reason="Pas avant la rentrée",
            ),
            WaitlistEntry(
                member_id=eve.id,
                machine_id=printer.id,
                day=date(2030, 3, 9),
                created_at=T[24],
                notified_at=T[25],
                done_at=T[26],
            ),
            ChatJoinRequest(
                project_id=project.id,
                telegram_user_id=eve.telegram_id,
                name="Évelyne S.",
                decision=JoinDecision.APPROVED,
                created_at=T[27],
                decided_at=T[28],
            ),
            ChatJoinRequest(
                project_id=project.id,
                telegram_user_id=55,
                name="Un inconnu",
                decision=JoinDecision.DECLINED,
                created_at=T[29],
                decided_at=T[30],
                decided_by_id=eve.id,
            ),
            Meeting(
                project_id=project.id,
                title="Réunion de lancement",
                starts_at=T[31],
                remote=True,
                link="https://meet.example.org/drones",
                created_by_id=eve.id,
                created_at=T[32],
                reminded_at=T[33],
                cancelled_at=T[34],
            ),
            ProjectInput(
                member_id=eve.id,
                project_id=project.id,
                purpose="meeting",
                starts_at=T[35],
                remote=False,
                created_at=T[36],
            ),
            ProjectMember(
                project_id=project.id,
                member_id=eve.id,
                role=Role.OWNER,
                status=MembershipStatus.JOINED,
                requested_at=T[37],
                decided_at=T[38],
                joined_at=T[39],
                chat_request_at=T[40],
            ),
            ProjectMember(
                project_id=project.id,
                member_id=bob.id,
                role=Role.MEMBER,
                status=MembershipStatus.DECLINED,
                requested_at=T[41],
                decided_at=T[42],
                decided_by_id=eve.id,
            ),
            UpdateCheck(
                item_id=item.id,
                at=T[43],
                member_id=eve.id,
                action=CheckAction.DONE,
                version_before="2.7.4",
                version_after="2.8.0",
            ),
            VersionInput(member_id=eve.id, item_id=item.id, created_at=T[44]),
            NoteRequest(member_id=eve.id, ticket_id=ticket.id, action=Action.RESOLVE, created_at=T[45]),
            MemberSearch(member_id=eve.id, created_at=T[57]),
            OnBehalfAsk(
                member_id=eve.id,
                machine_id=printer.id,
                start_at=T[86],
                minutes=60,
                weeks=4,
                label="Club de Secretandre",
                created_at=T[87],
            ),
            BookingStep(member_id=eve.id, machine_id=printer.id, day=date(2030, 3, 12), created_at=T[58]),
            SessionDraft(
                member_id=eve.id, created_at=T[70], kind=SessionKind.WORKSHOP, title="Brouillon d'Évelyne"
            ),
            Report(
                ticket_id=ticket.id,
                reporter_id=eve.id,
                severity=Severity.MINOR,
                description="La buse est bouchée",
                photo_ids=["AgAD-report-photo-1", "AgAD-report-photo-2"],
                created_at=T[46],
            ),
            TicketEvent(
                ticket_id=ticket.id,
                at=T[47],
                actor_id=eve.id,
                kind=EventKind.RESOLVED,
                from_status=TicketStatus.IN_PROGRESS,
                to_status=TicketStatus.RESOLVED,
                note="Buse changée",
            ),
            StockInput(
                member_id=eve.id,
                consumable_id=pla.id,
                reason=MovementReason.USE,
                booking_id=booking.id,
                created_at=T[48],
            ),
            StockMovement(
                consumable_id=pla.id,
                delta_milli=-50_000,
                quantity_after_milli=950_000,
                reason=MovementReason.USE,
                member_id=eve.id,
                booking_id=booking.id,
                note="Pour le support du drone",
                at=T[49],
            ),
        ]
    )
    workshop = LabSession(
        kind=SessionKind.TRAINING,
        title="Formation drones d'Évelyne",
        description="Vol en intérieur",
        place="Salle B",
        start_at=T[60],
        end_at=T[61],
        seats=4,
        minimum=2,
        machine_kind=MachineKind.CNC,
        created_by_id=eve.id,
        instructor_id=eve.id,
        created_at=T[62],
        cancelled_at=T[63],
        cancel_reason="Annulée par Évelyne",
        cancelled_automatically=False,
        minimum_checked_at=T[64],
    )
    session.add(workshop)
    await session.flush()
    session.add_all(
        [
            SignUp(
                session_id=workshop.id,
                member_id=eve.id,
                status=SignUpStatus.CANCELLED,
                queued_at=T[65],
                cancelled_at=T[66],
                promoted_at=T[67],
                reminded_at=T[68],
                attended=True,
                attendance_marked_by_id=eve.id,
            ),
            SignUp(
                session_id=workshop.id,
                member_id=bob.id,
                status=SignUpStatus.SIGNED_UP,
                queued_at=T[69],
                attended=False,
                attendance_marked_by_id=eve.id,
            ),
        ]
    )
    session.add_all(
        [
            InstructorRole(member_id=eve.id, machine_kind=MachineKind.LASER_CUTTER, granted_at=T[88]),
            InstructorRole(
                member_id=bob.id, machine_kind=MachineKind.PC, granted_by_id=eve.id, granted_at=T[89]
            ),
        ]
    )
    answered = TrainingRequest(
        member_id=bob.id,
        machine_id=printer.id,
        requested_at=T[73],
        declined_at=T[74],
        decline_reason="Machine réservée à l'équipe",
        proposed_session_id=workshop.id,
        answered_by_id=eve.id,
    )
    session.add(answered)
    await session.flush()
    session.add(DeclineReasonInput(member_id=eve.id, request_id=answered.id, created_at=T[75]))
    session.add(
        GuestInput(member_id=eve.id, session_id=workshop.id, created_at=T[76], stage="contact", name="Léa")
    )
    session.add(
        SessionGuest(session_id=workshop.id, added_by_id=eve.id, name="Jeanne", walk_in=False, added_at=T[77])
    )
    sent = queue_row(
        session,
        chat_id=eve.telegram_id,
        member_id=eve.id,
        kind="ticket_update",
        payload={
            "ticket_id": ticket.id,
            "machine": "Prusa MK4",
            "action": "resolve",
            "by": "Marc",
            "note": "Rappelée au sujet de la buse : c'est réparé",
        },
        now=T[50],
    )
    sent.sent_at = T[51]
    queue_row(
        session,
        chat_id=-100_777,
        kind="chat_action",
        payload={
            "action": "approve",
            "chat_id": -100_777,
            "user_id": eve.telegram_id,
            "project": "Club drones",
        },
        now=T[52],
    )
    await session.flush()
    withdrawing = await session.scalar(
        select(Authorization.id).where(Authorization.member_id == bob.id).limit(1)
    )
    assert withdrawing is not None
    session.add(RevokeReasonInput(member_id=eve.id, authorization_id=withdrawing, created_at=T[58]))
    await session.flush()


def rendered(value: Any) -> list[str]:
    """How a column's value reads in the JSON export (nothing for numbers and booleans: too common)."""
    if isinstance(value, datetime | date):
        return [value.isoformat()]
    if isinstance(value, enum.Enum):
        return [json.dumps(value.value)]
    if isinstance(value, str):
        return [json.dumps(value, ensure_ascii=False)[1:-1]] if value else []
    if isinstance(value, list):
        return [s for item in value for s in rendered(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in rendered(item)]
    return []


async def test_the_export_holds_every_row_pointing_to_the_member(session: AsyncSession) -> None:
    eve = await members.register(
        session,
        telegram_id=EVE.id,
        first_name="Évelyne",
        last_name="Secretandre",
        username="eve_private_77",
        telegram_language="fr",
        manager_ids=[EVE.id],
        now=NOW,
    )
    bob = await make_member(session, "Bob")
    await everything_about(session, eve, bob)
    data = await privacy.export_member_data(session, eve)
    export = json.dumps(data, ensure_ascii=False)
    missing = []
    for table in Base.metadata.sorted_tables:
        to_members = [
            c for c in table.columns if any(f.column.table.name == "members" for f in c.foreign_keys)
        ]
        for fk in to_members:
            model = next(m.class_ for m in Base.registry.mappers if m.local_table is table)
            rows = list(await session.scalars(select(model).where(fk == eve.id)))
            assert rows, f"no {table.name} row with {fk.name} = the member: add one to everything_about()"
            checked = HER_ACTION_ONLY.get((table.name, fk.name))
            for row in rows:
                for column in inspect(model).columns:
                    if column.primary_key or column.foreign_keys or (table.name, column.name) in NOT_EXPORTED:
                        continue
                    if checked is not None and column.name not in checked:
                        continue
                    for text in rendered(getattr(row, column.key)):
                        if column.name == "tags":
                            found = all(json.dumps(t) in export for t in text.split(","))
                        else:
                            found = text in export
                        if not found:
                            missing.append(f"{table.name}.{column.name} ({fk.name}): {text}")
    assert missing == []
    # Not by a foreign key: her requests to join a group, and what the bot did for her there.
    assert [r["name_in_telegram"] for r in data["group_join_requests"]] == ["Évelyne S."]
    assert [a["content"]["action"] for a in data["group_actions_on_you"]] == ["approve"]
    # Someone else's data is not in hers.
    assert "Un inconnu" not in export and "secret-token-of-eve" not in export
    assert T[41].isoformat() not in export  # when Bob asked to join


async def test_mydata_sends_the_file_then_the_photos(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions.begin() as session:
        eve = await members.register(
            session,
            telegram_id=EVE.id,
            first_name="Évelyne",
            last_name="Secretandre",
            username="eve_private_77",
            telegram_language="fr",
            manager_ids=[],
            now=NOW,
        )
        bob = await make_member(session, "Bob")
        await everything_about(session, eve, bob)
    async with running_bot(test_settings(fake, database_url), Clock()):
        notice = await say(fake, EVE, "/privacy")
        assert "surnom" in (notice.text or "") and "l'équipe du fablab" in (notice.text or "")
        mark = fake.mark()
        await tap(fake, EVE, "Mes données")
        sent = await fake.wait_for_call("sendMediaGroup", EVE.id, after=mark)
        calls = [c for c in fake.calls[mark:] if c.chat_id == EVE.id]
        methods = [c.method for c in calls]
        assert methods.index("sendDocument") < methods.index("sendMediaGroup")
        media = sent.params["media"]
        album = json.loads(media) if isinstance(media, str) else media
        assert [m["media"] for m in album] == [
            "AgAD-report-photo-1",
            "AgAD-report-photo-2",
            "AgAD-draft-photo",
        ]
        texts = " ".join(c.text or "" for c in calls)
        assert "Les 3 photos" in texts


async def test_the_changes_a_manager_made_about_members_do_not_name_them(session: AsyncSession) -> None:
    eve = await make_member(session, "Évelyne", manager=True)
    bob = await make_member(session, "Bob")
    changes: list[tuple[ChangeKind, dict[str, Any]]] = [
        (ChangeKind.AUTHORIZED, {"machine": 3, "name": "Trotec"}),
        (ChangeKind.REVOKED, {"authorization": 987654, "machine": 3, "cancelled": 1}),
        (ChangeKind.PROMOTED, {"manager": True}),
        (ChangeKind.MACHINE, {"name": "Prusa XL"}),
    ]
    for minute, (what, details) in enumerate(changes):
        target = 4242 if what is ChangeKind.MACHINE else bob.id
        at = NOW + timedelta(minutes=minute)
        session.add(ManagerChange(manager_id=eve.id, at=at, what=what, target_id=target, details=details))
    await session.flush()
    made = (await privacy.export_member_data(session, eve))["changes_you_made_as_manager"]
    assert [(c["what"], c["target"], c["details"]) for c in made] == [
        ("authorized", "a member", {"machine": 3, "name": "Trotec"}),
        ("revoked", "a member", {"machine": 3, "cancelled": 1}),  # not the id of Bob's authorization
        ("promoted", "a member", {"manager": True}),
        ("machine", 4242, {"name": "Prusa XL"}),
    ]
    assert bob.id not in [c["target"] for c in made]
