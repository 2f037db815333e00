"""Intake rules: classify a request, grade a complaint, name the praised department,
decide whether the plaza can serve it.

Pure functions over text; no I/O. Keyword rules are per plaza (the defaults below when a
plaza has set none), Chinese and English, matched case-insensitively; the first rule that
matches wins and is given as the reason, so a clerk can see why a request got its kind.
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec

from libs.contracts.events import Contact
from libs.contracts.subjects import InvalidToken, validate_token
from libs.runtime import limits

Kind = Literal["service", "complaint", "suggestion", "praise"]
Severity = Literal["minor", "normal", "major"]
CLERK = "set by the clerk"
_DEPARTMENT = re.compile(r"^[a-z0-9_\-]{1,64}$")


class Refused(Exception):
    """A rule said no; ``field`` names what the caller must change."""

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class ContactIn(Contact, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A contact as a request body takes it: the event's Contact, bounded. (The event type
    itself stays open: a newer producer's field must not break an older consumer.)"""

    name: limits.Name | None = None
    phone: limits.Phone | None = None


Keywords = limits.items(limits.Keyword, limits.KEYWORDS_MAX)


class KindRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    kind: Kind
    keywords: Keywords


class DepartmentRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    department: limits.Name
    keywords: Keywords


class ClassificationRules(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One plaza's keyword rules; order matters: the first matching rule wins."""

    kinds: limits.items(KindRule, limits.RULES_MAX)
    major_keywords: Keywords
    minor_keywords: Keywords = []
    praise_departments: limits.items(DepartmentRule, limits.RULES_MAX) = []


class Referral(msgspec.Struct, frozen=True):
    topic: str
    phone: str

    def answer(self) -> str:
        return f"{self.topic}: {self.phone}"


class ReferralEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    topic: limits.Name
    phone: limits.Phone
    keywords: Keywords


class ReferralDirectory(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    entries: limits.items(ReferralEntry, limits.RULES_MAX)


class Assessment(msgspec.Struct, frozen=True, kw_only=True):
    kind: Kind
    kind_reason: str
    severity: Severity | None = None
    severity_reason: str | None = None
    praised_department: str | None = None
    referral: Referral | None = None
    department: str | None = None  # the department proposed from the text, if any
    also: tuple[str, ...] = ()  # what else the text carries ("praise" in a complaint)

    @property
    def major(self) -> bool:
        return self.severity == "major"


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """The assessment with the clerk's choices over it: the department, and whether the
    plaza serves it after all (``overruled``: the referral the clerk set aside)."""

    department: str | None
    department_chosen: bool
    serviceable: bool
    referral: Referral | None
    overruled: Referral | None = None


DEFAULT_RULES = ClassificationRules(
    kinds=[
        KindRule(kind="complaint", keywords=["投诉", "不满", "态度差", "太差", "complain", "complaint", "unacceptable", "rude"]),
        KindRule(kind="praise", keywords=["表扬", "感谢", "谢谢", "点赞", "praise", "thank", "great job", "well done"]),
        KindRule(kind="suggestion", keywords=["建议", "希望能", "可否", "suggest", "suggestion", "would be nice", "could you consider"]),
    ],
    major_keywords=[
        "重大", "媒体", "记者", "起诉", "律师", "受伤", "集体", "市长热线",
        "lawsuit", "lawyer", "media", "journalist", "injured", "injury", "sue ",
    ],
    minor_keywords=["有点", "稍微", "小问题", "a bit", "slightly", "minor"],
    praise_departments=[
        DepartmentRule(department="security", keywords=["保安", "安保", "security", "guard"]),
        DepartmentRule(department="cleaning", keywords=["保洁", "清洁", "cleaning", "cleaner"]),
        DepartmentRule(department="engineering", keywords=["工程", "维修", "engineering", "engineer", "repair", "maintenance"]),
        DepartmentRule(department="customer_service", keywords=["客服", "前台", "customer service", "front desk"]),
    ],
)

# What the plaza cannot serve, and where to send the caller (默认转介电话).
DEFAULT_REFERRALS = ReferralDirectory(
    entries=[
        ReferralEntry(topic="gas company (燃气公司)", phone="96777", keywords=["燃气", "煤气", "gas leak", "gas supply", "gas bill"]),
        ReferralEntry(topic="telecom operator (电信客服)", phone="10000", keywords=["宽带", "电信", "网络故障", "broadband", "telecom", "internet outage"]),
        ReferralEntry(topic="municipal water (自来水公司)", phone="96116", keywords=["自来水公司", "市政供水", "停水通知", "municipal water", "water supply company"]),
        ReferralEntry(topic="power grid (国家电网)", phone="95598", keywords=["供电局", "国家电网", "power grid", "power company"]),
        ReferralEntry(topic="police (报警)", phone="110", keywords=["报警", "盗窃", "police", "theft", "robbery"]),
        ReferralEntry(topic="city service hotline (市民热线)", phone="12345", keywords=["市政", "路灯", "city hall", "municipal"]),
    ]
)


def _first(text: str, keywords: list[str]) -> str | None:
    return next((word for word in keywords if word.lower() in text), None)


def classify(text: str, rules: ClassificationRules = DEFAULT_RULES, given: Kind | None = None) -> tuple[Kind, str]:
    if given is not None:
        return given, CLERK
    lowered = text.lower()
    for rule in rules.kinds:
        word = _first(lowered, rule.keywords)
        if word:
            return rule.kind, f"keyword {word!r}"
    return "service", "no complaint, praise or suggestion keyword: a service request"


def grade(text: str, rules: ClassificationRules = DEFAULT_RULES, given: Severity | None = None) -> tuple[Severity, str]:
    """A complaint's severity: major words before minor ones, since one serious word in a
    mild-sounding complaint must still reach the manager."""
    if given is not None:
        return given, CLERK
    lowered = text.lower()
    if word := _first(lowered, rules.major_keywords):
        return "major", f"keyword {word!r}"
    if word := _first(lowered, rules.minor_keywords):
        return "minor", f"keyword {word!r}"
    return "normal", "no major or minor keyword"


def praised_department(text: str, rules: ClassificationRules = DEFAULT_RULES) -> str | None:
    lowered = text.lower()
    return next((r.department for r in rules.praise_departments if _first(lowered, r.keywords)), None)


def referral_for(text: str, directory: ReferralDirectory = DEFAULT_REFERRALS) -> Referral | None:
    lowered = text.lower()
    entry = next((e for e in directory.entries if _first(lowered, e.keywords)), None)
    return Referral(entry.topic, entry.phone) if entry else None


def is_major(kind: Kind, text: str, rules: ClassificationRules = DEFAULT_RULES) -> bool:
    return kind == "complaint" and grade(text, rules)[0] == "major"


def assess(
    text: str,
    rules: ClassificationRules = DEFAULT_RULES,
    directory: ReferralDirectory = DEFAULT_REFERRALS,
    *,
    kind: Kind | None = None,
    severity: Severity | None = None,
) -> Assessment:
    """Everything intake decides about one request's text, in one call."""
    if not text.strip():
        raise Refused("text must describe the request", field="text")
    found, reason = classify(text, rules, kind)
    if found == "complaint":
        graded, why = grade(text, rules, severity)
        return Assessment(
            kind=found, kind_reason=reason, severity=graded, severity_reason=why, also=also_carries(text, found, rules),
        )
    if severity is not None:
        raise Refused(f"severity applies to complaints only; this request is a {found}", field="severity")
    if found == "praise":
        return Assessment(kind=found, kind_reason=reason, praised_department=praised_department(text, rules))
    referral = referral_for(text, directory) if found == "service" else None
    return Assessment(kind=found, kind_reason=reason, referral=referral, also=also_carries(text, found, rules))


def also_carries(text: str, kind: Kind, rules: ClassificationRules = DEFAULT_RULES) -> tuple[str, ...]:
    """A repair or complaint that also thanks someone ("the guard was kind, but the lift is
    broken"): the thanks must reach the praised department, not be lost in the job."""
    if kind not in ("service", "complaint"):
        return ()
    lowered = text.lower()
    thanks = any(_first(lowered, rule.keywords) for rule in rules.kinds if rule.kind == "praise")
    return ("praise",) if thanks else ()


def splits(found: Assessment, wanted: bool = True) -> bool:
    """Whether a mixed message becomes two records: the job and its thanks."""
    return wanted and "praise" in found.also and found.kind in ("service", "complaint")


def praise_half(text: str, rules: ClassificationRules = DEFAULT_RULES) -> Assessment:
    return Assessment(
        kind="praise", kind_reason="the thanks in a mixed message, recorded beside the job",
        praised_department=praised_department(text, rules),
    )


def decide(found: Assessment, *, department: str | None = None, serviceable: bool | None = None) -> Decision:
    """The clerk's choices at intake. A chosen department wins over the proposed one; a
    service the rules would refer may be kept (the street light in the plaza's own car park
    is the plaza's); only a service can be declared one the plaza cannot serve."""
    if department is not None:
        check_token(department, "department")
    if serviceable is False and found.kind != "service":
        raise Refused(f"only a service request can be referred; this request is a {found.kind}", field="serviceable")
    keep = found.referral is None if serviceable is None else serviceable
    return Decision(
        department=department if department is not None else found.department,
        department_chosen=department is not None, serviceable=keep,
        referral=None if keep else found.referral,
        overruled=found.referral if keep and found.referral else None,
    )


def whereabouts(unit: str | None, area: str | None, contact: Contact | None, areas: frozenset[str]) -> tuple[str, str | None]:
    """Where the request is about: ``(unit, area)``, unit "" when it names none. A public
    area is one of the plaza's list; a caller with neither (a passer-by) must leave a name
    and phone, or no one could answer them."""
    if unit and area is not None:
        raise Refused("give the unit or the public area, not both", field="area")
    if unit:
        return unit, None
    if area is not None:
        if area not in areas:
            raise Refused(f"area {area!r} is not one of the plaza's public areas (GET …/public-areas)", field="area")
        return "", area
    if contact is None or not (contact.name or "").strip() or not (contact.phone or "").strip():
        raise Refused("a request naming no unit and no public area needs the caller's name and phone", field="contact")
    return "", None


def check_token(value: str, field: str) -> str:
    """A value that becomes a NATS subject token downstream (dispatch routes by department)."""
    try:
        return validate_token(value, field)
    except InvalidToken as exc:
        raise Refused(str(exc), field=field) from exc


def check_rules(rules: ClassificationRules) -> ClassificationRules:
    """A plaza's rules as it wants them stored: no empty keyword, departments usable as
    subject tokens (dispatch routes praise by them)."""
    for i, rule in enumerate(rules.kinds):
        _check_keywords(rule.keywords, f"kinds[{i}].keywords")
    _check_keywords(rules.major_keywords, "major_keywords", allow_empty=True)
    _check_keywords(rules.minor_keywords, "minor_keywords", allow_empty=True)
    for i, rule in enumerate(rules.praise_departments):
        check_department(rule.department, f"praise_departments[{i}].department")
        _check_keywords(rule.keywords, f"praise_departments[{i}].keywords")
    return rules


def check_department(department: str, field: str) -> None:
    """Departments become subject tokens downstream (dispatch routes by them)."""
    if not _DEPARTMENT.match(department):
        raise Refused(f"department {department!r} must be lowercase letters, digits, '_' or '-'", field=field)


def check_directory(directory: ReferralDirectory) -> ReferralDirectory:
    for i, entry in enumerate(directory.entries):
        if not entry.topic.strip():
            raise Refused("topic must name who to call", field=f"entries[{i}].topic")
        if not re.fullmatch(r"[0-9+\- ]{3,20}", entry.phone):
            raise Refused(f"phone {entry.phone!r} is not a phone number", field=f"entries[{i}].phone")
        _check_keywords(entry.keywords, f"entries[{i}].keywords")
    return directory


def _check_keywords(keywords: list[str], field: str, *, allow_empty: bool = False) -> None:
    if not keywords and not allow_empty:
        raise Refused("at least one keyword is needed", field=field)
    if any(not word.strip() for word in keywords):
        raise Refused("a keyword must not be blank (it would match everything)", field=field)
    if any(len(word) > 100 for word in keywords):
        raise Refused("a keyword must be at most 100 characters", field=field)
