"""The occupant's phone pages (商户/住户): their unit's requests, account and return
visits, and the no-login survey link. Pure rules, no I/O."""

from __future__ import annotations

import uuid

from services.console.i18n.domain import N_

KINDS = {"service": N_("Repair"), "complaint": N_("Complaint"), "suggestion": N_("Suggestion"),
         "praise": N_("Praise")}
REQUEST_STATUSES = {"received": N_("Received"), "referred": N_("Referred elsewhere")}
VISIT_STATUSES = {"pending": N_("Waiting for your answer"), "done": N_("Answered"),
                  "overdue": N_("Waiting for your answer"), "skipped": N_("Not needed")}
RATINGS: tuple[tuple[str, str, str], ...] = (
    ("satisfied", N_("Satisfied"), "★★★"), ("basically_satisfied", N_("Basically satisfied"), "★★☆"),
    ("unsatisfied", N_("Unsatisfied"), "★☆☆"),
)
RATING_NAMES = {value: name for value, name, _ in RATINGS}
REASONS = {
    "not_fixed": N_("Not fixed"), "repeat_problem": N_("The problem came back"),
    "slow_response": N_("Slow to respond"), "late_arrival": N_("Arrived late"),
    "staff_attitude": N_("Staff attitude"), "workmanship": N_("Workmanship"), "cleanliness": N_("Left a mess"),
    "price": N_("Price"), "communication": N_("Communication"), "other": N_("Other"),
}
# A survey link the survey service refuses, in words for whoever opened it.
LINK_REFUSALS = {
    403: N_("This link is not valid. Please ask the customer service desk for a new one."),
    404: N_("This link is not valid. Please ask the customer service desk for a new one."),
    409: N_("This survey has already been answered. Thank you!"),
    410: N_("This link has expired. Please ask the customer service desk for a new one."),
    429: N_("Too many attempts: please wait a moment"),
}
# What a notice is, in the occupant's words (the notices service's kinds).
NOTICE_KINDS = {"notice": N_("Notice"), "letter": N_("Letter to the unit"), "tip": N_("Warm tip"),
                "disclosure": N_("Financial disclosure"), "dunning": N_("Payment reminder"),
                "activity": N_("Community activity")}
TEXT_MAX = 2000


def new_key() -> str:
    """The report form's Idempotency-Key: a double tap on a phone logs one request."""
    return uuid.uuid4().hex


def link_refusal(status: int) -> str:
    return LINK_REFUSALS.get(status, N_("A service is not available just now: please try again"))


def issue_text(text: str | None) -> tuple[str, str | None]:
    """What the occupant wrote, trimmed, and what is wrong with it (None: fine)."""
    cleaned = (text or "").strip()
    if not cleaned:
        return cleaned, N_("Describe the problem")
    if len(cleaned) > TEXT_MAX:
        return cleaned, N_("At most 2000 characters")
    return cleaned, None


def request_rows(requests: list[dict]) -> list[dict]:
    rows = sorted(requests, key=lambda r: r.get("received_at") or "", reverse=True)
    return [{**r, "kind_label": KINDS.get(r.get("kind", ""), r.get("kind", "")),
             "status_label": REQUEST_STATUSES.get(r.get("status", ""), r.get("status", ""))} for r in rows]


def visit_rows(visits: list[dict]) -> list[dict]:
    rows = sorted(visits, key=lambda v: v.get("scheduled_at") or "", reverse=True)
    return [{**v, "status_label": VISIT_STATUSES.get(v.get("status", ""), v.get("status", "")),
             "rating_label": RATING_NAMES.get(v.get("rating") or "", ""),
             "answerable": v.get("status") in ("pending", "overdue")} for v in rows]


def notice_refusal(status: int) -> str:
    if status in (403, 404):
        return N_("This link is not valid. Please ask the customer service desk for a new one.")
    if status == 429:
        return N_("Too many attempts: please wait a moment")
    return N_("A service is not available just now: please try again")


def notice_rows(notices: list[dict]) -> list[dict]:
    """Newest first (as the service gives them), each with its kind in words and whether unread."""
    return [{**n, "kind_label": NOTICE_KINDS.get(n.get("kind", ""), N_("Notice")), "unread": not n.get("read_at")}
            for n in notices]


def answer_body(form: dict, ratings: list[str], reason_codes: list[str]) -> tuple[dict, str | None]:
    """The survey answer from the phone form; the rating must be one the link offers."""
    rating = str(form.get("rating") or "")
    if rating not in ratings:
        return {}, N_("Choose how satisfied you are")
    reasons = [r for r in form.get("reasons", []) if r in reason_codes] if rating != "satisfied" else []
    comment = str(form.get("comment") or "").strip()
    body = {"rating": rating, "reasons": reasons}
    if comment:
        body["comment"] = comment[:TEXT_MAX]
    return body, None
