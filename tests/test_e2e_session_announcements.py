"""A session planned in the chat is posted once to the lab's announcement channel (FABDESK_ANNOUNCE_CHAT)
with a sign-up link; the post is edited when its seats run out, when a seat frees again, and when the
session is cancelled; through the real application and the fake Bot API."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.i18n import Texts
from bot.core.messages import Outgoing
from bot.core.outbox import send
from bot.features.sessions.messages import announcement
from models.opening import Closure
from models.sessions import LabSession, SessionAnnounced
from tests.factories import paris
from tests.fakebot import ApiCall, FakeBotApi
from tests.harness import ALICE, BOB, MANAGER, Clock, press_data, running_bot, say, tap, test_settings
from tests.test_e2e_sessions import plain, tap_exact

CHANNEL = -1001234567890


async def plan_through_buttons(fake: FakeBotApi, title: str, seats: str = "2") -> ApiCall:
    """The manager plans a workshop on Friday 8 March, 18:00–20:00, with buttons and typed text."""
    await say(fake, MANAGER, "/start")
    await tap(fake, MANAGER, "Ateliers et formations")
    await tap(fake, MANAGER, "Programmer une séance")
    await tap(fake, MANAGER, "Atelier")
    await tap(fake, MANAGER, "ven. 8 mars")
    await tap(fake, MANAGER, "18:00")
    await tap_exact(fake, MANAGER, "2 h")
    await tap_exact(fake, MANAGER, seats)
    await tap_exact(fake, MANAGER, "0")
    await tap(fake, MANAGER, "Non, réservée aux membres")
    await tap(fake, MANAGER, "Continuer")  # no machine reserved
    await say(fake, MANAGER, title)
    await say(fake, MANAGER, "Venez avec vos objets en panne.")
    return await say(fake, MANAGER, "Salle B")


def _posts(fake: FakeBotApi) -> list[ApiCall]:
    return [c for c in fake.calls if c.method == "sendMessage" and c.chat_id == CHANNEL]


async def test_a_new_session_is_announced_once_and_the_post_follows_its_seats_and_its_cancellation(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    settings = test_settings(fake, database_url, announce_chat=str(CHANNEL))
    async with running_bot(settings, Clock()):
        planned = await plan_through_buttons(fake, "Repair café")
        assert "La séance est programmée" in plain(planned)
        post = await fake.wait_for_call("sendMessage", CHANNEL)
        async with sessions() as session:
            session_id = await session.scalar(select(LabSession.id))
        assert plain(post).splitlines() == [
            "📣 Nouvelle séance : « Repair café »",
            "🕒 vendredi 8 mars, 18:00–20:00",
            "📍 Salle B",
            "💺 2 places restantes",
        ]
        assert post.buttons() == [("✅ S'inscrire", f"https://t.me/fabdesk_test_bot?start=s{session_id}")]

        # The link opens the session's page in the chat: Alice signs up there.
        page = await say(fake, ALICE, f"/start s{session_id}")
        assert "Repair café" in plain(page) and "2 seats left" in plain(page)
        await tap(fake, ALICE, "Sign up")
        assert not fake.calls_of("editMessageText", CHANNEL)
        # A link to a session that does not exist is answered, not a traceback.
        gone = await say(fake, ALICE, "/start s999999")
        assert "no longer available" in plain(gone)  # a seat taken, not the last: no edit
        # Bob takes the last seat: the post says it is full.
        await say(fake, BOB, f"/start s{session_id}")
        await tap(fake, BOB, "Sign up")
        full = await fake.wait_for_call("editMessageText", CHANNEL)
        assert full.params["message_id"] == post.result["message_id"]
        assert "💺 Complet — liste d'attente" in plain(full)
        assert full.buttons() == [
            ("⏳ S'inscrire sur la liste d'attente", f"https://t.me/fabdesk_test_bot?start=s{session_id}")
        ]
        # Bob cancels: a seat again.
        mark = fake.mark()
        await tap(fake, BOB, "Cancel my sign-up")
        again = await fake.wait_for_call("editMessageText", CHANNEL, after=mark)
        assert "💺 1 place restante" in plain(again)

        # The manager cancels the session: the post says so, without a link.
        await say(fake, MANAGER, "/sessions")
        await tap(fake, MANAGER, "Repair")
        await tap(fake, MANAGER, "Annuler cette séance")
        mark = fake.mark()
        await tap(fake, MANAGER, "Oui, annuler la séance")
        cancelled = await fake.wait_for_call("editMessageText", CHANNEL, after=mark)
        assert plain(cancelled) == "🚫 Annulée : « Repair café » (vendredi 8 mars, 18:00–20:00)."
        assert cancelled.buttons() == []
        assert len(_posts(fake)) == 1  # posted once, edited since


async def test_without_an_announcement_chat_nothing_is_posted(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        assert "La séance est programmée" in plain(await plan_through_buttons(fake, "Fresque du numérique"))
        assert [c for c in fake.calls if c.method == "sendMessage" and (c.chat_id or 0) < 0] == []


class _Recorder:
    """A Bot standing in for Telegram: records where a message went."""

    def __init__(self) -> None:
        self.sent: list[object] = []

    async def send_message(self, chat_id: object, text: str, reply_markup: object = None) -> object:
        self.sent.append(chat_id)
        return type("Sent", (), {"message_id": 7})()


async def test_a_channel_named_by_its_username_is_where_the_post_goes() -> None:
    notice = SessionAnnounced(
        session_id=3,
        chat="@fablab_annonces",
        title="Atelier",
        start=paris(8, 18),
        end=paris(8, 20),
        seats_left=2,
    )
    shown = announcement(Texts("fr", ZoneInfo("Europe/Paris")), "fabdesk_bot", notice)
    recorder = _Recorder()
    # The outbox row's chat is 0 for a @username: the message says where it goes.
    assert await send(recorder, 0, shown) == 7  # type: ignore[arg-type]
    assert recorder.sent == ["@fablab_annonces"]
    assert await send(recorder, 42, Outgoing("Bonjour")) == 7  # type: ignore[arg-type]
    assert recorder.sent[-1] == 42


async def test_a_session_repeated_weekly_in_one_go_skips_a_closed_day_and_announces_each(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        session.add(Closure(day=date(2030, 3, 22), reason="Inventaire"))
    settings = test_settings(fake, database_url, announce_chat=str(CHANNEL))
    async with running_bot(settings, Clock()):
        planned = await plan_through_buttons(fake, "Repair café")
        assert (
            "La répéter chaque semaine ? Touchez le nombre de semaines en plus (chaque vendredi à 18:00)."
            in plain(planned)
        )
        repeated = await tap_exact(fake, MANAGER, "3")
        assert plain(repeated).splitlines() == [
            "🔁 2 autres séances programmées :",
            "• vendredi 15 mars, 18:00–20:00",
            "• vendredi 29 mars, 18:00–20:00",
            "",
            "Non programmées :",
            "• vendredi 22 mars — le lab est fermé (Inventaire)",
        ]
        # The same button again: kindly refused, nothing more planned.
        data = next(d for label, d in planned.buttons() if label == "3")
        assert data is not None
        again = await press_data(fake, MANAGER, data)
        assert "Cette séance se répète déjà chaque semaine." in again.params.get("text", "")
        await fake.wait_for(lambda c: len(_posts(fake)) == 3)
    async with sessions() as session:
        rows = list(await session.scalars(select(LabSession).order_by(LabSession.start_at)))
    assert [r.start_at for r in rows] == [paris(8, 18), paris(15, 18), paris(29, 18)]
    assert [r.repeats_id for r in rows] == [None, rows[0].id, rows[0].id]
    assert {(r.title, r.seats, r.place) for r in rows} == {("Repair café", 2, "Salle B")}
    assert len(_posts(fake)) == 3  # each occurrence announced once
