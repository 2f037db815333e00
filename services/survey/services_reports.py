"""The monthly satisfaction report (满意度报告): return-visit ratings and campaign answers
per department and dimension, for one month in the plaza's own time zone."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime import replica
from libs.runtime.errors import InvalidInput
from services.survey import domain, domain_campaigns as dc, services, store, store_campaigns
from services.survey.services_campaigns import RateRow, rate_rows


class VisitFigures(msgspec.Struct, kw_only=True):
    scheduled: int
    done: int
    skipped: int
    coverage: float | None
    by_department: list[RateRow]


class SatisfactionReport(msgspec.Struct, kw_only=True):
    plaza_id: str
    month: str
    timezone: str
    return_visits: VisitFigures
    campaign_satisfaction_rate: float | None
    campaign_by_department: list[RateRow]
    campaign_by_dimension: list[RateRow]


async def satisfaction_report(conn: AsyncConnection, plaza_id: str, month: str) -> SatisfactionReport:
    zone = await replica.plaza_zone_of(conn, store.plazas, plaza_id)
    try:
        lo, hi = dc.month_bounds(month, zone)
    except dc.CampaignRefused as exc:
        raise InvalidInput(exc.reason, field=exc.field) from exc
    visits = await _visit_figures(conn, plaza_id, lo, hi)
    counts = await store_campaigns.answer_counts(conn, plaza_id, months=(month, month))
    overall = dc.tally(((), lvl, n) for _m, _d, _dep, lvl, n in counts)
    return SatisfactionReport(
        plaza_id=plaza_id, month=month, timezone=zone.key, return_visits=visits,
        campaign_satisfaction_rate=overall[()].rate if overall else None,
        campaign_by_department=rate_rows(dc.tally(((dep,), lvl, n) for _m, _d, dep, lvl, n in counts), ("department",)),
        campaign_by_dimension=rate_rows(
            dc.tally(((dim, dep), lvl, n) for _m, dim, dep, lvl, n in counts), ("dimension", "department")
        ),
    )


async def _visit_figures(conn: AsyncConnection, plaza_id: str, lo, hi) -> VisitFigures:
    """Coverage over the visits of the month's closes; ratings over the month's answers."""
    counts = await store.visit_counts(conn, plaza_id, now=services.now(), closed_from=lo, closed_to=hi)
    ratings = await store.ratings_by_department(conn, plaza_id, lo, hi)
    return VisitFigures(
        scheduled=counts["scheduled"], done=counts["done"], skipped=counts["skipped"],
        coverage=domain.coverage(counts["done"], counts["scheduled"]),
        by_department=rate_rows(dc.tally(((dep,), rating, n) for dep, rating, n in ratings), ("department",)),
    )
