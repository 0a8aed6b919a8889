"""A public session's guests through the real application and the fake Bot API, in French: the
manager plans a session open to the public, adds a guest by name and phone (odd text refused, the
age bracket and situation asked when the lab chooses to), counts a walk-in at attendance and marks
who came; the retention job erases the guests' names and keeps them counted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.jobs import apply_retention
from models.sessions import LabSession, SessionGuest
from tests.factories import paris
from tests.fakebot import FakeBotApi
from tests.harness import MANAGER, Clock, job_context, running_bot, say, tap, test_settings
from tests.test_e2e_sessions import plain, tap_exact


async def test_a_manager_adds_guests_to_a_public_session_and_marks_who_came(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    settings = test_settings(fake, database_url, session_guest_profile=True)
    async with running_bot(settings, clock) as app:
        await say(fake, MANAGER, "/start")
        await tap(fake, MANAGER, "Ateliers et formations")
        for label in ("Programmer une séance", "Atelier", "ven. 8 mars", "18:00"):
            await tap(fake, MANAGER, label)
        for label in ("2 h", "2", "0"):
            asked = await tap_exact(fake, MANAGER, label)
        assert "Est-elle ouverte au public ?" in plain(asked)
        assert "Réserver des machines" in plain(await tap(fake, MANAGER, "Oui, ouverte au public"))
        assert "Envoyez le titre" in plain(await tap(fake, MANAGER, "Continuer"))
        await say(fake, MANAGER, "Fresque du numérique")
        await tap(fake, MANAGER, "Sans description")
        planned = plain(await tap(fake, MANAGER, "Au lab"))
        assert "Ouverte au public : les invités sont inscrits par l'équipe du lieu." in planned

        await say(fake, MANAGER, "/sessions")
        await tap(fake, MANAGER, "Fresque")
        asked = await tap(fake, MANAGER, "Ajouter un invité")
        assert "Un invité pour « Fresque du numérique » : envoyez son prénom et son nom." in plain(asked)
        refused = await say(fake, MANAGER, "12345")
        assert "Envoyez le nom de l'invité : de 1 à 80 caractères" in plain(refused)
        contact = await say(fake, MANAGER, "Jeanne Martin")
        assert "Envoyez son numéro de téléphone ou son adresse e-mail" in plain(contact)
        refused = await say(fake, MANAGER, "je ne sais pas")
        assert "Envoyez un numéro de téléphone (par exemple 06 12 34 56 78" in plain(refused)
        age = await say(fake, MANAGER, "06 12 34 56 78")
        assert "Jeanne Martin : inscription enregistrée. Sa tranche d'âge ? (facultatif" in plain(age)
        assert "Sa situation ? (facultatif)" in plain(await tap(fake, MANAGER, "65 ans et plus"))
        added = plain(await tap(fake, MANAGER, "Retraité"))
        assert "Invité inscrit : Jeanne Martin." in added
        assert "1 place restante (2 places en tout)" in added
        assert "Invités :\n• Jeanne Martin — 06 12 34 56 78" in added
        # A second guest, who cancels: taken off, the seat is free again.
        await tap(fake, MANAGER, "Ajouter un invité")
        await say(fake, MANAGER, "Paul Durand")
        await say(fake, MANAGER, "paul@example.org")
        await tap(fake, MANAGER, "Passer")
        assert "Complet" in plain(await tap(fake, MANAGER, "Passer"))
        listed = await tap(fake, MANAGER, "Retirer un invité")
        assert "Quel invité s'est désisté ?" in plain(listed)
        removed = plain(await tap(fake, MANAGER, "Paul Durand"))
        assert "Paul Durand n'est plus inscrit : la place est de nouveau libre." in removed
        assert "1 place restante" in removed and "Paul" not in removed.split("libre.")[1]
        # Cancelling would tell the members; the guest is to be told by the manager, who has the number.
        asked = plain(await tap(fake, MANAGER, "Annuler cette séance"))
        assert "0 personne inscrite ou en attente va être prévenue." in asked
        assert (
            "1 invité n'est pas sur Telegram : prévenez-le vous-même.\n• Jeanne Martin — 06 12 34 56 78"
            in asked
        )
        await tap(fake, MANAGER, "Non, la garder")

        clock.now = paris(8, 18, 10)
        await say(fake, MANAGER, "/sessions")
        await tap(fake, MANAGER, "Fresque")
        marks = plain(await tap(fake, MANAGER, "Noter les présences"))
        assert "Invités présents : 0 sur 1." in marks
        walk_in = await tap(fake, MANAGER, "Un invité venu sans inscription")
        assert "Invité sans inscription compté. Sa tranche d'âge ? (facultatif)" in plain(walk_in)
        await tap(fake, MANAGER, "18–25 ans")
        marks = plain(await tap(fake, MANAGER, "Passer"))
        assert "Invités présents : 1 sur 2." in marks
        came = await tap(fake, MANAGER, "Jeanne Martin")
        assert "Invités présents : 2 sur 2." in plain(came)
        assert "✅ Invité 2" in str(came.buttons())

    async with sessions() as session:
        rows = [
            (g.name, g.contact, g.age_bracket, g.situation, g.walk_in, g.attended)
            for g in await session.scalars(select(SessionGuest).order_by(SessionGuest.id))
        ]
        assert rows == [
            ("Jeanne Martin", "06 12 34 56 78", "65plus", "retired", False, True),
            (None, None, "18-25", None, True, True),
        ]
        assert (await session.scalar(select(LabSession.public))) is True

    clock.now = paris(8, 20) + timedelta(days=800)  # past the 24 months the lab keeps data
    async with running_bot(settings, clock) as app:
        await apply_retention(job_context(app))
    async with sessions() as session:
        kept = [(g.name, g.contact, g.age_bracket) for g in await session.scalars(select(SessionGuest))]
        assert sorted(kept, key=str) == sorted([(None, None, "65plus"), (None, None, "18-25")], key=str)
