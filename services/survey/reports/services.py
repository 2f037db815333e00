"""The monthly satisfaction report (满意度报告): return-visit ratings and campaign answers
per department and dimension, for one month in the plaza's own time zone."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime import replica
from libs.runtime.errors import InvalidInput
from services.survey import tables
from services.survey.campaigns import domain as campaign_rules
from services.survey.campaigns import services as campaigns
from services.survey.campaigns.services import RateRow
from services.survey.visits import domain as visit_rules
from services.survey.visits import services as visits


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
    zone = await replica.plaza_zone_of(conn, tables.plazas, plaza_id)
    try:
        lo, hi = campaign_rules.month_bounds(month, zone)
    except campaign_rules.CampaignRefused as exc:
        raise InvalidInput(exc.reason, field=exc.field) from exc
    # Coverage over the visits of the month's closes; ratings over the month's answers.
    counts, ratings = await visits.month_figures(conn, plaza_id, lo, hi)
    rate, by_dimension, by_department = await campaigns.month_rates(conn, plaza_id, month)
    return SatisfactionReport(
        plaza_id=plaza_id, month=month, timezone=zone.key,
        return_visits=VisitFigures(
            scheduled=counts["scheduled"], done=counts["done"], skipped=counts["skipped"],
            coverage=visit_rules.coverage(counts["done"], counts["scheduled"]),
            by_department=campaigns.rate_rows(
                campaign_rules.tally(((dep,), rating, n) for dep, rating, n in ratings), ("department",)
            ),
        ),
        campaign_satisfaction_rate=rate, campaign_by_department=by_department, campaign_by_dimension=by_dimension,
    )
