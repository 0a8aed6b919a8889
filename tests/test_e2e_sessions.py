"""Sessions through the real application and the fake Bot API: a manager plans one with buttons and
typed text (in French), members sign up and wait, a cancellation gives the seat to the first
waiting (who declines it), the minimum's deadline cancels a session, the reminder, and attendance
at a training authorizing the member."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.jobs import cancel_sessions_below_minimum, remind_sessions
from bot.features.sessions.routes import MinimumChosen
from models import machines
from models import sessions as lab_sessions
from models.machines import Machine
from models.members import Member
from models.sessions import LabSession, SessionDraft, SessionKind, SignUp, SignUpStatus
from tests.factories import NOW, paris
from tests.fakebot import ApiCall, FakeBotApi, FakeUser, _buttons_of
from tests.harness import ALICE, BOB, MANAGER, Clock, job_context, running_bot, say, tap, test_settings

CAROL = FakeUser(1003, "Carol", language_code="en")


async def tap_exact(fake: FakeBotApi, user: FakeUser, label: str, nth: int = 0) -> ApiCall:
    """Press the button whose label is exactly `label` (« 2 » and not « 12 »; the `nth` of them);
    return the next screen."""
    message = fake.last_message(user.id)
    assert message is not None
    data = [d for text, d in _buttons_of(message.get("reply_markup")) if text == label][nth]
    assert data is not None
    mark = fake.mark()
    fake.press(user, message, data)
    await fake.wait_for_call("answerCallbackQuery", after=mark)
    return await fake.wait_for(
        lambda c: c.method in {"editMessageText", "sendMessage"} and c.chat_id == user.id, after=mark
    )


def plain(call: ApiCall) -> str:
    """The text of a call, French's no-break spaces (« Quel jour ? ») as plain ones."""
    return (call.text or "").replace("\xa0", " ")


async def _message_to(fake: FakeBotApi, user: FakeUser, text: str, after: int = 0) -> ApiCall:
    return await fake.wait_for(
        lambda c: c.method == "sendMessage" and c.chat_id == user.id and text in plain(c), after=after
    )


async def _plan(sessions: async_sessionmaker[AsyncSession], **overrides: object) -> int:
    async with sessions.begin() as session:
        manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER.id))
        assert manager is not None
        values: dict[str, object] = {
            "kind": SessionKind.WORKSHOP,
            "title": "Repair café",
            "start": paris(8, 18),
            "end": paris(8, 20),
            "seats": 4,
            "now": NOW,
        }
        values.update(overrides)
        planned = await lab_sessions.plan(session, manager, **values)  # type: ignore[arg-type]
        return planned.id


async def test_a_manager_plans_a_workshop_members_sign_up_and_a_freed_seat_goes_to_the_first_waiting(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        # The manager speaks French: the whole planning reads in French.
        await say(fake, MANAGER, "/start")
        listed = await tap(fake, MANAGER, "Ateliers et formations")
        assert "Aucune séance n'est prévue pour le moment." in plain(listed)
        assert "Quel type de séance ?" in plain(await tap(fake, MANAGER, "Programmer une séance"))
        assert "Quel jour ?" in plain(await tap(fake, MANAGER, "Atelier"))
        assert "vendredi 8 mars : à quelle heure commence-t-elle ?" in plain(
            await tap(fake, MANAGER, "ven. 8 mars")
        )
        assert "Quelle durée ?" in plain(await tap(fake, MANAGER, "18:00"))
        assert "Combien de places ?" in plain(await tap_exact(fake, MANAGER, "2 h"))
        minimum = await tap_exact(fake, MANAGER, "2")
        assert "Combien de participants au minimum ? En dessous, 24 h avant le début" in plain(minimum)
        assert "Est-elle ouverte au public ?" in plain(await tap_exact(fake, MANAGER, "0"))
        assert "Réserver des machines pour la séance ?" in plain(
            await tap(fake, MANAGER, "Non, réservée aux membres")
        )
        assert "Envoyez le titre de la séance" in plain(await tap(fake, MANAGER, "Continuer"))
        hidden = await say(fake, MANAGER, "Découpe\u200blaser")
        assert "caractère invisible ou de contrôle" in plain(hidden)
        assert "Envoyez une description" in plain(await say(fake, MANAGER, "Initiation à la découpe laser"))
        assert "Envoyez le lieu" in plain(await say(fake, MANAGER, "Apportez un fichier SVG."))
        planned = await say(fake, MANAGER, "Salle B")
        text = plain(planned)
        assert "La séance est programmée : les membres peuvent s'inscrire." in text
        assert "vendredi 8 mars, 18:00–20:00" in text and "📍 Salle B" in text
        assert "Apportez un fichier SVG." in text and "2 places restantes (2 places en tout)" in text

        # Alice and Bob take the two seats; Carol joins the waitlist.
        await say(fake, ALICE, "/sessions")
        page = await tap(fake, ALICE, "Initia")
        assert "Friday 8 March, 18:00–20:00" in plain(page) and "2 seats left" in plain(page)
        signed = await tap(fake, ALICE, "Sign up")
        assert "You are signed up. See you there!" in plain(signed)
        assert "You can cancel until Fri 8 Mar 16:00." in plain(signed)
        mark = fake.mark()
        await tap(fake, ALICE, "Add to my calendar")
        ics = await fake.wait_for_call("sendDocument", ALICE.id, after=mark)
        content = ics.params["document"]["content"]
        assert b"SUMMARY:Initiation" in content and b"LOCATION:Salle B" in content
        await say(fake, BOB, "/sessions")
        await tap(fake, BOB, "Initia")
        await tap(fake, BOB, "Sign up")
        listed = await say(fake, CAROL, "/sessions")
        assert "Initiation à la découpe laser — Full — waitlist" in plain(listed)
        await tap(fake, CAROL, "Initia")
        waiting = await tap(fake, CAROL, "Join the waitlist")
        assert "The session is full: you are on the waitlist." in plain(waiting)
        assert "on the waitlist (number 1)" in plain(waiting)

        # Alice cancels: Carol is given the seat, told, and declines it: it stays free.
        await say(fake, ALICE, "/sessions")
        await tap(fake, ALICE, "Initia")
        mark = fake.mark()
        cancelled = await tap(fake, ALICE, "Cancel my sign-up")
        assert "Your sign-up is cancelled." in plain(cancelled)
        offer = await _message_to(fake, CAROL, "A seat freed up", after=mark)
        assert "you are now signed up to « Initiation à la découpe laser » (Friday 8 March, 18:00–20:00)" in (
            plain(offer)
        )
        declined = await tap(fake, CAROL, "Decline the seat")
        assert "Your sign-up is cancelled." in plain(declined) and "1 seat left" in (plain(declined))
    async with sessions() as session:
        rows = {s.member_id: s.status for s in await session.scalars(select(SignUp))}
        bob = await session.scalar(select(Member.id).where(Member.telegram_id == BOB.id))
        assert rows[bob] is SignUpStatus.SIGNED_UP
        assert sorted(rows.values()).count(SignUpStatus.CANCELLED) == 2
        given = [m for m in fake.calls_of("sendMessage", CAROL.id) if "A seat freed up" in plain(m)]
        assert len(given) == 1


async def test_under_its_minimum_a_session_is_cancelled_at_the_deadline_and_a_manager_cancels_another(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        await say(fake, MANAGER, "/start")
        short = await _plan(sessions, minimum=3)
        other = await _plan(sessions, title="Fresque du numérique", start=paris(9, 10), end=paris(9, 12))
        for user in (ALICE, BOB):
            await say(fake, user, "/sessions")
            await tap(fake, user, "Repair café")
            await tap(fake, user, "Sign up")
        await say(fake, ALICE, "/sessions")
        await tap(fake, ALICE, "Fresque")
        await tap(fake, ALICE, "Sign up")

        clock.now = paris(7, 17, 59)  # before the deadline: nothing
        assert await cancel_sessions_below_minimum(job_context(app)) == 0
        clock.now = paris(7, 18, 5)
        mark = fake.mark()
        assert await cancel_sessions_below_minimum(job_context(app)) == 1
        assert await cancel_sessions_below_minimum(job_context(app)) == 0  # once
        told = await _message_to(fake, BOB, "is cancelled", after=mark)
        assert (
            "« Repair café » (Friday 8 March, 18:00–20:00) is cancelled. It needed at least 3 participants."
            in plain(told)
        )
        await _message_to(fake, ALICE, "is cancelled", after=mark)
        lack = await _message_to(fake, MANAGER, "annulée automatiquement", after=mark)
        assert plain(lack).startswith(
            "🚫 La séance « Repair café » (vendredi 8 mars, 18:00–20:00) a été annulée automatiquement :"
            " 2 inscriptions pour un minimum de 3. Les participants ont été prévenus."
        ), plain(lack)

        # The manager cancels the other one, after a confirmation (in French); Alice is told.
        await say(fake, MANAGER, "/sessions")
        await tap(fake, MANAGER, "Fresque")
        ask = await tap(fake, MANAGER, "Annuler cette séance")
        assert "1 personne inscrite ou en attente va être prévenue." in plain(ask)
        mark = fake.mark()
        done = await tap(fake, MANAGER, "Oui, annuler la séance")
        assert "La séance est annulée ; 1 personne va être prévenue." in plain(done)
        assert "Cette séance a été annulée." in plain(done)
        await _message_to(
            fake, ALICE, "« Fresque du numérique » (Saturday 9 March, 10:00–12:00) is cancelled", mark
        )
    async with sessions() as session:
        for session_id in (short, other):
            row = await session.get(LabSession, session_id)
            assert row is not None and row.cancelled_at is not None
        automatic = await session.get(LabSession, short)
        assert automatic is not None and automatic.cancelled_automatically


async def test_the_reminder_comes_once_before_the_session(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        await say(fake, MANAGER, "/start")
        await _plan(sessions, place="Salle B")
        await say(fake, ALICE, "/sessions")
        await tap(fake, ALICE, "Repair café")
        await tap(fake, ALICE, "Sign up")
        clock.now = paris(8, 16, 30)
        assert await remind_sessions(job_context(app)) == 1
        assert await remind_sessions(job_context(app)) == 0
        reminder = await _message_to(fake, ALICE, "Reminder")
        assert "Reminder: « Repair café » starts in 1 h 30 min (Friday 8 March, 18:00–20:00)." in (
            plain(reminder)
        )
        assert "📍 Salle B" in plain(reminder)


async def test_marking_who_came_at_a_training_authorizes_them(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        await say(fake, MANAGER, "/start")
        async with sessions() as session:
            laser = await session.scalar(select(Machine).where(Machine.name == "Trotec Speedy"))
            assert laser is not None
        await _plan(sessions, kind=SessionKind.TRAINING, machine_id=laser.id, title="Formation laser")
        for user in (ALICE, BOB):
            await say(fake, user, "/sessions")
            page = await tap(fake, user, "Formation laser")
            assert "Machine training — Trotec Speedy" in plain(page)
            await tap(fake, user, "Sign up")
        await say(fake, MANAGER, "/sessions")
        before = await tap(fake, MANAGER, "Formation laser")
        assert "Noter les présences" not in str(before.buttons())  # not before the start
        clock.now = paris(8, 18, 10)
        await say(fake, MANAGER, "/sessions")
        await tap(fake, MANAGER, "Formation laser")
        marks = await tap(fake, MANAGER, "Noter les présences")
        assert "Présents : 0 sur 2." in plain(marks)
        assert "Les personnes venues sont habilitées sur les machines de la formation." in plain(marks)
        mark = fake.mark()
        came = await tap(fake, MANAGER, "Alice")
        assert "Présents : 1 sur 2." in plain(came)
        toast = await fake.wait_for_call("answerCallbackQuery", after=mark)
        assert plain(toast) == "Alice : présence notée."  # not « Présence de Alice notée. »
        await _message_to(fake, ALICE, "You are now authorized on Trotec Speedy", after=mark)
        absent = await tap_exact(fake, MANAGER, "❌", nth=1)  # Bob's row
        assert "❌ Bob" in str(absent.buttons())
        # Alice's « present » was a mistake after all: the authorization it gave goes, and she is told why.
        mark = fake.mark()
        await tap_exact(fake, MANAGER, "❌", nth=0)
        withdrawn = await _message_to(
            fake, ALICE, "Your authorization on Trotec Speedy was withdrawn", after=mark
        )
        assert "Reason: Your attendance at the training session had been marked by mistake" in plain(
            withdrawn
        )
        async with sessions() as session:
            alice = await session.scalar(select(Member).where(Member.telegram_id == ALICE.id))
            assert alice is not None and not await machines.is_authorized(session, alice, laser)
        await tap(fake, MANAGER, "Alice")  # she did come: present again, authorized again
    async with sessions() as session:
        alice = await session.scalar(select(Member).where(Member.telegram_id == ALICE.id))
        bob = await session.scalar(select(Member).where(Member.telegram_id == BOB.id))
        assert alice is not None and bob is not None and laser is not None
        assert await machines.is_authorized(session, alice, laser)
        assert not await machines.is_authorized(session, bob, laser)
        seats = {s.member_id: s.attended for s in await session.scalars(select(SignUp))}
        assert seats[alice.id] is True


async def _two_seats_workshop(fake: FakeBotApi) -> None:
    """From the sessions' list, a manager plans a workshop on Friday 8 March, 18:00, 2 h, two seats."""
    for label in ("Programmer une séance", "Atelier", "ven. 8 mars", "18:00"):
        await tap(fake, MANAGER, label)
    for label in ("2 h", "2"):
        await tap_exact(fake, MANAGER, label)


async def test_a_minimum_above_the_seats_is_refused_at_its_press_not_after_the_typing(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        await say(fake, MANAGER, "/start")
        await tap(fake, MANAGER, "Ateliers et formations")
        await _two_seats_workshop(fake)
        mark = fake.mark()
        fake.press(MANAGER, fake.last_message(MANAGER.id) or {}, MinimumChosen(9).data())  # forged, or stale
        refused = await fake.wait_for_call("answerCallbackQuery", after=mark)
        text = (refused.params.get("text") or "").replace("\xa0", " ")
        assert "Le nombre minimum de participants doit être entre 0 et le nombre de places." in text
        async with sessions() as session:
            draft = await session.scalar(select(SessionDraft))
            assert draft is not None and draft.minimum is None and draft.stage is None  # no title awaited
        # The right choice goes on, and the session is planned.
        await say(fake, MANAGER, "/sessions")
        await _two_seats_workshop(fake)
        await tap_exact(fake, MANAGER, "2")
        assert "Réserver des machines" in plain(await tap(fake, MANAGER, "Non, réservée aux membres"))
        assert "Envoyez le titre de la séance" in plain(await tap(fake, MANAGER, "Continuer"))
        await say(fake, MANAGER, "Repair café")
        await tap(fake, MANAGER, "Sans description")
        planned = await tap(fake, MANAGER, "Au lab")
        assert "La séance est programmée" in plain(planned)
    async with sessions() as session:
        assert [(s.seats, s.minimum) for s in await session.scalars(select(LabSession))] == [(2, 2)]


async def test_late_in_the_evening_today_is_not_offered_for_a_session_with_no_start_left(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    clock = Clock(paris(4, 21, 45))  # Monday 4 March, after the last start offered (21:30)
    async with running_bot(test_settings(fake, database_url), clock):
        await say(fake, MANAGER, "/sessions")
        await tap(fake, MANAGER, "Programmer une séance")
        days = await tap(fake, MANAGER, "Atelier")
        labels = [label for label, _data in days.buttons()]
        assert "lun. 4 mars" not in labels and labels[0] == "mar. 5 mars"  # no day without a time to pick
        times = await tap(fake, MANAGER, "mar. 5 mars")
        assert "08:00" in [label for label, _data in times.buttons()]


async def test_a_saturday_workshop_is_still_on_the_managers_list_on_monday_to_mark_who_came(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Attendance is marked from the list: a weekend's sessions stay on it until Monday (three days),
    older ones leave it; members only ever see the sessions to come."""
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock):
        await say(fake, MANAGER, "/start")
        await _plan(sessions, title="Saturday repair café", start=paris(9, 10), end=paris(9, 12))
        await _plan(sessions, title="Thursday soldering", start=paris(7, 10), end=paris(7, 12))
        clock.now = paris(11, 9)  # Monday morning
        listed = plain(await say(fake, MANAGER, "/sessions"))
        assert "Saturday repair café" in listed
        assert "Thursday soldering" not in listed  # four days ago
        assert "Saturday repair café" not in plain(await say(fake, ALICE, "/sessions"))
