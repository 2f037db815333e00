"""Signing in, the language switch (kept for the person) and signing out, in Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


async def test_a_clerk_signs_in_in_chinese_switches_to_english_and_it_is_kept(console, system):
    page = await console.page_as(None)
    await page.goto("/desk")
    assert "/login" in page.url, "a page asks for signing in first"
    await console.shoot(page, "login")
    await page.fill("input[name=username]", "demo-clerk")
    await page.fill("input[name=password]", "not the password")
    await page.click("button[type=submit]")
    await page.get_by_text("用户名或密码错误").wait_for()

    await page.fill("input[name=password]", system.logins["demo-clerk"])
    await page.click("button[type=submit]")
    await page.wait_for_url("**/desk")
    assert page.url.endswith("/desk"), "after signing in, the page first asked for"
    await page.get_by_role("link", name="工单").wait_for()

    await page.click("[data-testid=switch-en]")
    await page.get_by_role("link", name="Work orders").wait_for()
    assert await page.locator("html").get_attribute("lang") == "en"

    # Kept for the person, not the browser: another browser signs in in English.
    other = await console.page_as("demo-clerk")
    await other.goto("/no-access")
    await other.get_by_role("link", name="Work orders").wait_for()
    await other.click("[data-testid=switch-zh]")
    await other.get_by_role("link", name="工单").wait_for()

    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/login")
    await page.goto("/no-access")
    assert "/login" in page.url, "signed out: the session is gone"


async def test_a_form_without_its_csrf_token_is_refused(console, system):
    page = await console.page_as("demo-clerk")
    answer = await page.request.post(f"{console.url}/language", form={"language": "en"})
    assert answer.status == 403
