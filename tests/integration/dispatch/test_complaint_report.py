"""The complaint statistics analysis report (投诉统计分析报告) follows the desk's corrections:
a request corrected into a complaint counts, one corrected away stops counting. With the
list of complaints (unit, text, department, outcome, return-visit rating), major ones,
channels and the monthly trend; as JSON, Excel and a chart. Real nats-server and database
(SQLite, and PostgreSQL if here)."""

from __future__ import annotations

import io

from libs.contracts import new_event_id
from libs.contracts.events import RequestReceived, RequestReclassified, VisitCompleted
from tests.integration.dispatch.test_dispatch_stock_reports import (  # noqa: F401  (clock, dispatch: fixtures)
    H, T0, act, clock, dispatch,
)
from tests.support.harness import eventually
from tests.support.staff_facts import assign

REPORT = "/v1/plazas/p1/reports/complaints"


async def received(client, bus, clock, text: str, kind: str, channel: str, **extra) -> RequestReceived:
    event = RequestReceived(
        plaza_id="p1", correlation_id="c", actor="clerk-li", occurred_at=clock.at, request_id=new_event_id(),
        unit="A-203", channel=channel, kind=kind, text=text, **extra,
    )
    await bus.publish(event)
    return event


def correction(event: RequestReceived, clock, kind: str, **extra) -> RequestReclassified:
    return RequestReclassified(
        plaza_id="p1", correlation_id=event.correlation_id, actor="cs-supervisor-wang", occurred_at=clock.at,
        request_id=event.request_id, unit=event.unit, kind=kind, previous_kind=event.kind,
        reason="the caller blames the management", **extra,
    )


async def work_order_of(client, event: RequestReceived) -> dict:
    async def probe():
        items = (await client.get("/v1/plazas/p1/work-orders", params={"request_id": event.request_id})).json()["items"]
        return items[0] if items else None

    return await eventually(probe, what=f"the work order of {event.text!r}")


async def settled(bus) -> None:
    for durable in ("dispatch-request-received", "dispatch-request-reclassified"):
        await eventually(lambda: bus.caught_up("INTAKE", durable), what="the report's read")


async def test_the_report_counts_the_complaints_the_desk_corrected_into_being_and_not_those_corrected_away(
    dispatch, clock, bus,
):
    """Four complaints filed in March, as the desk left them; one of February for the trend:

    | request | as received | corrected | counts |
    | leak  | complaint, major, phone | - | yes, closed, rated satisfied |
    | lift  | service, online         | complaint (engineering) | yes |
    | bins  | suggestion, letter      | complaint (cleaning), no job opened | yes, not dispatched |
    | noise | complaint, phone        | service | no |
    """
    clock.at = T0 - 20 * 24 * H  # February in Shanghai
    feb = await received(dispatch, bus, clock, "前台态度差，投诉", "complaint", "phone")
    await work_order_of(dispatch, feb)

    clock.at = T0
    leak = await received(dispatch, bus, clock, "楼上漏水三天没人管，投诉物业", "complaint", "phone",
                          major=True, severity="major")
    lift = await received(dispatch, bus, clock, "the lift is broken again and nobody cares", "service", "online")
    bins = await received(dispatch, bus, clock, "垃圾桶满了没人清理", "suggestion", "letter")
    noise = await received(dispatch, bus, clock, "楼下装修太吵，投诉", "complaint", "phone")
    leak_job, lift_job, noise_job = [await work_order_of(dispatch, e) for e in (leak, lift, noise)]

    clock.at = T0 + H
    await bus.publish(correction(lift, clock, "complaint", severity="normal", department="engineering"))
    await bus.publish(correction(bins, clock, "complaint", severity="minor", department="cleaning"))
    await bus.publish(correction(noise, clock, "service"))
    await assign(dispatch, bus, leak_job, "wu")
    for action in ("start", "resolve", "close"):
        await act(dispatch, leak_job, action, {"paid": False} if action == "resolve" else None)
    await bus.publish(VisitCompleted(
        plaza_id="p1", correlation_id="c", visit_id=new_event_id(), work_order_id=leak_job["id"], unit="A-203",
        department=leak_job["department"], rating="satisfied", channel="visit",
    ))
    await settled(bus)

    async def rated():
        body = (await dispatch.get(REPORT, params={"month": "2026-03"})).json()
        return body if any(c["rating"] for c in body["complaints"]) else None

    report = await eventually(rated, what="the return visit's rating in the report")
    assert (report["count"], report["major"]) == (3, 1)
    assert (report["reclassified_into_complaint"], report["reclassified_away"]) == (2, 1)
    assert report["by_channel"] == {"letter": 1, "online": 1, "phone": 1}
    assert report["by_rating"] == {"satisfied": 1}
    lines = {c["request_id"]: c for c in report["complaints"]}
    assert set(lines) == {leak.request_id, lift.request_id, bins.request_id}
    assert noise_job["id"] not in {c["work_order_id"] for c in report["complaints"]}
    assert (lines[leak.request_id]["status"], lines[leak.request_id]["rating"]) == ("closed", "satisfied")
    assert lines[leak.request_id]["major"] and lines[leak.request_id]["text"] == leak.text
    assert (lines[lift.request_id]["work_order_id"], lines[lift.request_id]["reclassified"]) == (lift_job["id"], True)
    assert lines[lift.request_id]["category"] == "repairs"  # from its text: it had no category as a service job
    bins_line = lines[bins.request_id]
    # A suggestion the desk turned into a complaint gets its work order (dispatch follows the correction).
    assert (bins_line["status"], bins_line["department"], bins_line["unit"]) == ("created", "cleaning", "A-203")
    assert bins_line["category"] == "cleanliness" and bins_line["channel"] == "letter"
    assert sum(report["by_department"].values()) == sum(report["by_category"].values()) == 3

    trend = {m["month"]: m for m in report["trend"]}
    assert list(trend) == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert (trend["2026-02"]["count"], trend["2026-03"]["count"], trend["2026-03"]["major"]) == (1, 3, 1)
    assert (trend["2026-03"]["change"], trend["2026-03"]["change_rate"]) == (2, 2.0)
    assert (trend["2026-02"]["change"], trend["2026-02"]["change_rate"]) == (1, None)  # nothing in January

    # Corrected back (a later correction wins; a late copy of an earlier one does not).
    clock.at = T0 + 2 * H
    await bus.publish(correction(lift, clock, "service"))
    clock.at = T0 + 1.5 * H  # between the two: too late
    await bus.publish(correction(lift, clock, "complaint"))
    await settled(bus)
    after = (await dispatch.get(REPORT, params={"month": "2026-03"})).json()
    assert (after["count"], after["reclassified_into_complaint"]) == (2, 1)


async def test_the_report_in_excel_and_as_a_chart_with_the_list_and_the_trend(dispatch, clock, bus):
    clock.at = T0
    leak = await received(dispatch, bus, clock, "楼上漏水，投诉", "complaint", "phone", major=True)
    await work_order_of(dispatch, leak)
    await settled(bus)

    xlsx = await dispatch.get(REPORT, params={"month": "2026-03", "format": "xlsx"})
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True)}
    assert (summary["投诉数"], summary["重大投诉"]) == (1, 1)
    rows = list(book["投诉清单"].iter_rows(values_only=True))
    assert rows[0][:4] == ("受理时间 (UTC)", "单元", "公共区域", "类别") and book["投诉清单"].freeze_panes == "A2"
    assert len(rows) == 2 and rows[1][1] == "A-203" and rows[1][6] == leak.text
    assert book["投诉清单"]["A2"].number_format == "yyyy-mm-dd hh:mm"
    trend = list(book["月度趋势"].iter_rows(values_only=True))
    assert trend[0][:2] == ("月份", "投诉数") and trend[-1][:3] == ("2026-03", 1, 1)
    assert [c.tagname for c in book["月度趋势"]._charts] == ["lineChart"]
    assert [c.tagname for c in book["按类别"]._charts] == ["barChart"]
    en = load_workbook(io.BytesIO((await dispatch.get(REPORT, params={"month": "2026-03", "format": "xlsx", "lang": "en"})).content))
    assert [c.value for c in en["complaints"][1]][:2] == ["opened at (UTC)", "unit"]
    bad = await dispatch.get(REPORT, params={"month": "2026-03", "format": "csv"})
    assert bad.status_code == 400 and bad.json()["field"] == "format"

    chart = await dispatch.get(f"{REPORT}.svg", params={"month": "2026-03"})
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert "p1 2026-03: 1 complaints" in chart.text and "2026-03" in chart.text
    # Chinese labels where a CJK font is installed (fonts-noto-cjk here), English otherwise.
    from services.dispatch.reports import export

    if export.cjk_font():
        assert "月度趋势" in chart.text and export.cjk_font() in chart.text
    else:
        assert "月度趋势" not in chart.text and "monthly trend" in chart.text
