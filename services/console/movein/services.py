"""Move-in season's calls to intake: handover days and bookings, inspections, renovation
permits and their steps. Every write carries the Idempotency-Key made with its form."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from services.console.gateway.services import Calls


def _p(plaza: str) -> str:
    return f"/v1/plazas/{quote(plaza, safe='')}"


def _id(value: str) -> str:
    return quote(value, safe="")


async def handover_day(calls: Calls, plaza: str, day: str) -> tuple[dict, list[dict]]:
    base = _p(plaza)
    summary, page = await asyncio.gather(
        calls.get("intake", f"{base}/handover/days/{day}"),
        calls.get("intake", f"{base}/handover/appointments", date=day, limit=500))
    return summary, page["items"]


async def capacity(calls: Calls, plaza: str) -> dict:
    return await calls.get("intake", f"{_p(plaza)}/handover/capacity")


async def book(calls: Calls, plaza: str, body: dict, key: str) -> dict:
    return await calls.post("intake", f"{_p(plaza)}/handover/appointments", body, headers={"Idempotency-Key": key})


async def cancel(calls: Calls, plaza: str, appointment_id: str, reason: str | None, key: str) -> dict:
    body = {"reason": reason} if reason else {}
    return await calls.post("intake", f"{_p(plaza)}/handover/appointments/{_id(appointment_id)}/cancel", body,
                            headers={"Idempotency-Key": key})


async def appointment(calls: Calls, plaza: str, appointment_id: str) -> dict:
    return await calls.get("intake", f"{_p(plaza)}/handover/appointments/{_id(appointment_id)}")


async def inspect(calls: Calls, plaza: str, appointment_id: str, body: dict, key: str) -> dict:
    return await calls.post("intake", f"{_p(plaza)}/handover/appointments/{_id(appointment_id)}/inspection", body,
                            headers={"Idempotency-Key": key})


async def renovations(calls: Calls, plaza: str, status: str | None = None, unit: str | None = None,
                      cursor: str | None = None) -> dict:
    return await calls.get("intake", f"{_p(plaza)}/renovations", status=status, unit=unit, cursor=cursor, limit=100)


async def renovation(calls: Calls, plaza: str, renovation_id: str) -> dict:
    return await calls.get("intake", f"{_p(plaza)}/renovations/{_id(renovation_id)}")


async def apply(calls: Calls, plaza: str, body: dict, key: str) -> dict:
    return await calls.post("intake", f"{_p(plaza)}/renovations", body, headers={"Idempotency-Key": key})


async def step(calls: Calls, plaza: str, renovation_id: str, path: str, body: dict, key: str) -> dict:
    return await calls.post("intake", f"{_p(plaza)}/renovations/{_id(renovation_id)}/{path}", body,
                            headers={"Idempotency-Key": key})
