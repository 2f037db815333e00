"""Queries for the reports: the complaints of a span of months (work orders joined with the
report's read of their requests, tables.report_requests) and that read's own rows."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import execute_many
from services.dispatch.tables import plain, report_requests, work_orders

wo, rr = work_orders.c, report_requests.c
_JOINED = sa.and_(rr.plaza_id == wo.plaza_id, rr.request_id == wo.request_id)


def _select():
    return sa.select(work_orders, *(c.label(f"rr_{c.name}") for c in report_requests.c))


async def complaints_opened(conn: AsyncConnection, plaza_id: str, start, end) -> list[dict]:
    """Work orders and requests that are or were complaints, opened (received, for a request
    without a work order) within [start, end), with ``rr_`` keys for the request (None when
    the report never saw it); reports.domain.entry tells which are complaints now."""
    by_work_order = (
        _select().select_from(work_orders.outerjoin(report_requests, _JOINED))
        .where(wo.plaza_id == plaza_id, wo.kind == "complaint", wo.created_at >= start, wo.created_at < end)
    )
    opened = sa.func.coalesce(wo.created_at, rr.received_at, rr.corrected_at)
    # Requests the desk made complaints whose work order (if any) does not say so, and
    # complaints no job was opened for (referred, not serviceable).
    by_request = (
        _select().select_from(report_requests.outerjoin(work_orders, _JOINED))
        .where(rr.plaza_id == plaza_id, rr.kind == "complaint", sa.or_(wo.id.is_(None), wo.kind != "complaint"),
               opened >= start, opened < end)
    )
    return [plain(r) for q in (by_work_order, by_request) for r in (await conn.execute(q)).mappings().all()]


async def corrected_away(conn: AsyncConnection, plaza_id: str, start, end) -> int:
    """Requests received as complaints within [start, end) that the desk turned away from one."""
    q = sa.select(sa.func.count()).where(
        rr.plaza_id == plaza_id, rr.received_kind == "complaint", rr.kind != "complaint",
        rr.received_at >= start, rr.received_at < end)
    return int((await conn.execute(q)).scalar_one())


async def requests_of(conn: AsyncConnection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    if not keys:
        return {}
    q = sa.select(report_requests).where(
        rr.plaza_id.in_(sorted({p for p, _ in keys})), rr.request_id.in_(sorted({r for _, r in keys})))
    found = {(r["plaza_id"], r["request_id"]): plain(r) for r in (await conn.execute(q)).mappings().all()}
    return {k: v for k, v in found.items() if k in keys}


@functools.cache
def _put_stmt(dialect_name: str):
    stmt = (postgresql if dialect_name == "postgresql" else sqlite).insert(report_requests)
    keys = ("plaza_id", "request_id")
    return stmt.on_conflict_do_update(
        index_elements=[rr.plaza_id, rr.request_id],
        set_={c.name: stmt.excluded[c.name] for c in report_requests.c if c.name not in keys},
    )


async def put_requests(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await execute_many(conn, _put_stmt(conn.dialect.name), rows)
