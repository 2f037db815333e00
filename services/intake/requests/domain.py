"""Intake rules: classify a request, grade a complaint, name the praised department,
propose the department, decide whether the plaza can serve it.

The kind, department and the other kinds of a mixed message come from triage (a model
trained on the corpus intake keeps, with rules on top for what must never be missed); a
plaza's own keyword rules, Chinese and English, matched case-insensitively, win over the
model: the first rule that matches decides, and is given as the reason, so a clerk can see
why a request got its kind. Pure functions over text (the model is handed in, or the
process's own is used); no I/O of their own.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec

import datetime as dt

from libs.contracts.events import CallRecord, CatalogueOrder, Contact
from libs.contracts.subjects import InvalidToken, validate_token
from libs.runtime import limits
from services.intake.triage import domain as triage
from services.intake.triage import store as triage_model

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


class CatalogueItemIn(CatalogueOrder, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A catalogue service ordered with the request, bounded; its code is billing's (which
    prices it when the job closes)."""

    code: limits.Code
    quantity: Annotated[int, msgspec.Meta(ge=1, le=limits.QUANTITY_MAX)] = 1


class CallIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How a phone call was answered, as the desk's answer button or a phone system sends
    it: when it rang, when the clerk picked up, and the etiquette checklist."""

    rang_at: dt.datetime
    answered_at: dt.datetime
    greeting: bool = False
    read_back: bool = False


# A phone system's clock and the server's differ by a little; an answer later than this
# ahead of the server's clock is a wrong clock, not a call.
CALL_CLOCK_SKEW = dt.timedelta(seconds=60)


def call_record(call: CallIn | None, channel: str, now: dt.datetime) -> CallRecord | None:
    """The call as the event carries it (UTC), or Refused: only a phone request has one;
    it is answered after it rang and not in the future."""
    if call is None:
        return None
    if channel != "phone":
        raise Refused("only a request of channel phone has a call record", field="call")
    rang, answered = (_utc(call.rang_at, "call.rang_at"), _utc(call.answered_at, "call.answered_at"))
    if answered < rang:
        raise Refused("call.answered_at must not be before call.rang_at", field="call.answered_at")
    if answered > now + CALL_CLOCK_SKEW:
        raise Refused("call.answered_at is in the future", field="call.answered_at")
    return CallRecord(rang_at=rang, answered_at=answered, greeting=call.greeting, read_back=call.read_back)


def _utc(value: dt.datetime, field: str) -> dt.datetime:
    if value.tzinfo is None:
        raise Refused(f"{field} needs a time zone (ISO 8601 with Z or an offset)", field=field)
    return value.astimezone(dt.timezone.utc)


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
    priority: str = "normal"

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


# No kind keywords by default: the model decides the kind until a plaza sets its own rules.
DEFAULT_RULES = ClassificationRules(
    kinds=[],
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
        ReferralEntry(topic="police (报警)", phone="110", keywords=["要报警", "请报警", "帮我报警", "协助报警", "盗窃", "police", "theft", "robbery"]),
        ReferralEntry(topic="city service hotline (市民热线)", phone="12345", keywords=["市政", "路灯", "city hall", "municipal"]),
    ]
)


def _first(text: str, keywords: list[str]) -> str | None:
    return next((word for word in keywords if word.lower() in text), None)


def classify(text: str, rules: ClassificationRules = DEFAULT_RULES, given: Kind | None = None) -> tuple[Kind, str]:
    """The kind the clerk gave, else the plaza's first matching kind rule, else the model's."""
    if given is not None:
        return given, CLERK
    if found := plaza_kind(text, rules):
        return found
    found = read(text, rules)
    return found.kind, found.kind_reason


def plaza_kind(text: str, rules: ClassificationRules) -> tuple[Kind, str] | None:
    lowered = text.lower()
    for rule in rules.kinds:
        if word := _first(lowered, rule.keywords):
            return rule.kind, f"plaza rule: keyword {word!r}"
    return None


def read(text: str, rules: ClassificationRules = DEFAULT_RULES, model: triage_model.Model | None = None) -> triage.Triage:
    """Triage's reading of the text: the model's, with the must-never-miss rules on top."""
    reading = (model or triage_model.model()).read(text)
    return triage.triage(reading, text, major_words=rules.major_keywords)


def grade(
    text: str, rules: ClassificationRules = DEFAULT_RULES, given: Severity | None = None,
    major: triage.Signal | None = None,
) -> tuple[Severity, str]:
    """A complaint's severity: major signs before minor words, since one serious word in a
    mild-sounding complaint must still reach the manager."""
    if given is not None:
        return given, CLERK
    if signal := major or triage.major_signal(text, rules.major_keywords):
        return "major", signal.reason
    if signal := triage.minor_signal(text, rules.minor_keywords):
        return "minor", signal.reason
    return "normal", "no major sign or minor word"


def praised_department(text: str, rules: ClassificationRules = DEFAULT_RULES) -> str | None:
    lowered = text.lower()
    return next((r.department for r in rules.praise_departments if _first(lowered, r.keywords)), None)


def referral_for(text: str, directory: ReferralDirectory = DEFAULT_REFERRALS) -> Referral | None:
    lowered = text.lower()
    entry = next((e for e in directory.entries if _first(lowered, e.keywords)), None)
    return Referral(entry.topic, entry.phone) if entry else None


def assess(
    text: str,
    rules: ClassificationRules = DEFAULT_RULES,
    directory: ReferralDirectory = DEFAULT_REFERRALS,
    *,
    kind: Kind | None = None,
    severity: Severity | None = None,
    model: triage_model.Model | None = None,
) -> Assessment:
    """Everything intake decides about one request's text, in one call: the clerk's word
    first, then the plaza's rules, then triage (``model``, else the process's own)."""
    if not text.strip():
        raise Refused("text must describe the request", field="text")
    found = read(text, rules, model)
    kind_reason = found.kind_reason
    referral = referral_for(text, directory)
    if kind is not None or (ruled := plaza_kind(text, rules)) is None:
        chosen = kind or found.kind
        kind_reason = CLERK if kind is not None else kind_reason
        if kind is None and chosen == "complaint" and referral and not found.major and not triage.COMPLAINT_WORD.search(text.lower()):
            # Said in anger, but about what the plaza does not run (the street light, the
            # broadband): the caller needs the number, the desk has nothing to fix.
            chosen, kind_reason = "service", f"rule: referral to {referral.topic}"
    else:
        chosen, kind_reason = ruled
    also = triage.also(chosen, {found.kind, *found.also}) if chosen != found.kind else found.also
    common = dict(kind=chosen, kind_reason=kind_reason, department=found.department, also=also)
    if chosen == "complaint":
        graded, why = grade(text, rules, severity, found.major)
        priority = "emergency" if graded == "major" else triage.priority(chosen, text, None)
        return Assessment(**common, severity=graded, severity_reason=why, priority=priority)
    if severity is not None:
        raise Refused(f"severity applies to complaints only; this request is a {chosen}", field="severity")
    priority = triage.priority(chosen, text, None)
    if chosen == "praise":
        praised = praised_department(text, rules)
        return Assessment(**common | {"department": praised or found.department}, praised_department=praised, priority=priority)
    return Assessment(**common, referral=referral if chosen == "service" else None, priority=priority)


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
