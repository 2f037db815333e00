"""Complaint statistics for the manager: counts by category and department, time to first
response and to close, reopen rate and SLA compliance. Pure functions over plain rows.

Definitions (what the manager reads):
- a complaint belongs to the month (plaza time) in which its work order was opened;
- time to first response: opened → first assignment; time to close: opened → closed, for
  complaints closed now;
- reopen rate: reopened at least once ÷ closed at least once;
- SLA compliance: deadlines met on time ÷ deadlines judged (met, or past due and unmet);
  a deadline still running is not judged yet.
"""

from __future__ import annotations

import datetime as dt
import statistics
from zoneinfo import ZoneInfo

import msgspec

def month_range(month: str, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[first moment, first moment of the next month) of ``YYYY-MM`` in the plaza's time, as UTC."""
    year, mon = (int(p) for p in month.split("-"))
    zone = ZoneInfo(timezone)
    start = dt.datetime(year, mon, 1, tzinfo=zone)
    end = dt.datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


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
