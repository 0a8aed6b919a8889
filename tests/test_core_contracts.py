"""The typed contracts between layers: buttons (callback data) and notices (outbox payloads)."""

from __future__ import annotations

import enum
from dataclasses import FrozenInstanceError, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

import pytest

from bot.core import routes
from bot.core.routes import Between, Button, OneOf
from models import notices
from models.notices import Notice, Part, UnreadablePayload


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class _Start(Button, action="tt:s"):
    machine: int
    start: datetime


class _Day(Button, action="tt:d"):
    machine: int
    day: date


class _Page(Button, action="tt"):
    page: Annotated[int, Between(0, 99)]


class _Choice(Button, action="tt:c"):
    colour: Annotated[Colour, OneOf((Colour.RED, Colour.BLUE))]
    remote: bool


class _Plain(Button, action="tt:z"):
    pass


WHEN = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)


def test_a_button_round_trips_through_its_data() -> None:
    press = _Start(machine=12, start=WHEN)
    assert press.data() == f"tt:s:12:{(WHEN - routes.EPOCH) // timedelta(minutes=1)}"
    assert routes.parse(press.data()) == press
    assert routes.parse(_Day(machine=3, day=date(2026, 12, 4)).data()) == _Day(
        machine=3, day=date(2026, 12, 4)
    )
    assert routes.parse(_Page(page=7).data()) == _Page(page=7)
    assert routes.parse(_Choice(colour=Colour.BLUE, remote=True).data()) == _Choice(
        colour=Colour.BLUE, remote=True
    )
    assert routes.parse("tt:z") == _Plain()


def test_the_wire_format_is_todays() -> None:
    """Buttons already on members' screens keep working: same words, same numbers."""
    assert _Day(machine=3, day=date(2026, 12, 4)).data() == "tt:d:3:20261204"
    assert _Choice(colour=Colour.RED, remote=False).data() == "tt:c:0:0"
    # moments as minutes since 1970, as bot/handlers/booking.py builds them today
    assert _Start(machine=12, start=WHEN).data() == f"tt:s:12:{int(WHEN.timestamp()) // 60}"
    assert routes.parse("tt:s:12:29567040") == _Start(
        machine=12, start=datetime(2026, 3, 20, 16, 0, tzinfo=UTC)
    )


def test_the_longest_action_wins() -> None:
    assert routes.parse("tt:7") == _Page(page=7)
    assert isinstance(routes.parse("tt:s:1:29567040"), _Start)
    # "tt:s" with a missing argument is not "tt" with odd arguments
    assert routes.parse("tt:s:1") is None


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "zz:1",  # unknown action
        "tt:s:1",  # missing argument
        "tt:s:1:2:3",  # extra argument
        "tt:s:x:2",  # letters
        "tt:s:-1:2",  # negative
        "tt:s:01:2",  # leading zero: not how we write numbers
        "tt:s:2147483648:2",  # beyond a 32-bit id
        "tt:s:1:999999999999",  # a moment after 2200
        "tt:s:1:5",  # 1970: no booking starts then
        "tt:d:1:20261340",  # no 40th of the 13th month
        "tt:d:1:99991231",  # year 9999
        "tt:100",  # page out of its range
        "tt:c:2:0",  # no third colour
        "tt:c:0:2",  # a flag is 0 or 1
        "tt:s:1:2 ",  # odd whitespace
        "tt:s:１:2",  # full-width digit
        "tt:z:1",
        "x" * 65,
        "tt:" + "9" * 70,
    ],
)
def test_anything_forged_parses_to_none(data: str | None) -> None:
    assert routes.parse(data) is None


def test_a_button_refuses_to_build_data_it_could_not_read_back() -> None:
    with pytest.raises(ValueError):
        _Page(page=100).data()
    with pytest.raises(ValueError):
        _Start(machine=-1, start=WHEN).data()
    with pytest.raises(ValueError):
        _Start(machine=1, start=datetime(2026, 12, 4, 14, 0)).data()  # naive: whose 14:00?


def test_buttons_are_frozen_values() -> None:
    press = _Page(page=1)
    with pytest.raises(FrozenInstanceError):
        press.page = 2  # type: ignore[misc]
    assert _Page(page=1) == press and hash(_Page(page=1)) == hash(press)


def test_declaration_mistakes_fail_at_import() -> None:
    with pytest.raises(TypeError, match="already"):

        class _Again(Button, action="tt:s"):
            machine: int

    with pytest.raises(TypeError, match="bytes"):

        class _TooLong(Button, action="tt:long"):
            a: datetime
            b: datetime
            c: datetime
            d: datetime
            e: datetime
            f: datetime

    with pytest.raises(TypeError, match="codec"):

        class _Odd(Button, action="tt:odd"):
            label: str

    with pytest.raises(TypeError, match="OneOf"):

        class _Bare(Button, action="tt:bare"):
            colour: Colour

    with pytest.raises(TypeError, match="0 or more"):

        class _Negative(Button, action="tt:neg"):
            delta: Annotated[int, Between(-1, 1)]

    with pytest.raises(TypeError, match="words"):

        class _Bad(Button, action="TT s"):
            pass


def test_a_pattern_matches_only_its_buttons() -> None:
    import re

    regex = re.compile(routes.pattern(_Start, _Day))
    assert regex.match(_Start(machine=1, start=WHEN).data())
    assert regex.match(_Day(machine=1, day=date(2026, 1, 1)).data())
    assert not regex.match(_Page(page=1).data())
    assert not regex.match("tt:sx:1:2")


# --- notices ---------------------------------------------------------------------------------


class _Line(Part):
    item: str
    version: str | None = None


class _Pairs(Notice, kind="test_pairs"):
    top: list[tuple[str, float]]
    ids: tuple[int, ...] = ()


def test_tuples_come_back_as_tuples() -> None:
    import json

    notice = _Pairs(top=[("Prusa MK4", 12.5), ("Trotec", 0.0)], ids=(3, 4))
    rebuilt = notices.rebuild("test_pairs", json.loads(json.dumps(notice.payload())))
    assert rebuilt == notice
    with pytest.raises(UnreadablePayload, match="2 items"):
        notices.rebuild("test_pairs", {"top": [["Prusa MK4"]]})


class _Sample(Notice, kind="test_sample"):
    ticket_id: int
    machine: str
    colour: Colour
    start: datetime
    day: date
    amount: Decimal
    urgent: bool
    lines: list[_Line] = field(default_factory=list)
    note: str | None = None


def _sample() -> _Sample:
    return _Sample(
        ticket_id=4,
        machine="Prusa MK4 #1",
        colour=Colour.BLUE,
        start=WHEN,
        day=date(2026, 12, 4),
        amount=Decimal("12.50"),
        urgent=True,
        lines=[_Line(item="Fusion 360", version="2.0.1"), _Line(item="Cura")],
    )


def test_a_notice_round_trips_through_json() -> None:
    import json

    notice = _sample()
    stored = json.loads(json.dumps(notice.payload()))  # what the JSON column gives back
    assert stored["colour"] == "blue" and stored["start"] == WHEN.isoformat() and stored["amount"] == "12.50"
    assert notices.rebuild("test_sample", stored) == notice


def test_the_reader_tolerates_older_and_newer_rows() -> None:
    stored = _sample().payload()
    stored["added_later"] = "ignored"  # a newer fabdesk queued it
    del stored["note"]  # an older one did not know the field
    del stored["lines"]
    rebuilt = notices.rebuild("test_sample", stored)
    assert isinstance(rebuilt, _Sample) and rebuilt.note is None and rebuilt.lines == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"ticket_id": None}, "ticket_id"),
        ({"ticket_id": "4"}, "integer"),
        ({"urgent": 1}, "true or false"),
        ({"colour": "green"}, "colour"),
        ({"start": "yesterday"}, "start"),
        ({"amount": "lots"}, "amount"),
        ({"lines": "Cura"}, "list"),
        ({"lines": [{"version": "1"}]}, "item is missing"),
    ],
)
def test_an_unreadable_row_says_why(change: dict[str, object], reason: str) -> None:
    stored = {**_sample().payload(), **change}
    with pytest.raises(UnreadablePayload, match=reason):
        notices.rebuild("test_sample", stored)


def test_a_missing_required_field_or_unknown_kind_is_unreadable() -> None:
    stored = _sample().payload()
    del stored["machine"]
    with pytest.raises(UnreadablePayload, match="machine is missing"):
        notices.rebuild("test_sample", stored)
    with pytest.raises(UnreadablePayload, match="unknown kind"):
        notices.rebuild("no_such_kind", {})
    with pytest.raises(UnreadablePayload, match="not an object"):
        notices.rebuild("test_sample", ["x"])


def test_a_misspelt_field_fails_where_the_notice_is_built() -> None:
    with pytest.raises(TypeError):
        _Sample(ticket=4)  # type: ignore[call-arg]


def test_a_kind_is_declared_once() -> None:
    with pytest.raises(TypeError, match="already"):

        class _Again(Notice, kind="test_sample"):
            x: int

    with pytest.raises(TypeError, match="40"):

        class _Long(Notice, kind="k" * 41):
            x: int

    assert notices.kinds()["test_sample"] is _Sample


def test_a_value_json_cannot_hold_is_refused_when_queued() -> None:
    class _Odd(Notice, kind="test_odd"):
        thing: object

    with pytest.raises(TypeError, match="cannot store"):
        _Odd(thing=object()).payload()


def test_handlers_read_button_numbers_through_one_codec() -> None:
    """EPOCH was defined in three handlers and only one checked the range: now one codec, in the
    route declaration, for every moment and day a button carries."""
    from bot.features.booking.routes import DayChosen, StartChosen

    start = StartChosen(3, WHEN)
    assert routes.parse(start.data()) == start
    day = DayChosen(3, date(2026, 12, 4))
    assert routes.parse(day.data()) == day
    action = start.data().rsplit(":", 1)[0]
    for forged in (0, 5, 2**31 - 1):
        assert routes.parse(f"{action}:{forged}") is None
    day_action = day.data().rsplit(":", 1)[0]
    for forged in (0, 20261340, 99991231):
        assert routes.parse(f"{day_action}:{forged}") is None


def test_asking_a_question_drops_every_other_one() -> None:
    """bot/core/inputs.py tries the features' awaited messages in registration order, which is
    only safe because a member owes at most one answer: every function of models/ that records a
    question (put_pending) first drops the others (clear_pending, keeping its own kind)."""
    import ast
    from pathlib import Path

    asked: list[str] = []
    for path in sorted(Path("models").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.AsyncFunctionDef | ast.FunctionDef):
                continue
            calls = [
                node
                for node in ast.walk(function)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            ]
            puts = [c for c in calls if c.func.id == "put_pending"]  # type: ignore[attr-defined]
            for put in puts:
                kind = ast.unparse(put.args[1])
                asked.append(kind)
                kept = [
                    ast.unparse(k.value)
                    for c in calls
                    if c.func.id == "clear_pending"  # type: ignore[attr-defined]
                    and c.lineno < put.lineno
                    for k in c.keywords
                    if k.arg == "keep"
                ]
                assert kind in kept, f"{path}:{put.lineno} asks {kind} without dropping the other questions"
    assert len(asked) >= 7, asked  # the report, a note, an amount, a version, a search, two of projects


def test_a_catch_all_answer_is_tried_after_the_narrow_ones() -> None:
    """A report being written takes any message; an amount or a version takes a text only when
    asked. Should a race ever leave two questions open, the narrow answer must be tried first,
    whatever the features' registration order."""
    from bot.core.inputs import Awaited, answer_order
    from bot.features.maintenance import report
    from bot.features.registry import features

    registered = [waiting for feature in features() for waiting in feature.awaits]
    ordered = answer_order(registered)
    takers = [waiting.took for waiting in ordered]
    assert report.took_message in takers
    assert takers[-1] is report.took_message, "the report's catch-all must come last"
    assert [w for w in ordered if not w.catch_all] == [w for w in registered if not w.catch_all]

    async def broad(*_: object) -> None:
        return None

    async def narrow(*_: object) -> None:
        return None

    first, second = Awaited(broad, catch_all=True), Awaited(narrow)
    assert answer_order([first, second]) == [second, first]
