"""The desk's view rules: the words of a request's choices, how a found unit is shown in the
type-ahead list, what the logged request's body holds, and a unit at a glance. No I/O."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from services.console.i18n.domain import N_, instant

CHANNELS: tuple[tuple[str, str], ...] = (
    ("phone", N_("Phone call")), ("visit", N_("Walk-in")), ("letter", N_("Letter")),
    ("online", N_("Online message")), ("internal", N_("From a department")),
)
KINDS: dict[str, str] = {"service": N_("Service"), "complaint": N_("Complaint"),
                         "suggestion": N_("Suggestion"), "praise": N_("Praise")}
SEVERITIES: dict[str, str] = {"minor": N_("Minor"), "normal": N_("Normal"), "major": N_("Major complaint")}
DEPARTMENTS: dict[str, str] = {"engineering": N_("Engineering"), "security": N_("Security"),
                               "cleaning": N_("Cleaning"), "customer_service": N_("Customer service")}
PRIORITIES: dict[str, str] = {"emergency": N_("Emergency"), "urgent": N_("Urgent"), "normal": N_("Normal")}
WORK_ORDER_STATUS: dict[str, str] = {
    "created": N_("Created"), "assigned": N_("Assigned"), "in_progress": N_("In progress"),
    "resolved": N_("Resolved"), "closed": N_("Closed"), "cancelled": N_("Cancelled")}
VISIT_STATUS: dict[str, str] = {"pending": N_("Pending"), "done": N_("Visited"), "overdue": N_("Overdue"),
                                "skipped": N_("Skipped")}
RATINGS: dict[str, str] = {"satisfied": N_("Satisfied"), "basically_satisfied": N_("Basically satisfied"),
                           "unsatisfied": N_("Unsatisfied")}
ABOUT = ("unit", "area", "caller")  # a unit, a public area, or a caller who is not an occupant
FINISHED_WORK_ORDERS = frozenset({"closed", "cancelled"})


class Match(msgspec.Struct, frozen=True, kw_only=True):
    """One found unit as the type-ahead shows it: the matched part of the field it was
    found by is marked (``before``, ``hit``, ``after``)."""

    unit: str
    name: str
    phone: str
    field: str  # unit, name or phone
    before: str
    hit: str
    after: str
    key_account: bool = False


def _split(value: str, query: str, *, prefix: bool) -> tuple[str, str, str] | None:
    at = value.lower().find(query.lower())
    if at < 0 or (prefix and at != 0):
        return None
    return value[:at], value[at:at + len(query)], value[at + len(query):]


def match(item: dict[str, Any], query: str) -> Match:
    """Which field a unit was found by, as archive's ``q`` finds it: the start of the number,
    else part of the occupant's name, else of the phone; nothing marked when none holds."""
    occupant = item.get("occupant") or {}
    unit, name, phone = str(item.get("unit", "")), str(occupant.get("name") or ""), str(occupant.get("phone") or "")
    query = query.strip()
    for field, value, prefix in (("unit", unit, True), ("name", name, False), ("phone", phone, False)):
        parts = _split(value, query, prefix=prefix) if query else None
        if parts:
            return Match(unit=unit, name=name, phone=phone, field=field, before=parts[0], hit=parts[1],
                         after=parts[2], key_account=bool(item.get("key_account")))
    return Match(unit=unit, name=name, phone=phone, field="unit", before=unit, hit="", after="",
                 key_account=bool(item.get("key_account")))


def preview_body(text: str, kind: str | None, unit: str | None) -> dict | None:
    """What intake's preview is asked; nothing to ask before there is text."""
    if not text.strip():
        return None
    body: dict[str, Any] = {"text": text}
    if kind in KINDS:
        body["kind"] = kind
    if unit:
        body["unit"] = unit
    return body


class Refusal(msgspec.Struct, frozen=True):
    field: str
    message: str


def request_body(form: dict[str, str]) -> tuple[dict, list[Refusal]]:
    """The body of intake's POST …/requests from the desk's form: ``kind`` and ``department``
    only where the clerk overrode the proposal, ``area`` only where one was chosen, and a
    caller who is not an occupant leaves a name and phone."""
    about = form.get("about") if form.get("about") in ABOUT else "unit"
    text = (form.get("text") or "").strip()
    body: dict[str, Any] = {"channel": form.get("channel") or "phone", "text": text}
    refusals: list[Refusal] = []
    if not text:
        refusals.append(Refusal("text", N_("Write what the caller said")))
    contact = {k: (form.get(f"contact_{k}") or "").strip() for k in ("name", "phone")}
    if about == "unit":
        if not (form.get("unit") or "").strip():
            refusals.append(Refusal("unit", N_("Choose the unit, a public area, or a caller who is not an occupant")))
        body["unit"] = (form.get("unit") or "").strip()
    elif about == "area":
        if not (form.get("area") or "").strip():
            refusals.append(Refusal("area", N_("Choose the public area")))
        body["area"] = (form.get("area") or "").strip()
    elif not (contact["name"] and contact["phone"]):
        refusals.append(Refusal("contact_name", N_("A caller who is not an occupant leaves a name and a phone")))
    if contact["name"] or contact["phone"]:
        body["contact"] = {k: v for k, v in contact.items() if v}
    if form.get("kind") in KINDS:
        body["kind"] = form["kind"]
    if form.get("department"):
        body["department"] = form["department"]
    call, refused = call_record(form)
    if call is not None:
        body["call"] = call
    return body, refusals + refused


# The etiquette checklist of answering a merchant's call (接听商户电话), as the desk shows it.
GREETING = N_("Greeting given: “您好，…物业部”")
READ_BACK = N_("Key points read back to the caller")


def call_record(form: dict[str, str]) -> tuple[dict | None, list[Refusal]]:
    """How a phone call was answered, from the desk's Ringing / Answer buttons (or the time
    the phone system gave for the ring) and the etiquette checklist: intake's ``call``. None
    for another channel, or a call logged without them (written up afterwards)."""
    if (form.get("channel") or "phone") != "phone":
        return None, []
    rang, answered = instant(form.get("call_rang_at")), instant(form.get("call_answered_at"))
    if rang is None and answered is None:
        return None, []
    if rang is None:
        return None, [Refusal("call", N_("Press Ringing when the phone rings, then Answer"))]
    if answered is None:
        return None, [Refusal("call", N_("Press Answer when you pick up the phone"))]
    if answered < rang:
        return None, [Refusal("call", N_("The call was answered before it rang: press Ringing again"))]
    return {"rang_at": _z(rang), "answered_at": _z(answered), "greeting": _ticked(form.get("call_greeting")),
            "read_back": _ticked(form.get("call_read_back"))}, []


def answer_seconds(call: dict) -> int:
    """How long the phone rang before it was answered, in whole seconds."""
    rang, answered = instant(call.get("rang_at")), instant(call.get("answered_at"))
    return max(0, int((answered - rang).total_seconds())) if rang and answered else 0


def rang_at_given(value: str) -> str:
    """The ring time a phone system put in the desk's address, as the form keeps it ("" for none or nonsense)."""
    at = instant(value)
    return _z(at) if at else ""


def without_call(body: dict) -> dict:
    """The request without its call record: what an intake that does not take one yet is sent."""
    return {k: v for k, v in body.items() if k != "call"}


def call_not_taken(status: int, field: str | None, detail: str) -> bool:
    """Intake refused the body only because it does not know ``call`` (an older intake)."""
    return status == 400 and field == "call" and "unknown field" in detail


def _ticked(value: str | None) -> bool:
    return value not in (None, "", "0", "false", "off")


def _z(at) -> str:
    return at.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def also_kinds(answer: dict) -> list[str]:
    """What else a mixed message was recorded as ("praise"), from the answer's ``also``."""
    found = []
    for item in answer.get("also") or []:
        kind = item.get("kind") if isinstance(item, dict) else item
        if kind:
            found.append(str(kind))
    return found


class Glance(msgspec.Struct, kw_only=True):
    """A unit at a glance beside the desk's form."""

    unit: dict | None
    open_work_orders: list[dict]
    last_visits: list[dict]
    owed_fen: int | None
    defects: list[dict]


def glance(unit: dict | None, work_orders: list[dict] | None, visits: list[dict] | None,
           account: dict | None, *, visits_shown: int = 3) -> Glance:
    """Open work orders (neither closed nor cancelled), newest first; the latest return
    visits; what the unit owes; its handover defects still waiting for their repair."""
    open_ = [w for w in work_orders or [] if w.get("status") not in FINISHED_WORK_ORDERS]
    open_.sort(key=lambda w: str(w.get("created_at") or ""), reverse=True)
    seen = sorted(visits or [], key=lambda v: str(v.get("answered_at") or v.get("scheduled_at") or ""), reverse=True)
    return Glance(unit=unit, open_work_orders=open_, last_visits=seen[:visits_shown],
                  owed_fen=(account or {}).get("owed_fen"),
                  defects=list((unit or {}).get("outstanding_defects") or []))
