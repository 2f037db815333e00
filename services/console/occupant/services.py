"""The occupant's calls, with their own token (which sees their unit only), and the
survey link's, with none (the signed link is its own credential)."""

from __future__ import annotations

from urllib.parse import quote

from services.console.gateway.domain import UpstreamError
from services.console.occupant import domain


async def my_unit(calls, plaza: str, unit: str) -> dict:
    """Notices, requests, account and return visits; a part the token may not read is left empty."""
    requests = await _items(calls, "intake", f"/v1/plazas/{plaza}/requests", limit=20)
    visits = await _items(calls, "survey", f"/v1/plazas/{plaza}/visits", unit=unit, limit=20)
    account = await calls.get_or_none("billing", f"/v1/plazas/{plaza}/accounts/{quote(unit, safe='')}")
    notices = await _items(calls, "notices", f"/v1/plazas/{plaza}/units/{quote(unit, safe='')}/notices")
    return {"requests": domain.request_rows(requests), "visits": domain.visit_rows(visits), "account": account,
            "notices": domain.notice_rows(notices)}


async def _items(calls, service: str, path: str, **params) -> list[dict]:
    try:
        page = await calls.get(service, path, **params)
    except UpstreamError as exc:
        if exc.status in (403, 404):
            return []
        raise
    return page.get("items") or []


async def report_issue(calls, plaza: str, unit: str, text: str, key: str) -> dict:
    return await calls.post("intake", f"/v1/plazas/{plaza}/requests",
                            {"channel": "online", "unit": unit, "text": text}, headers={"Idempotency-Key": key})


async def answer_visit(calls, plaza: str, visit_id: str, body: dict) -> dict:
    return await calls.post("survey", f"/v1/plazas/{plaza}/visits/{quote(visit_id, safe='')}/response",
                            {**body, "channel": "online"})


def _link(plaza: str, token: str) -> str:
    return f"/v1/plazas/{quote(plaza, safe='')}/survey-links/{quote(token, safe='')}"


async def survey_question(calls, plaza: str, token: str) -> dict:
    return await calls.get("survey", _link(plaza, token))


async def open_notice(calls, plaza: str, token: str) -> dict:
    """The notice a signed read link names, marked read by opening it."""
    return await calls.get("notices", f"/v1/plazas/{quote(plaza, safe='')}/notice-links/{quote(token, safe='')}")


async def answer_survey(calls, plaza: str, token: str, body: dict) -> dict:
    return await calls.post("survey", _link(plaza, token), body)


async def read_notice(calls, plaza: str, unit: str, notice_id: str) -> dict:
    return await calls.post("notices", f"/v1/plazas/{plaza}/units/{quote(unit, safe='')}/notices/"
                                       f"{quote(notice_id, safe='')}/read", {})


async def letter(calls, plaza: str, unit: str, notice_id: str):
    """The unit's copy of a letter as notices prints it (a PDF), fetched as the occupant: the raw answer."""
    return await calls.response("notices", "GET", f"/v1/plazas/{plaza}/units/{quote(unit, safe='')}/notices/"
                                                   f"{quote(notice_id, safe='')}/letter.pdf")
