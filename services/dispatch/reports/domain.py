"""The complaint statistics analysis report (投诉统计分析报告) for the manager: the list of
complaints with their outcome and return-visit rating, major complaints, counts by
category, department and channel, the monthly trend, time to first response and to close,
reopen rate and SLA compliance; and the report's own read of intake's requests. Pure
functions over plain rows.

Definitions (what the manager reads):
- a complaint is a request whose kind is complaint now: as intake received it, or as the
  desk corrected it (RequestReclassified) — one corrected into a complaint counts, one
  corrected away does not. A work order of kind complaint whose request the report never
  saw (opened before the report kept requests) counts as its work order says;
- a complaint belongs to the month (plaza time) in which its work order was opened; one
  without a work order (referred elsewhere, not serviceable) to the month it was received;
- major: intake's (or the desk's) ``major`` flag, or severity ``major``;
- time to first response: opened → first assignment; time to close: opened → closed, for
  complaints closed now;
- reopen rate: reopened at least once ÷ closed at least once;
- SLA compliance: deadlines met on time ÷ deadlines judged (met, or past due and unmet);
  a deadline still running is not judged yet;
- trend: the complaints of each of the six months up to the report's, each with its change
  against the month before it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from zoneinfo import ZoneInfo

import msgspec

from services.dispatch.work_orders import domain as work_orders

TREND_MONTHS = 6
NO_WORK_ORDER = "not_dispatched"  # a complaint's outcome when no job was opened for it
UNASSIGNED = "unassigned"


def month_range(month: str, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[first moment, first moment of the next month) of ``YYYY-MM`` in the plaza's time, as UTC."""
    year, mon = (int(p) for p in month.split("-"))
    zone = ZoneInfo(timezone)
    start = dt.datetime(year, mon, 1, tzinfo=zone)
    end = dt.datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def shift_month(month: str, by: int) -> str:
    year, mon = (int(p) for p in month.split("-"))
    index = year * 12 + mon - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def local_month(at: dt.datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


# --- the report's read of the requests ---------------------------------------------------

def received(row: dict | None, event) -> dict:
    """A RequestReceived on the request's row: as received, unless the desk's correction
    came first (a redelivery), whose kind, severity and department then stay."""
    base = {
        "plaza_id": event.plaza_id, "request_id": event.request_id, "unit": event.unit, "area": event.area,
        "channel": event.channel, "kind": event.kind, "received_kind": event.kind, "severity": event.severity,
        "major": bool(event.major or event.severity == "major"), "department": event.department,
        "text": event.text, "received_at": event.occurred_at,
        "corrected_at": None, "corrected_by": None, "correction_reason": None,
    }
    if row is None or row["corrected_at"] is None:
        return base
    kept = ("kind", "severity", "major", "department", "corrected_at", "corrected_by", "correction_reason")
    return {**base, **{k: row[k] for k in kept}}


def corrected(row: dict | None, event) -> dict | None:
    """A RequestReclassified on the request's row; None when an equal or later correction
    is already applied (a late or repeated copy changes nothing)."""
    if row is not None and row["corrected_at"] is not None and row["corrected_at"] >= event.occurred_at:
        return None
    row = row or {
        "plaza_id": event.plaza_id, "request_id": event.request_id, "channel": None, "text": None,
        "received_at": None, "received_kind": event.previous_kind,
    }
    return {
        **row, "unit": event.unit, "area": event.area if event.area is not None else row.get("area"),
        "kind": event.kind, "severity": event.severity, "major": bool(event.major or event.severity == "major"),
        "department": event.department or row.get("department"), "corrected_at": event.occurred_at,
        "corrected_by": event.actor, "correction_reason": event.reason,
    }


# --- the report ------------------------------------------------------------------------

class ComplaintLine(msgspec.Struct, kw_only=True):
    request_id: str
    work_order_id: str | None
    opened_at: str  # when its work order was opened (else when it was received), ISO 8601
    unit: str
    area: str | None
    category: str
    department: str
    channel: str | None
    text: str | None
    major: bool
    severity: str | None
    status: str  # the work order's status, or "not_dispatched"
    rating: str | None  # the latest return visit's rating
    reclassified: bool  # made a complaint by the desk's correction


class MonthCount(msgspec.Struct, kw_only=True):
    month: str
    count: int
    major: int
    change: int | None  # against the month before
    change_rate: float | None


class ComplaintReport(msgspec.Struct, kw_only=True):
    month: str
    count: int
    by_category: dict[str, int]
    by_department: dict[str, int]
    median_minutes_to_first_response: float | None
    median_minutes_to_close: float | None
    closed: int
    reopened: int
    reopen_rate: float | None
    # Reopenings of second dispatch, counted against the department that first had the job.
    reopens_by_department: dict[str, int]
    deadlines_judged: int
    deadlines_met_on_time: int
    sla_compliance: float | None
    major: int = 0
    by_channel: dict[str, int] = {}
    by_rating: dict[str, int] = {}
    reclassified_into_complaint: int = 0
    reclassified_away: int = 0
    trend: list[MonthCount] = []
    complaints: list[ComplaintLine] = []
def _minutes(later: dt.datetime, earlier: dt.datetime) -> float:
    return (later - earlier).total_seconds() / 60


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _counts(rows: list[dict], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[row[key]] = out.get(row[key], 0) + 1
    return dict(sorted(out.items()))


def judge(deadline: dict, now: dt.datetime) -> bool | None:
    """True met on time, False missed, None still running."""
    if deadline["voided"]:
        return None
    if deadline["met_at"] is not None:
        return deadline["met_at"] <= deadline["due_at"]
    return False if now > deadline["due_at"] else None


def complaint_report(month: str, complaints: list[dict], deadlines: list[dict], now: dt.datetime) -> ComplaintReport:
    """``complaints``: work-order rows with category, original_department, created_at,
    first_responded_at, closed_at, first_closed_at, reopen_count; ``deadlines``: theirs."""
    responses = [_minutes(r["first_responded_at"], r["created_at"]) for r in complaints if r["first_responded_at"]]
    closes = [_minutes(r["closed_at"], r["created_at"]) for r in complaints if r["closed_at"]]
    ever_closed = [r for r in complaints if r["first_closed_at"]]
    reopened = [r for r in complaints if r["reopen_count"] > 0]
    verdicts = [v for v in (judge(d, now) for d in deadlines) if v is not None]
    reopens: dict[str, int] = {}
    for r in reopened:
        reopens[r["original_department"]] = reopens.get(r["original_department"], 0) + r["reopen_count"]
    return ComplaintReport(
        month=month, count=len(complaints),
        by_category=_counts(complaints, "category"), by_department=_counts(complaints, "original_department"),
        median_minutes_to_first_response=_median(responses), median_minutes_to_close=_median(closes),
        closed=len(ever_closed), reopened=len(reopened), reopen_rate=_ratio(len(reopened), len(ever_closed)),
        reopens_by_department=dict(sorted(reopens.items())),
        deadlines_judged=len(verdicts), deadlines_met_on_time=sum(verdicts),
        sla_compliance=_ratio(sum(verdicts), len(verdicts)),
    )


def entry(row: dict, timezone: str) -> dict | None:
    """A complaint as the report reads it, from a work order's row and its request's (the
    ``rr_`` keys; None when the report never saw the request); None when it is no complaint
    (now): the request's kind decides, else the work order's."""
    seen = row["rr_request_id"] is not None
    if (row["rr_kind"] if seen else row["kind"]) != "complaint":
        return None
    dispatched = row["id"] is not None
    opened_at = row["created_at"] if dispatched else (row["rr_received_at"] or row["rr_corrected_at"])
    text = row["text"] if dispatched else row["rr_text"]
    department = row["original_department"] if dispatched else (row["rr_department"] or UNASSIGNED)
    return {
        # What the figures of the month read (the work order's, where there is one).
        "category": row["category"] or work_orders.complaint_category(text or ""),
        "original_department": department,
        "created_at": row["created_at"], "first_responded_at": row["first_responded_at"],
        "closed_at": row["closed_at"], "first_closed_at": row["first_closed_at"],
        "reopen_count": row["reopen_count"] or 0,
        # What the list shows.
        "month": local_month(opened_at, timezone), "opened_at": opened_at,
        "request_id": row["rr_request_id"] or row["request_id"], "work_order_id": row["id"],
        "unit": row["unit"] if dispatched else row["rr_unit"], "area": row["rr_area"], "text": text,
        "channel": row["rr_channel"], "status": row["status"] or NO_WORK_ORDER, "rating": row["last_rating"],
        "major": bool(row["rr_major"]) if seen else bool(row["major"]), "severity": row["rr_severity"],
        "reclassified": seen and row["rr_received_kind"] != "complaint",
    }


def trend(month: str, entries: list[dict]) -> list[MonthCount]:
    """The TREND_MONTHS months up to ``month``, each against the month before it (whose
    complaints ``entries`` must hold too)."""
    months = [shift_month(month, -n) for n in range(TREND_MONTHS, -1, -1)]
    counts = {m: [0, 0] for m in months}
    for e in entries:
        if e["month"] in counts:
            counts[e["month"]][0] += 1
            counts[e["month"]][1] += e["major"]
    out = []
    for before, this in zip(months, months[1:]):
        change = counts[this][0] - counts[before][0]
        out.append(MonthCount(month=this, count=counts[this][0], major=counts[this][1], change=change,
                              change_rate=_ratio(change, counts[before][0])))
    return out


def _line(e: dict) -> ComplaintLine:
    return ComplaintLine(
        request_id=e["request_id"], work_order_id=e["work_order_id"], opened_at=e["opened_at"].isoformat(),
        unit=e["unit"], area=e["area"], category=e["category"], department=e["original_department"],
        channel=e["channel"], text=e["text"], major=e["major"], severity=e["severity"], status=e["status"],
        rating=e["rating"], reclassified=e["reclassified"],
    )


def analysis(month: str, entries: list[dict], deadlines: list[dict], now: dt.datetime, *,
             corrected_away: int) -> ComplaintReport:
    """The month's report from the complaints of the trend's months (``entry`` rows) and the
    deadlines of the month's; ``corrected_away``: the month's requests the desk turned away
    from a complaint."""
    mine = sorted((e for e in entries if e["month"] == month), key=lambda e: (e["opened_at"], e["request_id"]))
    base = complaint_report(month, mine, deadlines, now)
    return msgspec.structs.replace(
        base, major=sum(e["major"] for e in mine),
        by_channel=_counts([{**e, "channel": e["channel"] or "unknown"} for e in mine], "channel"),
        by_rating=_counts([e for e in mine if e["rating"]], "rating"),
        reclassified_into_complaint=sum(e["reclassified"] for e in mine), reclassified_away=corrected_away,
        trend=trend(month, entries), complaints=[_line(e) for e in mine],
    )
