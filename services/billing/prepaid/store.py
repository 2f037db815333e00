"""Queries on prepaid tariffs and meter readings (tables.tariffs, tables.meter_readings)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.billing.tables import all_, meter_readings, one, tariffs, upsert


async def save_tariff(conn: AsyncConnection, plaza_id: str, utility: str, values: dict) -> None:
    await upsert(conn, tariffs, {"plaza_id": plaza_id, "utility": utility}, values)


async def tariff_of(conn: AsyncConnection, plaza_id: str, utility: str):
    return await one(conn, sa.select(tariffs).where(tariffs.c.plaza_id == plaza_id, tariffs.c.utility == utility))


async def add_reading(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(meter_readings.insert().values(**row))


async def last_reading(conn: AsyncConnection, plaza_id: str, unit: str, utility: str) -> int | None:
    q = (sa.select(meter_readings.c.reading_milli)
         .where(meter_readings.c.plaza_id == plaza_id, meter_readings.c.unit == unit,
                meter_readings.c.utility == utility)
         .order_by(meter_readings.c.read_at.desc(), meter_readings.c.id.desc()).limit(1))
    return (await conn.execute(q)).scalar_one_or_none()


async def readings(conn: AsyncConnection, plaza_id: str, unit: str | None = None, since: dt.datetime | None = None,
                   until: dt.datetime | None = None):
    q = sa.select(meter_readings).where(meter_readings.c.plaza_id == plaza_id)
    if unit:
        q = q.where(meter_readings.c.unit == unit)
    if since:
        q = q.where(meter_readings.c.read_at >= since)
    if until:
        q = q.where(meter_readings.c.read_at < until)
    return await all_(conn, q.order_by(meter_readings.c.unit, meter_readings.c.utility, meter_readings.c.read_at))


async def tariffs_of(conn: AsyncConnection, plaza_id: str):
    return await all_(conn, sa.select(tariffs).where(tariffs.c.plaza_id == plaza_id))
