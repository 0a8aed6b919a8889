"""Every user-facing string has a French translation, with the same placeholders."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot.core.i18n import LOCALE_DIR, Texts, pick_language
from bot.core.messages import Outgoing
from bot.core.outbox import render
from models.notices import rebuild

ROOT = Path(__file__).parent.parent
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
PLACEHOLDER = re.compile(r"\{[a-z_]+[^}]*\}")


def source_messages() -> set[str]:
    """Message ids as `pybabel extract` finds them in the code."""
    found: set[str] = set()
    for folder in ("bot", "scheduler"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            # A plural message is keyed by its singular form in the catalogs.
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "fabdesk.po").open("rb") as handle:
        return read_po(handle, locale=language)


def test_code_has_messages_to_translate() -> None:
    assert len(source_messages()) > 50
    assert "Your booking is confirmed." in source_messages()


def test_every_message_id_has_a_french_translation() -> None:
    french = catalog("fr")
    untranslated = sorted(
        m for m in source_messages() if (entry := french.get(m)) is None or not entry.string or entry.fuzzy
    )
    assert untranslated == [], "run `pybabel update` and translate these in bot/locale/fr"


def test_french_keeps_the_placeholders() -> None:
    checked = 0
    for entry in catalog("fr"):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        expected = {p for message in ids for p in PLACEHOLDER.findall(message)}
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) == expected, entry.id
            checked += 1
    assert checked > 50


def test_template_lists_every_message() -> None:
    with (LOCALE_DIR / "fabdesk.pot").open("rb") as handle:
        template = {
            entry.id[0] if isinstance(entry.id, tuple) else entry.id for entry in read_po(handle) if entry.id
        }
    assert source_messages() <= template, "run `pybabel extract` (see README, Translations)"


def test_english_catalog_exists_and_falls_back_to_the_source_text() -> None:
    english = Texts("en", ZoneInfo("Europe/Paris"))
    assert catalog("en") is not None
    assert english.gettext("Your booking is confirmed.") == "Your booking is confirmed."


def test_french_dates_and_times_read_naturally() -> None:
    french = Texts("fr", ZoneInfo("Europe/Paris"))
    start = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    end = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
    assert french.when(start, end) == "mardi 24 novembre, 14:00–16:30"
    assert french.gettext("Your booking is confirmed.") == "Votre réservation est confirmée."
    assert (
        french.duration(90) == "1 h 30" and french.duration(45) == "45 min" and french.duration(120) == "2 h"
    )
    english = Texts("en", ZoneInfo("Europe/Paris"))
    assert english.day(date(2026, 11, 24)) == "Tuesday 24 November"
    assert english.duration(90) == "1 h 30 min"


@pytest.mark.parametrize(
    ("chosen", "telegram", "default", "expected"),
    [
        ("en", "fr", "fr", "en"),
        (None, "fr-CA", "en", "fr"),
        (None, "de", "fr", "fr"),
        (None, None, "en", "en"),
    ],
)
def test_language_follows_choice_then_telegram_then_lab_default(
    chosen: str | None, telegram: str | None, default: str, expected: str
) -> None:
    assert pick_language(chosen, telegram, default) == expected


def _render(kind: str, texts: Texts, payload: object) -> Outgoing:
    """A row as the outbox holds it (queued by today's code), rebuilt and rendered as the sender does."""
    return render(texts, rebuild(kind, payload))


def test_figures_use_the_languages_number_format() -> None:
    french = Texts("fr", ZoneInfo("Europe/Paris"))
    english = Texts("en", ZoneInfo("Europe/Paris"))
    assert french.hours(12.5) == "12,5 h" and english.hours(12.5) == "12.5 h"
    assert french.percent(0.25).replace("\u202f", " ").replace("\xa0", " ") == "25 %"
    assert english.percent(0.25) == "25%"
    weekly = _render(
        "weekly",
        french,
        {
            "from": "2030-03-04",
            "to": "2030-03-10",
            "hours": 12.5,
            "top": [["Prusa MK4", 10.5]],
            "bookings": 4,
            "cancelled": 1,
            "tickets_opened": 0,
            "tickets_resolved": 0,
            "repair_minutes": None,
        },
    )
    assert "12,5 h" in weekly.text and "Prusa MK4 — 10,5 h" in weekly.text


def test_a_called_off_downtime_reads_naturally_in_french() -> None:
    french = Texts("fr", ZoneInfo("Europe/Paris"))
    facts = {
        "booking_id": 7,
        "machine": "Trotec",
        "machine_id": 2,
        "kind": "laser_cutter",
        "start": "2030-03-09T09:00:00+00:00",
        "end": "2030-03-09T10:00:00+00:00",
        "window_start": "2030-03-09T08:00:00+00:00",
        "window_end": "2030-03-09T16:00:00+00:00",
    }
    told = _render("downtime_called_off", french, facts)
    assert told.text == (
        "✅ La maintenance prévue sur Trotec (samedi 9 mars, 09:00–17:00) est annulée. "
        "Votre réservation du samedi 9 mars, 10:00–11:00 est maintenue."
    )
    waiting = _render("waitlist_opened", french, {"machine": "Trotec", "machine_id": 2, "day": "2030-03-09"})
    assert waiting.text == (
        "✅ Une maintenance prévue sur Trotec est annulée\u00a0: jetez un œil aux créneaux du samedi 9 mars."
    )
    assert waiting.markup is not None
    assert waiting.markup.inline_keyboard[0][0].callback_data == "bk:d:2:20300309"


def test_a_cancelled_meeting_reads_naturally_in_french() -> None:
    french = Texts("fr", ZoneInfo("Europe/Paris"))
    facts = {
        "project": "Club drone",
        "title": "Essais en vol",
        "start": "2030-03-05T17:00:00+00:00",
        "by": "Léa",
    }
    told = _render("meeting_cancelled", french, facts)
    assert (
        told.text == "✖ La réunion de Club drone du mardi 5 mars 18:00 est annulée (par Léa).\nEssais en vol"
    )


def test_update_checks_due_together_read_naturally_in_french_and_name_the_machine_once() -> None:
    french = Texts("fr", ZoneInfo("Europe/Paris"))
    items = [
        {"item_id": 1, "name": "Fusion 360 — Poste CAO 1", "machine": "Poste CAO 1", "version": "2.0.20256"},
        {"item_id": 2, "name": "PrusaSlicer", "machine": "Prusa MK4", "version": "2.7.1"},
    ]
    grouped = _render("updates_due", french, {"count": 2, "items": items})
    assert grouped.text.splitlines() == [
        "🔄 Mises à jour à vérifier (2)\xa0:",
        "• Fusion 360 — Poste CAO 1 · 2.0.20256",
        "• PrusaSlicer (Prusa MK4) · 2.7.1",
    ]
    assert grouped.markup is not None
    labels = [b.text for row in grouped.markup.inline_keyboard for b in row]
    assert labels == ["🔄 2.0.20256 · Fusion…Poste CAO 1", "🔄 2.7.1 · PrusaSlicer"]
    single = _render("update_due", french, items[0])
    assert single.text == (
        "🔄 Il est temps de vérifier les mises à jour\xa0: Fusion 360 — Poste CAO 1, version 2.0.20256."
    )


def test_french_avoids_anglicisms_and_machine_names_without_an_article() -> None:
    """« Escalader » is an anglicism, « fab managers » English; « votre réservation de Prusa MK4 »
    reads oddly (a machine's name takes no article): « Votre réservation : Prusa MK4, … »."""
    offending = []
    for entry in catalog("fr"):
        if not entry.id:
            continue
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for form in forms:
            if re.search(r"escalad|fab managers?", form, re.IGNORECASE) or re.search(
                r"réservations? de \{machine\}|réservé \{machine\}", form
            ):
                offending.append(form)
    assert offending == []
    french = Texts("fr", ZoneInfo("Europe/Paris"))
    assert french.gettext("Escalate") == "Transmettre au niveau 2"
    assert french.gettext("Only the fab managers can do that.") == "Seuls les fabmanagers peuvent faire cela."


def test_french_writes_its_apostrophes_one_way() -> None:
    """One screen showed « Rien n'a été modifié » and « Rien n’a été modifié » side by side (the Mini
    App's refusals): the catalog writes the apostrophe as most of it does, ' (U+0027)."""
    curly = []
    for entry in catalog("fr"):
        if not entry.id:
            continue
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        curly += [form for form in forms if re.search(r"\w\u2019\w", form)]
    assert curly == []


def test_sibling_items_keep_distinct_labels_on_a_phone() -> None:
    """The example inventory's Fusion 360 — Poste CAO 1 and … CAO 2 both read « Fusion 360 — Post… »:
    two identical buttons. The label keeps the start and the end of a long name."""
    from bot.features.keyboards import LABEL_LIMIT, clip_label

    names = [
        f"{software} — Poste CAO {n}"
        for software in ("Fusion 360", "PrusaSlicer", "Windows 11")
        for n in (1, 2)
    ]
    labels = [clip_label("2.0.20256", name, icon="🔔") for name in names]
    plywood = ["Contreplaqué peuplier 3 mm 600 × 300", "Contreplaqué peuplier 5 mm 600 × 300"]
    labels += [clip_label("120 fl", name, icon="⚠️") for name in plywood]
    assert len(set(labels)) == len(labels), labels
    assert all(len(label) <= LABEL_LIMIT + len("⚠️ ") for label in labels)


def test_plain_numbers_follow_the_language_as_on_the_charts_axis() -> None:
    assert Texts("fr", ZoneInfo("Europe/Paris")).number(0.25) == "0,25"
    assert Texts("en", ZoneInfo("Europe/Paris")).number(1234.5) == "1,234.5"
