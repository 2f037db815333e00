"""The staff service's people, published as staff publishes them, for the tests of the
services that keep a copy: dispatch assigns a work order only to active staff of its
department at its plaza. (Imported by test modules; not collected itself.)"""

from __future__ import annotations

from libs.contracts import STREAMS
import datetime as dt

from libs.contracts.staff import ShiftCancelled, ShiftPlanned, StaffChanged, StaffJoined, StaffLeft
from tests.support.harness import eventually


def staff_joined(plaza: str, username: str, department: str | None = "engineering", *, name: str | None = None,
                 roles: tuple[str, ...] = ("staff",), active: bool = True) -> StaffJoined:
    return StaffJoined(plaza_id=plaza, correlation_id="seed", actor="operator", username=username,
                       name=name or username.title(), roles=list(roles), department=department, active=active)


def staff_changed(plaza: str, username: str, department: str | None = "engineering", *, name: str | None = None,
                  roles: tuple[str, ...] = ("staff",), active: bool = True) -> StaffChanged:
    return StaffChanged(plaza_id=plaza, correlation_id="seed", actor="operator", username=username,
                        name=name or username.title(), roles=list(roles), department=department, active=active)


def staff_left(plaza: str, username: str) -> StaffLeft:
    return StaffLeft(plaza_id=plaza, correlation_id="seed", actor="operator", username=username)


def shift_planned(plaza: str, shift_id: str, username: str, starts_at: dt.datetime, ends_at: dt.datetime, *,
                  post: str = "fitter", department: str | None = None) -> ShiftPlanned:
    return ShiftPlanned(plaza_id=plaza, correlation_id="roster", actor="lead", shift_id=shift_id, username=username,
                        post=post, department=department, starts_at=starts_at, ends_at=ends_at)


def shift_cancelled(plaza: str, shift_id: str, username: str) -> ShiftCancelled:
    return ShiftCancelled(plaza_id=plaza, correlation_id="roster", actor="lead", shift_id=shift_id, username=username)


async def staff_taken(bus, service: str = "dispatch") -> None:
    """Everything on STAFF delivered to ``service``'s copy and acknowledged (so applied)."""
    await eventually(lambda: bus.caught_up(STREAMS["staff"].name, f"{service}-staff"),
                     what=f"{service} to take staff's people")


async def register_staff(bus, plaza: str, username: str, department: str | None = "engineering", *,
                         known_by: str | None = "dispatch", **facts) -> StaffJoined:
    """``username`` joins plaza ``plaza`` in ``department`` (StaffJoined on the STAFF
    stream); with ``known_by`` (a service whose consumer is attached), returns once that
    service has kept it."""
    event = staff_joined(plaza, username, department, **facts)
    await publish_staff(bus, event, known_by=known_by)
    return event


async def publish_staff(bus, *events, known_by: str | None = "dispatch") -> None:
    for event in events:
        await bus.publish(event)
    if known_by:
        await staff_taken(bus, known_by)


async def assign(client, bus, work_order: dict, assignee: str, **headers) -> dict:
    """``assignee`` made staff of the work order's department at its plaza, then given the
    job (``POST …/assign``); returns the work order as the answer shows it."""
    await register_staff(bus, work_order["plaza_id"], assignee, work_order["department"])
    path = f"/v1/plazas/{work_order['plaza_id']}/work-orders/{work_order['id']}/assign"
    r = await client.post(path, json={"assignee": assignee}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()
