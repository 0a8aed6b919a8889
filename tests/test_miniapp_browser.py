"""The Mini App's page in a real browser (Debian's headless Chromium, driven by Playwright), at phone size.

The bot runs for real (its HTTP server, the fake Bot API), the page is opened with launch data signed
as Telegram would, and Telegram's telegram-web-app.js is replaced by tests/browser/telegram-web-app.js;
every other request leaving 127.0.0.1 is refused. The clock is Monday 4 March 2030, 07:00 in Paris;
the lab opens 09:00–19:00 every day, with a printer (Prusa MK4) and a laser that needs a training.
Screenshots of the main screens go to tests/artifacts/ (not compared: looked at).

One browser serves the whole module, so the tests share the module's event loop: they start their
fake Bot API and database setup themselves (`opened_lab`) instead of the function-scoped fixtures.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import bookings, quotas
from models.audit import ChangeKind, ManagerChange
from models.bookings import Booking
from models.db import create_engine, session_factory
from models.downtime import Downtime
from models.machines import Authorization, Machine, MachineKind, MachineStatus
from models.maintenance import Severity, Ticket
from models.members import Member
from models.opening import Closure, OpeningHours
from models.quotas import QuotaValues
from models.stock import Consumable
from models.updates import UpdateItem
from tests.factories import NOW, RULES, make_machine, make_member, open_every_day, paris
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import ALICE, BOB, MANAGER, book_through_buttons, tap
from tests.miniapp import launch_data
from tests.test_miniapp_api import App, running_app
from tests.test_miniapp_manage import add_ticket, ids
from tests.test_miniapp_stock import stocked

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STAND_IN = Path(__file__).parent / "browser" / "telegram-web-app.js"
ARTIFACTS = Path(__file__).parent / "artifacts"
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
TUESDAY_10 = "2030-03-05T10:00:00+01:00"
CHLOE = FakeUser(1003, "Chloé", username="chloe", language_code="fr")
DARK = {  # Telegram for Android's night theme (not the page's own dark fallback)
    "bg_color": "#212121",
    "text_color": "#ffffff",
    "hint_color": "#aaaaaa",
    "link_color": "#8cc4ff",
    "button_color": "#4c9ce2",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#181818",
}

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (/usr/bin/chromium): apt-get install chromium",
    ),
    pytest.mark.asyncio(loop_scope="module"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        await chromium.close()


class Lab:
    """The running bot, its database and the pages opened on it."""

    def __init__(self, fake: FakeBotApi, app: App, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.fake, self.app, self.sessions = fake, app, sessions
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.prusa = self.laser = 0

    async def machine_id(self, name: str) -> int:
        async with self.sessions() as session:
            found = await session.scalar(select(Machine.id).where(Machine.name == name))
            assert found is not None
            return found

    async def bookings(self) -> list[tuple[str, Any, Any, str]]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(Machine.name, Booking.start_at, Booking.end_at, Booking.status)
                .join(Machine, Booking.machine_id == Machine.id)
                .order_by(Booking.id)
            )
            return [(r[0], r[1], r[2], r[3].value) for r in rows]

    async def open(
        self,
        browser: Any,
        user: FakeUser,
        *,
        init_data: str | None = None,
        scheme: str = "light",
        theme: dict[str, str] | None = None,
    ) -> Any:
        """Open the app as Telegram would for `user`, at 360 × 640."""
        context = await browser.new_context(
            viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True, locale="en-GB"
        )

        async def route(request_route: Any) -> None:
            url = request_route.request.url
            if url.startswith(TELEGRAM_SCRIPT):
                await request_route.fulfill(path=STAND_IN, content_type="application/javascript")
            elif urlsplit(url).hostname in {"127.0.0.1", "localhost"}:
                await request_route.continue_()
            else:
                self.blocked.append(url)
                await request_route.abort()

        await context.route("**/*", route)
        signed = launch_data(self.fake, user, self.app.clock()) if init_data is None else init_data
        launch = {"initData": signed, "colorScheme": scheme, "themeParams": theme or {}}
        await context.add_init_script(f"window.__fabdeskLaunch = {json.dumps(launch)};")
        context.set_default_timeout(10_000)  # a page that fails says so in seconds, not half a minute
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        await page.goto(f"http://127.0.0.1:{self.app.port}/app/")
        return page

    async def tuesday_10(self, browser: Any) -> tuple[Any, Any]:
        """Alice's week, once it shows the printer free on Tuesday at 10:00: the page and that cell."""
        page = await self.open(browser, ALICE)
        free = page.locator(cell(self.prusa, TUESDAY_10))
        await free.wait_for()
        return page, free


@asynccontextmanager
async def opened_lab(database_url: str) -> AsyncIterator[Lab]:
    """The lab of tests/conftest.py's `lab` fixture, the bot running on it with its HTTP server."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            await open_every_day(session)
            await make_machine(session, "Prusa MK4", slot_minutes=30, max_booking_minutes=120)
            await make_machine(
                session, "Trotec Speedy", kind=MachineKind.LASER_CUTTER, requires_training=True
            )
        async with FakeBotApi() as fake, running_app(fake, database_url) as app:
            lab = Lab(fake, app, sessions)
            lab.prusa, lab.laser = await lab.machine_id("Prusa MK4"), await lab.machine_id("Trotec Speedy")
            yield lab
            assert lab.errors == [], lab.errors
            assert lab.blocked == [], lab.blocked
        assert fake.errors == []
    finally:
        await engine.dispose()


async def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


async def no_sideways_scroll(page: Any) -> None:
    """The page itself never scrolls sideways, and every button or list shown is big enough for a thumb."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways: {width} px wide"
    small = await page.evaluate(
        """[...document.querySelectorAll("button, select")]
        .map(e => [e, e.getBoundingClientRect()])
        .filter(([e, r]) => r.width > 0 && r.height > 0)
        .filter(([e, r]) => r.width < 40 || r.height < 40)
        .map(([e, r]) => `${e.textContent.trim() || e.className} ${r.width}x${r.height}`)"""
    )
    assert small == [], f"too small for a thumb ({len(small)}): {small[:5]}"


async def above_the_tab_bar(page: Any, locator: Any) -> bool:
    """Whether what `locator` shows is on the screen, above the tabs (fixed at the bottom)."""
    return bool(
        await locator.evaluate(
            """e => { const r = e.getBoundingClientRect();
                const tabs = document.querySelector("#tabs").getBoundingClientRect();
                return r.top >= 0 && r.bottom <= tabs.top + 1; }"""
        )
    )


async def tab_ids(page: Any) -> list[str]:
    ids: list[str] = await page.locator("#tabs [role=tab]").evaluate_all("ts => ts.map(t => t.dataset.tab)")
    return ids


def cell(machine: int, start: str, state: str = "free") -> str:
    return f'.cell.{state}[data-machine="{machine}"][data-start="{start}"]'


async def test_a_member_books_a_free_time_from_the_week_sees_it_as_hers_and_cancels_it(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        prusa, laser = lab.prusa, lab.laser
        page, free = await lab.tuesday_10(browser)
        names = await page.locator(".row.machine .machine-name").all_text_contents()
        assert names == ["Prusa MK4", "Trotec Speedy"]
        assert await page.locator(f'.row.machine[data-machine="{laser}"] .badge').text_content() == (
            "🔒 Training required"
        )
        assert await page.locator(".now-line").count() == 1
        assert await page.locator(".legend").text_content() == (
            "FreeMineBookedPlanned downtimeOut of serviceClosedPast"
        )
        # A member has the members' tabs only.
        assert await tab_ids(page) == ["week", "find", "mine", "opening"]
        assert await page.locator('script[src="static/manage.js"]').count() == 0
        assert await page.evaluate("window.__telegramCalls.slice(0, 2)") == ["ready", "expand"]
        await no_sideways_scroll(page)
        await shot(page, "planning")

        await free.scroll_into_view_if_needed()
        await free.click()
        await page.locator("#sheet-title").get_by_text("Prusa MK4").wait_for()
        hour = page.locator('#sheet .length[data-minutes="60"]')
        await hour.wait_for()
        assert await page.locator("#sheet .length").all_text_contents() == [
            f"{length} · 10:00–{end}"
            for length, end in [("30 min", "10:30"), ("1 h", "11:00"), ("1 h 30", "11:30"), ("2 h", "12:00")]
        ]
        await hour.click()
        await no_sideways_scroll(page)
        await shot(page, "sheet")
        mark = lab.fake.mark()
        await page.get_by_role("button", name="Confirm").click()
        await page.locator("#toast").get_by_text("Your booking is confirmed.").wait_for()
        await page.locator(cell(prusa, TUESDAY_10, "mine")).wait_for()
        mine = page.locator(cell(prusa, TUESDAY_10, "mine"))
        assert await mine.text_content() == "Mine"
        # Redrawn, the grid still shows Tuesday morning, where she booked.
        assert await mine.evaluate(
            """cell => {
                const shown = cell.closest(".grid-box").getBoundingClientRect();
                const r = cell.getBoundingClientRect();
                return r.left >= shown.left && r.right <= shown.right + 1;
            }"""
        )
        assert await lab.bookings() == [("Prusa MK4", paris(5, 10), paris(5, 11), "confirmed")]
        confirmation = await lab.fake.wait_for_call("sendMessage", ALICE.id, after=mark)
        assert "Your booking is confirmed" in (confirmation.text or "")

        await page.locator('#tabs [data-tab="mine"]').click()
        card = page.locator(".mine .card")
        await card.wait_for()
        assert await card.locator(".card-text").inner_text() == "Prusa MK4\nTuesday 5 March\n10:00–11:00"
        await no_sideways_scroll(page)
        await shot(page, "my-bookings")
        await card.get_by_role("button", name="Cancel").click()
        await page.locator("#sheet-title").get_by_text("Cancel this booking?").wait_for()
        await page.get_by_role("button", name="Yes, cancel it").click()
        await page.locator("#toast").get_by_text("Your booking is cancelled.").wait_for()
        await page.get_by_text("You have no booking to come.").wait_for()
        assert [row[3] for row in await lab.bookings()] == ["cancelled"]


async def test_a_member_changes_her_booking_from_my_bookings_to_another_time(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        async with lab.sessions.begin() as session:
            alice = await make_member(session, "Alice", telegram_id=ALICE.id)
            await bookings.book(session, alice, lab.prusa, paris(5, 10), 60, RULES, NOW)
            bob = await make_member(session, "Bob", telegram_id=BOB.id)
            await bookings.book(session, bob, lab.prusa, paris(5, 11, 30), 30, RULES, NOW)
        page = await lab.open(browser, ALICE)
        await page.locator('#tabs [data-tab="mine"]').click()
        card = page.locator(".mine .card")
        await card.wait_for()
        await card.get_by_role("button", name="Change").click()
        await page.locator("#sheet-title").get_by_text("Change this booking").wait_for()
        await page.locator("#sheet .move").first.wait_for()
        # From 10:00, up to Bob's 11:30 (its own hour left out); or 1 h elsewhere, never over Bob's.
        assert await page.locator("#sheet .length").all_text_contents() == [
            "30 min · 10:00–10:30",
            "1 h 30 · 10:00–11:30",
        ]
        moves = await page.locator("#sheet .move").all_text_contents()
        assert moves[:3] == [
            "Tuesday 5 March · 09:00–10:00",
            "Tuesday 5 March · 09:30–10:30",
            "Tuesday 5 March · 10:30–11:30",
        ]
        assert "Tuesday 5 March · 11:00–12:00" not in moves and "Tuesday 5 March · 10:00–11:00" not in moves
        await page.locator("#sheet .move").get_by_text("Tuesday 5 March · 12:00–13:00").click()
        await no_sideways_scroll(page)
        await shot(page, "change-booking")
        await page.get_by_role("button", name="Confirm").click()
        await page.locator("#toast").get_by_text("Your booking is changed.").wait_for()
        await card.locator(".card-text").get_by_text("12:00–13:00").wait_for()
        assert await lab.bookings() == [
            ("Prusa MK4", paris(5, 12), paris(5, 13), "confirmed"),
            ("Prusa MK4", paris(5, 11, 30), paris(5, 12), "confirmed"),
        ]


async def test_the_week_draws_each_state_apart_names_nobody_and_pages_within_the_horizon(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        prusa = lab.prusa
        async with lab.sessions.begin() as session:
            await make_machine(session, "Ultimaker S5", status=MachineStatus.OUT_OF_SERVICE)
            session.add(
                Downtime(machine_id=prusa, start_at=paris(5, 16), end_at=paris(5, 18), created_at=NOW)
            )
            session.add(Closure(day=paris(7, 12).date(), reason="Inventaire"))
        for user, start in ((BOB, TUESDAY_10), (ALICE, "2030-03-05T13:00:00+01:00")):
            status, _ = await lab.app(user, "book", {"machine": prusa, "start": start, "minutes": 120})
            assert status == 200
        page = await lab.open(browser, ALICE)
        await page.locator('.days [data-day="2030-03-05"]').click()
        booked = page.locator(cell(prusa, TUESDAY_10, "booked"))
        assert await booked.text_content() == "Booked"
        assert await booked.evaluate("b => b.getBoundingClientRect().width") == 4 * 40  # one block, 2 h
        assert await page.locator(cell(prusa, "2030-03-05T13:00:00+01:00", "mine")).text_content() == "Mine"
        assert await page.locator(cell(prusa, "2030-03-05T16:00:00+01:00", "downtime")).count() == 1
        assert await page.locator(cell(prusa, "2030-03-05T12:00:00+01:00")).count() == 1  # free between
        assert await page.locator(".row.machine .out_of_service").count() == 6  # each open day
        assert await page.locator(".track.closed-day").count() == 3  # Thursday, for each machine
        assert await page.locator('.days [data-day="2030-03-07"]').get_attribute("class") == "day closed-day"
        assert "Bob" not in await page.locator("body").inner_text()
        await no_sideways_scroll(page)
        await shot(page, "planning-states")
        await page.locator(".grid-box").evaluate("box => { box.scrollLeft += 4 * 80; }")  # Tuesday 13:00
        await shot(page, "planning-states-afternoon")

        # The next week is the last the horizon (two weeks) allows; back again.
        next_week = page.get_by_role("button", name="Next week")
        await next_week.click()
        await page.locator(".week-nav h2").get_by_text("Week of Monday 11 March").wait_for()
        assert await next_week.is_disabled()
        await page.get_by_role("button", name="Previous week").click()
        await page.locator(".week-nav h2").get_by_text("Week of Monday 4 March").wait_for()
        assert await page.get_by_role("button", name="Previous week").is_disabled()
        # The kind filter keeps the lasers only.
        await page.locator("select.kind-filter").select_option("laser_cutter")
        assert await page.locator(".row.machine .machine-name").all_text_contents() == ["Trotec Speedy"]


async def test_a_chat_booking_wins_the_race_and_the_page_says_so_in_the_chats_words(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        page, free = await lab.tuesday_10(browser)
        await free.scroll_into_view_if_needed()
        await free.click()
        await page.locator('#sheet .length[data-minutes="60"]').click()
        # Bob books the same time in the chat while Alice is looking at the sheet.
        await book_through_buttons(lab.fake, BOB, "Tue 5 Mar", "10:00", "1 h")
        assert "Your booking is confirmed" in ((await tap(lab.fake, BOB, "Confirm")).text or "")
        await page.get_by_role("button", name="Confirm").click()
        taken = "Sorry, that slot was just taken by someone else."
        await page.locator("#sheet .said").get_by_text(taken).wait_for()
        await page.locator(cell(lab.prusa, TUESDAY_10, "booked")).wait_for()  # redrawn behind the sheet
        assert await page.locator(cell(lab.prusa, TUESDAY_10, "booked")).text_content() == "Booked"
        await page.get_by_role("button", name="Close").click()
        assert await page.locator("#sheet").is_hidden()

        # The laser needs a training: its sheet says so in the chat's words, and offers nothing.
        locked = page.locator(cell(lab.laser, TUESDAY_10))
        await locked.scroll_into_view_if_needed()
        await locked.click()
        await page.locator("#sheet .said").get_by_text("This machine needs a training first.").wait_for()
        assert await page.locator("#sheet .length").count() == 0
        # No question left open: neither "How long?" nor a greyed Confirm above the reason.
        assert await page.locator("#sheet h3").is_hidden()
        assert await page.get_by_role("button", name="Confirm").is_hidden()
        await shot(page, "sheet-refused")
        assert await lab.bookings() == [("Prusa MK4", paris(5, 10), paris(5, 11), "confirmed")]


async def test_time_first_finds_the_free_printer_and_books_it_in_one_tap(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        prusa = lab.prusa
        page = await lab.open(browser, ALICE)
        await page.locator('#tabs [data-tab="find"]').click()
        await page.locator("select[name=kind]").select_option("3d_printer")
        await page.locator("select[name=day]").select_option("2030-03-05")
        await page.locator("select[name=time]").select_option(str(15 * 60))
        await page.locator("select[name=length]").select_option("120")
        await page.get_by_role("button", name="Find free machines").click()
        book = page.locator(f'.results button[data-machine="{prusa}"]')
        await book.wait_for()
        assert await page.locator(".results h3").text_content() == "Free then — Tuesday 5 March · 15:00–17:00"
        await no_sideways_scroll(page)
        await shot(page, "time-first")
        await book.click()
        await page.locator("#toast").get_by_text("Your booking is confirmed.").wait_for()
        await page.get_by_text("No machine is free then. Try another time.").wait_for()
        assert await lab.bookings() == [("Prusa MK4", paris(5, 15), paris(5, 17), "confirmed")]


async def test_a_french_member_reads_french_and_the_hours(browser: Any, database_url: str) -> None:
    async with opened_lab(database_url) as lab:
        async with lab.sessions.begin() as session:
            session.add(Closure(day=paris(7, 12).date(), reason="Inventaire"))
        page = await lab.open(browser, CHLOE)
        await page.locator(".cell.free").first.wait_for()
        assert await page.locator("#tabs .tab-label").all_text_contents() == [
            "Semaine",
            "Trouver un créneau",
            "Mes réservations",
            "Horaires",
        ]
        assert await page.locator(".week-nav h2").text_content() == "Semaine du lundi 4 mars"
        assert await page.locator(".legend").inner_text() == (
            "Libre\nÀ moi\nRéservé\nIndisponibilité prévue\nHors service\nFermé\nPassé"
        )
        assert await page.evaluate("document.documentElement.lang") == "fr"
        await no_sideways_scroll(page)
        await shot(page, "planning-fr")
        await page.locator('#tabs [data-tab="opening"]').click()
        await page.get_by_text("Inventaire").wait_for()
        assert await page.locator("table.hours tr").first.inner_text() == "Lundi\t09:00–19:00"
        assert await page.locator(".closures li").inner_text() == "jeudi 7 mars · Inventaire"
        await shot(page, "hours-fr")


async def test_a_manager_gets_the_managers_tabs(browser: Any, database_url: str) -> None:
    async with opened_lab(database_url) as lab:
        page = await lab.open(browser, MANAGER)
        await page.locator('#tabs [data-tab="updates"]').wait_for()
        assert await tab_ids(page) == [
            *("week", "find", "mine", "opening"),
            *("maintenance", "machines", "hours", "members", "consumables", "updates"),
        ]
        await page.locator('#tabs [data-tab="machines"]').click()
        await page.locator(".fd-card h3").first.wait_for()
        assert await page.locator(".fd-card h3").all_text_contents() == ["Prusa MK4", "Trotec Speedy"]
        await no_sideways_scroll(page)
        await shot(page, "manager-machines")


async def test_telegrams_dark_theme_applies(browser: Any, database_url: str) -> None:
    async with opened_lab(database_url) as lab:
        page = await lab.open(browser, ALICE, scheme="dark", theme=DARK)
        await page.locator(".cell.free").first.wait_for()
        colours = await page.evaluate(
            "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color,"
            " getComputedStyle(document.querySelector('#tabs')).backgroundColor]"
        )
        assert colours == ["rgb(33, 33, 33)", "rgb(255, 255, 255)", "rgb(24, 24, 24)"]
        await shot(page, "planning-dark")
        # Dark without theme parameters (an older Telegram): the page's own dark colours.
        bare = await lab.open(browser, ALICE, scheme="dark")
        await bare.locator(".cell.free").first.wait_for()
        assert await bare.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(23, 33, 43)"


async def test_stale_forged_or_missing_launch_data_asks_to_reopen_and_a_lost_server_is_said(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        reopen = "Please reopen the app from the 📅 Planning button in the chat"
        stale = launch_data(lab.fake, ALICE, lab.app.clock() - timedelta(hours=2))
        forged = launch_data(lab.fake, ALICE, lab.app.clock()).replace("Alice", "Alicia")
        for init_data in (stale, forged, ""):
            page = await lab.open(browser, ALICE, init_data=init_data)
            await page.locator(".unauthorized").get_by_text(reopen).wait_for()
            assert await page.locator("#tabs").is_hidden()
        french = await lab.open(browser, CHLOE, init_data=launch_data(lab.fake, CHLOE, lab.app.clock()) + "x")
        await french.get_by_text("Rouvrez l'application depuis le bouton 📅 Planning du chat").wait_for()
        await shot(french, "reopen-fr")

        # Left open past the allowed age (an hour), the next tap asks to reopen it, nothing booked.
        page, free = await lab.tuesday_10(browser)
        lab.app.clock.advance(hours=1, minutes=1)
        await free.scroll_into_view_if_needed()
        await free.click()
        await page.locator(".unauthorized").get_by_text(reopen).wait_for()
        assert await page.locator("#sheet").is_hidden()
        lab.app.clock.advance(hours=-1, minutes=-1)

        lost = await lab.open(browser, ALICE)
        await lost.context.route("**/app/api/**", lambda request_route: request_route.abort())
        await lost.reload()
        await lost.get_by_text("The server could not be reached. Try again.").wait_for()
        await lost.context.unroute("**/app/api/**")
        await lost.get_by_role("button", name="Try again").click()
        await lost.locator(".cell.free").first.wait_for()
        assert await lab.bookings() == []


# --- The managers' tabs, driven as a fab manager would ---

EN_MANAGER = FakeUser(MANAGER.id, MANAGER.first_name, username="morgane", language_code="en")


async def managing(lab: Lab, browser: Any, tab: str, user: FakeUser = EN_MANAGER) -> Any:
    """The app opened by a manager on one of the managers' tabs."""
    page = await lab.open(browser, user)
    await page.locator(f'#tabs [data-tab="{tab}"]').click()
    return page


async def members_by_telegram_id(lab: Lab) -> dict[int, Member]:
    async with lab.sessions() as session:
        return {m.telegram_id: m for m in await session.scalars(select(Member))}


async def ticket_status(lab: Lab, ticket_id: int) -> tuple[str, int | None]:
    async with lab.sessions() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.status.value, ticket.assignee_id


async def test_a_manager_works_the_maintenance_queue_from_the_board(browser: Any, database_url: str) -> None:
    async with opened_lab(database_url) as lab:
        assert (await lab.app(BOB, "week"))[0] == 200  # Bob is a member
        async with lab.sessions.begin() as session:
            await make_machine(session, "Ultimaker S5")
        known = await ids(lab.sessions)
        old = await add_ticket(lab.sessions, known, Severity.MINOR, "Bed not level", "Prusa MK4", 72)
        urgent = await add_ticket(
            lab.sessions, known, Severity.UNUSABLE, "Tube does not fire", "Trotec Speedy", hours_ago=2
        )
        newer = await add_ticket(lab.sessions, known, Severity.MINOR, "Fan noisy", "Ultimaker S5")
        page = await managing(lab, browser, "maintenance")
        lines = page.locator(".fd-ticket")
        await lines.first.wait_for()
        # Most urgent first, then the oldest.
        assert await lines.locator("strong").all_text_contents() == [
            f"⛔ #{urgent} Tube does not fire",
            f"🔧 #{old} Bed not level",
            f"🔧 #{newer} Fan noisy",
        ]
        assert await lines.nth(1).locator(".fd-hint").text_content() == "Prusa MK4 · open · opened 3 d ago"
        await no_sideways_scroll(page)
        await shot(page, "manager-maintenance")

        await lines.first.locator("button").click()
        card = page.locator(".fd-card")
        await card.get_by_text("Tube does not fire, vu ce matin").wait_for()
        assert await card.locator("li .fd-hint").first.text_content() == "Mon 4 Mar 05:00 · Bob"
        await page.get_by_role("button", name="Take it").click()
        await card.get_by_text("Taken by Morgane").wait_for()
        assert (await ticket_status(lab, urgent))[0] == "in_progress"
        mark = lab.fake.mark()
        await card.locator("textarea").fill("Tube replaced, power calibrated.")
        await no_sideways_scroll(page)
        await shot(page, "manager-ticket")
        await page.get_by_role("button", name="Resolve").click()
        await page.locator(".fd-notice.fd-ok").get_by_text("Done. The reporters were told.").wait_for()
        await card.get_by_text("Tube replaced, power calibrated.").wait_for()  # in its history now
        assert (await ticket_status(lab, urgent))[0] == "resolved"
        told = await lab.fake.wait_for_call("sendMessage", BOB.id, after=mark)
        assert f"Ticket #{urgent} on Trotec Speedy is resolved" in (told.text or "")
        assert "Tube replaced, power calibrated." in (told.text or "")
        await page.get_by_role("button", name="← Back to the queue").click()
        await page.locator(".fd-ticket strong").get_by_text("Tube does not fire").wait_for(state="detached")
        assert await page.locator(".fd-ticket").count() == 2  # the resolved one left the board

        # Rejecting needs a note; with one, the ticket leaves the board too.
        await page.locator(".fd-ticket button").last.click()
        await page.get_by_role("button", name="Reject").click()
        await page.locator(".fd-notice.fd-error").wait_for()
        assert (await ticket_status(lab, newer))[0] == "open"
        await page.locator(".fd-card textarea").fill("Duplicate of the bed ticket.")
        await page.get_by_role("button", name="Reject").click()
        await page.locator(".fd-notice.fd-ok").wait_for()
        assert (await ticket_status(lab, newer))[0] == "rejected"
        await page.get_by_role("button", name="← Back to the queue").click()
        await page.locator(".fd-ticket strong").get_by_text("Fan noisy").wait_for(state="detached")
        assert await page.locator(".fd-ticket strong").all_text_contents() == [f"🔧 #{old} Bed not level"]

        # Escalated to the vendor, it stays on the board, said so.
        await page.locator(".fd-ticket button").first.click()
        await page.locator(".fd-card textarea").fill("Sent to Prusa support.")
        await page.get_by_role("button", name="Escalate").click()
        await page.locator(".fd-notice.fd-ok").wait_for()
        assert (await ticket_status(lab, old))[0] == "escalated"
        await page.get_by_role("button", name="Take it").wait_for()  # what an escalated ticket allows
        await page.get_by_role("button", name="← Back to the queue").click()
        await page.locator(".fd-ticket .fd-hint").get_by_text("escalated").wait_for()


async def machine_row(lab: Lab, machine_id: int) -> tuple[Any, ...]:
    async with lab.sessions() as session:
        m = await session.get(Machine, machine_id)
        assert m is not None
        return (
            *(m.name, m.kind, m.location, m.slot_minutes, m.max_booking_minutes, m.requires_training),
            m.status,
        )


async def test_a_manager_edits_a_machine_is_told_a_bad_name_and_plans_a_downtime(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        page = await managing(lab, browser, "machines")
        form = page.locator("form.fd-card").filter(has=page.locator("h3", has_text="Prusa MK4"))
        await form.wait_for()
        fields = form.locator(".fd-field")
        await fields.filter(has_text="Name").locator("input").fill("Prusa MK4S")
        await fields.filter(has_text="Kind").locator("select").select_option("laser_cutter")
        await fields.filter(has_text="Location").locator("input").fill("Atelier bois")
        await fields.filter(has_text="Slot grid").locator("input").fill("15")
        await fields.filter(has_text="Longest booking").locator("input").fill("90")
        await fields.filter(has_text="Training required").locator("input").check()
        await fields.filter(has_text="Training valid for").locator("input").fill("12")
        await fields.filter(has_text="Out of service").locator("input").check()
        await form.get_by_role("button", name="Save").click()
        await form.locator(".fd-notice.fd-ok").get_by_text("Saved.").wait_for()
        assert await form.locator("h3").text_content() == "Prusa MK4S"
        async with lab.sessions() as session:
            prusa = await session.get(Machine, lab.prusa)
            assert prusa is not None and (prusa.training_valid_months, prusa.training_lapse_months) == (
                12,
                None,
            )
        assert await machine_row(lab, lab.prusa) == (
            *("Prusa MK4S", MachineKind.LASER_CUTTER, "Atelier bois", 15, 90, True),
            MachineStatus.OUT_OF_SERVICE,
        )
        await no_sideways_scroll(page)
        await shot(page, "manager-machine-saved")

        # An empty name, or one hiding a zero-width space: a clear sentence, nothing changed.
        before = await machine_row(lab, lab.prusa)
        name = fields.filter(has_text="Name").locator("input")
        said = form.locator(".fd-notice.fd-error")
        for bad, expected in (("   ", "A machine needs a name."), ("Prusa\u200bMK4", None)):
            await name.fill(bad)
            await form.get_by_role("button", name="Save").click()
            await said.wait_for()
            sentence = await said.text_content() or ""
            assert sentence.endswith(".") and "name:" not in sentence and "_" not in sentence, sentence
            assert expected is None or sentence == expected
            assert await machine_row(lab, lab.prusa) == before
            assert await above_the_tab_bar(page, said), "the refusal is hidden behind the tab bar"
            await shot(page, "manager-machine-refused")
            await form.evaluate("f => f.querySelector('.fd-notice').className = 'fd-notice'")

        # A downtime over Alice's booking warns her in the chat.
        laser = page.locator("form.fd-card").filter(has=page.locator("h3", has_text="Trotec Speedy"))
        assert (await lab.app(ALICE, "week"))[0] == 200
        async with lab.sessions.begin() as session:
            alice = (await session.scalars(select(Member).where(Member.telegram_id == ALICE.id))).one()
            session.add(Authorization(member_id=alice.id, machine_id=lab.laser, granted_at=NOW))
        status, _ = await lab.app(ALICE, "book", {"machine": lab.laser, "start": TUESDAY_10, "minutes": 60})
        assert status == 200
        await laser.locator("summary").click()
        downtime = laser.locator("details")
        await downtime.locator(".fd-field", has_text="From").locator("input").fill("2030-03-05T09:00")
        await downtime.locator(".fd-field", has_text="Until").locator("input").fill("2030-03-05T12:00")
        await downtime.locator(".fd-field", has_text="Reason").locator("input").fill("Tube change")
        mark = lab.fake.mark()
        await downtime.get_by_role("button", name="Plan it").click()
        await downtime.locator(".fd-notice.fd-ok").get_by_text("were warned: 1.").wait_for()
        warned = await lab.fake.wait_for_call("sendMessage", ALICE.id, after=mark)
        assert "Trotec Speedy" in (warned.text or "")
        async with lab.sessions() as session:
            planned = (await session.scalars(select(Downtime))).all()
        assert [(d.machine_id, d.start_at, d.end_at, d.reason) for d in planned] == [
            (lab.laser, paris(5, 9), paris(5, 12), "Tube change")
        ]
        await laser.get_by_text("Planned downtimes").wait_for()  # the tab redrawn, shown open
        assert await laser.locator("details li").all_text_contents() == [
            "Tuesday 5 March, 09:00–12:00 · Tube change"
        ]
        await no_sideways_scroll(page)
        await laser.locator("details li").scroll_into_view_if_needed()
        await shot(page, "manager-downtime")


async def test_a_manager_lets_a_printer_run_overnight_and_the_week_draws_the_run(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        async with lab.sessions.begin() as session:
            session.add(Closure(day=paris(7, 12).date(), reason="Inventaire"))
        page = await managing(lab, browser, "machines")
        form = page.locator("form.fd-card").filter(has=page.locator("h3", has_text="Prusa MK4"))
        await form.wait_for()
        fields = form.locator(".fd-field")
        longest_run = fields.filter(has_text="Longest unattended run")
        assert not await longest_run.is_visible()  # shown once unattended runs are ticked
        await fields.filter(has_text="Unattended runs").locator("input").check()
        await longest_run.locator("input").fill("1440")
        await fields.filter(has_text="Check-in within").locator("input").fill("15")
        await form.get_by_role("button", name="Save").click()
        await form.locator(".fd-notice.fd-ok").get_by_text("Saved.").wait_for()
        await no_sideways_scroll(page)
        await form.locator(".fd-field", has_text="Check-in within").scroll_into_view_if_needed()
        await shot(page, "manager-machine-unattended")
        async with lab.sessions() as session:
            machine = await session.get(Machine, lab.prusa)
            assert machine is not None and (machine.unattended_max_minutes, machine.checkin_minutes) == (
                1440,
                15,
            )
            (change,) = (await session.scalars(select(ManagerChange))).all()
            assert change.details == {"unattended_max_minutes": 1440, "checkin_minutes": 15}

        # Bob's run goes from Wednesday 18:00 through the closed Thursday.
        wednesday = "2030-03-06T18:00:00+01:00"
        status, _ = await lab.app(BOB, "book", {"machine": lab.prusa, "start": wednesday, "minutes": 1440})
        assert status == 200
        member = await lab.open(browser, ALICE)
        await member.locator('.days [data-day="2030-03-05"]').click()
        evening = member.locator(cell(lab.prusa, "2030-03-05T18:00:00+01:00"))
        await evening.scroll_into_view_if_needed()
        await evening.click()
        night = member.locator('#sheet .length[data-minutes="600"]')
        await night.wait_for()
        assert await night.text_content() == "10 h · 18:00–Wed 6 04:00"
        await night.click()
        await member.get_by_role("button", name="Confirm").click()
        await member.locator("#toast").get_by_text("Your booking is confirmed.").wait_for()
        mine = member.locator(cell(lab.prusa, "2030-03-05T18:00:00+01:00", "mine"))
        await mine.wait_for()
        assert await mine.text_content() == "Mine until Wed 04:00"
        assert "runs-on" in (await mine.get_attribute("class") or "")
        booked = member.locator(cell(lab.prusa, wednesday, "booked"))
        assert await booked.text_content() == "Booked until Thu 18:00"
        through = member.locator(f'.track.closed-day .cell.booked[data-machine="{lab.prusa}"]')
        assert await through.text_content() == "Booked until Thu 18:00"
        assert sorted(await lab.bookings()) == [
            ("Prusa MK4", paris(5, 18), paris(6, 4), "confirmed"),
            ("Prusa MK4", paris(6, 18), paris(7, 18), "confirmed"),
        ]
        await no_sideways_scroll(member)
        show = "c => { c.closest('.grid-box').scrollLeft = c.parentElement.offsetLeft + c.offsetLeft - 200; }"
        await mine.evaluate(show)
        await shot(member, "planning-unattended")
        await through.evaluate(
            "c => { const box = c.closest('.grid-box'); box.scrollLeft = c.parentElement.offsetLeft - 200; }"
        )
        await shot(member, "planning-unattended-closed-day")
        await member.locator('#tabs [data-tab="mine"]').click()
        card = member.locator(".mine .card")
        await card.wait_for()
        assert (
            await card.locator(".card-text").inner_text() == "Prusa MK4\nTuesday 5 March\n18:00–Wed 6 04:00"
        )


async def test_a_closure_over_a_booking_warns_its_member_in_the_chat(browser: Any, database_url: str) -> None:
    async with opened_lab(database_url) as lab:
        status, _ = await lab.app(ALICE, "book", {"machine": lab.prusa, "start": TUESDAY_10, "minutes": 60})
        assert status == 200
        page = await managing(lab, browser, "hours")
        closures = page.locator("section.fd-card").filter(has=page.locator("h3", has_text="Closure days"))
        await closures.get_by_text("No closure day ahead.").wait_for()
        await closures.locator(".fd-field", has_text="Day").locator("input").fill("2030-03-05")
        await closures.locator(".fd-field", has_text="Reason").locator("input").fill("Inventaire")
        mark = lab.fake.mark()
        await closures.get_by_role("button", name="Close the lab that day").click()
        await (
            closures.locator(".fd-notice.fd-ok")
            .get_by_text("Closure added; members with a booking that day were warned: 1.")
            .wait_for()
        )
        warned = await lab.fake.wait_for_call("sendMessage", ALICE.id, after=mark)
        assert "Prusa MK4" in (warned.text or "") and "Inventaire" in (warned.text or "")
        async with lab.sessions() as session:
            assert [(c.day.isoformat(), c.reason) for c in await session.scalars(select(Closure))] == [
                ("2030-03-05", "Inventaire")
            ]
        await closures.locator("li").get_by_text("Tuesday 5 March · Inventaire").wait_for()  # redrawn
        await no_sideways_scroll(page)
        await closures.locator("li").scroll_into_view_if_needed()
        await shot(page, "manager-closure")
        # Monday's hours changed from the same tab.
        monday = page.locator(".fd-day").first
        await monday.locator("input").fill("09:00-12:30, 14:00-19:00")
        await monday.get_by_role("button", name="Save").click()
        await monday.get_by_text("Opening hours saved.").wait_for()
        async with lab.sessions() as session:
            hours = await session.scalars(select(OpeningHours).where(OpeningHours.weekday == 0))
            assert sorted((h.opens_minute, h.closes_minute) for h in hours) == [(540, 750), (840, 1140)]


async def test_a_manager_finds_members_trains_them_and_changes_who_manages(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        for user in (ALICE, BOB):
            assert (await lab.app(user, "week"))[0] == 200
        page = await managing(lab, browser, "members")
        search = page.locator("form.fd-search")
        card = page.locator(".fd-card")
        await card.first.wait_for()
        # The manager named by the settings: said so, and no button to demote her.
        morgane = card.filter(has=page.locator("h3", has_text="Morgane"))
        await morgane.get_by_text("Fab manager (settings)").wait_for()
        assert await morgane.get_by_role("button", name="Remove fab manager").count() == 0
        for query, found in (("ali", "Alice"), ("@bob", "Bob")):
            await search.locator("input").fill(query)
            await search.get_by_role("button", name="Search").click()
            await card.locator("h3").get_by_text(found).wait_for()
            await page.wait_for_function("document.querySelectorAll('.fd-card').length === 1")
        bob = card.filter(has=page.locator("h3", has_text="Bob"))
        await bob.locator("select").select_option(label="Trotec Speedy")
        await bob.get_by_role("button", name="Withdraw").wait_for()
        assert await bob.locator("li").inner_text() == "Trotec Speedy Withdraw"
        await no_sideways_scroll(page)
        await shot(page, "manager-members")

        async def trained() -> list[tuple[int | None, bool]]:
            async with lab.sessions() as session:
                rows = await session.scalars(select(Authorization))
                return [(a.machine_id, a.revoked_at is None) for a in rows]

        assert await trained() == [(lab.laser, True)]
        await bob.get_by_role("button", name="Withdraw").click()
        await bob.get_by_text("Withdraw").wait_for(state="detached")
        assert await trained() == [(lab.laser, False)]

        await bob.get_by_role("button", name="Make fab manager").click()
        await bob.get_by_role("button", name="Remove fab manager").wait_for()
        assert (await members_by_telegram_id(lab))[BOB.id].is_manager
        await bob.get_by_role("button", name="Remove fab manager").click()
        await bob.get_by_role("button", name="Make fab manager").wait_for()
        assert not (await members_by_telegram_id(lab))[BOB.id].is_manager


async def test_a_french_manager_restocks_counts_sets_a_minimum_and_marks_an_update(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        stocked_ids = await stocked(lab.sessions)
        pla_id, slicer_id = stocked_ids["PLA noir"], stocked_ids["PrusaSlicer"]

        async def grams() -> tuple[Decimal, Decimal]:
            async with lab.sessions() as session:
                row = await session.get(Consumable, pla_id)
                assert row is not None
                return Decimal(row.quantity_milli) / 1000, Decimal(row.minimum_milli) / 1000

        page = await managing(lab, browser, "consumables", MANAGER)  # Morgane reads French
        card = page.locator("section.fd-card").filter(has=page.locator("h3", has_text="PLA noir"))
        await card.wait_for()
        assert await page.locator("#tabs .tab-label").all_text_contents() == [
            *("Semaine", "Trouver un créneau", "Mes réservations", "Horaires"),
            *("Maintenance", "Machines", "Horaires et fermetures", "Membres", "Consommables", "Mises à jour"),
        ]
        restock = card.locator("form.fd-inline").first
        await restock.locator("input").fill("750")
        await restock.get_by_role("button", name="Réapprovisionner").click()
        await restock.locator(".fd-notice.fd-ok").wait_for()
        assert await grams() == (Decimal(1950), Decimal(500))
        await card.locator("summary").click()
        count, minimum = (
            card.locator("details form.fd-inline").nth(0),
            card.locator("details form.fd-inline").nth(1),
        )
        await count.locator("input").fill("400")
        await count.locator("button").click()
        await count.locator(".fd-notice.fd-ok").wait_for()
        assert await grams() == (Decimal(400), Decimal(500))
        await card.locator(".fd-low").wait_for()  # below the minimum now
        assert await minimum.locator(".fd-field span").text_content() == "Seuil d'alerte (en g)"
        await minimum.locator("input").fill("300")
        await minimum.locator("button").click()
        await minimum.locator(".fd-notice.fd-ok").wait_for()
        assert await grams() == (Decimal(400), Decimal(300))
        await card.locator(".fd-low").wait_for(state="detached")
        english = await page.locator("#screen").inner_text()
        for word in ("Restock", "Inventory", "In stock", "Recorded", "minimum threshold"):
            assert word not in english, f"English in the French page: {word}"
        await no_sideways_scroll(page)
        await shot(page, "manager-consumables-fr")

        await page.locator('#tabs [data-tab="updates"]').click()
        item = page.locator("section.fd-card").filter(has=page.locator("h3", has_text="PrusaSlicer"))
        await item.locator("input").fill("2.8.0")
        await item.locator("button").click()
        await item.locator(".fd-notice.fd-ok").wait_for()
        async with lab.sessions() as session:
            updated = await session.get(UpdateItem, slicer_id)
            assert updated is not None and updated.current_version == "2.8.0"
        await item.get_by_text("2.8.0").wait_for()
        await no_sideways_scroll(page)
        await shot(page, "manager-updates-fr")


async def test_a_manager_sets_a_machines_limits_and_sees_its_kinds(browser: Any, database_url: str) -> None:
    async with opened_lab(database_url) as lab:
        async with lab.sessions.begin() as session:
            await quotas.set_values(
                session, QuotaValues(max_minutes_per_week=480), kind=MachineKind.PRINTER_3D
            )
        page = await managing(lab, browser, "machines")
        form = page.locator("form.fd-card").filter(has=page.locator("h3", has_text="Prusa MK4"))
        limits = form.locator("fieldset.fd-limits")
        await limits.get_by_text("Limits (empty: none)").wait_for()
        week = limits.locator(".fd-field", has_text="Hours a week").locator("input")
        assert await week.get_attribute("placeholder") == "Set for its kind: 8"  # the kind's, in hours
        await limits.locator(".fd-field", has_text="Hours a day").locator("input").fill("1.5")
        await limits.locator(".fd-field", has_text="Upcoming bookings").locator("input").fill("3")
        await limits.locator(".fd-field", has_text="Notice before").locator("input").fill("120")
        await form.get_by_role("button", name="Save").click()
        await form.locator(".fd-notice.fd-ok").get_by_text("Saved.").wait_for()
        async with lab.sessions() as session:
            assert await quotas.values_of(session, machine_id=lab.prusa) == QuotaValues(
                max_minutes_per_day=90, max_upcoming=3, notice_minutes=120
            )
            (change,) = await session.scalars(
                select(ManagerChange).where(ManagerChange.what == ChangeKind.MACHINE)
            )
            assert change.details == {"max_minutes_per_day": 90, "max_upcoming": 3, "notice_minutes": 120}
        await limits.scroll_into_view_if_needed()
        await no_sideways_scroll(page)
        await shot(page, "manager-machine-limits")

        # Emptied, a limit is gone (its kind's applies again); over four weeks, it is refused.
        await limits.locator(".fd-field", has_text="Upcoming bookings").locator("input").fill("")
        await form.get_by_role("button", name="Save").click()
        await form.locator(".fd-notice.fd-ok").get_by_text("Saved.").wait_for()
        await limits.locator(".fd-field", has_text="Notice before").locator("input").fill("50000")
        await form.get_by_role("button", name="Save").click()
        said = form.locator(".fd-notice.fd-error")
        await said.wait_for()
        assert (await said.text_content() or "").startswith("Each limit is a whole number above 0")
        async with lab.sessions() as session:
            assert await quotas.values_of(session, machine_id=lab.prusa) == QuotaValues(
                max_minutes_per_day=90, notice_minutes=120
            )


async def test_a_manager_sets_the_limits_of_all_3d_printers_and_each_printer_shows_them(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        page = await managing(lab, browser, "machines", MANAGER)  # in French
        box = page.locator('form.fd-kind-limits[data-kind="3d_printer"]')
        await box.locator("summary").get_by_text("Limites pour toutes les imprimantes 3D").click()
        assert "c'est le fichier qui l'emporte" in (await box.locator(".fd-hint").text_content() or "")
        await box.locator('input[name="max_minutes_per_week"]').fill("8")
        await box.locator('input[name="max_upcoming"]').fill("3")
        await box.get_by_role("button", name="Enregistrer").click()
        await box.locator(".fd-notice.fd-ok").get_by_text("Enregistré.").wait_for()
        async with lab.sessions() as session:
            assert await quotas.kind_values(session) == {
                MachineKind.PRINTER_3D: QuotaValues(max_minutes_per_week=480, max_upcoming=3)
            }
            (change,) = await session.scalars(select(ManagerChange))
            assert (change.what, change.details) == (
                ChangeKind.KIND_LIMITS,
                {"kind": "3d_printer", "max_minutes_per_week": 480, "max_upcoming": 3},
            )
        # The tab redraws: the printer shows its kind's values where it has none of its own.
        prusa = page.locator("form.fd-card").filter(has=page.locator("h3", has_text="Prusa MK4"))
        week = prusa.locator('input[name="max_minutes_per_week"]')
        await page.wait_for_function(
            """() => [...document.querySelectorAll('input[name="max_minutes_per_week"]')]
            .some(e => e.placeholder === "Fixé pour son type : 8")"""
        )
        assert await week.get_attribute("placeholder") == "Fixé pour son type : 8"
        box = page.locator('form.fd-kind-limits[data-kind="3d_printer"]')
        assert await box.locator('input[name="max_upcoming"]').input_value() == "3"
        await no_sideways_scroll(page)
        await shot(page, "manager-kind-limits-fr")
        # Over four weeks, the notice is refused with the sentence, in French; nothing changes.
        await box.locator('input[name="notice_minutes"]').fill("50000")
        await box.get_by_role("button", name="Enregistrer").click()
        said = box.locator(".fd-notice.fd-error")
        await said.wait_for()
        assert (await said.text_content() or "").startswith("Chaque limite est un nombre entier")
        await shot(page, "manager-kind-limits-refused-fr")
        async with lab.sessions() as session:
            assert await quotas.kind_values(session) == {
                MachineKind.PRINTER_3D: QuotaValues(max_minutes_per_week=480, max_upcoming=3)
            }


async def test_the_week_offers_no_slot_within_the_machines_notice(browser: Any, database_url: str) -> None:
    async with opened_lab(database_url) as lab:
        async with lab.sessions.begin() as session:  # Monday 07:00: the Prusa is booked 27 h ahead
            await quotas.set_values(session, QuotaValues(notice_minutes=27 * 60), machine_id=lab.prusa)
        page, _free = await lab.tuesday_10(browser)  # the first start offered: Tuesday 10:00
        assert await page.locator(cell(lab.prusa, "2030-03-05T09:30:00+01:00")).count() == 0
        monday = '.cell.free[data-machine="{}"][data-start^="2030-03-04"]'
        assert await page.locator(monday.format(lab.prusa)).count() == 0  # all of Monday within it
        assert await page.locator(monday.format(lab.laser)).count() > 0  # no notice on the laser
        await shot(page, "member-week-notice")


async def test_a_member_cancelling_past_the_deadline_is_told_it_counts_as_a_no_show(
    browser: Any, database_url: str
) -> None:
    async with opened_lab(database_url) as lab:
        async with lab.sessions.begin() as session:
            await quotas.set_values(
                session, QuotaValues(cancel_deadline_minutes=48 * 60), machine_id=lab.prusa
            )
        status, _ = await lab.app(ALICE, "book", {"machine": lab.prusa, "start": TUESDAY_10, "minutes": 60})
        assert status == 200
        page = await lab.open(browser, ALICE)
        await page.locator('#tabs [data-tab="mine"]').click()
        card = page.locator(".mine .card")
        await card.get_by_role("button", name="Cancel").click()
        await page.get_by_role("button", name="Yes, cancel it").click()
        said = page.locator("#sheet .said")
        await said.get_by_text("cancelling now counts as a no-show. Confirm to cancel anyway.").wait_for()
        assert await lab.bookings() == [("Prusa MK4", paris(5, 10), paris(5, 11), "confirmed")]
        await no_sideways_scroll(page)
        await shot(page, "member-late-cancel")
        await page.get_by_role("button", name="Cancel anyway", exact=True).click()
        await page.locator("#toast").get_by_text("Your booking is cancelled.").wait_for()
        async with lab.sessions() as session:
            (booking,) = await session.scalars(select(Booking))
            assert booking.no_show_at == NOW
