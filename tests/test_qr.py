"""`fabdesk qr`: the machines' labels, a real PDF opened and its QR codes decoded back to their links
(poppler's pdftoppm renders the pages, zbar's zbarimg reads the codes: .ci/run installs both)."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.machines import Machine, MachineKind
from tests.factories import make_machine
from tests.fakebot import FakeBotApi
from tests.harness import cli_env, run_cli

TOOLS = ("pdfinfo", "pdftoppm", "pdftotext", "zbarimg")
pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in TOOLS), reason="poppler-utils and zbar-tools are needed"
)


async def _run(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_fabdesk_qr_writes_one_label_per_machine_whose_code_opens_its_page(
    database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None, tmp_path: Path
) -> None:
    async with sessions.begin() as session:
        for n in range(1, 6):  # seven machines: two pages of six labels
            await make_machine(session, f"Découpeuse vinyle n° {n} — Atelier", kind=MachineKind.OTHER)
        ids = list(await session.scalars(select(Machine.id).order_by(Machine.id)))
    assert len(ids) == 7
    pdf = tmp_path / "labels.pdf"
    env = cli_env(database_url=database_url, bot_username="fablab_bot", default_language="fr")
    code, out, err = await run_cli("qr", str(pdf), env=env, cwd=tmp_path)
    assert code == 0, err
    assert "7 machine labels, links to @fablab_bot" in out

    info = await _run("pdfinfo", str(pdf))
    assert re.search(r"^Pages:\s+2$", info, re.MULTILINE), info
    assert "A4" in info
    text = await _run("pdftotext", str(pdf), "-")
    assert "Découpeuse vinyle n° 5 — Atelier" in text
    assert "Scannez avec votre téléphone" in text
    await _run("pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page"))
    links: list[str] = []
    for page in sorted(await asyncio.to_thread(lambda: list(tmp_path.glob("page*.png")))):
        links += (await _run("zbarimg", "--quiet", "--raw", str(page))).split()
    assert sorted(links) == sorted(f"https://t.me/fablab_bot?start=m{i}" for i in ids)


async def test_fabdesk_qr_without_a_username_or_token_says_what_to_set(
    database_url: str, tmp_path: Path
) -> None:
    code, _out, err = await run_cli(
        "qr", str(tmp_path / "x.pdf"), env=cli_env(database_url=database_url), cwd=tmp_path
    )
    assert code == 2
    assert "FABDESK_BOT_USERNAME" in err
    assert not (tmp_path / "x.pdf").exists()


async def test_fabdesk_qr_asks_telegram_for_the_bots_username_without_the_setting(
    database_url: str, lab: None, fake: FakeBotApi, tmp_path: Path
) -> None:
    env = cli_env(database_url=database_url, bot_token=fake.token, telegram_base_url=fake.base_url)
    code, out, err = await run_cli("qr", str(tmp_path / "labels.pdf"), env=env, cwd=tmp_path)
    assert code == 0, err
    username = fake.bot_user["username"]
    assert f"2 machine labels, links to @{username}" in out
    assert fake.calls_of("getMe")
    await _run("pdftoppm", "-r", "150", "-png", str(tmp_path / "labels.pdf"), str(tmp_path / "page"))
    links = (await _run("zbarimg", "--quiet", "--raw", str(tmp_path / "page-1.png"))).split()
    assert sorted(links) == [f"https://t.me/{username}?start=m1", f"https://t.me/{username}?start=m2"]
