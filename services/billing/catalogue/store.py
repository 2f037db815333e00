"""Queries on the catalogue's tables (tables.catalogue_items, catalogue_settings,
service_charges, ad_hoc_charges)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore

from services.billing.tables import (
    ad_hoc_charges, all_, catalogue_items, catalogue_settings, one, service_charges, upsert,
)


async def save_item(conn: AsyncConnection, plaza_id: str, code: str, values: dict) -> None:
    await upsert(conn, catalogue_items, {"plaza_id": plaza_id, "code": code}, values)


async def items_of(conn: AsyncConnection, plaza_id: str, codes=None):
    q = sa.select(catalogue_items).where(catalogue_items.c.plaza_id == plaza_id)
    if codes is not None:
        q = q.where(catalogue_items.c.code.in_(list(codes)))
    return await all_(conn, q.order_by(catalogue_items.c.code))


async def threshold_of(conn: AsyncConnection, plaza_id: str) -> int | None:
    row = await one(conn, sa.select(catalogue_settings).where(catalogue_settings.c.plaza_id == plaza_id))
    return None if row is None else row.ad_hoc_approval_above_fen


async def save_threshold(conn: AsyncConnection, plaza_id: str, fen: int) -> None:
    await upsert(conn, catalogue_settings, {"plaza_id": plaza_id}, {"ad_hoc_approval_above_fen": fen})


async def add_sold(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(insert_ignore(conn, service_charges), rows)


async def sold_between(conn: AsyncConnection, plaza_id: str, start: dt.datetime, end: dt.datetime):
    q = sa.select(service_charges).where(
        service_charges.c.plaza_id == plaza_id, service_charges.c.occurred_at >= start, service_charges.c.occurred_at < end)
    return await all_(conn, q.order_by(service_charges.c.item))


async def add_ad_hoc(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(ad_hoc_charges.insert().values(**row))


async def get_ad_hoc(conn: AsyncConnection, plaza_id: str, unit: str, charge_id: str) -> dict | None:
    row = await one(conn, sa.select(ad_hoc_charges).where(
        ad_hoc_charges.c.plaza_id == plaza_id, ad_hoc_charges.c.unit == unit, ad_hoc_charges.c.id == charge_id))
    return None if row is None else dict(row._mapping)


async def decide_ad_hoc(conn: AsyncConnection, plaza_id: str, charge_id: str, values: dict) -> bool:
    """Only a pending one is decided: a decision racing another changes nothing (False)."""
    q = ad_hoc_charges.update().where(
        ad_hoc_charges.c.plaza_id == plaza_id, ad_hoc_charges.c.id == charge_id, ad_hoc_charges.c.status == "pending")
    return (await conn.execute(q.values(**values))).rowcount == 1


async def ad_hoc_list(conn: AsyncConnection, plaza_id: str, status: str | None):
    q = sa.select(ad_hoc_charges).where(ad_hoc_charges.c.plaza_id == plaza_id)
    if status:
        q = q.where(ad_hoc_charges.c.status == status)
    return [dict(r._mapping) for r in await all_(conn, q.order_by(ad_hoc_charges.c.id))]
