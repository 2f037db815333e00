"""The desk's calls: find units, ask intake what it would make of a text, log the request,
and gather a unit at a glance from archive, dispatch, survey and billing."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from services.console.desk import domain
from services.console.gateway.domain import UpstreamError
from services.console.gateway.services import Calls

FOUND_MAX = 8


def _p(plaza: str) -> str:
    return f"/v1/plazas/{quote(plaza, safe='')}"


def _u(unit: str) -> str:
    return quote(unit, safe="")


async def find_units(calls: Calls, plaza: str, query: str, limit: int = FOUND_MAX) -> list[domain.Match]:
    if not query.strip():
        return []
    page = await calls.get("archive", f"{_p(plaza)}/units", q=query.strip(), limit=limit)
    return [domain.match(item, query) for item in page["items"]]


async def public_areas(calls: Calls, plaza: str) -> list[dict]:
    """The plaza's public areas; none where intake does not list them (yet), or may not."""
    try:
        found = await calls.get_or_none("intake", f"{_p(plaza)}/public-areas")
    except UpstreamError:
        return []
    return list((found or {}).get("items") or [])


async def preview(calls: Calls, plaza: str, body: dict | None) -> dict | None:
    """Intake's proposal for a text; nothing when intake offers none (its preview not there
    yet, or the text refused): the clerk keeps typing either way."""
    if body is None:
        return None
    try:
        return await calls.post("intake", f"{_p(plaza)}/requests/preview", body)
    except UpstreamError:
        return None


async def log_request(calls: Calls, plaza: str, body: dict, idempotency_key: str) -> dict:
    """The request as intake accepted it; a retry with the same key records it once. An
    intake that does not take a call record yet still records the request: the answer then
    says ``call_kept`` false (the desk tells the clerk), never a lost request."""
    path, key = f"{_p(plaza)}/requests", {"Idempotency-Key": idempotency_key}
    try:
        answer = await calls.post("intake", path, body, headers=key)
    except UpstreamError as exc:
        if "call" not in body or not domain.call_not_taken(exc.status, exc.field, exc.detail):
            raise
        # Its own key: the refused attempt recorded nothing, and a retry of this one is as safe.
        answer = await calls.post("intake", path, domain.without_call(body),
                                  headers={"Idempotency-Key": f"{idempotency_key}-nocall"})
        return {**answer, "call_kept": False}
    return {**answer, "call_kept": "call" in body} if "call" in body else answer


async def _quiet(call) -> Any:
    """A part of the glance the person may not see (or a service down) is left out, not the page."""
    try:
        return await call
    except UpstreamError:
        return None


async def glance(calls: Calls, plaza: str, unit: str) -> domain.Glance:
    base = _p(plaza)
    found, orders, visits, account = await asyncio.gather(
        _quiet(calls.get_or_none("archive", f"{base}/units/{_u(unit)}")),
        _quiet(calls.get("dispatch", f"{base}/work-orders", unit=unit, limit=500)),
        _quiet(calls.get("survey", f"{base}/visits", unit=unit, limit=500)),
        _quiet(calls.get_or_none("billing", f"{base}/accounts/{_u(unit)}")),
    )
    return domain.glance(found, (orders or {}).get("items"), (visits or {}).get("items"), account)


async def occupant_link(calls: Calls, plaza: str, unit: str, phone: str | None) -> dict:
    """A one-time link for the unit's occupant (staff makes it and keeps only its hash): the
    desk reads or sends it to the merchant, who opens their unit's page on a phone."""
    body = {"unit": unit, **({"phone": phone} if phone else {})}
    return await calls.post("staff", f"{_p(plaza)}/occupant-links", body)

