"""Every refusal the domain can give has its own sentence, found by its exact class, and said by
one owner: its feature (bot/features/<feature>/refusals.py) or, for the generic ones,
bot/features/refusals.py."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

import models
from bot.core.i18n import Texts
from bot.core.refusals import merge
from bot.features.refusals import GENERIC, REFUSALS, TABLES, refusal_text
from models import checkin, errors, maintenance, projects, quotas, sessions
from models.machines import MachineKind


def _all_refusal_classes() -> set[type[errors.DomainError]]:
    for module in pkgutil.iter_modules(models.__path__):
        importlib.import_module(f"models.{module.name}")
    found: set[type[errors.DomainError]] = set()
    todo = [errors.DomainError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def _example(cls: type[errors.DomainError]) -> errors.DomainError:
    """A refusal of that class, with whatever details its constructor asks for."""
    if issubclass(cls, maintenance.TicketNotActive):
        return cls(maintenance.TicketStatus.RESOLVED)
    if issubclass(cls, errors.SlotTaken):
        return cls([])
    if issubclass(cls, checkin.CheckInNotYet | sessions.CancelTooLate):
        return cls(datetime(2030, 3, 5, 8, 45, tzinfo=UTC))
    if issubclass(cls, quotas.QuotaRefusal | quotas.TooShortNotice | quotas.LateCancellation):
        return _quota_example(cls)
    if issubclass(cls, errors.TrainingLapsed):
        return cls("Trotec", datetime(2030, 3, 5, 8, 45, tzinfo=UTC))
    if issubclass(cls, errors.MachineReserved):
        return cls("Atelier impression 3D", datetime(2030, 3, 5, 17, 0, tzinfo=UTC))
    if issubclass(cls, errors.AlreadyReserved):
        return cls("Prusa", "Atelier impression 3D")
    return cls("Prusa")


def _quota_example(cls: type[errors.DomainError]) -> errors.DomainError:
    scope, moment = quotas.Scope(None, MachineKind.PRINTER_3D), datetime(2030, 3, 5, 8, 45, tzinfo=UTC)
    examples: dict[type[errors.DomainError], errors.DomainError] = {
        quotas.DailyQuotaReached: quotas.DailyQuotaReached(scope, 240, 240, moment.date()),
        quotas.WeeklyQuotaReached: quotas.WeeklyQuotaReached(scope, 240, 60, moment.date(), this_week=True),
        quotas.UpcomingLimitReached: quotas.UpcomingLimitReached(scope, 2, 2, moment),
        quotas.TooShortNotice: quotas.TooShortNotice(120, moment, today=True),
        quotas.LateCancellation: quotas.LateCancellation(1440),
    }
    return examples.get(cls, quotas.QuotaRefusal(scope, 240, 240))


def test_every_refusal_class_has_its_own_sentence() -> None:
    missing = sorted(c.__qualname__ for c in _all_refusal_classes() if c not in REFUSALS)
    assert not missing, f"add a sentence to its feature's refusals.py (REFUSALS) for: {missing}"


def test_the_table_names_only_refusals() -> None:
    assert all(issubclass(c, errors.DomainError) for c in REFUSALS)


def test_each_refusal_has_one_owner() -> None:
    """The merged table holds every owner's entries, none of them lost to another owner's."""
    assert sum(len(table) for table in TABLES.values()) == len(REFUSALS)
    for table in TABLES.values():
        assert all(REFUSALS[cls] is text for cls, text in table.items())


def test_a_refusal_claimed_by_two_features_is_refused() -> None:
    """Two features saying how one class reads: whichever merged last would win, silently."""
    with pytest.raises(ValueError, match="OwnersOnly has a refusal text in both projects and stock"):
        merge({"projects": {projects.OwnersOnly: "one"}, "stock": {projects.OwnersOnly: "other"}})
    assert merge({"a": {projects.OwnersOnly: "one"}, "b": {projects.LastOwner: "two"}}) == {
        projects.OwnersOnly: "one",
        projects.LastOwner: "two",
    }


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_sentence_is_translated_and_none_is_the_generic_one(language: str) -> None:
    texts = Texts(language, ZoneInfo("Europe/Paris"))
    generic = texts.gettext(GENERIC)
    for cls in _all_refusal_classes() - {errors.DomainError}:
        text = refusal_text(texts, _example(cls))
        assert text and text != generic, cls.__qualname__
        if language == "fr":
            assert text != refusal_text(Texts("en", ZoneInfo("Europe/Paris")), _example(cls)), (
                cls.__qualname__
            )


def test_a_subclass_does_not_borrow_its_parents_sentence() -> None:
    """The order-dependent match gave any new NotAllowed "Only the fab managers can do that."."""
    texts = Texts("en", ZoneInfo("Europe/Paris"))
    assert refusal_text(texts, projects.OwnersOnly()) == "Only the project's owners can do that."
    assert refusal_text(texts, errors.NotAllowed()) == "Only the fab managers can do that."

    class NewRule(errors.NotAllowed):
        pass

    try:
        assert refusal_text(texts, NewRule()) == "That cannot be done. Nothing was changed."
    finally:
        del NewRule


def test_a_sentence_with_details() -> None:
    texts = Texts("fr", ZoneInfo("Europe/Paris"))
    assert "Robot" in refusal_text(texts, projects.GroupTaken("Robot"))
    still_open = maintenance.TicketNotActive(next(iter(maintenance.ACTIVE_STATUSES)))
    closed = maintenance.TicketNotActive(maintenance.TicketStatus.RESOLVED)
    assert refusal_text(texts, still_open) != refusal_text(texts, closed)
