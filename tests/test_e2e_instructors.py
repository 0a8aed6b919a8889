"""Instructors through the real application and the fake Bot API (in French): a manager promotes
Lucas for the laser from his authorizations' screen; Lucas plans a laser training with buttons,
marks who came and the attendee is authorized, recorded as trained by him; he cannot run a session
he does not instruct (a forged press is refused, nothing changes); the manager withdraws his role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.instructors.routes import MachineToggled, RolesShown
from bot.features.sessions.routes import Attendance, AttendanceMarked, PlanAsked
from models import instructors
from models import sessions as lab_sessions
from models.instructors import InstructorRole
from models.machines import Authorization, Machine, MachineKind
from models.members import Member
from models.sessions import LabSession, SessionKind, SignUp
from tests.factories import NOW, make_machine, paris
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import ALICE, BOB, MANAGER, Clock, press_data, running_bot, say, tap, test_settings
from tests.test_e2e_sessions import plain, tap_exact

LUCAS = FakeUser(1004, "Lucas", username="lucas_fab", language_code="fr")


async def _laser_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        laser = await session.scalar(select(Machine.id).where(Machine.name == "Trotec Speedy"))
        assert laser is not None
        return laser


async def _member(sessions: async_sessionmaker[AsyncSession], user: FakeUser) -> Member:
    async with sessions() as session:
        member = await session.scalar(select(Member).where(Member.telegram_id == user.id))
        assert member is not None
        return member


async def test_a_manager_promotes_lucas_who_plans_a_laser_training_and_his_attendance_authorizes(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:  # a second machine needing a training, not Lucas's
        await make_machine(session, "Shapeoko", kind=MachineKind.CNC, requires_training=True)
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        for user in (MANAGER, LUCAS, ALICE, BOB):
            await say(fake, user, "/start")
        # Lucas is no instructor yet: no planning for him, and a forged press is refused.
        assert "Programmer une séance" not in str((await say(fake, LUCAS, "/sessions")).buttons())
        refused = await press_data(fake, LUCAS, PlanAsked().data())
        assert "Seuls les fabmanagers peuvent faire cela." in plain(refused)
        lucas_id, laser_id = (await _member(sessions, LUCAS)).id, await _laser_id(sessions)
        for forged in (MachineToggled(lucas_id, laser_id).data(), RolesShown(lucas_id).data()):
            refused = await press_data(fake, LUCAS, forged)  # promoting himself
            assert "Seuls les fabmanagers peuvent faire cela." in plain(refused)
        assert "Seuls les fabmanagers peuvent faire cela." in plain(await say(fake, LUCAS, "/instructors"))
        async with sessions() as session:
            assert list(await session.scalars(select(InstructorRole))) == []

        # The manager finds Lucas, opens his instructor roles and toggles the laser on.
        found = await say(fake, MANAGER, "/authorize Lucas")
        assert "Lucas" in plain(found)
        await tap(fake, MANAGER, "Lucas")
        roles = await tap(fake, MANAGER, "Rôle de formateur")
        assert "Lucas — rôle de formateur" in plain(roles) and "N'est pas formateur." in plain(roles)
        mark = fake.mark()
        toggled = await tap(fake, MANAGER, "Trotec Speedy")
        toast = await fake.wait_for_call("answerCallbackQuery", after=mark)
        assert plain(toast) == "Désormais formateur pour : Trotec Speedy"
        promoted = await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == LUCAS.id and "formateur" in plain(c),
            after=mark,
        )
        assert plain(promoted).startswith(
            "🧑‍🏫 Vous êtes désormais formateur pour Trotec Speedy : vous pouvez y planifier des formations"
        )
        assert "Formateur pour :\n• Trotec Speedy" in plain(toggled)
        assert "✅ Trotec Speedy" in str(toggled.buttons())
        listed = await say(fake, MANAGER, "/instructors")
        assert "• Lucas — Trotec Speedy" in plain(listed)

        # Lucas plans a training: straight to his machines (the laser only, not the CNC, no kind).
        await say(fake, LUCAS, "/sessions")
        targets = await tap(fake, LUCAS, "Programmer une séance")
        labels = [label for label, _data in targets.buttons()]
        assert "Trotec Speedy" in str(labels) and "Shapeoko" not in str(labels)
        assert not [label for label in labels if label.startswith("Tout")]
        await tap(fake, LUCAS, "Trotec Speedy")
        await tap(fake, LUCAS, "ven. 8 mars")
        await tap(fake, LUCAS, "18:00")
        await tap_exact(fake, LUCAS, "2 h")
        await tap_exact(fake, LUCAS, "4")
        assert "Est-elle ouverte au public ?" in plain(await tap_exact(fake, LUCAS, "0"))
        assert "Réserver des machines" in plain(await tap(fake, LUCAS, "Non, réservée aux membres"))
        assert "Envoyez le titre de la séance" in plain(await tap(fake, LUCAS, "Continuer"))
        await say(fake, LUCAS, "Formation laser")
        await tap(fake, LUCAS, "Sans description")
        planned = await tap(fake, LUCAS, "Au lab")
        assert "La séance est programmée" in plain(planned)
        assert "🧑‍🏫 Formateur : Lucas" in plain(planned)

        # The manager plans another laser training Lucas does not instruct; Bob signs up to it.
        async with sessions.begin() as session:
            manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER.id))
            laser = await session.scalar(select(Machine).where(Machine.name == "Trotec Speedy"))
            assert manager is not None and laser is not None
            other = await lab_sessions.plan(
                session,
                manager,
                kind=SessionKind.TRAINING,
                machine_id=laser.id,
                title="Laser du soir",
                start=paris(8, 19),
                end=paris(8, 21),
                seats=4,
                now=NOW,
            )
            other_id = other.id
        await say(fake, ALICE, "/sessions")
        await tap(fake, ALICE, "Formation laser")
        await tap(fake, ALICE, "Sign up")
        await say(fake, BOB, "/sessions")
        await tap(fake, BOB, "Laser du soir")
        await tap(fake, BOB, "Sign up")

        clock.now = paris(8, 19, 10)  # both have started
        listed = await say(fake, LUCAS, "/sessions")
        assert "Formation laser" in plain(listed) and "Laser du soir" not in plain(listed)
        await tap(fake, LUCAS, "Formation laser")
        marks = await tap(fake, LUCAS, "Noter les présences")
        assert "Présents : 0 sur 1." in plain(marks)
        mark = fake.mark()
        came = await tap(fake, LUCAS, "Alice")
        assert "Présents : 1 sur 1." in plain(came)
        told = await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == ALICE.id and "authorized" in plain(c),
            after=mark,
        )
        assert "You are now authorized on Trotec Speedy" in plain(told)

        # Lucas cannot run the manager's session: forged presses are refused, nothing is changed.
        async with sessions() as session:
            bobs = await session.scalar(select(SignUp).where(SignUp.session_id == other_id))
            assert bobs is not None
        for forged in (Attendance(other_id).data(), AttendanceMarked(bobs.id, True).data()):
            refused = await press_data(fake, LUCAS, forged)
            assert "Seuls les fabmanagers et le formateur de cette séance peuvent faire cela." in plain(
                refused
            )

        # The manager withdraws his roles, after a confirmation.
        await say(fake, MANAGER, "/instructors")
        await tap(fake, MANAGER, "Lucas")
        ask = await tap(fake, MANAGER, "Retirer tous les rôles")
        assert "Retirer tous les rôles de formateur de Lucas ?" in plain(ask)
        mark = fake.mark()
        done = await tap(fake, MANAGER, "Oui, les retirer")
        assert "1 rôle de formateur retiré." in plain(done) and "N'est pas formateur." in plain(done)
        withdrawn = await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == LUCAS.id and "retirés" in plain(c),
            after=mark,
        )
        assert "Vos rôles de formateur ont été retirés" in plain(withdrawn)
        refused = await press_data(fake, LUCAS, PlanAsked().data())
        assert "Seuls les fabmanagers peuvent faire cela." in plain(refused)

    lucas, alice, bob = [await _member(sessions, u) for u in (LUCAS, ALICE, BOB)]
    async with sessions() as session:
        granted = {a.member_id: a.granted_by_id for a in await session.scalars(select(Authorization))}
        assert granted == {alice.id: lucas.id}  # Alice, trained by Lucas; Bob not touched
        bobs_seat = await session.scalar(select(SignUp).where(SignUp.member_id == bob.id))
        assert bobs_seat is not None and bobs_seat.attended is None
        mine = await session.scalar(select(LabSession).where(LabSession.title == "Formation laser"))
        assert mine is not None and mine.instructor_id == lucas.id
        assert list(await session.scalars(select(InstructorRole))) == []


async def test_a_manager_makes_lucas_the_instructor_of_their_training_and_he_runs_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        for user in (MANAGER, LUCAS, ALICE):
            await say(fake, user, "/start")
        async with sessions.begin() as session:
            manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER.id))
            lucas = await session.scalar(select(Member).where(Member.telegram_id == LUCAS.id))
            laser = await session.scalar(select(Machine).where(Machine.name == "Trotec Speedy"))
            assert manager is not None and lucas is not None and laser is not None
            await instructors.toggle_role(session, manager, lucas.id, kind=MachineKind.LASER_CUTTER, now=NOW)
            await lab_sessions.plan(
                session,
                manager,
                kind=SessionKind.TRAINING,
                machine_id=laser.id,
                title="Laser du soir",
                start=paris(8, 19),
                end=paris(8, 21),
                seats=4,
                now=NOW,
            )
        await say(fake, ALICE, "/sessions")
        await tap(fake, ALICE, "Laser du soir")
        await tap(fake, ALICE, "Sign up")
        # Before: Lucas sees it as any member does.
        await say(fake, LUCAS, "/sessions")
        page = await tap(fake, LUCAS, "Laser du soir")
        assert "Annuler cette séance" not in str(page.buttons())
        # The manager picks him from the instructors of the laser.
        await say(fake, MANAGER, "/sessions")
        page = await tap(fake, MANAGER, "Laser du soir")
        assert "🧑‍🏫 Formateur : Morgane" in plain(page)
        choices = await tap(fake, MANAGER, "Choisir son formateur")
        assert "Qui anime « Laser du soir » ?" in plain(choices)
        assigned = await tap(fake, MANAGER, "Lucas")
        assert "Lucas anime cette séance." in plain(assigned) and "🧑‍🏫 Formateur : Lucas" in plain(assigned)
        clock.now = paris(8, 19, 5)
        await say(fake, LUCAS, "/sessions")
        await tap(fake, LUCAS, "Laser du soir")
        await tap(fake, LUCAS, "Noter les présences")
        came = await tap(fake, LUCAS, "Alice")
        assert "Présents : 1 sur 1." in plain(came)
    async with sessions() as session:
        granted = await session.scalar(select(Authorization))
        assert granted is not None and granted.granted_by_id == lucas.id
