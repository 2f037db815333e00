"""Monthly reports per plaza: billed, collected, collection rate, arrears by bucket; and
the prepaid readings report. Everything is derived from the ledger and the readings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import msgspec

from libs.runtime import export
from services.billing import facts
from services.billing.catalogue import services as catalogue
from services.billing.dunning import domain as dunning_domain
from services.billing.dunning import services as dunning
from services.billing.fees import domain as fees_domain
from services.billing.ledger import domain as ledger_domain
from services.billing.ledger import store as ledger_store
from services.billing.ledger.services import refused
from services.billing.prepaid import store as prepaid_store
from services.billing.reports import domain as reports_domain

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
    # Money in for prepaid water and electricity: a separate line beside collected, which
    # stays what pays the billed (the collection rate's numerator).
    recharged_fen: int
    collection_rate: float | None
    arrears_as_of: dt.date
    arrears: dict[str, int]
    units: list[UnitMonth]
    currency: str = ledger_domain.CURRENCY
    # Multi-service revenue (多种经营): the month's catalogue services and ad hoc charges, by item.
    services: list[catalogue.ItemRevenue] = []


def month_bounds(month: str, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The month as the plaza lives it: from its first local midnight to the next month's
    (as UTC instants), so a charge at 07:30 on the 1st in Shanghai is in that month."""
    try:
        period = fees_domain.parse_period(month)
    except ledger_domain.Refused as exc:  # the route's parameter is the month
        raise refused(ledger_domain.Refused(str(exc), field="month")) from None
    if len(period.months) != 1:
        raise refused(ledger_domain.Refused(f"month {month!r} must look like 2026-12", field="month"))
    return ledger_domain.day_start(period.start, zone), ledger_domain.day_start(period.end, zone)


async def monthly_report(conn, plaza_id: str, month: str) -> MonthlyReport:
    zone = await facts.plaza_zone(conn, plaza_id)
    start, end = month_bounds(month, zone)
    units: dict[str, UnitMonth] = defaultdict(lambda: UnitMonth(unit=""))
    recharged = 0
    for e in await ledger_store.plaza_entries(conn, plaza_id):
        if not start <= e.occurred_at < end:
            continue
        if e.kind == "prepaid_recharge":
            recharged += e.amount_fen
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
        refunded_fen=sum(u.refunded_fen for u in rows), recharged_fen=recharged,
        collection_rate=round(collected / billed, 4) if billed else None,
        arrears_as_of=as_of, arrears=totals, units=rows,
        services=await catalogue.revenue(conn, plaza_id, month, start, end),
    )


MONEY = {
    "billed": export.Column("billed_fen", "应收", "billed", "money"),
    "collected": export.Column("collected_fen", "实收", "collected", "money"),
    "recharged": export.Column("recharged_fen", "水电充值", "prepaid recharges", "money"),
    "refunded": export.Column("refunded_fen", "退款", "refunded", "money"),
    "overdue": export.Column("overdue_fen", "月末欠费", "overdue at month end", "money"),
}
UNIT_COLUMNS = [export.Column("unit", "单元", "unit"), MONEY["billed"], MONEY["collected"], MONEY["refunded"], MONEY["overdue"]]
SERVICE_COLUMNS = [
    export.Column("month", "月份", "month"), export.Column("item", "项目编码", "item"),
    export.Column("name", "项目", "name"), export.Column("count", "笔数", "charges", "count"),
    export.Column("quantity", "数量", "quantity", "count"), export.Column("amount_fen", "收入（含税）", "revenue (tax included)", "money"),
    export.Column("tax_fen", "其中税额", "of which tax", "money"),
]
ARREARS_COLUMNS = [export.Column("bucket", "账龄（天）", "days past due"), export.Column("amount_fen", "欠费", "arrears", "money")]


def monthly_sheets(report: MonthlyReport) -> list[export.Sheet]:
    lines = [
        (export.Column("plaza", "项目（广场）", "plaza"), report.plaza_id),
        (export.Column("month", "月份", "month"), report.month),
        (MONEY["billed"], report.billed_fen),
        (MONEY["collected"], report.collected_fen),
        (MONEY["refunded"], report.refunded_fen),
        (export.Column("rate", "收缴率", "collection rate", "percent"), report.collection_rate),
        (MONEY["recharged"], report.recharged_fen),
        (export.Column("as_of", "账龄截至", "arrears as of", "date"), report.arrears_as_of),
    ]
    arrears = [{"bucket": name, "amount_fen": report.arrears[name]} for name in dunning_domain.BUCKET_NAMES]
    return [
        export.summary("汇总", "summary", lines),
        export.Sheet("分户", "units", UNIT_COLUMNS, report.units),
        export.Sheet("账龄", "arrears", ARREARS_COLUMNS, arrears,
                     export.Chart("bar", "月末欠费账龄", "arrears by age at month end", "bucket", ["amount_fen"])),
        export.Sheet("多种经营", "services", SERVICE_COLUMNS, report.services,
                     export.Chart("bar", "多种经营收入（按项目）", "service revenue by item", "name", ["amount_fen"])),
    ]


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


READING_COLUMNS = [
    export.Column("unit", "单元", "unit"), export.Column("utility", "类别", "utility"),
    export.Column("readings", "抄表次数", "readings", "count"),
    export.Column("first_reading", "首次读数", "first reading", "number"),
    export.Column("last_reading", "末次读数", "last reading", "number"),
    export.Column("consumption", "用量", "consumption", "number"),
    export.Column("deducted_fen", "扣费", "deducted", "money"),
    export.Column("balance_fen", "余额", "balance", "money"),
]


UTILITY_ZH = {"electricity": "电", "water": "水"}


def in_words(items, lang: str) -> list[dict]:
    """Rows as the reader says them: the utility in Chinese on a Chinese paper."""
    rows = [msgspec.to_builtins(i) if not isinstance(i, dict) else dict(i) for i in items]
    if lang == "zh":
        for r in rows:
            r["utility"] = UTILITY_ZH.get(r.get("utility"), r.get("utility"))
    return rows


def prepaid_report_sheets(items: list[MeterSummary], lang: str = "zh") -> list[export.Sheet]:
    return [export.Sheet("水电抄表", "readings", READING_COLUMNS, in_words(items, lang))]


async def prepaid_summary(conn, plaza_id: str, month: str) -> reports_domain.PrepaidSummary:
    zone = await facts.plaza_zone(conn, plaza_id)
    start, end = month_bounds(month, zone)
    warning = {t.utility: t.low_balance_fen for t in await prepaid_store.tariffs_of(conn, plaza_id)}
    entries = await ledger_store.plaza_entries(conn, plaza_id)
    return reports_domain.prepaid_summary(plaza_id, month, entries, warning, start, end, zone)


METHOD_ZH = {"cash": "现金", "card": "刷卡", "transfer": "转账", "wechat": "微信", "alipay": "支付宝"}
COUNT = export.Column("count", "笔数", "count", "count")
AMOUNT = export.Column("amount_fen", "金额", "amount", "money")


def prepaid_summary_sheets(s: reports_domain.PrepaidSummary, lang: str = "zh") -> list[export.Sheet]:
    lines = [
        (export.Column("plaza", "项目（广场）", "plaza"), s.plaza_id),
        (export.Column("month", "月份", "month"), s.month),
        (export.Column("recharged_fen", "充值金额", "recharged", "money"), s.recharged_fen),
        (export.Column("recharges", "充值笔数", "recharges", "count"), s.recharges),
        (export.Column("deducted_fen", "扣费金额", "deducted", "money"), s.deducted_fen),
        (export.Column("deductions", "扣费笔数", "deductions", "count"), s.deductions),
        (export.Column("below", "低于预警余额的户数", "units below the warning level", "count"),
         len({b.unit for b in s.below_warning})),
    ]
    methods = [{"method": m.method if lang == "en" else METHOD_ZH.get(m.method, m.method),
                "amount_fen": m.amount_fen, "count": m.count} for m in s.by_method]
    balance_columns = [
        export.Column("unit", "单元", "unit"), export.Column("utility", "类别", "utility"),
        export.Column("balance_fen", "月末余额", "balance at month end", "money"),
        export.Column("low_balance_fen", "预警余额", "warning level", "money"),
    ]
    return [
        export.summary("汇总", "summary", lines),
        export.Sheet("按支付方式", "by method", [export.Column("method", "支付方式", "method"), AMOUNT, COUNT], methods,
                     export.Chart("bar", "充值金额（按支付方式）", "recharged by method", "method", ["amount_fen"])),
        export.Sheet("按日", "by day", [export.Column("day", "日期", "day", "date"), AMOUNT, COUNT], s.by_day,
                     export.Chart("line", "每日充值笔数", "recharges per day", "day", ["count"])),
        export.Sheet("按类别", "by utility", [
            export.Column("utility", "类别", "utility"),
            export.Column("recharged_fen", "充值金额", "recharged", "money"),
            export.Column("recharges", "充值笔数", "recharges", "count"),
            export.Column("deducted_fen", "扣费金额", "deducted", "money"),
            export.Column("deductions", "扣费笔数", "deductions", "count")], in_words(s.by_utility, lang)),
        export.Sheet("月末余额", "balances", balance_columns, in_words(s.balances, lang)),
        export.Sheet("低于预警", "below warning", balance_columns, in_words(s.below_warning, lang)),
    ]

