"""报表 pages: complaints, satisfaction and collection for a month, with the services'
charts and workbooks passed through as the person (and the one chart no service draws).
Routes only translate."""

from __future__ import annotations

import datetime as dt

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.response import Template

from libs.runtime import export as drawing
from services.console.i18n.domain import DEFAULT_TZ, N_
from services.console.reports import domain
from services.console.reports import export as charts
from services.console.reports import services as reports


def _today() -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(DEFAULT_TZ)).date()


@get("/reports", include_in_schema=False)
async def index(request: Request, tab: str = "complaints", month: str = "") -> Template:
    tab = tab if tab in reports.SECTIONS else "complaints"
    month = domain.valid_month(month, _today())
    sections = await reports.SECTIONS[tab](request.state.calls, request.state.plaza, month)
    charts_ = {"complaints": ["complaints"], "satisfaction": ["satisfaction", "campaigns"],
               "collection": ["collection"]}[tab]
    downloads = {"complaints": ["complaints"], "satisfaction": ["satisfaction", "campaigns"],
                 "collection": ["collection"]}[tab]
    return Template("reports/index.html", context={
        "tab": tab, "tabs": domain.TABS, "month": month, "sections": sections, "charts": charts_,
        "downloads": downloads, "names": DOWNLOAD_NAMES})


DOWNLOAD_NAMES = {"complaints": N_("Complaints (Excel)"), "satisfaction": N_("Monthly satisfaction (Excel)"),
                  "campaigns": N_("Satisfaction surveys (Excel)"), "collection": N_("Monthly collection (Excel)")}


@get("/reports/chart/{name:str}", include_in_schema=False)
async def chart(request: Request, name: str, month: str = "") -> Response:
    name = name.removesuffix(".svg")
    month = domain.valid_month(month, _today())
    calls, plaza = request.state.calls, request.state.plaza
    if name in domain.DRAWN_CHARTS:
        return await _collection_chart(request, month)
    if name not in domain.CHARTS:
        raise NotFoundException(f"no chart {name!r}")
    answer = await reports.service_file(calls, plaza, domain.CHARTS, name, month)
    return Response(answer.content, headers={**domain.keep_headers(dict(answer.headers)), "Cache-Control": "private, max-age=60"},
                    media_type=answer.headers.get("content-type", "image/svg+xml"))


async def _collection_chart(request: Request, month: str) -> Response:
    report = await reports.monthly_collection(request.state.calls, request.state.plaza, month)
    font = charts.cjk_family()
    language = request.state.language if font else "en"
    say = request.app.state.catalogue.gettext
    units = report.get("units") or []
    series = {say(language, N_("Billed")): [u.get("billed_fen", 0) / 100 for u in units],
              say(language, N_("Collected")): [u.get("collected_fen", 0) / 100 for u in units]}
    title = say(language, N_("Billed and collected (yuan), {month}"), month=month)
    image = await drawing.draw(charts.collection_chart, title, [u.get("unit", "") for u in units], series, font)
    return Response(image, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})


@get("/reports/download/{name:str}", include_in_schema=False)
async def download(request: Request, name: str, month: str = "") -> Response:
    name = name.removesuffix(".xlsx")
    if name not in domain.DOWNLOADS:
        raise NotFoundException(f"no workbook {name!r}")
    month = domain.valid_month(month, _today())
    # The workbook's headers in the person's language.
    lang = "zh" if str(request.state.language).startswith("zh") else "en"
    answer = await reports.service_file(request.state.calls, request.state.plaza, domain.DOWNLOADS, name, month,
                                        {"lang": lang})
    headers = domain.keep_headers(dict(answer.headers))
    headers.setdefault("Content-Disposition", f'attachment; filename="{name}-{month}.xlsx"')
    return Response(answer.content, headers=headers, media_type=answer.headers.get("content-type", drawing.XLSX_TYPE))


ROUTES = [index, chart, download]
