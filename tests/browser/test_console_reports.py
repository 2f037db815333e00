"""报表 in Chromium: the month's complaints with the chart dispatch draws, passed through
as the person, and its workbook; the collection chart the console draws itself."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import PLAZA
from tests.support.harness import eventually

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOADED = "img => img.complete && img.naturalWidth > 0"


async def _complaint_logged(system) -> None:
    async with httpx.AsyncClient(base_url=system.url("intake"), headers=system.operator_auth, timeout=10) as intake:
        async def logged():
            r = await intake.post(f"/v1/plazas/{PLAZA}/requests",
                                  json={"channel": "phone", "unit": "A-305", "text": "投诉：隔壁装修噪音太大，影响营业"})
            return r.status_code == 202
        await eventually(logged, timeout=30, what="intake takes a complaint for A-305")


async def test_the_reports_page_shows_the_complaints_with_their_chart_and_workbook(console, system):
    await _complaint_logged(system)
    page = await console.page_as("demo-manager")
    await page.goto("/reports")
    await page.get_by_role("link", name="投诉", exact=True).wait_for()
    await page.get_by_text("数量").first.wait_for()
    chart = page.locator("img[data-chart=complaints]")
    await chart.scroll_into_view_if_needed()
    await page.wait_for_function(f"() => ({LOADED})(document.querySelector('img[data-chart=complaints]'))")
    assert await chart.evaluate("img => img.naturalWidth") > 0

    link = page.locator("a[data-download=complaints]")
    answer = await page.request.get(console.url + await link.get_attribute("href"))
    assert answer.status == 200
    assert answer.headers["content-type"] == XLSX
    assert "complaints-demo-" in answer.headers["content-disposition"]
    assert (await answer.body())[:2] == b"PK", "an xlsx is a zip"
    await console.shoot(page, "reports")


async def test_the_collection_and_satisfaction_tabs_draw_their_charts(console, system):
    page = await console.page_as("demo-finance")
    await page.goto("/reports?tab=collection")
    await page.get_by_role("heading", name="月度收缴").wait_for()
    await page.wait_for_function(f"() => ({LOADED})(document.querySelector('img[data-chart=collection]'))")
    answer = await page.request.get(f"{console.url}/reports/chart/collection.svg")
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    download = await page.request.get(f"{console.url}/reports/download/collection.xlsx")
    assert download.status == 200 and download.headers["content-type"] == XLSX

    await page.goto("/reports?tab=satisfaction")
    await page.get_by_role("heading", name="月度满意度").wait_for()
    for name in ("satisfaction", "campaigns"):
        await page.wait_for_function(f"() => ({LOADED})(document.querySelector('img[data-chart={name}]'))")
    await console.shoot(page, "reports-satisfaction")
