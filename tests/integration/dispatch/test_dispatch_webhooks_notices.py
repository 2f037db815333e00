"""A department's webhook for its plaza's notices: dispatch against a real nats-server and a
real database, a published notice of the plaza arriving once at the endpoint that asked for
it, signed as work-order deliveries are, and redelivered by hand the same way; another plaza's
notice, and an endpoint that asked only for work orders, get nothing."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations.department.webhook_verify import verify
from libs.contracts import new_event_id
from libs.contracts.notices import NoticePublished
from services.dispatch.app import create_app
from services.dispatch.settings import Settings
from tests.support.archive_facts import register
from tests.support.harness import client_for, eventually, service_settings

SECRET = "whsec_security-notices-secret-0123456789"


class Receiver:
    """A department system's web server: answers 200 to every POST and keeps it, by path."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append({"path": self.path, "body": body, "event": json.loads(body),
                                              "signature": self.headers["PlazaDesk-Signature"],
                                              "event_id": self.headers["PlazaDesk-Event-Id"],
                                              "event_type": self.headers["PlazaDesk-Event-Type"]})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def at(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.received if r["path"] == path]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
async def dispatch(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "intake", "survey", "staff", "notices")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                schemas=cleanup_schemas, webhook_allow_http=True, webhook_round_s=0.05)
    async with client_for(create_app(settings)) as client:
        for plaza in ("p1", "p2"):
            await register(bus, plaza, known_by="dispatch")
        yield client


def published(plaza: str, title: str) -> NoticePublished:
    notice_id = new_event_id()
    return NoticePublished(plaza_id=plaza, correlation_id=notice_id, actor="clerk-wang", notice_id=notice_id,
                           kind="tip", title=title, urgent=True, recipients=42, approver="manager-liu")


async def test_registration_accepts_the_plazas_notices_and_still_refuses_an_unknown_type(dispatch):
    for events in (["NoticeExploded"], ["NoticeRead"], ["NoticePublished", "WorkOrderExploded"]):
        r = await dispatch.post("/v1/plazas/p1/webhooks", json={
            "url": "https://security.example.com/hooks", "department": "security", "events": events})
        assert r.status_code == 422 and r.json()["field"] == "events", r.text
    r = await dispatch.post("/v1/plazas/p1/webhooks", json={
        "url": "https://security.example.com/hooks", "department": "security",
        "events": ["NoticePublished", "WorkOrderCreated"]})
    assert r.status_code == 201, r.text
    assert r.json()["events"] == ["NoticePublished", "WorkOrderCreated"]


async def test_a_published_notice_of_the_plaza_arrives_once_signed_and_another_plazas_never(dispatch, bus, receiver):
    r = await dispatch.post("/v1/plazas/p1/webhooks", json={
        "url": f"{receiver.base}/notices", "department": "security", "events": ["NoticePublished"], "secret": SECRET})
    assert r.status_code == 201, r.text
    endpoint = r.json()
    # The same department's endpoint for its work orders only ("every work-order event").
    r = await dispatch.post("/v1/plazas/p1/webhooks", json={"url": f"{receiver.base}/work-orders", "department": "security"})
    assert r.status_code == 201, r.text
    # Another plaza's security desk, for its own plaza's notices.
    r = await dispatch.post("/v1/plazas/p2/webhooks", json={
        "url": f"{receiver.base}/p2-notices", "department": "security", "events": ["NoticePublished"]})
    assert r.status_code == 201, r.text

    elsewhere = published("p2", "p2 停水通知 water off on Thursday")
    ours = published("p1", "温馨提示：台风来临，请关好门窗 typhoon tonight, close your windows")
    await bus.publish(elsewhere)
    await bus.publish(ours)

    await eventually(lambda: bus.caught_up("NOTICES", "dispatch-webhooks-notices"),
                     what="dispatch to take the published notices")

    async def delivered():
        r = await dispatch.get(f"/v1/plazas/p1/webhooks/{endpoint['id']}/deliveries")
        items = r.json()["items"]
        return items if items and all(d["status"] == "delivered" for d in items) else None

    deliveries = await eventually(delivered, what="the notice delivered")
    assert [(d["event_id"], d["event_type"], d["attempts"]) for d in deliveries] == [(ours.id, "NoticePublished", 1)]

    got = receiver.at("/notices")
    assert len(got) == 1, got  # once, and nothing of the other plaza
    post = got[0]
    assert verify(SECRET, post["signature"], post["body"])
    assert (post["event_id"], post["event_type"]) == (ours.id, "NoticePublished")
    assert {k: post["event"][k] for k in ("type", "plaza_id", "notice_id", "kind", "title", "urgent", "recipients")} == {
        "type": "NoticePublished", "plaza_id": "p1", "notice_id": ours.notice_id, "kind": "tip",
        "title": ours.title, "urgent": True, "recipients": 42}
    assert receiver.at("/work-orders") == []  # it asked for work orders only
    theirs = await eventually(lambda: _async(receiver.at("/p2-notices")), what="p2's notice at p2's endpoint")
    assert [r["event_id"] for r in theirs] == [elsewhere.id]

    # Redelivered by hand like any delivery: the same event again, signed again.
    r = await dispatch.post(f"/v1/plazas/p1/webhooks/deliveries/{deliveries[0]['id']}/redeliver")
    assert r.status_code in (200, 202), r.text

    second = (await eventually(lambda: _async(receiver.at("/notices")[1:]), what="the notice redelivered"))[0]
    assert second["event_id"] == ours.id and second["body"] == post["body"]
    assert verify(SECRET, second["signature"], second["body"])


async def _async(value):
    return value
