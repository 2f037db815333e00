"""Satisfaction campaigns (满意度调查): create one (drawing its stratified sample), take
responses, close it, and compute its statistics and the plaza's month by month."""

from __future__ import annotations

import zlib
from typing import Annotated, Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts import new_event_id, utcnow
from libs.runtime import limits
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.survey.campaigns import domain as dc
from services.survey.campaigns import store
from services.survey.policy import domain as policy_rules
from services.survey.policy import services as policy


class CampaignCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: limits.Name
    month: limits.Code
    scale: policy_rules.Scale | None = None
    dimensions: limits.items(policy_rules.Dimension, limits.DIMENSIONS_MAX) | None = None
    sample_size: limits.Count | None = None
    # 64 bits: what every database stores (crc32 draws up to 2**32).
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)] | None = None


class CampaignResponseCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    unit: limits.Code
    # dimension code → 1..5 (five-point) or a level (three-level)
    answers: Annotated[dict[limits.Code, limits.Count | limits.Code], msgspec.Meta(max_length=limits.DIMENSIONS_MAX)]
    comment: limits.Note | None = None
    channel: Literal["phone", "online", "visit", "paper"] = "phone"


class CampaignView(msgspec.Struct, kw_only=True):
    id: str
    plaza_id: str
    title: str
    month: str
    scale: str
    dimensions: list[policy_rules.Dimension]
    population: int
    sample_size: int
    seed: int
    status: str
    created_at: str
    created_by: str | None
    closed_at: str | None


class SampleView(msgspec.Struct, kw_only=True):
    unit: str
    building: str
    occupant_kind: str
    answered: bool
    answered_at: str | None


class ResponseRecorded(msgspec.Struct, kw_only=True):
    campaign_id: str
    unit: str


def _view(row) -> CampaignView:
    return CampaignView(
        id=row["id"], plaza_id=row["plaza_id"], title=row["title"], month=row["month"], scale=row["scale"],
        dimensions=msgspec.convert(row["dimensions"], list[policy_rules.Dimension]),
        population=row["population"], sample_size=row["sample_size"], seed=row["seed"], status=row["status"],
        created_at=iso(row["created_at"]), created_by=row["created_by"], closed_at=iso(row["closed_at"]),
    )


class RateRow(msgspec.Struct, kw_only=True, omit_defaults=False):
    month: str | None = None
    dimension: str | None = None
    department: str | None = None
    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    answered: int
    rate: float | None
    change: float | None = None  # against the month before (环比), where there is one


class Stratum(msgspec.Struct, kw_only=True):
    building: str
    occupant_kind: str
    drawn: int
    answered: int


class CampaignStatistics(msgspec.Struct, kw_only=True):
    campaign_id: str
    plaza_id: str
    month: str
    drawn: int
    answered: int
    response_rate: float | None
    satisfaction_rate: float | None
    by_dimension: list[RateRow]
    by_department: list[RateRow]
    strata: list[Stratum]


class PlazaStatistics(msgspec.Struct, kw_only=True):
    plaza_id: str
    from_month: str
    to_month: str
    satisfaction_rate: float | None
    by_month: list[RateRow]
    by_dimension: list[RateRow]
    by_department: list[RateRow]


def _refused(exc: dc.CampaignRefused | policy_rules.PolicyRefused) -> InvalidInput:
    return InvalidInput(exc.reason, field=exc.field)


async def create_campaign(tx: Tx, plaza_id: str, body: CampaignCreate, *, default_window_hours: int,
                          actor: str) -> CampaignView:
    defaults = (await policy.effective_policy(tx.conn, plaza_id, default_window_hours)).campaign
    if not body.title.strip():
        raise InvalidInput("a campaign needs a title", field="title")
    try:
        month = dc.check_month(body.month)
        dims = policy_rules.check_dimensions(body.dimensions if body.dimensions is not None else defaults.dimensions)
        frame = [dc.SampleUnit(**dict(r)) for r in await store.sampling_frame(tx.conn, plaza_id)]
        seed = body.seed if body.seed is not None else zlib.crc32(f"{plaza_id}|{month}|{body.title}".encode())
        drawn = dc.draw_sample(frame, body.sample_size or defaults.sample_size, seed)
    except (dc.CampaignRefused, policy_rules.PolicyRefused) as exc:
        raise _refused(exc) from exc
    campaign_id = new_event_id()
    row = {
        "id": campaign_id, "plaza_id": plaza_id, "title": body.title.strip(), "month": month,
        "scale": body.scale or defaults.scale, "dimensions": msgspec.to_builtins(list(dims)),
        "sample_size": len(drawn), "seed": seed, "population": len(frame), "status": "open",
        "created_at": utcnow(), "created_by": actor,
    }
    sample = [{"plaza_id": plaza_id, "campaign_id": campaign_id, **msgspec.to_builtins(u)} for u in drawn]
    await store.add_campaign(tx.conn, row, sample)
    return _view(await store.get_campaign(tx.conn, plaza_id, campaign_id))


async def show_campaign(conn: AsyncConnection, plaza_id: str, campaign_id: str) -> CampaignView:
    return _view(await _campaign(conn, plaza_id, campaign_id))


async def list_campaigns(conn: AsyncConnection, plaza_id: str, *, month: str | None, after: str | None,
                         limit: int) -> list[CampaignView]:
    return [_view(r) for r in await store.list_campaigns(conn, plaza_id, month=month, after=after, limit=limit)]


async def list_sample(conn: AsyncConnection, plaza_id: str, campaign_id: str, *, answered: bool | None,
                      after: str | None, limit: int) -> list[SampleView]:
    await _campaign(conn, plaza_id, campaign_id)
    rows = await store.list_sample(conn, plaza_id, campaign_id, answered=answered, after=after, limit=limit)
    return [SampleView(unit=r["unit"], building=r["building"], occupant_kind=r["occupant_kind"],
                       answered=r["answered_at"] is not None, answered_at=iso(r["answered_at"])) for r in rows]


async def _campaign(conn: AsyncConnection, plaza_id: str, campaign_id: str):
    row = await store.get_campaign(conn, plaza_id, campaign_id)
    if row is None:
        raise NotFound(f"campaign {campaign_id!r} not found in plaza {plaza_id!r}", field="id")
    return row


async def respond(tx: Tx, plaza_id: str, campaign_id: str, body: CampaignResponseCreate, *,
                  actor: str) -> ResponseRecorded:
    campaign = await _campaign(tx.conn, plaza_id, campaign_id)
    if campaign["status"] != "open":
        raise Conflict("this campaign is closed: it takes no more responses", field="id")
    if await store.sample_member(tx.conn, plaza_id, campaign_id, body.unit) is None:
        raise InvalidInput(f"unit {body.unit!r} is not in this campaign's sample", field="unit")
    answers = _answer_rows(campaign, body)
    values = {"answered_at": utcnow(), "comment": (body.comment or "").strip() or None,
              "channel": body.channel, "answered_by": actor}
    if not await store.record_response(tx.conn, plaza_id, campaign_id, body.unit, values, answers):
        raise Conflict(f"unit {body.unit!r} has already answered this campaign", field="unit")
    return ResponseRecorded(campaign_id=campaign_id, unit=body.unit)


def _answer_rows(campaign, body: CampaignResponseCreate) -> list[dict]:
    """One row per answered dimension, with the department that dimension rates."""
    dims = msgspec.convert(campaign["dimensions"], list[policy_rules.Dimension])
    try:
        scored = dc.score_answers(campaign["scale"], tuple(dims), body.answers)
    except dc.CampaignRefused as exc:
        raise _refused(exc) from exc
    department = {d.code: d.department for d in dims}
    return [
        {"plaza_id": campaign["plaza_id"], "campaign_id": campaign["id"], "unit": body.unit, "dimension": code,
         "department": department[code], "level": level, "score": score}
        for code, (level, score) in scored.items()
    ]


async def close_campaign(tx: Tx, plaza_id: str, campaign_id: str) -> CampaignView:
    await _campaign(tx.conn, plaza_id, campaign_id)
    if not await store.close_campaign(tx.conn, plaza_id, campaign_id, utcnow()):
        raise Conflict("this campaign is already closed", field="id")
    return _view(await store.get_campaign(tx.conn, plaza_id, campaign_id))


def rate_rows(tallies: dict[tuple, dc.Tally], names: tuple[str, ...]) -> list[RateRow]:
    return [
        RateRow(**dict(zip(names, key)), satisfied=t.satisfied, basically_satisfied=t.basically_satisfied,
                unsatisfied=t.unsatisfied, answered=t.answered, rate=t.rate)
        for key, t in tallies.items()
    ]


def _with_trend(rows: list[RateRow], series: str | None) -> list[RateRow]:
    """Fill ``change``: each row against the same series' month before."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(getattr(row, series) if series else None, {})[row.month] = row
    for by_month in groups.values():
        for month, _rate, change in dc.trend({m: r.rate for m, r in by_month.items()}):
            by_month[month].change = change
    return rows


async def campaign_statistics(conn: AsyncConnection, plaza_id: str, campaign_id: str) -> CampaignStatistics:
    campaign = await _campaign(conn, plaza_id, campaign_id)
    rate, by_dimension, by_department = _rates(await store.answer_counts(conn, plaza_id, campaign_id=campaign_id))
    strata = [Stratum(building=b, occupant_kind=k, drawn=int(n), answered=int(a or 0))
              for b, k, n, a in await store.strata_counts(conn, plaza_id, campaign_id)]
    drawn, answered = sum(s.drawn for s in strata), sum(s.answered for s in strata)
    return CampaignStatistics(
        campaign_id=campaign_id, plaza_id=plaza_id, month=campaign["month"], drawn=drawn, answered=answered,
        response_rate=round(answered / drawn, 4) if drawn else None, satisfaction_rate=rate,
        by_dimension=by_dimension, by_department=by_department, strata=strata,
    )


async def month_rates(conn: AsyncConnection, plaza_id: str, month: str) -> tuple[float | None, list[RateRow], list[RateRow]]:
    """The answers of the month's campaigns: (satisfaction rate, by dimension, by department)."""
    return _rates(await store.answer_counts(conn, plaza_id, months=(month, month)))


def _rates(counts) -> tuple[float | None, list[RateRow], list[RateRow]]:
    """(month, dimension, department, level, count) rows → the overall rate, and rate rows
    by dimension and by department."""
    overall = dc.tally(((), level, n) for _m, _d, _dep, level, n in counts)
    return (
        overall[()].rate if overall else None,
        rate_rows(dc.tally(((dim, dep), lvl, n) for _m, dim, dep, lvl, n in counts), ("dimension", "department")),
        rate_rows(dc.tally(((dep,), lvl, n) for _m, _d, dep, lvl, n in counts), ("department",)),
    )


async def plaza_statistics(conn: AsyncConnection, plaza_id: str, from_month: str, to_month: str) -> PlazaStatistics:
    try:
        months = (dc.check_month(from_month, "from"), dc.check_month(to_month, "to"))
    except dc.CampaignRefused as exc:
        raise _refused(exc) from exc
    counts = await store.answer_counts(conn, plaza_id, months=months)
    overall = dc.tally(((), lvl, n) for _m, _d, _dep, lvl, n in counts)
    return PlazaStatistics(
        plaza_id=plaza_id, from_month=months[0], to_month=months[1],
        satisfaction_rate=overall[()].rate if overall else None,
        by_month=_with_trend(rate_rows(dc.tally(((m,), lvl, n) for m, _d, _dep, lvl, n in counts), ("month",)), None),
        by_dimension=_with_trend(rate_rows(
            dc.tally(((m, dim, dep), lvl, n) for m, dim, dep, lvl, n in counts), ("month", "dimension", "department")
        ), "dimension"),
        by_department=_with_trend(rate_rows(
            dc.tally(((m, dep), lvl, n) for m, _d, dep, lvl, n in counts), ("month", "department")
        ), "department"),
    )
