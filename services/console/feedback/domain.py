"""Suggestions (建议) and praise (表扬) as the manager follows them through: the states in
the department's words, the follow-up buttons a suggestion offers (its allowed next states
and the person's role), the reply a decision needs, and the praise of each department for
the monthly review. Items are dispatch's suggestions (request_id, unit, text, received_at,
state, reply, allowed_states, history) and praise (request_id, department, unit, text,
received_at). Pure rules; no I/O."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from libs.contracts.access import PERMISSIONS
from services.console.gateway.domain import FormRefused
from services.console.i18n.domain import DEFAULT_TZ, N_
from services.console.i18n.domain import instant
from services.console.work_orders.domain import DEPARTMENT_NAMES, DEPARTMENTS

STATES = ("received", "under_consideration", "adopted", "declined")
# "Received" is the desk's word for a request (已受理); a suggestion waiting to be read is 已收到.
STATE_NAMES = {"received": N_("Newly received"), "under_consideration": N_("Under consideration"),
               "adopted": N_("Adopted"), "declined": N_("Not adopted")}
BADGES = {"received": "", "under_consideration": "warn", "adopted": "ok", "declined": "bad"}
DECISIONS = ("adopted", "declined")  # the merchant is answered: a reply goes with them
OPEN = ("received", "under_consideration")
STATE_FILTERS = {"": N_("Every state"), "open": N_("Awaiting a decision"), **STATE_NAMES}
FOLLOW_UP_ROUTE = "POST /v1/plazas/{plaza}/suggestions/{request_id}/follow-up"

def state_name(state: str) -> str:
    return STATE_NAMES.get(state, state)


def department_name(department: str) -> str:
    return DEPARTMENT_NAMES.get(department, department)


def may_follow_up(roles) -> bool:
    """The access table's roles for dispatch's follow-up route (dispatch still decides)."""
    return bool(set(roles) & PERMISSIONS["dispatch"].get(FOLLOW_UP_ROUTE, frozenset()))


def offered(suggestion: dict, roles) -> list[str]:
    """The follow-up buttons of a suggestion: the states it may move to next, for a person
    whose role may answer suggestions; none once decided."""
    if not may_follow_up(roles):
        return []
    return [s for s in suggestion.get("allowed_states") or [] if s in STATES]


def reply_required(states: list[str]) -> bool:
    return any(s in DECISIONS for s in states)


def follow_up_body(state: str | None, reply: str | None, note: str | None) -> dict:
    """The follow-up as dispatch takes it; a decision without a reply to the merchant is
    refused here, before asking."""
    if state not in STATES:
        raise FormRefused("state", "choose the suggestion's next state")
    body: dict = {"state": state}
    reply, note = (reply or "").strip(), (note or "").strip()
    if state in DECISIONS and not reply:
        raise FormRefused("reply", "a decision needs a reply to the merchant")
    if reply:
        body["reply"] = reply
    if note:
        body["note"] = note
    return body


def _newest_first(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda i: (instant(i.get("received_at")) or dt.datetime.min.replace(tzinfo=dt.timezone.utc),
                                        i.get("request_id") or ""), reverse=True)


def suggestions_shown(items: list[dict], choice: str | None, keep: str | None = None) -> list[dict]:
    """The suggestions of the chosen state ("open": not yet decided), newest first; ``keep``
    stays whatever its state (a refused follow-up's, moved on meanwhile, with what was typed)."""
    def chosen(i: dict) -> bool:
        if i.get("request_id") == keep:
            return True
        if choice == "open":
            return i.get("state") in OPEN
        return i.get("state") == choice if choice in STATES else True
    return _newest_first([i for i in items if chosen(i)])


def state_counts(items: list[dict]) -> dict[str, int]:
    counts = {"": len(items), "open": sum(1 for i in items if i.get("state") in OPEN)}
    counts.update({s: sum(1 for i in items if i.get("state") == s) for s in STATES})
    return counts


def month_of(value, tz: str = DEFAULT_TZ) -> str | None:
    """The plaza's calendar month of an instant: 2026-12."""
    at = instant(value)
    return at.astimezone(ZoneInfo(tz)).strftime("%Y-%m") if at else None


def months_of(items: list[dict]) -> list[str]:
    return sorted({m for m in (month_of(i.get("received_at")) for i in items) if m}, reverse=True)


def departments_of(items: list[dict]) -> list[str]:
    """The plaza's departments, then any other a praise was credited to."""
    seen = {i.get("department") for i in items if i.get("department")}
    return list(DEPARTMENTS) + sorted(seen - set(DEPARTMENTS))


def praise_groups(items: list[dict], department: str | None = None, month: str | None = None) -> list[dict]:
    """The praise each department received (of the month chosen), the most praised first,
    each newest first."""
    groups: dict[str, list[dict]] = {}
    for item in items:
        if department and item.get("department") != department:
            continue
        if month and month_of(item.get("received_at")) != month:
            continue
        groups.setdefault(item.get("department") or "", []).append(item)
    order = {d: n for n, d in enumerate(DEPARTMENTS)}
    ranked = sorted(groups.items(), key=lambda g: (-len(g[1]), order.get(g[0], len(order)), g[0]))
    return [{"department": d, "count": len(found), "items": _newest_first(found)} for d, found in ranked]
