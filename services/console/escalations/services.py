"""The open escalations of the plaza, read with the signed-in person's token."""

from __future__ import annotations

from services.console.escalations import domain
from services.console.gateway.domain import UpstreamError


async def open_escalations(calls, plaza: str, level: str | None = None) -> list[dict]:
    """Dispatch's escalation inbox: the escalations whose job is still open."""
    page = await calls.get("dispatch", f"/v1/plazas/{plaza}/escalations", level=level, open="true", limit=500)
    return page.get("items") or []


async def staff_names(calls, plaza: str) -> dict[str, str]:
    """Each username of the plaza's staff with the person's name; none when the person may
    not list staff or staff does not answer (the page then shows usernames)."""
    try:
        page = await calls.get("staff", f"/v1/plazas/{plaza}/staff", limit=500)
    except UpstreamError:  # (Unavailable is one: staff away)
        return {}
    return {p["username"]: p["name"] for p in page.get("items") or [] if p.get("name")}


async def inbox(calls, plaza: str, level: str | None, roles) -> list[dict]:
    items = await open_escalations(calls, plaza, level or None)
    names = await staff_names(calls, plaza) if any(i.get("to") for i in items) else {}
    return domain.inbox(items, level or None, domain.preferred_level(roles), names)
