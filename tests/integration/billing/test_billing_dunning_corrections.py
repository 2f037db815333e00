"""Dunning held for a complaint the desk corrected into being (RequestReclassified), and
released for one it corrected away, through the bus and HTTP (real nats-server, SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from libs.contracts.events import RequestReclassified, WorkOrderClosed, WorkOrderCreated
from tests.integration.billing.test_billing_fees_dunning import P, _charged, _settled, billing  # noqa: F401
from tests.integration.billing.test_billing_ledger import closed, line
from tests.support.harness import eventually

NOW = dt.datetime.now(dt.timezone.utc)
DAY_60 = (NOW + dt.timedelta(days=60)).isoformat()


def corrected(request_id: str, kind: str, previous_kind: str, *, unit: str = "A-203", minutes: int = 0,
              area: str | None = None) -> RequestReclassified:
    return RequestReclassified(
        plaza_id="p1", correlation_id=request_id, actor="cs-li", occurred_at=NOW + dt.timedelta(minutes=minutes),
        request_id=request_id, unit=unit, kind=kind, previous_kind=previous_kind, reason="the caller blames the management",
        area=area,
    )


def job(cls, request_id: str, kind: str, **extra):
    return cls(plaza_id="p1", correlation_id=request_id, work_order_id=f"wo-{request_id}", request_id=request_id,
               unit="A-203", department="engineering", kind=kind, **extra)


async def _corrections_applied(bus):
    return await _settled(bus, "INTAKE", "billing-request-reclassified")


async def _run(billing) -> dict:
    r = await billing.post(f"{P}/dunning-runs", json={"now": DAY_60})
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_request_corrected_into_a_complaint_holds_dunning_until_its_job_closes(billing, bus):
    await bus.publish(closed([line("l1", 8000)]))
    await eventually(lambda: _charged(billing), what="the charge")
    # A public-area complaint names no unit: it is taken, and holds no one's dunning.
    await bus.publish(corrected("rq-lift", "complaint", "service", unit="", area="east lift lobby"))
    await bus.publish(corrected("rq-leak", "complaint", "service"))
    await eventually(lambda: _corrections_applied(bus), what="the corrections applied")

    held = await _run(billing)
    assert (held["reminders"], held["held_units"]) == (0, ["A-203"])
    arrears = (await billing.get(f"{P}/arrears", params={"as_of": DAY_60[:10]})).json()
    assert arrears["units"][0]["dunning_held"] is True

    # The job closes (its events still say "service": the correction alone made it a complaint).
    await bus.publish(job(WorkOrderClosed, "rq-leak", "service", paid=False))
    await eventually(lambda: _settled(bus, "DISPATCH", "billing-work-order-closed"), what="the job closed")
    released = await _run(billing)
    assert (released["reminders"], released["held_units"]) == (1, [])


async def test_a_complaint_corrected_away_releases_dunning_unless_another_complaint_is_open(billing, bus):
    await bus.publish(closed([line("l1", 8000)]))
    await bus.publish(job(WorkOrderCreated, "rq-noise", "complaint", text="the management ignores the noise"))
    await bus.publish(job(WorkOrderCreated, "rq-smell", "complaint", text="the bins smell, nobody cares"))
    await eventually(lambda: _charged(billing), what="the charge")
    await eventually(lambda: _settled(bus, "DISPATCH", "billing-work-order-created"), what="the complaints recorded")
    assert (await _run(billing))["held_units"] == ["A-203"]

    # The desk finds the first was a repair request after all: the second still holds.
    await bus.publish(corrected("rq-noise", "service", "complaint"))
    await eventually(lambda: _corrections_applied(bus), what="the first correction")
    assert (await _run(billing))["held_units"] == ["A-203"]

    # The second too; a late copy of an older correction (into a complaint) changes nothing.
    await bus.publish(corrected("rq-smell", "suggestion", "complaint", minutes=5))
    await bus.publish(corrected("rq-smell", "complaint", "service", minutes=1))
    await eventually(lambda: _corrections_applied(bus), what="the second correction")
    released = await _run(billing)
    assert (released["reminders"], released["held_units"]) == (1, [])
