"""The staffing page's calls to the staff service, with the signed-in person's token."""

from __future__ import annotations

import asyncio

BASE = "/v1/plazas/{plaza}"


async def overview(calls, plaza: str, day: str, month: str) -> dict:
    base = BASE.format(plaza=plaza)
    roster, swaps, plans, sessions, records, phone, attendance = await asyncio.gather(
        calls.get("staff", f"{base}/roster"),
        calls.get("staff", f"{base}/swaps", status="pending"),
        calls.get("staff", f"{base}/rotation-plans"),
        calls.get("staff", f"{base}/training/sessions"),
        calls.get("staff", f"{base}/post-records", day=day),
        calls.get("staff", f"{base}/reports/phone-etiquette", month=month),
        calls.get("staff", f"{base}/attendance/summary", month=month),
    )
    return {"roster": roster, "swaps": swaps.get("items") or [],
            "plans": [p for p in plans.get("items") or [] if p["status"] == "pending"],
            "sessions": (sessions.get("items") or [])[-20:], "records": records.get("items") or [],
            "phone": phone.get("items") or [], "attendance": attendance.get("people") or []}


async def decide_swap(calls, plaza: str, swap_id: str, approve: bool) -> None:
    await calls.post("staff", f"{BASE.format(plaza=plaza)}/swaps/{swap_id}/{'approve' if approve else 'reject'}", {})


async def decide_plan(calls, plaza: str, plan_id: str, approve: bool, comment: str | None) -> None:
    body = {"comment": comment} if comment else {}
    await calls.post("staff", f"{BASE.format(plaza=plaza)}/rotation-plans/{plan_id}/{'approve' if approve else 'reject'}",
                     body)


async def sign_off(calls, plaza: str, username: str, day: str, comment: str | None) -> None:
    body = {"comment": comment} if comment else {}
    await calls.post("staff", f"{BASE.format(plaza=plaza)}/post-records/{username}/{day}/review", body)
