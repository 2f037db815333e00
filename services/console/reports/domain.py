"""报表: a service's report answer shaped into figures and tables driven by the keys it
holds, so a field a service adds shows up without a change here; the months a picker
offers; which chart and workbook each report has. Pure rules, no I/O."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from services.console.i18n.domain import N_

# The zh-CN headers of the keys the services answer with today; a key not here is shown
# under its own name (its words then go into this table and reports.po).
LABELS: dict[str, str] = {
    "month": N_("Month"), "count": N_("Count"), "total": N_("Total"), "major": N_("Major"),
    "major_count": N_("Major complaints"), "by_category": N_("By category"), "by_department": N_("By department"),
    "by_channel": N_("By channel"), "by_month": N_("By month"), "by_dimension": N_("By dimension"),
    "trend": N_("Trend"), "complaints": N_("Complaints"), "category": N_("Category"),
    "department": N_("Department"), "channel": N_("Channel"), "dimension": N_("Dimension"), "unit": N_("Unit"),
    "status": N_("Status"), "text": N_("Content"), "received_at": N_("Received at"), "closed_at": N_("Closed at"),
    "work_order_id": N_("Work order"), "request_id": N_("Request"), "severity": N_("Severity"), "id": N_("No."),
    "median_minutes_to_first_response": N_("Median time to first response"),
    "median_minutes_to_close": N_("Median time to close"), "closed": N_("Closed"), "reopened": N_("Reopened"),
    "reopen_rate": N_("Reopen rate"), "reopens_by_department": N_("Second dispatches by department"),
    "deadlines_judged": N_("Deadlines judged"), "deadlines_met_on_time": N_("Deadlines met"),
    "sla_compliance": N_("On-time rate"), "change": N_("Change on last month"),
    "plaza_id": N_("Plaza"), "timezone": N_("Time zone"), "return_visits": N_("Return visits"),
    "campaign_satisfaction_rate": N_("Survey satisfaction rate"), "campaign_by_department": N_("Survey by department"),
    "campaign_by_dimension": N_("Survey by dimension"), "scheduled": N_("Visits due"), "done": N_("Visited"),
    "skipped": N_("Spared (fatigue window)"), "overdue": N_("Overdue"), "pending": N_("Waiting"),
    "coverage": N_("Visit rate"), "satisfaction": N_("Satisfaction"), "satisfaction_rate": N_("Satisfaction rate"),
    "satisfied": N_("Satisfied"), "basically_satisfied": N_("Basically satisfied"), "unsatisfied": N_("Unsatisfied"),
    "answered": N_("Answered"), "rate": N_("Satisfaction rate"), "from_month": N_("From"), "to_month": N_("To"),
    "billed_fen": N_("Billed"), "collected_fen": N_("Collected"), "refunded_fen": N_("Refunded"),
    "overdue_fen": N_("Overdue"), "collection_rate": N_("Collection rate"), "arrears_as_of": N_("Arrears as of"),
    "arrears": N_("Arrears by age"), "units": N_("Units"), "currency": N_("Currency"),
    "utility": N_("Utility"), "readings": N_("Readings"), "first_reading": N_("First reading"),
    "last_reading": N_("Last reading"), "consumption": N_("Consumption"), "deducted_fen": N_("Deducted"),
    "balance_fen": N_("Balance"), "items": N_("Rows"), "name": N_("Item"),
    "electricity": N_("Electricity"), "water": N_("Water"),
    "reclassified_into_complaint": N_("Corrected into complaints"), "reclassified_away": N_("Corrected away"),
    "by_rating": N_("By return-visit rating"), "change_rate": N_("Change rate"), "opened_at": N_("Opened"),
    "area": N_("Public area"), "rating": N_("Return-visit rating"), "reclassified": N_("Corrected by the desk"),
}
# The codes the services answer with, in the department's words.
CODE_NAMES: dict[str, str] = {
    "engineering": N_("Engineering"), "security": N_("Security"), "cleaning": N_("Cleaning"),
    "customer_service": N_("Customer service"), "customer-service": N_("Customer service"),
    "staff_attitude": N_("Staff attitude"), "noise": N_("Noise"), "parking": N_("Parking"),
    "cleanliness": N_("Cleanliness"), "fees": N_("Fees"), "repairs": N_("Repairs"), "other": N_("Other"),
    "satisfied": N_("Satisfied"), "basically_satisfied": N_("Basically satisfied"), "unsatisfied": N_("Unsatisfied"),
    "phone": N_("Phone"), "visit": N_("Walk-in"), "letter": N_("Letter"), "online": N_("Online"),
    "internal": N_("Internal report"), "electricity": N_("Electricity"), "water": N_("Water"),
    "service": N_("Repair"), "complaint": N_("Complaint"), "suggestion": N_("Suggestion"), "praise": N_("Praise"),
    "minor": N_("Minor"), "normal": N_("Normal"), "major": N_("Major complaint"),
    "created": N_("Created"), "assigned": N_("Assigned"), "in_progress": N_("In progress"),
    "resolved": N_("Resolved"), "closed": N_("Closed"), "cancelled": N_("Cancelled"),
    "not_dispatched": N_("No work order"),
}
MONEY_KEYS = frozenset({"arrears", "amount", "balance"})
PERCENT_WORDS = ("rate", "coverage", "compliance", "share", "change")
# Keys a report carries to say what it is, not a figure.
HIDDEN = frozenset({"plaza_id", "currency", "timezone", "next"})


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))


def kind_of(key: str, value: Any = None) -> str:
    """How a figure is read: money (fen), percent (a ratio), minutes, a date, a number, a text."""
    base = key.split(".")[0]
    if base.endswith("_fen") or base in MONEY_KEYS:
        return "money"
    if "minutes" in base:
        return "minutes"
    if isinstance(value, float) and any(word in base for word in PERCENT_WORDS):
        return "percent"
    if base.endswith("_at"):
        return "datetime"
    if isinstance(value, bool):
        return "flag"
    if isinstance(value, (int, float)):
        return "number"
    return "text"


def cell(key: str, value: Any) -> dict:
    out = {"kind": kind_of(key, value), "value": value}
    if isinstance(value, str) and value in CODE_NAMES:
        out["label"] = CODE_NAMES[value]
    return out


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def shape(report: Any, title: str | None = None) -> dict:
    """A report as {title, facts: [(label, cell)], tables: [{title, columns, rows}],
    parts: [nested shapes]}: scalars become figures, a mapping of scalars a two-column
    table, a list of records a table whose columns are the keys its rows hold, a mapping
    of records a table keyed by its first column, any other mapping a part of its own."""
    out: dict = {"title": title, "facts": [], "tables": [], "parts": []}
    if isinstance(report, list):
        report = {"items": report}
    for key, value in (report or {}).items():
        if key in HIDDEN:
            continue
        if _scalar(value):
            out["facts"].append((label(key), cell(key, value)))
        elif isinstance(value, list) and value and all(_scalar(v) for v in value):
            out["facts"].append((label(key), cell(key, ", ".join("" if v is None else str(v) for v in value))))
        elif isinstance(value, list):
            out["tables"].append(records_table(label(key), [v for v in value if isinstance(v, dict)]))
        elif isinstance(value, dict) and all(_scalar(v) for v in value.values()):
            out["tables"].append(pairs_table(key, value))
        elif isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
            first = "month" if all(re.fullmatch(r"\d{4}-\d{2}", str(k)) for k in value) else "name"
            out["tables"].append(records_table(label(key), [{first: k, **v} for k, v in value.items()]))
        elif isinstance(value, dict):
            out["parts"].append(shape(value, label(key)))
    return out


def pairs_table(key: str, pairs: dict) -> dict:
    """{"engineering": 3, "security": 1} → two columns: the name and the figure."""
    rows = [[cell("name", name), cell(key, v)] for name, v in pairs.items()]
    return {"title": label(key), "columns": [label("name"), _pairs_header(key, pairs)], "rows": rows}


def _pairs_header(key: str, pairs: dict) -> str:
    if kind_of(key) == "money":
        return N_("Amount")
    return N_("Count") if all(isinstance(v, int) for v in pairs.values()) else label(key)


def records_table(title: str, records: list[dict]) -> dict:
    """Columns in the order the rows first hold them; a mapping in a row spreads into a
    column per key (a unit's arrears by age)."""
    flat = [_flatten(r) for r in records]
    columns: list[str] = []
    for row in flat:
        columns += [k for k in row if k not in columns and k not in HIDDEN]
    return {"title": title, "columns": [_column_label(c) for c in columns],
            "rows": [[cell(c, row.get(c)) for c in columns] for row in flat]}


def _flatten(record: dict) -> dict:
    out: dict = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items() if _scalar(v)})
        elif isinstance(value, list):
            out[key] = ", ".join(str(v) for v in value if _scalar(v))
        else:
            out[key] = value
    return out


def _column_label(key: str) -> str:
    head, _, tail = key.partition(".")
    return f"{label(head)} {tail}" if tail else label(head)


# ---- the months a picker offers, and each report's chart and workbook ----

def this_month(today: dt.date) -> str:
    return today.strftime("%Y-%m")


def valid_month(value: str | None, today: dt.date) -> str:
    """A month as YYYY-MM, else this month: a report is never asked for with a typo."""
    if value and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        return value
    return this_month(today)


def months_before(month: str, n: int) -> str:
    year, mon = map(int, month.split("-"))
    index = year * 12 + mon - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


TABS: tuple[tuple[str, str], ...] = (
    ("complaints", N_("Complaints")), ("satisfaction", N_("Satisfaction")), ("collection", N_("Collection")),
)

# name → (service, path under the plaza, query) of the chart the service draws; "collection"
# has none at billing and is drawn by the console.
CHARTS: dict[str, tuple[str, str, dict[str, str]]] = {
    "complaints": ("dispatch", "/reports/complaints.svg", {}),
    "satisfaction": ("survey", "/reports/satisfaction/chart", {"format": "svg"}),
    "campaigns": ("survey", "/campaigns/statistics/chart", {"format": "svg"}),
}
DRAWN_CHARTS = frozenset({"collection"})
DOWNLOADS: dict[str, tuple[str, str, dict[str, str]]] = {
    "complaints": ("dispatch", "/reports/complaints", {"format": "xlsx"}),
    "satisfaction": ("survey", "/reports/satisfaction", {"format": "xlsx"}),
    "campaigns": ("survey", "/campaigns/statistics", {"format": "xlsx"}),
    "collection": ("billing", "/reports/monthly", {"format": "xlsx"}),
}


def period_query(name: str, month: str) -> dict[str, str]:
    """Survey's campaign statistics cover a range: the half-year up to the month."""
    if name == "campaigns":
        return {"from": months_before(month, 5), "to": month}
    return {"month": month}


def keep_headers(headers: dict[str, str]) -> dict[str, str]:
    """What a proxied file keeps of the service's answer besides its type: its file name."""
    return {"Content-Disposition": v for k, v in headers.items() if k.lower() == "content-disposition"}
