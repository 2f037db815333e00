"""Correcting a request after it was received: a new kind, severity, department or the
plaza's word on whether it serves it, checked against the same rules intake applied, and
what changed, for the history. No I/O."""

from __future__ import annotations

import msgspec

from services.intake.requests import domain as rules
from services.intake.requests.domain import Kind, Refused, Severity

# What a correction may change, in the order the history lists it.
FIELDS = ("kind", "severity", "major", "serviceable", "referral", "department")
ASKED = ("kind", "severity", "department", "serviceable")


class Classification(msgspec.Struct, frozen=True, kw_only=True):
    """What intake holds about a request that a correction may change."""

    kind: Kind
    severity: Severity | None
    major: bool
    serviceable: bool
    referral: str | None  # the referral as answered: "gas company (燃气公司): 96777"
    department: str | None

    def differences(self, other: Classification) -> list[str]:
        return [name for name in FIELDS if getattr(self, name) != getattr(other, name)]


class Change(msgspec.Struct, frozen=True, kw_only=True):
    kind: Kind | None = None
    severity: Severity | None = None
    department: str | None = None
    serviceable: bool | None = None

    def asked(self) -> list[str]:
        return [name for name in ASKED if getattr(self, name) is not None]


class Corrected(msgspec.Struct, frozen=True, kw_only=True):
    before: dict
    after: dict
    now: Classification
    praised_department: str | None


def correct(
    current: Classification, change: Change, text: str, *, praised: str | None = None,
    rules_: rules.ClassificationRules = rules.DEFAULT_RULES, directory: rules.ReferralDirectory = rules.DEFAULT_REFERRALS,
) -> Corrected:
    """The request as corrected. What the clerk did not name follows from what they did: a
    complaint graded anew from its text, a request turned into a service looked up in the
    referral directory; a correction that changes nothing is refused, naming what was asked."""
    kind = change.kind or current.kind
    severity = _severity(current, change, kind, text, rules_)
    serviceable, referral = _service(current, change, kind, text, directory)
    if change.department is not None:
        rules.check_token(change.department, "department")
    now = Classification(
        kind=kind, severity=severity, major=severity == "major", serviceable=serviceable, referral=referral,
        department=change.department if change.department is not None else current.department,
    )
    changed = current.differences(now)
    if not changed:
        asked = change.asked() or list(ASKED)
        raise Refused(f"the correction changes nothing: {', '.join(asked)} already as asked", field=", ".join(asked))
    if kind == "praise":
        praised = praised if current.kind == "praise" else rules.praised_department(text, rules_)
    return Corrected(
        before={name: getattr(current, name) for name in changed},
        after={name: getattr(now, name) for name in changed},
        now=now, praised_department=praised if kind == "praise" else None,
    )


def _severity(current: Classification, change: Change, kind: Kind, text: str, rules_) -> Severity | None:
    if kind != "complaint":
        if change.severity is not None:
            raise Refused(f"severity applies to complaints only; this request is a {kind}", field="severity")
        return None
    if change.severity is not None:
        return change.severity
    if current.kind == "complaint" and current.severity is not None:
        return current.severity
    return rules.grade(text, rules_)[0]


def _service(current: Classification, change: Change, kind: Kind, text: str, directory) -> tuple[bool, str | None]:
    """Only a service is referred. The clerk's word wins; a request becoming a service is
    looked up as one received as a service would have been."""
    if kind != "service":
        if change.serviceable is False:
            raise Refused(f"only a service request can be referred; this request is a {kind}", field="serviceable")
        return True, None
    if change.serviceable is True:
        return True, None
    if change.serviceable is False:
        found = current.referral or _answer(rules.referral_for(text, directory))
        return False, found
    if current.kind != "service":
        found = _answer(rules.referral_for(text, directory))
        return found is None, found
    return current.serviceable, current.referral


def _answer(referral: rules.Referral | None) -> str | None:
    return referral.answer() if referral else None
