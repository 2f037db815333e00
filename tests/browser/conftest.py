"""Browser tests: the console in a real Chromium (Debian's ``chromium`` package), driven by
Playwright, against the whole system as ``make run`` starts it (real nats-server, every
service, the demo plaza and its demo users, logins through the staff service).

Without a Chromium they are skipped, and the run's last lines say so (tests/conftest.py). PLAZADESK_CHROMIUM names
another browser binary; PLAZADESK_SCREENSHOTS a folder the pages' screenshots are written to
(docs/screenshots for the README's pictures)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.async_api import expect

from scripts import demo
from scripts.system import System
from tests.support.browser import CHROMIUM, MISSING

PLAZA = demo.PLAZA
# How long a page may take to show what a test waits for: a ceiling, not a pause. Generous,
# since CI shares two cores between Chromium, seven processes and whatever else runs.
WAIT_MS = 30_000
expect.set_options(timeout=WAIT_MS)


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason=MISSING)
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    """Every service and the console as processes, the demo plaza and its users loaded."""
    with System(tmp_path_factory.mktemp("console-system"), default_ports=False) as s:
        auth = demo.operator_headers(s.url("staff"), s.operator_password())
        demo.load(s.url("archive"), headers=auth)
        demo.load_staff(s.url("staff"), auth, s.data_dir)
        s.operator_auth = auth
        s.logins = json.loads((s.data_dir / demo.DEMO_PASSWORDS).read_text())
        yield s


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        await b.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("PLAZADESK_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Console:
    """Opens pages as a demo user: ``await console.page_as("demo-clerk")``."""

    def __init__(self, system: System, browser, shots: Path) -> None:
        self.system, self.browser, self.shots = system, browser, shots
        self.url = system.url("console")
        self.contexts = []

    async def page_as(self, username: str | None, *, phone: bool = False, language: str = "zh-CN"):
        options = {"locale": language, "base_url": self.url}
        options.update({"viewport": {"width": 390, "height": 844}, "is_mobile": True} if phone
                       else {"viewport": {"width": 1440, "height": 900}})
        context = await self.browser.new_context(**options)
        self.contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(WAIT_MS)
        # The newest page has the keyboard (autofocus, typing), as the window a person just opened.
        await page.bring_to_front()
        if username:
            await sign_in(page, username, self.system.logins[username])
        return page

    async def shoot(self, page, name: str) -> Path:
        path = self.shots / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


async def sign_in(page, username: str, password: str) -> None:
    await page.goto("/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
async def console(system, browser, shots):
    c = Console(system, browser, shots)
    yield c
    await c.close()
