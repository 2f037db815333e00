"""A notice's rules: its kinds, the placeholders its template may hold and how a unit's
copy fills them, and its way from draft to published with a second person's approval
(four eyes). Pure functions; no I/O."""

from __future__ import annotations

import re
import string
from typing import Literal

from libs.runtime import foureyes
from libs.runtime.pdf import Paragraph
from libs.runtime.pdf import Table as PaperTable  # a PDF's table, not the database's

Kind = Literal["notice", "letter", "tip", "disclosure", "dunning", "activity"]
Status = Literal["draft", "pending", "published", "rejected"]
CHANNELS = ("sms", "wechat", "email")

# What a template may say in braces. The unit's own facts are filled in each copy; the rest
# comes with the notice (``values``).
UNIT_PLACEHOLDERS = ("unit", "merchant", "occupant", "building", "floor")
VALUE_PLACEHOLDERS = ("amount", "amount_yuan", "date", "due_date", "start_date", "end_date", "days", "period",
                      "plaza", "title", "time", "place")
PLACEHOLDERS = UNIT_PLACEHOLDERS + VALUE_PLACEHOLDERS


class NoticeRefused(ValueError):
    def __init__(self, reason: str, field: str, *, conflict: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.conflict = conflict


def placeholders_in(template: str, field: str = "body") -> list[str]:
    """The placeholders a template names, each checked against the ones there are."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise NoticeRefused(f"{field} has an unmatched brace ({exc}); write {{{{ or }}}} for a brace itself",
                            field) from exc
    for name in names:
        if name not in PLACEHOLDERS:
            raise NoticeRefused(f"{field} names {{{name}}}, which is not one of "
                                + ", ".join("{" + p + "}" for p in PLACEHOLDERS), field)
    return names


def check_template(kind: str, title: str, body: str, values: dict[str, str], audience_units: list[str]) -> None:
    placeholders_in(title, "title")
    for name in placeholders_in(body) + placeholders_in(title, "title"):
        if name in VALUE_PLACEHOLDERS and name not in values:
            raise NoticeRefused(f"the template names {{{name}}}: give its value in values.{name}", f"values.{name}")
    if kind == "letter" and len(audience_units) != 1:
        raise NoticeRefused("a letter goes to one unit: name it in audience.units", "audience.units")


def fill(template: str, unit: dict, values: dict[str, str]) -> str:
    """A unit's copy: its facts and the notice's values in place of the placeholders."""
    facts = {
        "unit": unit["unit"], "merchant": unit.get("occupant_name") or "", "occupant": unit.get("occupant_name") or "",
        "building": unit.get("building") or "", "floor": unit.get("floor") or "",
    }
    return template.format_map({**{p: "" for p in PLACEHOLDERS}, **values, **facts})


def submit(status: str) -> Status:
    if status not in ("draft", "rejected"):
        raise NoticeRefused(f"the notice is {status}; only a draft (or a rejected one, edited) is submitted",
                            "status", conflict=True)
    return "pending"


def editable(status: str) -> None:
    if status not in ("draft", "rejected"):
        raise NoticeRefused(f"the notice is {status}; only a draft or a rejected notice is edited", "status",
                            conflict=True)


def decide(status: str, written_by: str | None, decider: str, *, approve: bool) -> Status:
    """Approved by a second person (four eyes: whoever wrote it cannot), or sent back."""
    decided = foureyes.decide(status, written_by, decider, "the notice", approve=approve)
    return "published" if decided == "approved" else "rejected"


# --- dunning letters (催缴通知书), from billing's reminders --------------------------------------

DUNNING_TITLE = "催缴通知书"
DUNNING_BODY = ("{merchant}（{unit}）：\n\n贵单元应于 {due_date} 前缴纳的费用 {amount_yuan} 元，至今已逾期 {days} 天。"
                "请尽快到客服中心或通过线上渠道缴纳；如已缴纳，请忽略本通知。\n\n如有疑问，请致电客服中心。")
DUNNING_CHANNELS = ("sms",)


def dunning_values(event) -> dict[str, str]:
    return {"due_date": event.due_date.isoformat(), "amount_yuan": yuan(event.open_fen),
            "days": str(event.days_past_due)}


def letter_blocks(copy: dict, *, plaza_name: str, sent_on, attachment: dict | None = None) -> list:
    """What a printed letter says: to whom, the unit's own text (and the table the notice
    carries), who sends it and when."""
    to = f"致：{copy['occupant_name']}（{copy['unit']}）" if copy.get("occupant_name") else f"致：{copy['unit']} 业户"
    return [Paragraph(to, size=12), *[Paragraph(p) for p in copy["body"].split("\n\n")],
            *table_blocks(attachment),
            Paragraph(f"{plaza_name} 物业服务中心（客服部）\n{sent_on.year} 年 {sent_on.month} 月 {sent_on.day} 日")]


def _align(attachment: dict) -> list[str]:
    right = set(attachment.get("right") or [])
    return ["R" if i in right else "L" for i in range(len(attachment["header"]))]


def table_blocks(attachment: dict | None) -> list:
    if not attachment:
        return []
    return [Paragraph(attachment["title"], size=12),
            PaperTable(attachment["header"], attachment["rows"], align=_align(attachment))]


# --- the financial disclosure (财务公开) of public-share costs ------------------------------


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def disclosure_title(period: str) -> str:
    return f"{period} 公摊费用公示"


def disclosure_body(event) -> str:
    rule = "按建筑面积" if event.rule == "area" else "按户平均"
    costs = "；".join(f"{c.category} {yuan(c.amount_fen)} 元" for c in event.costs)
    return (f"各位业户：{event.period} 公共区域费用共 {yuan(event.total_fen)} 元（{costs}），{rule}分摊到各单元，"
            f"分摊到分，尾差按最大余数分配。各单元分摊明细见下表，凭证可到客服中心查阅。")


def disclosure_table(event) -> dict:
    """The table a disclosure carries: each unit's area and share, and the total."""
    rows = [[line.unit, f"{line.area_m2:.2f}", yuan(line.share_fen)] for line in event.lines]
    rows.append(["合计", f"{sum(line.area_m2 for line in event.lines):.2f}", yuan(event.total_fen)])
    return {"title": f"{event.period} 公摊费用分摊明细", "header": ["单元", "面积（㎡）", "分摊（元）"], "rows": rows,
            "right": [1, 2]}


_BLANK = re.compile(r"\s+")


def summary(body: str, length: int = 80) -> str:
    text = _BLANK.sub(" ", body).strip()
    return text if len(text) <= length else text[: length - 1] + "…"
