"""Queries on fee rates and invoices (tables.fee_rates, tables.invoices)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.billing.tables import fee_rates, insert_once, invoices, one, upsert


async def save_rates(conn: AsyncConnection, plaza_id: str, values: dict) -> None:
    await upsert(conn, fee_rates, {"plaza_id": plaza_id}, values)


async def rates_of(conn: AsyncConnection, plaza_id: str):
    return await one(conn, sa.select(fee_rates).where(fee_rates.c.plaza_id == plaza_id))


async def add_invoice_once(conn: AsyncConnection, row: dict) -> bool:
    """False when the unit already has its invoice for the period."""
    return await insert_once(conn, invoices, row)


async def invoices_of(conn: AsyncConnection, plaza_id: str, unit: str | None, period: str | None):
    q = sa.select(invoices).where(invoices.c.plaza_id == plaza_id)
    if unit:
        q = q.where(invoices.c.unit == unit)
    if period:
        q = q.where(invoices.c.period == period)
    return (await conn.execute(q.order_by(invoices.c.due_date, invoices.c.unit))).all()
