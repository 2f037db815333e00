"""The desk's notices page (通知公告): what the editor's form becomes, the words of statuses
and kinds, and what each person is offered on a notice. Pure rules, no I/O."""

from __future__ import annotations

from services.console.gateway.domain import FormRefused
from services.console.i18n.domain import N_

KINDS = {"notice": N_("Notice"), "letter": N_("Letter to the unit"), "tip": N_("Warm tip"),
         "disclosure": N_("Financial disclosure"), "dunning": N_("Payment reminder"),
         "activity": N_("Community activity")}
# What the desk writes by hand; the others come from billing and the activities.
WRITTEN = ("notice", "letter", "tip")
STATUSES = {"draft": N_("Draft"), "pending": N_("Awaiting approval"), "published": N_("Published"),
            "rejected": N_("Sent back")}
STATUS_FILTERS = {"": N_("Every state"), "pending": N_("Awaiting approval"), "published": N_("Published"),
                  "rejected": N_("Sent back"), "draft": N_("Draft")}
CHANNELS = {"sms": N_("SMS"), "wechat": N_("WeChat"), "email": N_("E-mail")}
OCCUPANT_KINDS = {"": N_("Merchants and residents"), "merchant": N_("Merchants"), "resident": N_("Residents")}
APPROVERS = frozenset({"supervisor", "manager", "operator"})
WRITERS = frozenset({"clerk", "supervisor", "manager", "operator", "finance"})


def _list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace("，", ",").split(",") if part.strip()]


def notice_body(form: dict) -> dict:
    """The notices service's body from the editor's form; what cannot be a number is refused
    here, the rest by the service."""
    kind = form.get("kind") or "notice"
    if kind not in WRITTEN:
        raise FormRefused("kind", N_("Choose a notice, a letter or a warm tip"))
    audience: dict = {}
    for name in ("buildings", "floors", "units"):
        if values := _list(form.get(name)):
            audience[name] = values
    if form.get("occupant_kind") in ("merchant", "resident"):
        audience["occupant_kind"] = form["occupant_kind"]
    if form.get("key_account"):
        audience["key_account"] = True
    if form.get("open_renovation"):
        audience["open_renovation"] = True
    if (days := (form.get("arrears_over_days") or "").strip()):
        if not days.isdigit():
            raise FormRefused("audience.arrears_over_days", N_("Days in arrears must be a whole number"))
        audience["arrears_over_days"] = int(days)
    if (work_order := (form.get("work_order_id") or "").strip()):
        audience["work_order_id"] = work_order
    values = {}
    if (due := (form.get("due_date") or "").strip()):
        values["due_date"] = due
    return {"kind": kind, "title": (form.get("title") or "").strip(), "body": (form.get("body") or "").strip(),
            "values": values, "audience": audience, "urgent": bool(form.get("urgent")),
            "channels": [c for c in CHANNELS if c in (form.get("channels") or [])]}


def offered(notice: dict, roles: set[str], me: str) -> list[str]:
    """The buttons a notice shows this person: a lead approves or sends back a pending one
    someone else wrote (four eyes); its writer submits a draft or a sent-back one."""
    if notice.get("status") == "pending" and roles & APPROVERS:
        return ["approve", "reject"] if notice.get("created_by") != me else ["reject"]
    if notice.get("status") in ("draft", "rejected") and roles & WRITERS:
        return ["submit"]
    return []


def reminders_to_approve(items: list[dict], roles: set[str], me: str) -> list[str]:
    """The payment reminders (billing's dunning letters) on the list that this lead may
    approve at once: awaiting approval and written by someone else (four eyes)."""
    if not roles & APPROVERS:
        return []
    return [n["id"] for n in items
            if n.get("kind") == "dunning" and n.get("status") == "pending" and n.get("created_by") != me]


def approvals_outcome(answer: dict, items: list[dict]) -> dict:
    """What an approval of several says: how many went out, and each one that did not, by
    its title and unit, with the service's reason (a complaint open on the unit, …)."""
    by_id = {n["id"]: n for n in items}

    def named(notice_id: str) -> str:
        n = by_id.get(notice_id)
        if n is None:
            return notice_id
        units = (n.get("audience") or {}).get("units") or []
        return f"{n['title']}（{'、'.join(units)}）" if units else n["title"]

    return {"approved": len(answer.get("approved") or []),
            "refused": [{"name": named(x["notice_id"]), "detail": x.get("detail") or ""}
                        for x in answer.get("refused") or []]}


def audience_parts(audience: dict | None) -> list[tuple[str, dict]]:
    """The audience in the desk's words, a message and its values each, in the person's
    language by the page (the service's own summary is for logs and other systems)."""
    a = audience or {}
    parts: list[tuple[str, dict]] = []
    if a.get("buildings"):
        parts.append((N_("Buildings {names}"), {"names": ", ".join(a["buildings"])}))
    if a.get("floors"):
        parts.append((N_("Floors {names}"), {"names": ", ".join(a["floors"])}))
    if a.get("occupant_kind") in ("merchant", "resident"):
        parts.append((OCCUPANT_KINDS[a["occupant_kind"]], {}))
    if a.get("key_account") is not None:
        parts.append((N_("Key accounts") if a["key_account"] else N_("Not key accounts"), {}))
    if a.get("arrears_over_days") is not None:
        parts.append((N_("In arrears over {days} days"), {"days": a["arrears_over_days"]}))
    if a.get("open_renovation") is not None:
        parts.append((N_("Renovating") if a["open_renovation"] else N_("Not renovating"), {}))
    if a.get("work_order_id"):
        parts.append((N_("Affected by work order {id}"), {"id": a["work_order_id"]}))
    if units := a.get("units"):
        shown = ", ".join(units[:5])
        parts.append((N_("Units {names}"), {"names": shown}) if len(units) <= 5
                     else (N_("Units {names} and {more} more"), {"names": shown, "more": len(units) - 5}))
    return parts or [(N_("The whole plaza"), {})]


def status_name(status: str) -> str:
    return STATUSES.get(status, status)


def kind_name(kind: str) -> str:
    return KINDS.get(kind, kind)
