"""The staffing page in Chromium: the supervisor sees the week's roster and approves a swap
someone else asked for; the shift is then the other clerk's."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.browser.conftest import PLAZA

pytestmark = pytest.mark.browser


async def test_the_supervisor_approves_a_swap_on_the_staffing_page(console, system):
    auth = system.operator_auth
    async with httpx.AsyncClient(base_url=system.url("staff"), headers=auth, timeout=10) as staff:
        base = f"/v1/plazas/{PLAZA}"
        r = await staff.put(f"{base}/staff/swap-clerk", json={"name": "周敏 Zhou Min", "roles": ["clerk"]})
        assert r.status_code == 200, r.text
        for course in ("induction", "front_desk"):
            session = (await staff.post(f"{base}/training/sessions", json={
                "course": course, "starts_at": "2026-01-05T01:00:00Z"})).json()
            await staff.post(f"{base}/training/sessions/{session['id']}/results", json={"results": [
                {"username": u, "attended": True, "score": 90} for u in ("demo-clerk", "swap-clerk")]})
        start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)
        shift = (await staff.post(f"{base}/shifts", json={
            "username": "demo-clerk", "post": "front_desk", "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=4)).isoformat()})).json()
        swap = (await staff.post(f"{base}/shifts/{shift['id']}/swaps", json={"to": "swap-clerk", "reason": "家里有事"})).json()

    supervisor = await console.page_as("demo-supervisor")
    await supervisor.goto("/staffing")
    assert "本周排班" in await supervisor.locator("#roster").inner_text()
    form = supervisor.locator(f"#swaps form[data-id='{swap['id']}']")
    assert "swap-clerk" in await form.inner_text()
    await console.shoot(supervisor, "staffing")
    await form.get_by_role("button", name="批准").click()
    await supervisor.locator("#swaps").get_by_text("暂无待批准的换班").wait_for()

    async with httpx.AsyncClient(base_url=system.url("staff"), headers=auth, timeout=10) as staff:
        swaps = (await staff.get(f"/v1/plazas/{PLAZA}/swaps")).json()["items"]
    assert [(s["id"], s["status"], s["decided_by"]) for s in swaps if s["id"] == swap["id"]] == [
        (swap["id"], "approved", "demo-supervisor")]
