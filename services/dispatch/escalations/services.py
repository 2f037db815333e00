"""The escalation inbox for the supervisor and the manager: every escalation of the plaza's
jobs (a major complaint, a breached deadline, a clerk's hand-up, a reopened job), the most
pressing first."""

from __future__ import annotations

from services.dispatch.escalations import domain, store
from services.dispatch.sla import services as sla


async def inbox(conn, plaza_id: str, *, level: str | None = None, open_: bool | None = None, limit: int = 100) -> list[dict]:
    """Open escalations and major complaints first, the oldest first; each with its age."""
    now = sla.now()
    rows = sorted(await store.escalated(conn, plaza_id, level=level, open_=open_), key=domain.inbox_order)
    return [
        {**row, "deadline": domain.deadline_of(row["cause"]), "open": domain.is_open(row["status"]),
         "age_minutes": domain.age_minutes(row["escalated_at"], now)}
        for row in rows[:limit]
    ]
