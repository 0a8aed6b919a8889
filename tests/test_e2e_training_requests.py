"""Training requests meet sessions, through the real application and the fake Bot API: a member
asking for a training sees the next sessions first; the manager (in French) proposes a session, and
the member signs up in one tap; a decline with a typed reason reaches the member; stale presses are
answered kindly."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import sessions as lab_sessions
from models.machines import MachineKind, TrainingRequest
from models.members import Member
from models.sessions import SessionKind, SignUp, SignUpStatus
from tests.factories import NOW, paris
from tests.fakebot import FakeBotApi
from tests.harness import ALICE, BOB, MANAGER, Clock, press_data, running_bot, say, tap, test_settings


async def _plan_training(sessions: async_sessionmaker[AsyncSession], title: str = "Formation laser") -> int:
    async with sessions.begin() as session:
        manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER.id))
        assert manager is not None
        planned = await lab_sessions.plan(
            session,
            manager,
            kind=SessionKind.TRAINING,
            title=title,
            start=paris(8, 18),
            end=paris(8, 20),
            seats=4,
            now=NOW,
            machine_kind=MachineKind.LASER_CUTTER,
        )
        return planned.id


def plain(text: str | None) -> str:
    return (text or "").replace("\xa0", " ")


async def test_a_request_is_answered_with_a_session_the_member_signs_up_to_in_one_tap(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, MANAGER, "/start")
        await say(fake, BOB, "/start")
        await say(fake, ALICE, "/start")
        session_id = await _plan_training(sessions)

        # Alice sees the next training session and signs up from there in one tap.
        await tap(fake, ALICE, "Book a machine")
        await tap(fake, ALICE, "Trotec Speedy")
        offered = await tap(fake, ALICE, "Ask for a training")
        assert "Next training sessions on Trotec Speedy:" in (offered.text or "")
        assert "Friday 8 March, 18:00–20:00 — Formation laser" in (offered.text or "")
        signed = await tap(fake, ALICE, "Formation laser")
        assert "You are signed up. See you there!" in (signed.text or "")
        await say(fake, ALICE, "/book")
        await tap(fake, ALICE, "Trotec Speedy")
        offered = await tap(fake, ALICE, "Ask for a training")
        assert "18:00–20:00 — Formation laser — you are signed up" in (offered.text or "")

        # Bob would rather another date: his request goes to the managers, with three answers.
        await tap(fake, BOB, "Book a machine")
        await tap(fake, BOB, "Trotec Speedy")
        await tap(fake, BOB, "Ask for a training")
        mark = fake.mark()
        sent = await tap(fake, BOB, "Ask for another date")
        assert "sent to the fab managers" in (sent.text or "")
        alert = await fake.wait_for_call("sendMessage", MANAGER.id, after=mark)
        assert "Bob Martin demande une formation sur Trotec Speedy." in plain(alert.text)
        labels = [label for label, _d in alert.buttons()]
        assert labels == ["🗓 Proposer une séance", "✖️ Refuser", "✅ Autoriser Bob"]

        mark = fake.mark()
        fake.press_button(MANAGER, alert, "Proposer une séance")
        choices = await fake.wait_for_call("editMessageText", MANAGER.id, after=mark)
        assert "Quelle séance proposez-vous à Bob Martin pour Trotec Speedy ?" in plain(choices.text)
        proposed = await tap(fake, MANAGER, "Formation laser")
        assert (
            "Proposition envoyée à Bob Martin : « Formation laser » (vendredi 8 mars, 18:00–20:00), avec "
            "l'inscription en un geste." in plain(proposed.text)
        )
        told = await fake.wait_for_call("sendMessage", BOB.id, text_contains="suggests")
        assert (
            "About your training on Trotec Speedy: the lab's team suggests « Formation laser » "
            "(Friday 8 March, 18:00–20:00)." in (told.text or "")
        )
        # The same proposal pressed again (the old list): said kindly, Bob is not told twice.
        assert choices.params.get("reply_markup") is not None
        data = next(d for label, d in choices.buttons() if "Formation laser" in label)
        assert data is not None
        again = await press_data(fake, MANAGER, data)
        assert "Vous avez déjà proposé cette séance à Bob Martin." in plain(again.params.get("text"))
        assert len([c for c in fake.calls_of("sendMessage", BOB.id) if "suggests" in (c.text or "")]) == 1

        mark = fake.mark()
        fake.press_button(BOB, told, "Sign up")
        page = await fake.wait_for_call("editMessageText", BOB.id, after=mark)
        assert "You are signed up. See you there!" in (page.text or "")
    async with sessions() as session:
        seated = await session.scalar(
            select(SignUp)
            .join(Member, Member.id == SignUp.member_id)
            .where(Member.telegram_id == BOB.id, SignUp.session_id == session_id)
        )
        assert seated is not None and seated.status is SignUpStatus.SIGNED_UP
        request = await session.scalar(select(TrainingRequest))
        assert request is not None and request.proposed_session_id == session_id


async def test_a_request_declined_with_a_typed_reason_tells_the_member_why(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, MANAGER, "/start")
        await say(fake, BOB, "/start")
        await tap(fake, BOB, "Book a machine")
        await tap(fake, BOB, "Trotec Speedy")
        mark = fake.mark()
        # No training session planned: the request goes at once, as before.
        sent = await tap(fake, BOB, "Ask for a training")
        assert "sent to the fab managers" in (sent.text or "")
        alert = await fake.wait_for_call("sendMessage", MANAGER.id, after=mark)

        mark = fake.mark()
        fake.press_button(MANAGER, alert, "Refuser")
        asked = await fake.wait_for_call("editMessageText", MANAGER.id, after=mark)
        assert (
            "Pourquoi refusez-vous la demande de formation de Bob Martin sur Trotec Speedy ? "
            "Touchez un motif, ou écrivez le vôtre." in plain(asked.text)
        )
        assert [label for label, _d in asked.buttons()][:3] == [
            "Pas de formation prévue",
            "Réservée à l'équipe",
            "Passer au lab d'abord",
        ]
        done = await say(fake, MANAGER, "Le laser est en panne jusqu'à lundi.")
        assert "La demande de Bob Martin sur Trotec Speedy est refusée ; le motif lui est transmis." in plain(
            done.text
        )
        told = await fake.wait_for_call("sendMessage", BOB.id, text_contains="declined")
        assert "Your request for a training on Trotec Speedy was declined." in (told.text or "")
        assert "Reason: Le laser est en panne jusqu'à lundi." in (told.text or "")

        # The old message's buttons, pressed again: answered kindly, nothing changes.
        for label in ("Refuser", "Proposer une séance"):
            data = next(d for text, d in alert.buttons() if label in text)
            assert data is not None
            stale = await press_data(fake, MANAGER, data)
            assert "Cette demande a déjà reçu une réponse" in plain(stale.params.get("text")), label
        # A reason's button of the old screen, too.
        data = next(d for text, d in asked.buttons() if "Pas de formation" in text)
        assert data is not None
        stale = await press_data(fake, MANAGER, data)
        assert "Cette demande a déjà reçu une réponse" in plain(stale.params.get("text"))
        assert len([c for c in fake.calls_of("sendMessage", BOB.id) if "declined" in (c.text or "")]) == 1

        # Bob may ask again: a new request reaches the managers.
        mark = fake.mark()
        await tap(fake, BOB, "Book a machine")
        await tap(fake, BOB, "Trotec Speedy")
        again = await tap(fake, BOB, "Ask for a training")
        assert "sent to the fab managers" in (again.text or "")
        await fake.wait_for_call("sendMessage", MANAGER.id, after=mark, text_contains="demande une formation")
    async with sessions() as session:
        requests = list(await session.scalars(select(TrainingRequest).order_by(TrainingRequest.id)))
        assert [r.decline_reason for r in requests] == ["Le laser est en panne jusqu'à lundi.", None]
