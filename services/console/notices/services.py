"""The desk's notices, read and sent to the notices service with the signed-in person's token."""

from __future__ import annotations

from urllib.parse import quote

from services.console.notices import domain


def _path(plaza: str, notice_id: str = "", tail: str = "") -> str:
    base = f"/v1/plazas/{plaza}/notices"
    return f"{base}/{quote(notice_id, safe='')}{tail}" if notice_id else base


async def notices(calls, plaza: str, status: str) -> list[dict]:
    page = await calls.get("notices", _path(plaza), limit=200, **({"status": status} if status else {}))
    return page.get("items") or []


async def write(calls, plaza: str, form: dict) -> dict:
    """A new notice, sent at once for a lead's approval."""
    written = await calls.post("notices", _path(plaza), domain.notice_body(form))
    return await calls.post("notices", _path(plaza, written["id"], "/submit"), {})


async def decide(calls, plaza: str, notice_id: str, action: str, reason: str | None = None) -> dict:
    body = {"reason": reason} if action == "reject" and reason else {}
    return await calls.post("notices", _path(plaza, notice_id, f"/{action}"), body)


async def approve_many(calls, plaza: str, notice_ids: list[str]) -> dict:
    """Each approved on its own by the service; the answer names those it refused and why."""
    return await calls.post("notices", f"{_path(plaza)}/approvals", {"notice_ids": notice_ids})


async def notice(calls, plaza: str, notice_id: str) -> dict:
    """The notice, who has not read it (published) or who it would reach now (pending)."""
    found = await calls.get("notices", _path(plaza, notice_id))
    if found["status"] == "published":
        unread = (await calls.get("notices", _path(plaza, notice_id, "/recipients"), read="false")).get("items") or []
        return {"notice": found, "unread": unread, "audience": []}
    audience = (await calls.get("notices", _path(plaza, notice_id, "/audience"))).get("items") or []
    return {"notice": found, "unread": [], "audience": audience}
