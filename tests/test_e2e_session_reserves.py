"""A session reserving a machine, through the real application and the fake Bot API: the manager
plans a workshop reserving the printer over a member's booking; the member is warned (in French,
naming the session), another member cannot book the printer then, and is told why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.sessions.routes import ReserveToggled
from models import sessions as lab_sessions
from models.downtime import Downtime
from models.machines import Machine
from models.sessions import LabSession, SessionKind
from tests.factories import NOW, make_member, paris
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import ALICE, BOB, MANAGER, Clock, press_data, running_bot, say, tap, test_settings
from tests.test_e2e_sessions import plain, tap_exact
from tests.test_miniapp_api import TUESDAY_10, running_app

BOB_FR = FakeUser(BOB.id, BOB.first_name, last_name=BOB.last_name, language_code="fr")
WARNING = (
    "🔒 La machine Prusa MK4 est réservée pour la séance « Atelier impression 3D »\u00a0: "
    "vendredi 8 mars, 14:00–18:00.\n\n"
    "Votre réservation\u00a0: Prusa MK4, vendredi 8 mars, 15:00–16:00.\n"
    "Elle n'est pas annulée, mais la machine ne pourra pas servir pendant la séance\u00a0: "
    "annulez-la, ou choisissez un autre horaire. Si la séance est annulée, je vous préviendrai."
)


async def _workshop_on_friday_afternoon(fake: FakeBotApi) -> ApiCall:
    """The manager plans a workshop on Friday 8 March, 14:00–18:00, up to the machines it reserves."""
    await say(fake, MANAGER, "/sessions")
    await tap(fake, MANAGER, "Programmer une séance")
    await tap(fake, MANAGER, "Atelier")
    await tap(fake, MANAGER, "ven. 8 mars")
    await tap(fake, MANAGER, "14:00")
    await tap_exact(fake, MANAGER, "4 h")
    await tap_exact(fake, MANAGER, "6")
    assert "Est-elle ouverte au public ?" in plain(await tap_exact(fake, MANAGER, "0"))
    return await tap(fake, MANAGER, "Non, réservée aux membres")


async def test_a_workshop_reserving_the_printer_warns_its_booker_and_keeps_others_from_booking_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, BOB_FR, "/book")
        for label in ("Prusa MK4", "ven. 8 mars", "15:00", "1 h → 16:00", "Confirmer"):
            await tap(fake, BOB_FR, label)

        # The manager plans the workshop with buttons, reserving the printer.
        reserve = await _workshop_on_friday_afternoon(fake)
        assert "Réserver des machines pour la séance ? Personne ne pourra les réserver" in plain(reserve)
        assert "⬜ Prusa MK4" in [label for label, _d in reserve.buttons()]
        chosen = await tap(fake, MANAGER, "Prusa MK4")
        labels = [label for label, _d in chosen.buttons()]
        assert "✅ Prusa MK4" in labels and "⬜ Trotec Speedy" in labels
        assert "Envoyez le titre de la séance" in plain(await tap(fake, MANAGER, "Continuer"))
        mark = fake.mark()
        await say(fake, MANAGER, "Atelier impression 3D")
        await tap(fake, MANAGER, "Sans description")
        planned = await tap(fake, MANAGER, "Au lab")
        assert "La séance est programmée" in plain(planned)
        assert "🔒 Machines réservées : Prusa MK4" in plain(planned)

        # Bob, who booked the printer in that time, is warned: which session, his booking kept.
        warned = await fake.wait_for_call(
            "sendMessage", BOB.id, text_contains="Atelier impression", after=mark
        )
        assert warned.text == WARNING
        assert [label for label, _d in warned.buttons()][:2] == [
            "❌ Annuler cette réservation",
            "📅 Réserver un autre horaire",
        ]

        # Alice cannot book the printer then: no start offered in it, and a typed time is refused.
        await say(fake, ALICE, "/start")
        await tap(fake, ALICE, "Book a machine")
        await tap(fake, ALICE, "Prusa MK4")
        friday = await tap(fake, ALICE, "Fri 8 Mar")
        starts = [label for label, _d in friday.buttons()]
        assert "13:30" in starts and "18:00" in starts
        assert not [s for s in ("14:00", "15:00", "16:30", "17:30") if s in starts]
        refused = await say(fake, ALICE, "Friday 4pm")
        assert "Prusa MK4 is reserved for the session « Atelier impression 3D » until 18:00." in plain(
            refused
        )


async def _printer_reserved(
    sessions: async_sessionmaker[AsyncSession], kind: SessionKind, title: str, start: datetime, end: datetime
) -> int:
    """Léa, a manager, plans a session reserving the printer (a training is on it); its id."""
    async with sessions.begin() as session:
        manager = await make_member(session, "Léa", manager=True)
        printer = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
        assert printer is not None
        on = {"machine_id": printer.id} if kind is SessionKind.TRAINING else {}
        await lab_sessions.plan(
            session,
            manager,
            kind=kind,
            title=title,
            start=start,
            end=end,
            seats=4,
            now=NOW,
            reserve=[printer.id],
            **on,
        )
        return printer.id


async def test_the_mini_apps_booking_is_refused_in_a_reserved_time_naming_the_session(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    printer_id = await _printer_reserved(
        sessions, SessionKind.WORKSHOP, "Atelier impression 3D", paris(5, 9), paris(5, 12)
    )
    async with running_app(fake, database_url) as app:
        body = {"machine": printer_id, "start": TUESDAY_10, "minutes": 60}
        status, refused = await app(ALICE, "book", body)
        assert (status, refused["message"]) == (
            409,
            "The machine is reserved for the session « Atelier impression 3D » until 12:00. "
            "Nothing was booked.",
        )
        assert (await app(ALICE, "book", {**body, "start": "2030-03-05T12:00:00+01:00"}))[0] == 200


async def test_a_training_on_the_laser_has_the_laser_chosen_already_and_it_can_be_unchosen(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, MANAGER, "/sessions")
        await tap(fake, MANAGER, "Programmer une séance")
        await tap(fake, MANAGER, "Formation machine")
        await tap(fake, MANAGER, "Trotec Speedy")
        await tap(fake, MANAGER, "ven. 8 mars")
        await tap(fake, MANAGER, "18:00")
        await tap_exact(fake, MANAGER, "2 h")
        await tap_exact(fake, MANAGER, "4")
        assert "Est-elle ouverte au public ?" in plain(await tap_exact(fake, MANAGER, "0"))
        reserve = await tap(fake, MANAGER, "Non, réservée aux membres")
        labels = [label for label, _d in reserve.buttons()]
        assert labels[:2] == ["⬜ Prusa MK4", "✅ Trotec Speedy"]
        unchosen = await tap(fake, MANAGER, "Trotec Speedy")
        assert [label for label, _d in unchosen.buttons()][:2] == ["⬜ Prusa MK4", "⬜ Trotec Speedy"]
        # A forged press for a machine that does not exist is refused; the choice stays.
        refused = await press_data(fake, MANAGER, ReserveToggled(999).data())
        assert refused.params.get("show_alert") or refused.params.get("text")
        await tap(fake, MANAGER, "Trotec Speedy")
        await tap(fake, MANAGER, "Continuer")
        await say(fake, MANAGER, "Formation laser")
        await tap(fake, MANAGER, "Sans description")
        planned = await tap(fake, MANAGER, "Au lab")
        assert "🔒 Machines réservées : Trotec Speedy" in plain(planned)
    async with sessions() as session:
        held = await session.scalar(select(Downtime).where(Downtime.session_id.is_not(None)))
        assert held is not None and (held.start_at, held.end_at) == (paris(8, 18), paris(8, 20))


async def test_a_second_workshop_reserving_the_printer_then_is_refused_naming_the_first(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    await _printer_reserved(sessions, SessionKind.TRAINING, "Formation Prusa", paris(8, 17), paris(8, 19))
    async with running_bot(test_settings(fake, database_url), Clock()):
        await _workshop_on_friday_afternoon(fake)
        await tap(fake, MANAGER, "Prusa MK4")
        await tap(fake, MANAGER, "Continuer")
        await say(fake, MANAGER, "Atelier impression 3D")
        place = await tap(fake, MANAGER, "Sans description")
        (at_the_lab,) = [data for label, data in place.buttons() if "Au lab" in label]
        assert at_the_lab is not None
        refused = await press_data(fake, MANAGER, at_the_lab)
        assert refused.params.get("text") == (
            "La machine Prusa MK4 est déjà réservée par la séance « Formation Prusa » sur une partie de ce "
            "créneau. Rien n'a été modifié."
        )
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LabSession)) == 1
