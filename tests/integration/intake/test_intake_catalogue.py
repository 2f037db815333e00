"""A request may order a service from the plaza's catalogue: the item rides on the event
for dispatch to carry to the job (billing prices it)."""

from __future__ import annotations

from intake_fixtures import intake, wait_for_events  # noqa: F401  (intake: the fixture)
from libs.contracts.events import CatalogueOrder


async def test_a_request_orders_a_catalogue_item(intake, bus):
    r = await intake.post("/v1/plazas/p1/requests", headers={"Idempotency-Key": "cat-1"}, json={
        "channel": "phone", "unit": "A-203", "text": "请安排清洗两台空调", "kind": "service",
        "catalogue_item": {"code": "AC-CLEAN", "quantity": 2}})
    assert r.status_code == 202, r.text
    [event] = await wait_for_events(bus, "RequestReceived", 1, request_id=r.json()["id"])
    assert event.catalogue_item == CatalogueOrder(code="AC-CLEAN", quantity=2)

    bad = await intake.post("/v1/plazas/p1/requests", json={
        "channel": "phone", "unit": "A-203", "text": "x", "catalogue_item": {"code": "AC-CLEAN", "quantity": 0}})
    assert bad.status_code == 400 and bad.json()["field"] == "catalogue_item.quantity", bad.text
