"""The real runtime under its NATS user: dispatch declares its stream, consumes archive's,
staff's and intake's events, relays its work orders and dead-letters what it cannot read; the
department kit, as engineering's user, receives them. Each producer publishes as its own
user."""

from __future__ import annotations

import pytest

from integrations.department.kit import Settings as KitSettings
from integrations.department.kit import create_broker
from libs.contracts import STREAMS, new_event_id, subject_for
from libs.contracts.events import RequestReceived, encode
from libs.runtime.bus.connection import Broker
from libs.runtime.bus.streams import declare_own_stream
from services.dispatch.app import create_app
from services.dispatch.settings import Settings
from tests.support.archive_facts import plaza_registered, unit_registered
from tests.support.harness import Bus, client_for, eventually, service_settings
from tests.support.staff_facts import staff_joined


class Producer:
    """Another service, as its own user: its stream declared, its events published."""

    def __init__(self, guarded, service: str) -> None:
        self.service = service
        self.broker = Broker(guarded.url, user=service, password=guarded.passwords[service])

    async def __aenter__(self) -> "Producer":
        await self.broker.connect()
        await declare_own_stream(self.broker, self.service)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.broker.close()

    async def publish(self, event) -> None:
        await self.broker.js.publish(subject_for(event), encode(event), headers={"Nats-Msg-Id": event.id})

    async def publish_raw(self, subject: str, data: bytes) -> None:
        await self.broker.js.publish(subject, data, headers={"Nats-Msg-Id": new_event_id()})


def request(plaza: str, text: str) -> RequestReceived:
    request_id = new_event_id()
    return RequestReceived(plaza_id=plaza, correlation_id=request_id, actor="clerk-li", request_id=request_id,
                           unit="A-203", channel="phone", kind="service", text=text)


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_dispatch_and_the_department_kit_work_under_their_own_users(guarded, db_kind, tmp_path):
    async with Producer(guarded, "archive") as archive, Producer(guarded, "intake") as intake, \
            Producer(guarded, "survey"), Producer(guarded, "staff") as staff, Producer(guarded, "notices"), Bus(guarded.url.replace("nats://", f"nats://operator:{guarded.passwords['operator']}@")) as operator:
        for plaza in ("p1", "p2"):
            await archive.publish(plaza_registered(plaza))
            await archive.publish(unit_registered(plaza, "A-203"))
        await staff.publish(staff_joined("p1", "eng-zhao", "engineering"))
        settings = service_settings(Settings, nats_url=guarded.url, db_kind=db_kind, tmp_path=tmp_path,
                                    nats_user="dispatch", nats_password=guarded.passwords["dispatch"])
        received: list = []
        kit = create_broker(KitSettings(nats_url=guarded.url, nats_user="dept-engineering", department="engineering",
                                        nats_password=guarded.passwords["dept-engineering"], plaza="*"),
                            received.append)
        async with client_for(create_app(settings)) as client:
            await eventually(lambda: operator.caught_up("ARCHIVE", "dispatch-archive"), what="dispatch to take archive's facts")
            await eventually(lambda: operator.caught_up("STAFF", "dispatch-staff"), what="dispatch to take staff's people")
            asks = [request("p1", "卫生间水管爆裂 pipe burst"), request("p2", "the drain is blocked, water leaking")]
            for ask in asks:
                await intake.publish(ask)
            # Something dispatch cannot read: dead-lettered under its own name.
            await intake.publish_raw(STREAMS["intake"].subject("p1", "request", "received"), b"not an event")

            async def work_orders():
                found = []
                for ask in asks:
                    r = await client.get(f"/v1/plazas/{ask.plaza_id}/work-orders", params={"request_id": ask.request_id})
                    found += r.json()["items"]
                return found if len(found) == len(asks) else None

            orders = await eventually(work_orders, what="a work order per request")
            assert {o["department"] for o in orders} == {"engineering"}
            p1 = next(o for o in orders if o["plaza_id"] == "p1")
            r = await client.post(f"/v1/plazas/p1/work-orders/{p1['id']}/assign", json={"assignee": "eng-zhao"})
            assert r.status_code == 200, r.text
            dead = await eventually(lambda: operator.messages("DEADLETTER"), what="the unreadable event dead-lettered")
            assert dead[0].subject == "plazadesk.deadletter.dispatch.dispatch-request-received"

            await kit.start()
            try:
                async def both() -> bool:
                    return len(received) >= 2

                await eventually(both, what="engineering's two work orders")
            finally:
                await kit.stop()
            assert {(e.plaza_id, e.work_order_id) for e in received} == {(o["plaza_id"], o["id"]) for o in orders}
    assert guarded.violations() == []  # nothing any of them did was refused
