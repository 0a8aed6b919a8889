"""Trainings that lapse, through the real application and the fake Bot API: the warning before and
its buttons, /mytrainings, the booking refused after, and withdrawing an authorization for a reason."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.jobs import warn_lapsing_trainings
from models import machines
from models.machines import Authorization, Machine, add_months
from models.members import Member
from tests.factories import NOW
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import BOB, MANAGER, Clock, job_context, press_data, running_bot, say, tap, test_settings

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
            "🎓 Demander une remise à niveau",
            "📋 Mes habilitations",
        ]
        assert await warn_lapsing_trainings(job_context(app)) == 0  # once

        sent = await tap(fake, BOB_FR, "Demander une remise à niveau")
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
