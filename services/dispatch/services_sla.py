"""SLA use cases: a plaza's policy, the deadlines of a work order, and the escalation
ladder. Each takes ``now`` from its caller (services.now(), which tests control)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from libs.contracts.events import WorkOrderEscalated
from libs.runtime import limits
from libs.runtime import logging as log
from libs.runtime.cache import PlazaCache
from libs.runtime.db import database_key
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.outbox import Tx
from services.dispatch import domain, domain_sla, store, store_sla

logger = log.get("dispatch.sla")

SWEEP_ACTOR = "sla-sweep"


class SlaPolicyShown(domain_sla.SlaPolicy, frozen=True, kw_only=True):
    # True while the plaza has no policy of its own and the defaults apply.
    defaults: bool = False


class EscalationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: limits.Note
    level: Literal["supervisor", "manager"] = "supervisor"


async def policy_of(conn, plaza_id: str) -> domain_sla.SlaPolicy:
    return (await policies_of(conn, [plaza_id]))[plaza_id]


_policies: PlazaCache[domain_sla.SlaPolicy] = PlazaCache()


async def policies_of(conn, plaza_ids) -> dict[str, domain_sla.SlaPolicy]:
    """Each plaza's policy, or the defaults while it has none; kept a few seconds
    (PlazaCache), else one query for a batch."""
    async def load(missing: list[str]) -> dict[str, domain_sla.SlaPolicy]:
        stored = await store_sla.policies_of(conn, missing)
        return {
            p: msgspec.convert(stored[p], domain_sla.SlaPolicy) if stored.get(p) else domain_sla.DEFAULT_POLICY
            for p in missing
        }

    return await _policies.many(database_key(conn), plaza_ids, load)


def forget_policy(conn, plaza_id: str) -> None:
    _policies.forget(database_key(conn), [plaza_id])


async def show_policy(conn, plaza_id: str) -> SlaPolicyShown:
    stored = await store_sla.get_policy(conn, plaza_id)
    policy = msgspec.convert(stored, domain_sla.SlaPolicy) if stored else domain_sla.DEFAULT_POLICY
    return SlaPolicyShown(**msgspec.structs.asdict(policy), defaults=stored is None)


async def replace_policy(tx: Tx, plaza_id: str, body: domain_sla.SlaPolicy, actor: str, now: dt.datetime) -> None:
    """Classes left out keep their defaults. Deadlines already given do not move."""
    if not await store.plaza_exists(tx.conn, plaza_id):
        raise NotFound(f"plaza {plaza_id!r} is not registered (PUT /v1/plazas/{plaza_id} in archive)", field="plaza")
    policy = msgspec.structs.replace(body, targets={**domain_sla.DEFAULT_TARGETS, **body.targets})
    try:
        domain_sla.check_policy(policy)
    except domain_sla.PolicyRefused as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
    await store_sla.put_policy(tx.conn, plaza_id, msgspec.to_builtins(policy), now, actor)
    forget_policy(tx.conn, plaza_id)


# --- deadlines -------------------------------------------------------------------------


def deadline_rows(row, found: list[domain_sla.Deadline]) -> list[dict]:
    """A work order's deadlines as rows for ``store_sla.add_deadlines`` (a batch stores
    those of all its work orders at once)."""
    return [
        {"plaza_id": row["plaza_id"], "work_order_id": row["id"], "name": d.name, "round": d.round,
         "due_at": d.due_at, "manager_at": d.manager_at}
        for d in found
    ]


def reopen_deadline(row, policy: domain_sla.SlaPolicy, now: dt.datetime) -> dict:
    """The tighter resolve deadline of a second dispatch, as a row to store."""
    return deadline_rows(row, [domain_sla.reopen_deadline(row["sla_class"], now, row["reopen_count"], policy)])[0]


async def meet(tx: Tx, row, action: str, now: dt.datetime) -> None:
    names = domain_sla.deadlines_met_by(action, row["sla_class"])
    await store_sla.meet_deadlines(tx.conn, row["plaza_id"], row["id"], names, now)


async def void(tx: Tx, row) -> None:
    await store_sla.void_open_deadlines(tx.conn, row["plaza_id"], row["id"])


# --- escalation ------------------------------------------------------------------------


async def escalate(tx: Tx, row, level: str, reason: str, **how) -> None:
    """Raise one escalation: the event out, and a record on the work order."""
    event, record = escalation(row, level, reason, **how)
    await tx.emit(event)
    await store_sla.add_escalations(tx.conn, [record])


def escalation(
    row, level: str, reason: str, *, cause: str, actor: str, causation_id: str | None,
    now: dt.datetime, deadline: str | None = None, due_at: dt.datetime | None = None,
) -> tuple[WorkOrderEscalated, dict]:
    """One escalation: the event to emit and the record to keep on the work order (a
    batch emits each in its place and stores the records with one ``add_escalations``)."""
    event = WorkOrderEscalated(
        **domain.event_fields(row, actor=actor, causation_id=causation_id), occurred_at=now,
        level=level, reason=reason, deadline=deadline, due_at=due_at,
    )
    logger.info("work_order_escalated", work_order_id=row["id"], level=level, cause=cause)
    record = {"plaza_id": row["plaza_id"], "event_id": event.id, "work_order_id": row["id"], "level": level,
              "cause": cause, "reason": reason, "actor": actor, "occurred_at": now}
    return event, record


async def sweep(tx: Tx, now: dt.datetime) -> int:
    """Climb the ladder for every breached deadline of every plaza; returns the number of
    escalations raised. Idempotent: each rung of each deadline is recorded as climbed."""
    raised = 0
    for deadline in await store_sla.breached(tx.conn, now):
        steps = domain_sla.escalations_due(deadline["due_at"], deadline["manager_at"], deadline["escalated"], now)
        if not steps:
            continue
        row = await store.get_work_order(tx.conn, deadline["plaza_id"], deadline["work_order_id"])
        for level in steps:
            await escalate(
                tx, row, level, _breach_reason(deadline, level), cause=f"{deadline['name']}:{deadline['round']}",
                actor=SWEEP_ACTOR, causation_id=None, now=now, deadline=deadline["name"], due_at=deadline["due_at"],
            )
        await store_sla.mark_escalated(tx.conn, deadline, steps[-1])
        raised += len(steps)
    return raised


def _breach_reason(deadline: dict, level: str) -> str:
    what = deadline["name"].replace("_", " ")
    due = deadline["due_at"].isoformat().replace("+00:00", "Z")
    if level == "supervisor":
        return f"{what} deadline {due} missed"
    return f"{what} deadline {due} missed and still open after the grace period"


async def escalate_by_clerk(tx: Tx, row, body: EscalationCreate, actor: str, command_id: str, now: dt.datetime) -> None:
    """Exceeding authority (超出权限): the clerk hands the decision up the ladder."""
    try:
        reason = domain.check_reason(body.reason)
    except domain.ReasonMissing as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
    await escalate(
        tx, row, body.level, f"exceeding authority (超出权限): {reason}", cause="authority",
        actor=actor, causation_id=command_id, now=now,
    )
