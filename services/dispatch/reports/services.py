"""Reports for the manager: the complaint statistics analysis report of a month, read from
the work orders and the report's own read of intake's requests (kept here, moved by the
desk's corrections). Figures come from reports/domain.py; files from reports/export.py."""

from __future__ import annotations

import datetime as dt
import re

from libs.contracts.events import RequestReceived, RequestReclassified
from libs.runtime.errors import InvalidInput
from libs.runtime.uow import Tx
from services.dispatch.reports import domain, store
from services.dispatch.sla import services as sla
from services.dispatch.sla import store as sla_store

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


async def record_requests(tx: Tx, events: list) -> None:
    """Intake's requests as received and as the desk corrected them, a batch at a time, each
    event seeing what the ones before it did: a request corrected into a complaint is
    counted as one, a request corrected away from one is not."""
    mine = [e for e in events if isinstance(e, (RequestReceived, RequestReclassified))]
    rows = await store.requests_of(tx.conn, {(e.plaza_id, e.request_id) for e in mine})
    changed = set()
    for event in mine:
        key = (event.plaza_id, event.request_id)
        apply = domain.received if isinstance(event, RequestReceived) else domain.corrected
        row = apply(rows.get(key), event)
        if row is not None:
            rows[key] = row
            changed.add(key)
    await store.put_requests(tx.conn, [rows[k] for k in sorted(changed)])


async def complaint_report(conn, plaza_id: str, month: str, now: dt.datetime) -> domain.ComplaintReport:
    if not MONTH.match(month or ""):
        raise InvalidInput(f"month {month!r} must be YYYY-MM", field="month")
    timezone = (await sla.policy_of(conn, plaza_id)).calendar.timezone
    start, end = domain.month_range(month, timezone)
    # The trend's months, and the one before the first of them (its change).
    since, _ = domain.month_range(domain.shift_month(month, -domain.TREND_MONTHS), timezone)
    rows = await store.complaints_opened(conn, plaza_id, since, end)
    entries = [e for e in (domain.entry(r, timezone) for r in rows) if e is not None]
    in_month = [e["work_order_id"] for e in entries if e["month"] == month and e["work_order_id"]]
    deadlines = await sla_store.deadlines_of(conn, plaza_id, in_month)
    return domain.analysis(month, entries, [d for ds in deadlines.values() for d in ds], now,
                           corrected_away=await store.corrected_away(conn, plaza_id, start, end))
