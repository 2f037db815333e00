"""A unit's papers as PDF in Chinese (HTTP, real nats-server, SQLite and PostgreSQL): the
month's statement of account lists its charges and payments with the running balance and
the prepaid utilities; a payment's receipt says the amount in figures and in capitals. The
text is read back out of the PDF."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from libs.runtime import pdf
from tests.integration.billing.test_billing_catalogue import _charges
from tests.integration.billing.test_billing_fees_dunning import ACCOUNT, P, billing  # noqa: F401
from tests.integration.billing.test_billing_ledger import closed, line
from tests.support.harness import as_actor, eventually

pytestmark = pytest.mark.skipif(not pdf.NOTO_CJK.is_file(), reason="fonts-noto-cjk is not installed")


def text_of(data: bytes) -> str:
    """The text without spacing (pypdf spaces CJK glyphs and puts a NUL before each)."""
    return "".join("".join(p.extract_text().replace("\x00", "").split()) for p in PdfReader(io.BytesIO(data)).pages)


async def test_the_statement_and_the_receipt_read_as_they_should(billing, bus):
    month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    await bus.publish(closed([line("l1", 25_000, "更换水龙头")]))
    await eventually(lambda: _charges(billing), what="the charge")
    paid = await billing.post(f"{ACCOUNT}/payments", json={"amount_fen": 12_345, "method": "wechat", "reference": "WX-1"},
                              headers={**as_actor("cashier-liu"), "Idempotency-Key": "pay-1"})
    assert paid.status_code == 201, paid.text
    await billing.put(f"{P}/prepaid/tariffs/electricity", json={"price_fen": 60})
    await billing.post(f"{ACCOUNT}/prepaid/electricity/recharges", json={"amount_fen": 5000, "method": "cash"},
                       headers={"Idempotency-Key": "rc-1"})

    r = await billing.get(f"{ACCOUNT}/statement.pdf", params={"month": month})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text
    text = text_of(r.content)
    assert "月度对账单" in text and "单元：A-203" in text and "业户：LiMing" in text and f"账期：{month}" in text
    assert "期初：应缴¥0.00" in text and "更换水龙头" in text and "¥250.00" in text and "¥123.45" in text
    assert "期末：应缴¥126.55" in text  # 250.00 − 123.45
    assert "电费" in text and "¥50.00" in text
    bad = await billing.get(f"{ACCOUNT}/statement.pdf", params={"month": "2026-13"})
    assert bad.status_code == 422 and bad.json()["field"] == "month"

    receipt = await billing.get(f"{ACCOUNT}/receipts/{paid.json()['id']}")
    assert receipt.status_code == 200 and receipt.headers["content-type"] == "application/pdf"
    text = text_of(receipt.content)
    assert "收款收据" in text and paid.json()["id"] in text and "¥123.45" in text
    assert "人民币壹佰贰拾叁元肆角伍分" in text and "微信" in text and "cashier-liu" in text
    charge_id = (await _charges(billing))[0]["id"]
    assert (await billing.get(f"{ACCOUNT}/receipts/{charge_id}")).status_code == 404  # a charge has no receipt
