"""The open escalations of the plaza, read with the signed-in person's token."""

from __future__ import annotations

from services.console.escalations import domain


async def open_escalations(calls, plaza: str, level: str | None = None) -> list[dict]:
    """Dispatch's escalation inbox: the escalations whose job is still open."""
    page = await calls.get("dispatch", f"/v1/plazas/{plaza}/escalations", level=level, open="true", limit=500)
    return page.get("items") or []


async def inbox(calls, plaza: str, level: str | None, roles) -> list[dict]:
    return domain.inbox(await open_escalations(calls, plaza, level or None), level or None,
                        domain.preferred_level(roles))
