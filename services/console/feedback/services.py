"""The suggestions and praise of the plaza, and the manager's follow-up, read and sent to
dispatch with the signed-in person's token."""

from __future__ import annotations

from services.console.feedback import domain

PAGE = 500
MAX_PAGES = 4  # a plaza with more than 2,000 suggestions shows its first 2,000


async def _all_of(calls, path: str, **filters) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(MAX_PAGES):
        page = await calls.get("dispatch", path, limit=PAGE, cursor=cursor, **filters)
        items.extend(page.get("items") or [])
        if not (cursor := page.get("next")):
            break
    return items


async def suggestions(calls, plaza: str, choice: str | None, roles, keep: str | None = None) -> dict:
    """Every suggestion counted by state, the chosen ones newest first, each with the
    follow-up buttons it offers this person."""
    items = await _all_of(calls, f"/v1/plazas/{plaza}/suggestions")
    shown = [{**s, "offered": domain.offered(s, roles)} for s in domain.suggestions_shown(items, choice, keep)]
    return {"items": shown, "counts": domain.state_counts(items)}


async def praise(calls, plaza: str, department: str | None, month: str | None) -> dict:
    items = await _all_of(calls, f"/v1/plazas/{plaza}/praise")
    return {"groups": domain.praise_groups(items, department, month), "months": domain.months_of(items),
            "departments": domain.departments_of(items), "total": len(items)}


async def follow_up(calls, plaza: str, request_id: str, form: dict) -> dict:
    """One step of the follow-up; a decision without a reply is refused before asking."""
    body = domain.follow_up_body(form.get("state"), form.get("reply"), form.get("note"))
    return await calls.post("dispatch", f"/v1/plazas/{plaza}/suggestions/{request_id}/follow-up", body)
