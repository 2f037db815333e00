"""报表's calls to dispatch, survey and billing, as the signed-in person: a report their
role may not read becomes a note in its section, not a broken page."""

from __future__ import annotations

from services.console.gateway.domain import UpstreamError
from services.console.i18n.domain import N_
from services.console.reports import domain


async def _section(calls, service: str, path: str, title: str | None = None, **params) -> dict:
    try:
        answer = await calls.get(service, path, **params)
    except UpstreamError as exc:
        if exc.status == 401:
            raise
        return {"title": title, "error": exc}
    return {"title": title, "shape": domain.shape(answer), "error": None}


async def complaints(calls, plaza: str, month: str) -> list[dict]:
    return [await _section(calls, "dispatch", f"/v1/plazas/{plaza}/reports/complaints", month=month)]


async def satisfaction(calls, plaza: str, month: str) -> list[dict]:
    span = domain.period_query("campaigns", month)
    return [
        await _section(calls, "survey", f"/v1/plazas/{plaza}/reports/satisfaction", N_("Monthly satisfaction"),
                       month=month),
        await _section(calls, "survey", f"/v1/plazas/{plaza}/visits/stats", N_("Return visits to date")),
        await _section(calls, "survey", f"/v1/plazas/{plaza}/campaigns/statistics",
                       N_("Satisfaction surveys, last six months"), **span),
    ]


async def collection(calls, plaza: str, month: str) -> list[dict]:
    return [
        await _section(calls, "billing", f"/v1/plazas/{plaza}/reports/monthly", N_("Monthly collection"),
                       month=month),
        await _section(calls, "billing", f"/v1/plazas/{plaza}/prepaid/report", N_("Prepaid utilities"),
                       month=month),
    ]


SECTIONS = {"complaints": complaints, "satisfaction": satisfaction, "collection": collection}


async def monthly_collection(calls, plaza: str, month: str) -> dict:
    return await calls.get("billing", f"/v1/plazas/{plaza}/reports/monthly", month=month)


async def service_file(calls, plaza: str, table: dict, name: str, month: str, extra: dict | None = None):
    """A chart or workbook a service makes, fetched as the person: the raw answer."""
    service, path, query = table[name]
    return await calls.response(service, "GET", f"/v1/plazas/{plaza}{path}",
                                params={**query, **domain.period_query(name, month), **(extra or {})})
