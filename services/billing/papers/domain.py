"""What a unit's papers say (no I/O): the monthly statement of account (对账单) and the
receipt of a payment or recharge (收款收据), as blocks for libs/runtime/pdf.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from libs.runtime import pdf
from services.billing.ledger import domain as ledger_domain

KIND_ZH = {
    "charge": "服务费", "fee": "物业费", "payment": "收款", "refund": "退款", "correction_credit": "冲正（减）",
    "correction_debit": "冲正（加）", "deposit_held": "押金收取", "deposit_refund": "押金退还",
    "deposit_applied": "押金抵扣", "prepaid_recharge": "预付充值", "prepaid_deduction": "用量扣费",
}
METHOD_ZH = {"cash": "现金", "card": "刷卡", "transfer": "转账", "wechat": "微信", "alipay": "支付宝"}
UTILITY_ZH = {"electricity": "电费", "water": "水费"}
RECEIPTS = ("payment", "prepaid_recharge")


class Heading(msgspec.Struct, frozen=True, kw_only=True):
    plaza: str
    unit: str
    occupant: str | None


class StatementLine(msgspec.Struct, frozen=True, kw_only=True):
    day: dt.date
    kind: str
    description: str
    debit_fen: int  # what the unit came to owe
    credit_fen: int  # what paid it
    balance_fen: int  # owed after it (negative: a credit)


class Statement(msgspec.Struct, frozen=True, kw_only=True):
    month: str
    opening_fen: int
    lines: list[StatementLine]
    closing_fen: int
    prepaid: dict[str, tuple[int, int, int, int]]  # utility → (opening, recharged, deducted, closing)


def statement(entries: Iterable, month: str, start: dt.datetime, end: dt.datetime, zone: dt.tzinfo) -> Statement:
    """The month's entries in the plaza's days: the owed balance running from the month's
    opening to its close, and each prepaid utility's opening, recharges, deductions, close."""
    owed, lines, prepaid = 0, [], {}
    opening = None
    for e in sorted(entries, key=lambda e: (e.occurred_at, e.id)):
        if e.occurred_at >= end:
            break
        if opening is None and e.occurred_at >= start:
            opening = owed
        direction = ledger_domain.DIRECTION[e.kind]
        owed += direction * e.amount_fen
        if e.utility and e.kind in ("prepaid_recharge", "prepaid_deduction"):
            o, r, d, c = prepaid.get(e.utility, (0, 0, 0, 0))
            sign = 1 if e.kind == "prepaid_recharge" else -1
            if e.occurred_at < start:
                o += sign * e.amount_fen
            elif sign > 0:
                r += e.amount_fen
            else:
                d += e.amount_fen
            prepaid[e.utility] = (o, r, d, c + sign * e.amount_fen)
        if e.occurred_at >= start and direction:
            lines.append(StatementLine(
                day=ledger_domain.local_date(e.occurred_at, zone), kind=e.kind, description=e.description,
                debit_fen=e.amount_fen if direction > 0 else 0, credit_fen=e.amount_fen if direction < 0 else 0,
                balance_fen=owed))
    return Statement(month=month, opening_fen=owed if opening is None else opening, lines=lines, closing_fen=owed,
                     prepaid=prepaid)


def _owed_words(fen: int) -> str:
    return f"应缴 {pdf.yuan(fen)}" if fen >= 0 else f"余额（预存）{pdf.yuan(-fen)}"


def statement_blocks(head: Heading, s: Statement, issued: dt.date) -> list:
    blocks = [
        pdf.Paragraph(f"项目：{head.plaza}　　单元：{head.unit}　　业户：{head.occupant or '—'}"),
        pdf.Paragraph(f"账期：{s.month}　　出单日期：{issued.isoformat()}"),
        pdf.Paragraph(f"期初：{_owed_words(s.opening_fen)}"),
        pdf.Table(["日期", "类别", "摘要", "应收", "已收/冲减", "余额"],
                  [[ln.day.isoformat(), KIND_ZH.get(ln.kind, ln.kind), ln.description,
                    pdf.yuan(ln.debit_fen) if ln.debit_fen else "", pdf.yuan(ln.credit_fen) if ln.credit_fen else "",
                    pdf.yuan(ln.balance_fen)] for ln in s.lines] or [["", "", "本月无往来", "", "", ""]],
                  widths=[2.2, 1.8, 4.5, 1.9, 1.9, 1.9], align=["L", "L", "L", "R", "R", "R"]),
        pdf.Paragraph(f"期末：{_owed_words(s.closing_fen)}", size=12),
    ]
    if s.prepaid:
        blocks.append(pdf.Table(
            ["水电预付", "期初余额", "本月充值", "本月扣费", "期末余额"],
            [[UTILITY_ZH.get(u, u), *(pdf.yuan(x) for x in v)] for u, v in sorted(s.prepaid.items())],
            widths=[2, 2, 2, 2, 2], align=["L", "R", "R", "R", "R"]))
    blocks.append(pdf.Paragraph("如对账单有疑问，请于收到后七日内联系物业客服中心。", size=9))
    return blocks


def receipt_blocks(head: Heading, entry, zone: dt.tzinfo) -> list:
    """A receipt for one payment or prepaid recharge: who paid what, how, and who took it."""
    what = "预付充值（" + UTILITY_ZH.get(entry.utility, entry.utility or "") + "）" if entry.kind == "prepaid_recharge" else "物业服务费用"
    rows = [
        ["收据编号", entry.id], ["收款日期", ledger_domain.local_date(entry.occurred_at, zone).isoformat()],
        ["项目", head.plaza], ["单元", head.unit], ["交款人", head.occupant or "—"], ["收款事由", what],
        ["金额（小写）", pdf.yuan(entry.amount_fen)], ["金额（大写）", "人民币" + pdf.yuan_in_words(entry.amount_fen)],
        ["付款方式", METHOD_ZH.get(entry.method or "", entry.method or "—")], ["参考号", entry.reference or "—"],
        ["收款人", entry.actor],
    ]
    return [pdf.Table(["项目", "内容"], rows, widths=[1, 3]),
            pdf.Paragraph("本收据由系统生成，凭收据编号可在物业客服中心查验。", size=9)]
