"""A request that orders a catalogue service (多种经营有偿服务): dispatch carries the item to
the job, and the job's close carries it as one charge line, made once in the job's life
(its line id stable), for billing to price from its price list."""

from __future__ import annotations

import msgspec

from libs.contracts.events import CatalogueOrder, WorkOrderClosed, WorkOrderCreated
from tests.integration.dispatch.test_dispatch_work_orders import (  # noqa: F401
    act, dispatch, events_of, request, visit, work_order_of,
)
from tests.support.harness import eventually
from tests.support.staff_facts import assign


async def test_the_ordered_item_rides_on_the_job_and_its_close_once(dispatch, bus):
    ordered = msgspec.structs.replace(request("空调清洗两台 clean the air conditioners"),
                                      catalogue_item=CatalogueOrder(code="AC-CLEAN", quantity=2))
    await bus.publish(ordered)
    wo = await work_order_of(dispatch, ordered)
    [created] = await events_of(bus, wo["id"], 1)
    assert isinstance(created, WorkOrderCreated) and created.catalogue_item == CatalogueOrder(code="AC-CLEAN", quantity=2)

    await assign(dispatch, bus, wo, "eng-wang")
    await act(dispatch, wo, "start")
    await act(dispatch, wo, "resolve", {"paid": False, "quoted_fen": 5})  # billing prices a listed item itself
    await act(dispatch, wo, "close")
    closes = [e for e in await events_of(bus, wo["id"], 5) if isinstance(e, WorkOrderClosed)]
    [close] = closes
    assert close.paid is True  # an ordered service is paid whatever the worker ticked
    [line] = close.charge_lines
    assert (line.catalogue_item, line.quantity, line.line_id) == ("AC-CLEAN", 2, f"{wo['id']}:1")

    # Second dispatch: resolved and closed again, the same line once, no second one.
    await bus.publish(visit({**wo, "plaza_id": "p1"}))

    async def reopened():
        shown = (await dispatch.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()
        return shown if shown["reopen_count"] == 1 else None

    await eventually(reopened, what="the job reopened")
    await act(dispatch, wo, "start")
    await act(dispatch, wo, "resolve", {"paid": True, "labour_fen": 1000})
    await act(dispatch, wo, "close")

    async def closed_twice():
        found = [e for e in await events_of(bus, wo["id"], 1) if isinstance(e, WorkOrderClosed)]
        return found if len(found) == 2 else None

    second = (await eventually(closed_twice, what="the second close"))[-1]
    assert [(c.line_id, c.catalogue_item) for c in second.charge_lines] == [
        (f"{wo['id']}:1", "AC-CLEAN"), (f"{wo['id']}:2", None)]


async def test_a_quote_on_a_job_that_ordered_nothing_is_refused(dispatch, bus):
    plain = request("drain blocked")
    await bus.publish(plain)
    wo = await work_order_of(dispatch, plain)
    await assign(dispatch, bus, wo, "eng-wang")
    await act(dispatch, wo, "start")
    r = await dispatch.post(f"/v1/plazas/p1/work-orders/{wo['id']}/resolve", json={"paid": True, "quoted_fen": 100})
    assert r.status_code == 422 and r.json()["field"] == "quoted_fen"
