"""The roster's use cases: keep dispatch's copy of staff's shifts (ShiftPlanned,
ShiftCancelled), and answer who is on duty: the people a job may go to now, and the
supervisor an escalation is raised to."""

from __future__ import annotations

import datetime as dt

from libs.contracts.staff import ShiftCancelled, ShiftPlanned
from libs.runtime.uow import Tx
from services.dispatch.roster import domain, store


async def record_shifts(tx: Tx, events: list) -> None:
    """Staff's roster, one statement for the batch; a swap re-sends the whole shift under
    its id (the newest event wins), a cancellation takes it off the roster."""
    await store.keep_shifts(tx.conn, [_shift_row(e) for e in events if isinstance(e, (ShiftPlanned, ShiftCancelled))])


def _shift_row(event: ShiftPlanned | ShiftCancelled) -> dict:
    row = {"plaza_id": event.plaza_id, "shift_id": event.shift_id, "username": event.username,
           "occurred_at": event.occurred_at}
    if isinstance(event, ShiftCancelled):
        return {**row, "post": None, "department": None, "starts_at": None, "ends_at": None, "cancelled": True}
    return {**row, "post": event.post, "department": event.department, "starts_at": event.starts_at,
            "ends_at": event.ends_at, "cancelled": False}


async def on_duty(conn, plaza_id: str, department: str, at: dt.datetime) -> dict[str, domain.Shift]:
    """The department's people on shift at ``at``; empty while its roster does not cover it."""
    covering = await store.shifts_covering(conn, plaza_id, at)
    people = await store.people_named(conn, plaza_id, {s.username for s in covering})
    return domain.on_duty(covering, people, department, at)


async def off_shift_refused(conn, plaza_id: str, department: str, username: str, at: dt.datetime) -> str | None:
    """Why ``username`` may not take a job of ``department`` now, or None (see domain)."""
    return domain.off_shift_refused(username, department, await on_duty(conn, plaza_id, department, at))


async def assignees(conn, plaza_id: str, department: str, at: dt.datetime) -> tuple[list[domain.Assignee], bool]:
    """Whom a job of ``department`` may go to at ``at``, and whether the roster decided it."""
    duty = await on_duty(conn, plaza_id, department, at)
    return domain.assignees(await store.people(conn, plaza_id, department), duty), bool(duty)


async def escalation_target(conn, plaza_id: str, level: str, at: dt.datetime) -> tuple[list[str], bool]:
    """Whom an escalation of ``level`` names, and whether they are on duty (see domain)."""
    if level != "supervisor":
        return domain.escalation_target(level, [], [])
    covering = await store.shifts_covering(conn, plaza_id, at)
    people = await store.people_named(conn, plaza_id, {s.username for s in covering})
    duty = domain.supervisors_on_duty(covering, people, at)
    supervisors = [] if duty else domain.plaza_supervisors(await store.people(conn, plaza_id))
    return domain.escalation_target(level, duty, supervisors)
