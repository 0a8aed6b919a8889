"""The funders' activity report through the real application and the fake Bot API: a manager taps
from /stats to the report, reads it in French, and gets it as a CSV document; a member cannot."""

from __future__ import annotations

import csv
import io

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import paris
from tests.fakebot import ApiCall, FakeBotApi
from tests.harness import ALICE, MANAGER, Clock, running_bot, say, tap, test_settings
from tests.test_e2e_privacy_stats import attachment
from tests.test_e2e_sessions import plain
from tests.test_session_report import _fixture


async def _press_on_report(fake: FakeBotApi, report: ApiCall, label: str) -> str:
    """Press a button of the report's message (edited in place; a CSV sent since is the latest)."""
    mark = fake.mark()
    fake.press_button(MANAGER, report, label)
    edited = await fake.wait_for(
        lambda c: c.chat_id == MANAGER.id and "Rapport d'activité," in plain(c), after=mark
    )
    return plain(edited)


async def test_a_manager_reads_the_activity_report_and_gets_its_csv(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        await _fixture(session)
    settings = test_settings(fake, database_url, session_guest_profile=True)
    async with running_bot(settings, Clock(paris(15, 12))):
        await say(fake, MANAGER, "/stats")
        mark = fake.mark()
        message = fake.last_message(MANAGER.id)
        assert message is not None
        fake.press_button(MANAGER, message, "30 jours")
        figures = await fake.wait_for(
            lambda c: c.chat_id == MANAGER.id and "Heures réservées" in plain(c), after=mark
        )
        mark = fake.mark()
        fake.press_button(MANAGER, figures, "Rapport d'activité pour les financeurs")
        report_call = await fake.wait_for(
            lambda c: c.chat_id == MANAGER.id and "Rapport d'activité," in plain(c), after=mark
        )
        report = plain(report_call)
        assert "Rapport d'activité, du jeudi 14 février au vendredi 15 mars" in report
        assert "Séances tenues : 3 (6,0 h) ; annulées : 1." in report
        assert "• Atelier : 2 séances — 5,0 h, 8 participants, présents : 6 (75 %)" in report
        assert "• Formation machine : 1 séance — 1,0 h, 2 participants, présents : 1 (50 %)" in report
        assert "Participants : 10 (6 membres, 2 invités inscrits, 2 venus sans inscription)." in report
        assert "Présents : 7 (70 %)." in report
        assert "• 65 ans et plus : 1" in report and "• Demandeur d'emploi : 1" in report
        assert "• Moins de 18 ans : 0" in report
        assert "Jeanne" not in report and "Driss" not in report

        mark = fake.mark()
        await tap(fake, MANAGER, "Rapport d'activité en CSV")
        sent = await fake.wait_for_call("sendDocument", MANAGER.id, after=mark)
        name, content = attachment(sent)
        assert name == "fabdesk-activity-30d.csv"
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert rows[3] == ["workshop", "2", "5.00", "8", "4", "2", "2", "6", "3", "3", "0.750"]
        assert rows[4] == ["total", "3", "6.00", "10", "6", "2", "2", "7", "4", "3", "0.700"]
        assert b"Jeanne" not in content

        # Funders count in calendar months: last month (February) had no session, this month has them.
        february = await _press_on_report(fake, report_call, "Le mois dernier")
        assert "Rapport d'activité, du vendredi 1er février au jeudi 28 février" in february
        assert "Séances tenues : 0 (0,0 h) ; annulées : 0." in february
        march = await _press_on_report(fake, report_call, "Ce mois-ci")
        assert "du vendredi 1er mars au vendredi 15 mars" in march and "Présents : 7 (70 %)." in march
        mark = fake.mark()
        fake.press_button(MANAGER, report_call, "Rapport d'activité en CSV")  # the report's message
        sent = await fake.wait_for_call("sendDocument", MANAGER.id, after=mark)
        name, content = attachment(sent)
        assert name == "fabdesk-activity-this_month.csv"
        said = [plain(c) for c in fake.calls_of("sendMessage", MANAGER.id)]
        assert "🧾 Le rapport d'activité, du vendredi 1er mars au vendredi 15 mars, sans aucun nom." in said
        assert list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[4][:4] == [
            "total",
            "3",
            "6.00",
            "10",
        ]

        refused = await say(fake, ALICE, "/stats")
        assert "Rapport" not in plain(refused) and "report" not in plain(refused).lower()
