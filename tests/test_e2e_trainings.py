"""Trainings that lapse, through the real application and the fake Bot API: the warning before and
its buttons, /mytrainings, the booking refused after, and withdrawing an authorization for a reason."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application

from bot.core.jobs import warn_lapsing_trainings
from bot.features.sessions.routes import SignUpPressed
from models import machines
from models import sessions as lab_sessions
from models.machines import Authorization, Machine, add_months
from models.members import Member
from models.sessions import SessionKind, SignUp, SignUpStatus
from tests.factories import NOW
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import (
    ALICE,
    BOB,
    MANAGER,
    Clock,
    job_context,
    press_data,
    running_bot,
    say,
    tap,
    test_settings,
)

BOB_FR = FakeUser(BOB.id, BOB.first_name, last_name=BOB.last_name, language_code="fr")
EXPIRY = add_months(NOW, 12)  # mardi 4 mars 2031, 07:00 in Paris


async def _bob_trained_on_the_laser(
    sessions: async_sessionmaker[AsyncSession], valid_months: int = 12
) -> None:
    """The laser's training is valid `valid_months`; Morgane authorized Bob on it at NOW."""
    async with sessions.begin() as session:
        await session.execute(
            update(Machine).where(Machine.name == "Trotec Speedy").values(training_valid_months=valid_months)
        )
        laser = await session.scalar(select(Machine).where(Machine.name == "Trotec Speedy"))
        manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER.id))
        bob = await session.scalar(select(Member).where(Member.telegram_id == BOB.id))
        assert laser is not None and manager is not None and bob is not None
        await machines.authorize(session, manager, bob, machine=laser, now=NOW)


async def test_the_warning_30_days_before_asks_for_a_refresher_in_one_tap_and_mytrainings_shows_the_expiry(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        await say(fake, MANAGER, "/start")
        await say(fake, BOB_FR, "/start")
        none = await say(fake, BOB_FR, "/mytrainings")
        assert "Vous n'avez aucune habilitation enregistrée." in (none.text or "")
        await _bob_trained_on_the_laser(sessions)

        clock.now = EXPIRY - timedelta(days=31)
        assert await warn_lapsing_trainings(job_context(app)) == 0
        clock.now = EXPIRY - timedelta(days=30)
        assert await warn_lapsing_trainings(job_context(app)) == 1
        warning = await fake.wait_for_call("sendMessage", BOB.id, text_contains="expire le")
        assert "Votre habilitation pour Trotec Speedy expire le mardi 4 mars 2031, dans 30 jours." in (
            warning.text or ""
        )
        assert [label for label, _d in warning.buttons()] == [
            "🎓 Demander une formation",  # no training session is planned
            "📋 Mes habilitations",
        ]
        assert await warn_lapsing_trainings(job_context(app)) == 0  # once

        sent = await tap(fake, BOB_FR, "Demander une formation")
        assert "Votre demande a été transmise" in (sent.text or "")
        asked = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="demande une formation")
        assert "Bob Martin demande une formation sur Trotec Speedy." in (asked.text or "")

        mine = await say(fake, BOB_FR, "/mytrainings")
        assert "Vos habilitations :" in (mine.text or "")
        assert "• Trotec Speedy : ⏳ depuis le lundi 4 mars 2030, valable jusqu'au mardi 4 mars 2031" in (
            mine.text or ""
        )
        assert any("Trotec Speedy · Remise à niveau" in label for label, _d in mine.buttons())

        # Lapsed: booking it is refused, saying when, with the request for a training at hand.
        clock.now = EXPIRY + timedelta(days=1)
        await say(fake, BOB_FR, "/book")
        refused = await tap(fake, BOB_FR, "Trotec Speedy")
        assert "Votre habilitation pour cette machine a expiré le mardi 4 mars." in (refused.text or "")
        assert any("Demander une formation" in label for label, _d in refused.buttons())
        lapsed = await say(fake, BOB_FR, "/mytrainings")
        assert "• Trotec Speedy : ❌ expirée depuis le mardi 4 mars 2031" in (lapsed.text or "")
        assert await warn_lapsing_trainings(job_context(app)) == 0  # no warning after the fact


async def test_a_manager_withdraws_for_a_typed_reason_and_the_member_reads_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        await say(fake, MANAGER, "/start")
        await say(fake, BOB, "/start")
        await _bob_trained_on_the_laser(sessions)
        await say(fake, MANAGER, "/authorize")
        await say(fake, MANAGER, "bob")
        person = await tap(fake, MANAGER, "Bob Martin")
        assert "• Trotec Speedy, depuis le lundi 4 mars — valable jusqu'au mardi 4 mars 2031" in (
            person.text or ""
        )
        asked = await tap(fake, MANAGER, "Trotec Speedy · Retirer")
        assert "La personne sera prévenue, avec le motif. Pourquoi la retirez-vous ?" in (asked.text or "")
        assert [label for label, _d in asked.buttons()][:4] == [
            "🗑 Utilisation dangereuse de la machine",
            "🗑 Dégâts ou négligence",
            "🗑 Règlement du fablab non respecté",
            "✏️ Autre motif…",
        ]
        prompt = await tap(fake, MANAGER, "Autre motif…")
        assert "Envoyez le motif en un seul message" in (prompt.text or "")
        too_long = await say(fake, MANAGER, "x" * 201)
        assert "Le motif tient en un message de 1 à 200 caractères" in (too_long.text or "")
        async with sessions() as session:
            grant = await session.scalar(select(Authorization))
            assert grant is not None and grant.revoked_at is None  # nothing changed; still asked
        done = await say(fake, MANAGER, "Laissé la découpe   sans surveillance")
        assert "Bob Martin n'a plus l'habilitation pour Trotec Speedy." in (done.text or "")
        assert "Motif indiqué : Laissé la découpe sans surveillance" in (done.text or "")
        told = await fake.wait_for_call("sendMessage", BOB.id, text_contains="was withdrawn")
        assert "Reason: Laissé la découpe sans surveillance" in (told.text or "")
        async with sessions() as session:
            grant = await session.scalar(select(Authorization))
            assert grant is not None and grant.revoke_reason == "Laissé la découpe sans surveillance"
        # The answer is taken once: the next message is chatter, the old button a refusal.
        chatter = await say(fake, MANAGER, "encore")
        assert "Motif indiqué" not in (chatter.text or "")
        assert "déjà été retirée" in (await press_data(fake, MANAGER, f"au:y:{grant.id}:1")).params.get(
            "text", ""
        )


async def test_a_warning_sent_late_says_the_days_really_left(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """The bot was down when the 30 days' warning fell due: sent 20 days before, it says 20, not 30."""
    clock = Clock(EXPIRY - timedelta(days=20))
    async with running_bot(test_settings(fake, database_url), clock) as app:
        await say(fake, MANAGER, "/start")
        await say(fake, BOB_FR, "/start")
        await _bob_trained_on_the_laser(sessions)
        assert await warn_lapsing_trainings(job_context(app)) == 1
        warning = await fake.wait_for_call("sendMessage", BOB.id, text_contains="expire le")
        assert "expire le mardi 4 mars 2031, dans 20 jours." in (warning.text or "")
        # No « la » that would stand for a whole kind of machines too.
        assert "Passé cette date, une formation de remise à niveau sera nécessaire pour réserver." in (
            warning.text or ""
        )


async def _training_session(
    sessions: async_sessionmaker[AsyncSession], seats: int, taken_by: FakeUser | None = None, days: int = 10
) -> int:
    """Morgane plans a laser training `days` before Bob's training lapses (`taken_by` has a seat)."""
    async with sessions.begin() as session:
        manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER.id))
        laser = await session.scalar(select(Machine).where(Machine.name == "Trotec Speedy"))
        assert manager is not None and laser is not None
        start = EXPIRY - timedelta(days=days)
        planned = await lab_sessions.plan(
            session,
            manager,
            kind=SessionKind.TRAINING,
            title="Formation laser",
            start=start,
            end=start + timedelta(hours=2),
            seats=seats,
            machine_id=laser.id,
            now=NOW,
        )
        if taken_by is not None:
            member = await session.scalar(select(Member).where(Member.telegram_id == taken_by.id))
            assert member is not None
            await lab_sessions.sign_up(session, member, planned.id, NOW)
        return planned.id


async def _bob_signups(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, SignUpStatus]]:
    async with sessions() as session:
        rows = await session.execute(
            select(SignUp.session_id, SignUp.status)
            .join(Member, Member.id == SignUp.member_id)
            .where(Member.telegram_id == BOB.id)
        )
        return [(session_id, status) for session_id, status in rows]


async def _warned(fake: FakeBotApi, app: Application, clock: Clock, at: datetime) -> ApiCall:  # type: ignore[type-arg]
    """The trainings job run at `at` warns Bob once: his warning."""
    clock.now = at
    assert await warn_lapsing_trainings(job_context(app)) == 1
    return await fake.wait_for_call("sendMessage", BOB.id, text_contains="expire le")


async def test_the_warning_signs_up_to_the_next_training_session_in_one_tap(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        await say(fake, MANAGER, "/start")
        await say(fake, BOB_FR, "/start")
        await _bob_trained_on_the_laser(sessions)
        planned = await _training_session(sessions, seats=4)

        warning = await _warned(fake, app, clock, EXPIRY - timedelta(days=30))
        text = (warning.text or "").replace("\xa0", " ")
        assert (
            "Prochaine séance de formation : « Formation laser », samedi 22 février, 07:00–09:00. "
            "Inscrivez-vous en un clic (si elle est complète, vous passez sur sa liste d'attente)."
        ) in text
        assert [label for label, _d in warning.buttons()] == [
            "✅ M'inscrire à cette séance",
            "📋 Mes habilitations",
        ]
        signed = await tap(fake, BOB_FR, "M'inscrire à cette séance")
        assert "Votre inscription est enregistrée. À bientôt\u00a0!" in (signed.text or "")
        assert "Formation laser" in (signed.text or "")
        assert await _bob_signups(sessions) == [(planned, SignUpStatus.SIGNED_UP)]

        # A forged press (a session that does not exist) is refused and signs up to nothing.
        forged = await press_data(fake, BOB_FR, SignUpPressed(planned + 99).data())
        assert forged.params.get("text") and await _bob_signups(sessions) == [
            (planned, SignUpStatus.SIGNED_UP)
        ]


async def test_a_full_session_puts_them_on_its_waitlist_and_a_cancelled_one_is_refused(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        await say(fake, MANAGER, "/start")
        await say(fake, ALICE, "/start")
        await say(fake, BOB_FR, "/start")
        await _bob_trained_on_the_laser(sessions)
        planned = await _training_session(sessions, seats=1, taken_by=ALICE, days=3)

        warning = await _warned(fake, app, clock, EXPIRY - timedelta(days=7))  # the 7-day one too
        stale = warning.buttons()[0][1]
        waiting = await tap(fake, BOB_FR, "M'inscrire à cette séance")
        assert "La séance est complète\u00a0: vous êtes sur la liste d'attente." in (waiting.text or "")
        assert await _bob_signups(sessions) == [(planned, SignUpStatus.WAITLISTED)]

        # The session cancelled since: the warning's button, pressed again, is refused.
        async with sessions.begin() as session:
            manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER.id))
            assert manager is not None
            await lab_sessions.cancel_session(session, manager, planned, clock.now)
        assert stale is not None
        refused = await press_data(fake, BOB_FR, stale)
        assert "Cette séance a été annulée. Rien n'a été modifié." in str(refused.params.get("text"))


async def _bob_and_a_training_in_3_days(fake: FakeBotApi, sessions: async_sessionmaker[AsyncSession]) -> int:
    """Morgane and Bob have started the bot, Bob is trained on the laser; a training is planned."""
    for user in (MANAGER, BOB_FR):
        await say(fake, user, "/start")
    await _bob_trained_on_the_laser(sessions)
    return await _training_session(sessions, seats=4, days=3)


async def test_signed_up_after_the_first_warning_the_second_says_so_and_offers_no_sign_up(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        planned = await _bob_and_a_training_in_3_days(fake, sessions)
        await _warned(fake, app, clock, EXPIRY - timedelta(days=30))
        await tap(fake, BOB_FR, "M'inscrire à cette séance")
        assert await _bob_signups(sessions) == [(planned, SignUpStatus.SIGNED_UP)]

        clock.now = EXPIRY - timedelta(days=7)
        assert await warn_lapsing_trainings(job_context(app)) == 1
        second = await fake.wait_for_call("sendMessage", BOB.id, text_contains="dans 7 jours")
        text = (second.text or "").replace("\xa0", " ")
        assert "Votre inscription à la séance de formation « Formation laser », " in text
        assert "est enregistrée : à bientôt !" in text and "Inscrivez-vous" not in text
        assert [label for label, _d in second.buttons()] == ["📋 Mes habilitations"]
