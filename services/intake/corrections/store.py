"""Writes of a correction: the request's row as corrected, and the history entry."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.tables import request_corrections, requests


async def update_request(conn: AsyncConnection, plaza_id: str, request_id: str, values: dict) -> None:
    c = requests.c
    await conn.execute(requests.update().where(c.plaza_id == plaza_id, c.id == request_id).values(**values))


async def add_correction(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(request_corrections.insert(), row)
