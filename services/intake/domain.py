"""Intake rules: classify a request, decide whether the plaza can serve it, flag majors.

Pure functions over text; no I/O. Keyword rules are Chinese and English, matched
case-insensitively; the first rule that matches wins and is given as the reason.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Kind = Literal["service", "complaint", "suggestion", "praise"]


class Classification(msgspec.Struct, frozen=True):
    kind: Kind
    reason: str


class Referral(msgspec.Struct, frozen=True):
    topic: str
    phone: str

    def answer(self) -> str:
        return f"{self.topic}: {self.phone}"


KIND_KEYWORDS: list[tuple[Kind, tuple[str, ...]]] = [
    ("complaint", ("投诉", "不满", "态度差", "太差", "complain", "complaint", "unacceptable", "rude")),
    ("praise", ("表扬", "感谢", "谢谢", "点赞", "praise", "thank", "great job", "well done")),
    ("suggestion", ("建议", "希望能", "可否", "suggest", "suggestion", "would be nice", "could you consider")),
]

MAJOR_KEYWORDS = (
    "重大", "媒体", "记者", "起诉", "律师", "受伤", "集体", "市长热线",
    "lawsuit", "lawyer", "media", "journalist", "injured", "injury", "sue ",
)

# What the plaza cannot serve, and where to send the caller (默认转介电话).
DEFAULT_REFERRALS: list[tuple[tuple[str, ...], Referral]] = [
    (("燃气", "煤气", "gas leak", "gas supply", "gas bill"), Referral("gas company (燃气公司)", "96777")),
    (("宽带", "电信", "网络故障", "broadband", "telecom", "internet outage"), Referral("telecom operator (电信客服)", "10000")),
    (("自来水公司", "市政供水", "停水通知", "municipal water", "water supply company"), Referral("municipal water (自来水公司)", "96116")),
    (("报警", "盗窃", "police", "theft", "robbery"), Referral("police (报警)", "110")),
    (("市政", "路灯", "city hall", "municipal"), Referral("city service hotline (市民热线)", "12345")),
]


def classify(text: str, given: Kind | None = None) -> Classification:
    if given is not None:
        return Classification(given, "set by the clerk")
    lowered = text.lower()
    for kind, words in KIND_KEYWORDS:
        for word in words:
            if word in lowered:
                return Classification(kind, f"keyword {word!r}")
    return Classification("service", "no complaint, praise or suggestion keyword: a service request")


def is_major(kind: Kind, text: str) -> bool:
    if kind != "complaint":
        return False
    lowered = text.lower()
    return any(word in lowered for word in MAJOR_KEYWORDS)


def referral_for(text: str, directory=DEFAULT_REFERRALS) -> Referral | None:
    lowered = text.lower()
    for words, referral in directory:
        if any(word in lowered for word in words):
            return referral
    return None
