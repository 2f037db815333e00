"""Triage rules: what a request's text says, read as a clerk reads it.

A linear model (``store.Model``) reads the text and gives each kind and department a
probability. The rules here run on top of it, for what must never be missed: a complaint
that names an injury, a claim for damages, the media, a lawyer or the 12345 hotline, a
safety incident, or the third report of the same fault is major, whatever the model
thought; a message in several parts (a repair and a thank-you) keeps its other kinds in
``also``. Every decision carries a reason a clerk can read ("model: complaint (0.87)",
"rule: injury 受伤"). Pure functions over text; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

KINDS = ("service", "complaint", "suggestion", "praise")
# A message in several parts is filed under its most pressing kind; the rest go to ``also``.
PRESSING = ("complaint", "service", "suggestion", "praise")
Priority = Literal["emergency", "urgent", "normal", "low"]

# Words that say what a sentence wants, whatever its subject: given to the model as
# features beside the characters and words (it learns how much each counts), since a
# few hundred examples cannot teach it every way of saying thank you or "could you".
CUES = {
    "thanks": r"谢谢|感谢|多谢|感恩|表扬|点赞|点个赞|赞一个|好评|满分|辛苦了|辛苦啦|致敬|锦旗|夸|暖心|贴心|靠谱|"
    r"给力|好样的|(?<!不)满意|没得说|很好|真好|特别好|好人|不错|棒|(?<!不)专业|"
    r"thank|kudos|great job|well done|praise|awesome|above and beyond|appreciate|keep it up|brilliant|"
    r"excellent|amazing|great response|helpful|good job",
    "suggest": r"建议|提议|希望|能不能|能否|可否|是否可以|是否能|可以考虑|考虑|要是|就更好|就好了|如果能|想法|"
    r"最好能|为什么不|不如|会方便|"
    r"suggest|would be nice|would be great|it'd be great|consider|how about|why not|maybe|if possible|better",
    "negative": r"太差|很差|差劲|不满|投诉|凭什么|不合理|太贵|贵了|乱收费|乱涨|不像话|没人管|没人理|不管|"
    r"到底|什么破|不耐烦|骗人|离谱|受不了|失望|恶劣|推脱|一问三不知|什么服务|太脏|大呼小叫|吼|很冲|"
    r"说好的|不是说|推搡|道歉|不作为|敷衍|粗暴|霸占|抢钱|烦不烦|摆设|从来|永远|一直没|还没人|没人来|这么慢|太慢|可怕|不负责|谁负责|出大事|怎么办|人命|"
    r"unacceptable|not acceptable|ridiculous|disappointed|rude|filthy|terrible|joke|ripoff|complain|annoy|"
    r"paying for|too high|shouted|gripe|nobody|ignore|never|every single|promised|seriously|not happy",
    "request": r"麻烦|请|帮忙|派人|修一下|看一下|看看|处理一下|please|pls|can someone|send",
    # What a message is about, for the department: the few words each trade hears most.
    "fault": r"坏|漏|堵|不亮|不制冷|不转|跳闸|没电|电梯|扶梯|空调|水管|灯|门锁|插座|维修|修|渗|滴水|异响|卡住|"
    r"broken|leak|clog|fix|repair|light|lift|elevator|escalator|\bac\b|socket|pipe|drain",
    "dirt": r"垃圾|脏|臭|味|清理|打扫|保洁|清洁|拖|纸|蟑螂|老鼠|消杀|吐|"
    r"trash|garbage|dirty|filthy|smell|clean|mop|toilet paper|recycl|bins?\b",
    "guard": r"保安|安保|停车|车位|道闸|门禁|噪音|吵|醉|打架|监控|巡逻|放行|岗亭|卸货|送货|"
    r"security|guard|parking|car park|noise|loud|barrier|bike|theft|stolen",
    "desk": r"费|发票|充值|缴|押金|手续|证明|快递|包裹|丢|捡到|失物|活动|通知|客服|前台|服务台|合同|"
    r"invoice|fee|charge|refund|parcel|lost|lease|permit|front desk|notice",
}
_CUES = {name: re.compile(pattern) for name, pattern in CUES.items()}


def cues(text: str) -> list[str]:
    lowered = text.lower()
    return [name for name, pattern in _CUES.items() if pattern.search(lowered)]


# What makes a complaint major (and a request that carries it a complaint): a clerk who
# misses one of these has missed the case the manager must hear of at once.
_COUNT = r"[三四五六七八九十几多无数N]"
MAJOR = {
    "injury": r"受伤|受了伤|摔倒|摔伤|骨折|流血|缝了.针|扭伤|夹伤|夹了|青了|淤青|肿了|砸伤|砸到(?!人)|撞伤|烫伤|被电|住院|进了医院|"
    r"(?:got|was|were|is|are|been) hurt|hurt (?:my|his|her|their|our|him|me|them)|injur|bleed|bruise|hospital|"
    r"broke (?:his|her|my) ",
    "damage claim": r"赔偿|赔钱|要你们赔|你们赔|赔吗|损失|医药费|"
    r"compensat|losses|damages",
    "media": r"(?:找|联系|告诉|叫|让|发给|反映给)了?媒体|媒体曝光|曝光|记者|电视台|报社|报纸|上新闻|发到?抖音|发到?微博|发到网上|"
    r"the press|(?:to|contact|tell|call) the media|(?:post|posting|put|putting) (?:this|it) on|journalist|newspaper|tv station|go viral",
    "lawsuit": r"起诉|律师|法院|告你们|打官司|维权|消协|消费者协会|非法|"
    r"lawsuit|lawyer|\bsue\b|(?:to|in) court|legal action",
    "hotline": r"12345|市长热线|市民热线|主管部门|上级部门|"
    r"hotline",
    "repeat failure": rf"(?:报|报修|投诉|反映|打了|说了|催了|找了|修了)了?(?:{_COUNT}+|好几)[次回遍]|第{_COUNT}[次回]|"
    rf"{_COUNT}[次回]了|{_COUNT}[次回]都|好几次了|无数次|每次都|"
    r"(?:three|four|five|six|several|many|multiple) times|(?:third|fourth|fifth|sixth) (?:time|complaint|report)",
    "collective": r"联名|集体(?:投诉|维权|上访|起诉|反映)",
}
# A safety incident: the most pressing job there is, a complaint about one is major.
SAFETY = (
    r"着火|火灾|失火|起火|火花|火星|冒烟|烧焦|消防通道.{0,6}(?:堵|占)|灭火器|消防栓|安全隐患|漏电|触电|困人|困了|"
    r"\bfire\b|smoke|sparks|electric shock|trapped"
)
# A match just after one of these is a fear or a near miss, not an event ("怕砸到人").
_HEDGE = re.compile(r"(?:怕|担心|以免|防止|万一|容易|差点|还好没|小心|避免)[^，。,.!！?？]{0,6}$")
_MAJOR = {label: re.compile(pattern) for label, pattern in MAJOR.items()}
_SAFETY = re.compile(SAFETY)
# A caller who says the word means a complaint, whoever it is about.
COMPLAINT_WORD = re.compile(r"投诉|complain")
_URGENT = re.compile(r"紧急|急|马上|立刻|赶紧|快来|urgent|asap|immediately|right now")
_CLAUSE = re.compile(r"[。！？!?；;\n，,]+|另外|顺便|不过|但是|但|\balso\b|\bbut\b|\bthough\b")


@dataclass(frozen=True)
class Signal:
    label: str
    word: str

    @property
    def reason(self) -> str:
        return f"rule: {self.label} {self.word}"


def _found(pattern: re.Pattern, lowered: str) -> str | None:
    for match in pattern.finditer(lowered):
        if not _HEDGE.search(lowered[: match.start()]):
            return match.group(0)
    return None


def major_signal(text: str, extra: list[str] = ()) -> Signal | None:
    """The first thing in the text that makes a complaint major: the built-in signs, then a
    plaza's own major keywords."""
    lowered = text.lower()
    for label, pattern in _MAJOR.items():
        if word := _found(pattern, lowered):
            return Signal(label, word)
    if match := _SAFETY.search(lowered):  # a feared fire is a safety matter too: no hedge
        return Signal("safety", match.group(0))
    word = next((w for w in extra if w.lower() in lowered), None)
    return Signal("plaza keyword", word) if word else None


def safety_signal(text: str) -> Signal | None:
    match = _SAFETY.search(text.lower())
    return Signal("safety", match.group(0)) if match else None


def minor_signal(text: str, words: list[str]) -> Signal | None:
    lowered = text.lower()
    word = next((w for w in words if w.lower() in lowered), None)
    return Signal("minor", word) if word else None


def clauses(text: str) -> list[str]:
    """The parts of a message that may each say something else (a repair, then thanks).
    A part too short to mean anything alone ("谢谢你们了", "thanks a lot!") is left out:
    it is politeness, not praise."""
    return [part.strip() for part in _CLAUSE.split(text) if _weight(part) >= 6]


def _weight(part: str) -> int:
    cjk = len(re.findall(r"[\u4e00-\u9fff]", part))
    return cjk + len(re.findall(r"[a-zA-Z]+", part))


@dataclass(frozen=True)
class Reading:
    """The model's reading of one text: a probability per kind and per department, and
    per kind for each part of a message in several parts (``clauses``, in order)."""

    kinds: dict[str, float]
    departments: dict[str, float]
    parts: tuple[dict[str, float], ...] = ()

    def kind(self) -> tuple[str, float]:
        return max(self.kinds.items(), key=lambda kv: kv[1])

    def department(self) -> str:
        return max(self.departments.items(), key=lambda kv: kv[1])[0]


# A part of a message is a request of its own when the model is this sure of it and the
# part names a fault or asks for something, with no thanks and no suggestion in it
# ("服务特别热情" is praise's detail, "电动车越来越多了" a suggestion's reason, not jobs).
SERVICE_PART = 0.7
# Kinds a part shows by its words; the model must not rule them out (a "希望" in an
# angry sentence is no suggestion). Thanks for a named deed is praise even where the model,
# trained on whole messages, reads the part as the request it came with.
_SHOWN = {"thanks": "praise", "suggest": "suggestion", "negative": "complaint"}
PART_FLOOR = {"praise": 0.1, "suggestion": 0.2, "complaint": 0.2}


@dataclass(frozen=True)
class Triage:
    kind: str
    kind_reason: str
    major: Signal | None
    department: str
    priority: Priority
    also: tuple[str, ...] = field(default=())


def triage(reading: Reading, text: str, *, major_words: list[str] = ()) -> Triage:
    """The kind the model reads, made a complaint where a major sign says so; the other
    kinds a mixed message carries; the department; how pressing it is."""
    kind, confidence = reading.kind()
    reason = f"model: {kind} ({confidence:.2f})"
    present = parts_kinds(reading, text)
    signal = major_signal(text, major_words)
    blamed = signal and signal.label == "safety" and "negative" in cues(text)
    if signal and (signal.label not in ("safety", "plaza keyword") or blamed) and kind != "complaint":
        kind, reason = "complaint", signal.reason
    elif pressing := next((k for k in PRESSING[: PRESSING.index(kind)] if k in present), None):
        # The model read the whole message as its milder part (the thanks before a new fault).
        kind, reason = pressing, f"model: a {pressing} beside the {kind} ({reading.kinds[pressing]:.2f})"
    return Triage(kind=kind, kind_reason=reason, major=signal, department=reading.department(),
                  priority=priority(kind, text, signal), also=also(kind, present))


def parts_kinds(reading: Reading, text: str) -> set[str]:
    """The kinds the parts of a mixed message show (none for a message in one part)."""
    found: set[str] = set()
    for part, probabilities in zip(clauses(text), reading.parts):
        shown = {_SHOWN[c] for c in cues(part) if c in _SHOWN}
        found |= {k for k in shown if probabilities.get(k, 0.0) >= PART_FLOOR[k]}
        asks = {"fault", "request"} & set(cues(part))
        if asks and not shown & {"praise", "suggestion"} and probabilities.get("service", 0.0) >= SERVICE_PART:
            found.add("service")
    return found


def also(kind: str, present: set[str]) -> tuple[str, ...]:
    """The other kinds, most pressing first. A complaint's repair is the complaint's own
    matter (no ``service`` beside it), and a complaint inside a request is the request's."""
    ignored = {kind, *({"service"} if kind == "complaint" else ()), *({"complaint"} if kind != "complaint" else ())}
    return tuple(k for k in PRESSING if k in present and k not in ignored)


def priority(kind: str, text: str, major: Signal | None) -> Priority:
    if safety_signal(text) or (kind == "complaint" and major):
        return "emergency"
    if kind == "complaint" or _found(_URGENT, text.lower()):
        return "urgent"
    return "low" if kind in ("suggestion", "praise") else "normal"
