"""Every service answers its operator about its own events set aside (refused by the broker
for good): the list with reasons, one event whole, a replay back into the outbox, a discard
with a reason; each replay and discard on the operators' audit trail under the token's
subject. Nobody else may."""

from __future__ import annotations

import sqlalchemy as sa

from libs.contracts import subject_for, utcnow
from libs.contracts.events import PlazaRegistered, encode
from libs.runtime import deadletters
from services.archive.app import create_app
from services.archive.settings import Settings
from tests.support.harness import Bus, bearer, eventually, served_here, service_settings

OPERATOR = bearer("ops-li", roles=["operator"])


async def set_aside(runtime, event: PlazaRegistered, reason: str) -> None:
    async with runtime.db.write() as conn:
        await conn.execute(runtime.metadata.tables["failed_events"].insert().values(
            event_id=event.id, event_type="PlazaRegistered", subject=subject_for(event), payload=encode(event),
            created_at=utcnow(), failed_at=utcnow(), reason=reason))


async def rows(runtime, table: str, event_id: str) -> int:
    t = runtime.metadata.tables[table]
    async with runtime.read() as conn:
        return (await conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.event_id == event_id))).scalar_one()


async def test_the_operator_lists_shows_replays_and_discards_events_set_aside_audited(
    nats_server, db_kind, tmp_path, cleanup_schemas
):
    async with Bus(nats_server.url) as bus:
        await bus.declare_streams()
        app = create_app(service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                          schemas=cleanup_schemas))
        async with served_here(app, "http://archive") as archive:
            runtime = app.dependencies["runtime"].dependency()
            fixed = PlazaRegistered(plaza_id="p1", correlation_id="c1", name="万象城")
            junk = PlazaRegistered(plaza_id="p1", correlation_id="c2", name="测试")
            await set_aside(runtime, fixed, "event is 9000000 bytes; the NATS server takes at most 8388608 (max_payload)")
            await set_aside(runtime, junk, "over the stream's max_msg_size")

            # Nobody but the operator: a supervisor, a global auditor, no token at all.
            for headers in (bearer("zhang", plazas={"p1": ["supervisor"]}), bearer("audit", roles=["auditor"])):
                refused = await archive.get("/v1/ops/set-aside", headers=headers)
                assert refused.status_code == 403 and refused.json()["roles"] == ["operator"]
                assert (await archive.post(f"/v1/ops/set-aside/{fixed.id}/replay", json={"reason": "x"},
                                           headers=headers)).status_code == 403
            assert (await archive.get("/v1/ops/set-aside", headers={"Authorization": ""})).status_code in (400, 401)

            # An operator of another plaza: none of p1's events, not even to read one.
            elsewhere = bearer("ops-wang", plazas={"p2": ["operator"]})
            assert (await archive.get("/v1/ops/set-aside", headers=elsewhere)).json()["items"] == []
            assert (await archive.get(f"/v1/ops/set-aside/{fixed.id}", headers=elsewhere)).status_code == 404
            assert (await archive.post(f"/v1/ops/set-aside/{junk.id}/discard", json={"reason": "x"},
                                       headers=elsewhere)).status_code == 404
            here = bearer("ops-zhao", plazas={"p1": ["operator"]})
            assert len((await archive.get("/v1/ops/set-aside", headers=here)).json()["items"]) == 2

            listed = (await archive.get("/v1/ops/set-aside", headers=OPERATOR)).json()
            assert listed["service"] == "archive"
            by_id = {x["event_id"]: x for x in listed["items"]}
            assert set(by_id) == {fixed.id, junk.id}
            assert "max_payload" in by_id[fixed.id]["reason"] and by_id[fixed.id]["size"] == len(encode(fixed))
            assert by_id[fixed.id]["subject"] == "plazadesk.archive.p1.plaza.registered"
            assert by_id[fixed.id]["plaza_id"] == "p1"
            assert "payload" not in by_id[fixed.id] and "event" not in by_id[fixed.id]

            shown = (await archive.get(f"/v1/ops/set-aside/{fixed.id}", headers=OPERATOR)).json()
            assert shown["event"]["name"] == "万象城" and shown["event"]["id"] == fixed.id
            assert "max_payload" in shown["reason"]

            unknown = await archive.get("/v1/ops/set-aside/no-such-event", headers=OPERATOR)
            assert unknown.status_code == 404 and unknown.json()["field"] == "event_id"
            assert (await archive.post("/v1/ops/set-aside/no-such-event/replay", json={},
                                       headers=OPERATOR)).status_code == 404

            unexplained = await archive.post(f"/v1/ops/set-aside/{junk.id}/discard", json={"reason": "  "},
                                             headers=OPERATOR)
            assert unexplained.status_code == 422 and unexplained.json()["field"] == "reason"
            assert await rows(runtime, "failed_events", junk.id) == 1  # still there

            replayed = await archive.post(f"/v1/ops/set-aside/{fixed.id}/replay",
                                          json={"reason": "max_payload raised to 16 MB"}, headers=OPERATOR)
            assert replayed.status_code == 200, replayed.text
            assert replayed.json()["actor"] == "ops-li"
            assert await rows(runtime, "failed_events", fixed.id) == 0
            assert await rows(runtime, "outbox", fixed.id) == 1
            # The relay publishes it on its subject.
            await eventually(lambda: _published(bus, fixed.id), what="the replayed event on ARCHIVE")

            discarded = await archive.post(f"/v1/ops/set-aside/{junk.id}/discard",
                                           json={"reason": "测试数据，不再需要"}, headers=OPERATOR)
            assert discarded.status_code == 200
            assert await rows(runtime, "failed_events", junk.id) == 0
            assert await rows(runtime, "outbox", junk.id) == 0
            assert (await archive.get("/v1/ops/set-aside", headers=OPERATOR)).json()["items"] == []

        trail = await deadletters.audit_trail(bus.js)
        assert [(e["action"], e["actor"], e["service"], e["event_id"], e["reason"]) for e in trail] == [
            ("set_aside_replayed", "ops-li", "archive", fixed.id, "max_payload raised to 16 MB"),
            ("set_aside_discarded", "ops-li", "archive", junk.id, "测试数据，不再需要"),
        ]
        assert "max_payload" in trail[0]["set_aside_reason"] and trail[0]["event_type"] == "PlazaRegistered"
        assert trail[0]["plaza_id"] == "p1" and trail[0]["subject"] == "plazadesk.archive.p1.plaza.registered"
        assert '"测试"' in trail[1]["event"]  # the whole discarded event is kept in the audit


async def test_nothing_is_replayed_or_discarded_that_cannot_be_audited(
    nats_server, tmp_path, cleanup_schemas, monkeypatch
):
    async with Bus(nats_server.url) as bus:
        await bus.declare_streams()
        app = create_app(service_settings(Settings, nats_url=nats_server.url, db_kind="sqlite", tmp_path=tmp_path))
        async with served_here(app, "http://archive") as archive:
            runtime = app.dependencies["runtime"].dependency()
            event = PlazaRegistered(plaza_id="p1", correlation_id="c1", name="万象城")
            await set_aside(runtime, event, "over the stream's max_msg_size")

            async def bus_away(*args, **kwargs):
                raise ConnectionError("nats: no servers available")

            monkeypatch.setattr(deadletters, "record", bus_away)
            for action, body in (("replay", {"reason": "fixed"}), ("discard", {"reason": "test data"})):
                answer = await archive.post(f"/v1/ops/set-aside/{event.id}/{action}", json=body, headers=OPERATOR)
                assert answer.status_code == 503 and "nothing was changed" in answer.json()["detail"]
            assert await rows(runtime, "failed_events", event.id) == 1
            assert await rows(runtime, "outbox", event.id) == 0


async def _published(bus: Bus, event_id: str) -> bool:
    return any(m.headers and m.headers.get("Nats-Msg-Id") == event_id
               for m in await bus.messages("ARCHIVE", "plazadesk.archive.p1.plaza.registered"))
