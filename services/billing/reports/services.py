"""Monthly reports per plaza: billed, collected, collection rate, arrears by bucket; and
the prepaid readings report. Everything is derived from the ledger and the readings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import msgspec

from libs.runtime import export
from services.billing import facts
from services.billing.dunning import domain as dunning_domain
from services.billing.dunning import services as dunning
from services.billing.fees import domain as fees_domain
from services.billing.ledger import domain as ledger_domain
from services.billing.ledger import store as ledger_store
from services.billing.ledger.services import refused
from services.billing.prepaid import store as prepaid_store

BILLED = ("charge", "fee")
COLLECTED = ("payment", "deposit_applied")


class UnitMonth(msgspec.Struct, kw_only=True):
    unit: str
    billed_fen: int = 0
    collected_fen: int = 0
    refunded_fen: int = 0
    overdue_fen: int = 0


class MonthlyReport(msgspec.Struct, kw_only=True):
    plaza_id: str
    month: str
    billed_fen: int
    collected_fen: int
    refunded_fen: int
    collection_rate: float | None
    arrears_as_of: dt.date
    arrears: dict[str, int]
    units: list[UnitMonth]
    currency: str = ledger_domain.CURRENCY


def month_bounds(month: str, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The month as the plaza lives it: from its first local midnight to the next month's
    (as UTC instants), so a charge at 07:30 on the 1st in Shanghai is in that month."""
    try:
        period = fees_domain.parse_period(month)
    except ledger_domain.Refused as exc:
        raise refused(exc) from None
    if len(period.months) != 1:
        raise refused(ledger_domain.Refused(f"month {month!r} must look like 2026-12", field="month"))
    return ledger_domain.day_start(period.start, zone), ledger_domain.day_start(period.end, zone)


async def monthly_report(conn, plaza_id: str, month: str) -> MonthlyReport:
    zone = await facts.plaza_zone(conn, plaza_id)
    start, end = month_bounds(month, zone)
    units: dict[str, UnitMonth] = defaultdict(lambda: UnitMonth(unit=""))
    for e in await ledger_store.plaza_entries(conn, plaza_id):
        if not start <= e.occurred_at < end:
            continue
        row = units[e.unit]
        row.unit = e.unit
        if e.kind in BILLED:
            row.billed_fen += e.amount_fen
        elif e.kind in COLLECTED:
            row.collected_fen += e.amount_fen
        elif e.kind == "refund":
            row.refunded_fen += e.amount_fen
    as_of = ledger_domain.local_date(end, zone) - dt.timedelta(days=1)
    totals, arrears_units = await dunning.arrears(conn, plaza_id, as_of)
    for a in arrears_units:
        units[a.unit].unit = a.unit
        units[a.unit].overdue_fen = a.overdue_fen
    rows = sorted(units.values(), key=lambda u: u.unit)
    billed, collected = sum(u.billed_fen for u in rows), sum(u.collected_fen for u in rows)
    return MonthlyReport(
        plaza_id=plaza_id, month=month, billed_fen=billed, collected_fen=collected,
        refunded_fen=sum(u.refunded_fen for u in rows),
        collection_rate=round(collected / billed, 4) if billed else None,
        arrears_as_of=as_of, arrears=totals, units=rows,
    )


def monthly_xlsx(report: MonthlyReport) -> bytes:
    summary = [
        ["plaza", report.plaza_id],
        ["month", report.month],
        ["billed (yuan)", report.billed_fen / 100],
        ["collected (yuan)", report.collected_fen / 100],
        ["refunded (yuan)", report.refunded_fen / 100],
        ["collection rate", report.collection_rate],
        [f"arrears as of {report.arrears_as_of.isoformat()}", None],
        *([f"{name} days (yuan)", report.arrears[name] / 100] for name in dunning_domain.BUCKET_NAMES),
    ]
    units = [["unit", "billed (yuan)", "collected (yuan)", "refunded (yuan)", "overdue (yuan)"]]
    for u in report.units:
        units.append([u.unit, u.billed_fen / 100, u.collected_fen / 100, u.refunded_fen / 100, u.overdue_fen / 100])
    return export.xlsx([("summary", summary), ("units", units)])


class MeterSummary(msgspec.Struct, kw_only=True):
    unit: str
    utility: str
    readings: int
    first_reading: float
    last_reading: float
    consumption: float
    deducted_fen: int
    balance_fen: int


async def prepaid_report(conn, plaza_id: str, month: str | None) -> list[MeterSummary]:
    since, until = month_bounds(month, await facts.plaza_zone(conn, plaza_id)) if month else (None, None)
    out: dict[tuple[str, str], MeterSummary] = {}
    for r in await prepaid_store.readings(conn, plaza_id, since=since, until=until):
        reading = r.reading_milli / 1000
        s = out.get((r.unit, r.utility))
        if s is None:
            s = out[(r.unit, r.utility)] = MeterSummary(
                unit=r.unit, utility=r.utility, readings=0, first_reading=reading, last_reading=reading,
                consumption=0.0, deducted_fen=0, balance_fen=0)
        s.readings += 1
        if r.previous_milli is not None:
            s.consumption = round(s.consumption + (r.reading_milli - r.previous_milli) / 1000, 3)
        s.last_reading, s.deducted_fen, s.balance_fen = reading, s.deducted_fen + r.deduction_fen, r.balance_fen
    return list(out.values())
