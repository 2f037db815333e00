"""The register's calls: units found and shown with everything said about them, edits and
their revisions, documents, and the register in bulk (import with a dry run, export)."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import httpx

from services.console.gateway.domain import UpstreamError
from services.console.gateway.services import Calls
from services.console.units import domain

TIMELINE_PAGE = 1000
TIMELINE_PAGES_MAX = 5


def _p(plaza: str) -> str:
    return f"/v1/plazas/{quote(plaza, safe='')}"


def _u(plaza: str, unit: str) -> str:
    return f"{_p(plaza)}/units/{quote(unit, safe='')}"


async def list_units(calls: Calls, plaza: str, q: str = "", cursor: str | None = None, limit: int = 50) -> dict:
    return await calls.get("archive", f"{_p(plaza)}/units", q=q.strip(), cursor=cursor, limit=limit)


async def timeline(calls: Calls, plaza: str, unit: str) -> list[dict]:
    """The unit's whole timeline (a bounded number of pages), newest first."""
    items, cursor = [], None
    for _ in range(TIMELINE_PAGES_MAX):
        page = await calls.get("archive", f"{_u(plaza, unit)}/timeline", cursor=cursor, limit=TIMELINE_PAGE)
        items += page["items"]
        if not (cursor := page.get("next")):
            break
    return domain.newest_first(items)


async def _quiet(call):
    try:
        return await call
    except UpstreamError:
        return None


async def unit_card(calls: Calls, plaza: str, unit: str) -> tuple[domain.Card, list[dict], list[dict]]:
    """The card, the documents and the timeline; a part the person may not read is left empty."""
    found = await calls.get("archive", _u(plaza, unit))
    documents, events = await asyncio.gather(
        _quiet(calls.get("archive", f"{_u(plaza, unit)}/documents", limit=500)), _quiet(timeline(calls, plaza, unit)))
    return domain.card(found), list((documents or {}).get("items") or []), events or []


async def unit(calls: Calls, plaza: str, unit: str) -> dict:
    return await calls.get("archive", _u(plaza, unit))


async def save_unit(calls: Calls, plaza: str, unit_: str, body: dict) -> dict:
    return await calls.put("archive", _u(plaza, unit_), body)


async def revisions(calls: Calls, plaza: str, unit_: str) -> list[dict]:
    page = await calls.get("archive", f"{_u(plaza, unit_)}/revisions", limit=500)
    return list(reversed(page["items"]))


async def attach_document(calls: Calls, plaza: str, unit_: str, *, data: bytes, filename: str, content_type: str,
                          kind: str) -> dict:
    return await calls.send_file("archive", f"{_u(plaza, unit_)}/documents", data, content_type,
                                 kind=kind, filename=filename)


async def import_register(calls: Calls, plaza: str, data: bytes, filename: str, *, dry_run: bool) -> dict:
    kind = "text/csv" if filename.lower().endswith(".csv") else "application/octet-stream"
    return await calls.send_file("archive", f"{_p(plaza)}/units/import", data, kind,
                                 dry_run="true" if dry_run else "false")


async def download(calls: Calls, path: str) -> httpx.Response:
    return await calls.response("archive", "GET", path)


def document_path(plaza: str, unit_: str, document_id: str) -> str:
    return f"{_u(plaza, unit_)}/documents/{quote(document_id, safe='')}"


def export_path(plaza: str) -> str:
    return f"{_p(plaza)}/units/export.xlsx"
