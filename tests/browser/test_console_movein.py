"""Move-in season in Chromium: a handover booked and inspected with a defect, and a
renovation permit walked through its steps, each button shown only where its state allows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

pytestmark = pytest.mark.browser


def plaza_day(days_ahead: int) -> str:
    return (dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=days_ahead)).isoformat()


async def test_a_handover_is_booked_and_inspected_with_a_defect(console, system):
    page = await console.page_as("demo-clerk")
    day = plaza_day(2)
    await page.goto(f"/move-in?day={day}")
    await page.fill("input[name=unit]", "B-1201")
    await page.fill("input[name=contact_name]", "张先生")
    await page.get_by_role("button", name="预约", exact=True).click()
    row = page.locator("tr", has_text="B-1201")
    await expect(row).to_contain_text("已预约")
    await expect(page.locator("[data-testid=capacity]")).to_contain_text("已预约 1")
    await console.shoot(page, "move-in")

    await row.get_by_role("link", name="验房").click()
    await page.get_by_label("不接收").check()
    await page.get_by_label("问题 1", exact=True).fill("主卧墙面开裂")
    await page.get_by_label("位置 1", exact=True).fill("主卧")
    await page.get_by_role("button", name="记录验收").click()
    # A defect without the party responsible for it is refused next to it, the rest kept.
    await expect(page.locator(".field-error")).to_contain_text("保修责任单位")
    await expect(page.get_by_label("问题 1", exact=True)).to_have_value("主卧墙面开裂")
    await page.get_by_label("责任单位 1", exact=True).fill("华建 Huajian")
    await page.get_by_role("button", name="记录验收").click()
    inspection = page.locator("[data-testid=inspection]")
    await expect(inspection).to_contain_text("不接收")
    await expect(inspection).to_contain_text("主卧墙面开裂")


async def test_a_renovation_permit_walks_its_steps(console, system):
    page = await console.page_as("demo-supervisor")
    await page.goto("/move-in/renovations")
    await page.get_by_role("link", name="新申请").click()
    await page.fill("input[name=unit]", "C-1506")
    await page.fill("input[name=contractor]", "好家装饰")
    await page.fill("input[name=start]", plaza_day(1))
    await page.fill("input[name=end]", plaza_day(30))
    await page.fill("input[name=deposit]", "3000")
    await page.fill("textarea[name=description]", "厨卫翻新")
    await page.get_by_role("button", name="提交申请").click()

    status = page.locator("[data-testid=renovation-status]")
    await expect(status).to_have_text("已申请")
    await expect(page.locator("form.step")).to_have_count(1)
    await page.get_by_role("button", name="审核通过").click()
    await expect(status).to_have_text("已审核")
    await expect(page.get_by_role("button", name="审核通过")).to_have_count(0)
    await page.get_by_role("button", name="批准装修").click()
    await expect(status).to_have_text("已批准")
    await console.shoot(page, "renovation")

    await page.fill("input[name=deduction]", "200")
    await page.fill("input[name=deduction_reason]", "电梯划痕")
    await page.get_by_role("button", name="装修验收").click()
    await expect(status).to_have_text("验收合格")
    await expect(page.locator(".facts")).to_contain_text("¥200.00")
    await page.get_by_role("button", name="办结装修手续").click()
    await expect(status).to_have_text("已关闭")
    await expect(page.locator("form.step")).to_have_count(0)
    await expect(page.locator(".steps")).to_contain_text("已办结")


async def test_a_booking_is_cancelled_and_frees_its_place(console, system):
    page = await console.page_as("demo-clerk")
    day = plaza_day(3)
    await page.goto(f"/move-in?day={day}")
    await page.fill("input[name=unit]", "A-101")
    await page.get_by_role("button", name="预约", exact=True).click()
    row = page.locator("tr", has_text="A-101")
    await expect(row).to_contain_text("已预约")
    await row.get_by_role("button", name="取消预约").click()
    await expect(row).to_contain_text("已取消")
    await expect(row.get_by_role("button", name="取消预约")).to_have_count(0)
    await expect(page.locator("[data-testid=capacity]")).to_contain_text("已预约 0")
