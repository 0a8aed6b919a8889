"""Who can help on a machine (its QR page): members trained on it and managers, only those who
agreed to be named; the choice is recorded, exported in /mydata, cleared by erasure."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import authorizations, machines, privacy
from models.machines import Authorization, MachineKind
from tests.factories import NOW, PARIS, make_machine, make_member


async def test_only_trained_members_and_managers_who_agreed_are_named(session: AsyncSession) -> None:
    laser = await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
    other = await make_machine(session, "Epilog", kind=MachineKind.LASER_CUTTER, requires_training=True)
    manager = await make_member(session, "Morgane", manager=True)
    alice, bob, carol, dan, erin = [
        await make_member(session, name) for name in ("Alice", "Bob", "Carol", "Dan", "Erin")
    ]
    await machines.authorize(session, manager, alice, machine=laser, now=NOW)
    await machines.authorize(session, manager, bob, machine=laser, now=NOW)  # trained, not agreeing
    await machines.authorize(session, manager, carol, kind=MachineKind.LASER_CUTTER, now=NOW)
    await machines.authorize(session, manager, dan, machine=other, now=NOW)  # another machine
    assert await authorizations.helpers_for(session, laser) == []  # nobody agreed yet

    for member in (alice, carol, dan, erin, manager):
        assert authorizations.show_as_helper(member, True, NOW)
    assert not authorizations.show_as_helper(alice, True, NOW + timedelta(days=1))  # the first date stays
    assert alice.shown_as_helper_since == NOW
    await session.flush()
    helpers = await authorizations.helpers_for(session, laser)
    # Erin agreed but is not trained; Bob is trained but did not agree; Dan is trained on another.
    assert [m.first_name for m in helpers] == ["Alice", "Carol", "Morgane"]
    assert [m.first_name for m in await authorizations.helpers_for(session, laser, besides=alice)] == [
        "Carol",
        "Morgane",
    ]

    # Changing one's mind, an erasure, a training withdrawn: no longer named.
    assert authorizations.show_as_helper(carol, False, NOW)
    await privacy.erase_member(session, manager, privacy.ErasureReason.REQUEST, NOW, PARIS)
    assert manager.shown_as_helper_since is None
    assert [m.first_name for m in await authorizations.helpers_for(session, laser)] == ["Alice"]
    boss = await make_member(session, "Fabienne", manager=True)
    held = await session.scalar(select(Authorization.id).where(Authorization.member_id == alice.id))
    assert held is not None
    await authorizations.revoke(session, boss, held, NOW, PARIS)
    assert await authorizations.helpers_for(session, laser) == []


async def test_the_choice_is_in_the_members_export(session: AsyncSession) -> None:
    alice = await make_member(session)
    assert (await privacy.export_member_data(session, alice))["profile"]["shown_as_helper_since"] is None
    authorizations.show_as_helper(alice, True, NOW)
    exported = await privacy.export_member_data(session, alice)
    assert exported["profile"]["shown_as_helper_since"] == NOW.isoformat()
