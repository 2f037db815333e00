"""A department system that cannot hold a NATS connection gets its work orders by webhook:
each of its events once, signed; after answering 500 twice it still gets it; a body changed
on the way fails the check a receiver makes (integrations/department/webhook_verify.py)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from integrations.department.webhook_verify import verify
from scripts.system import System
from tests.support.harness import default_headers, jwks_file, wait_for

pytestmark = pytest.mark.e2e
PLAZA = "hooks-plaza"
UNIT = "H-101"
SECRET = "whsec_engineering-test-secret-0123456789"


class Receiver:
    """An engineering system's endpoint: it answers 500 to the first two deliveries of the
    first work order's creation, 200 to everything else, and keeps what it received."""

    def __init__(self) -> None:
        self.received: list[dict] = []  # every POST: event id, status answered, headers, body
        self.fail_first = 2
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = json.loads(body)
                with receiver.lock:
                    status = 200
                    if event["type"] == "WorkOrderCreated" and receiver.fail_first:
                        receiver.fail_first -= 1
                        status = 500
                    receiver.received.append({"event_id": event["id"], "type": event["type"], "status": status,
                                              "signature": self.headers["PlazaDesk-Signature"], "body": body,
                                              "department": event["department"]})
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"busy")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/plazadesk"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def accepted(self) -> list[dict]:
        with self.lock:
            return [r for r in self.received if r["status"] == 200]


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    env = {"PLAZADESK_AUTH_JWKS_FILE": jwks_file(), "DISPATCH_WEBHOOK_ALLOW_HTTP": "true",
           "DISPATCH_WEBHOOK_ROUND_S": "0.2", "DISPATCH_WEBHOOK_BACKOFF_S": "0.3,0.6"}
    with System(tmp_path_factory.mktemp("system"), default_ports=False, env=env) as s:
        yield s


@pytest.fixture(scope="module")
def api(system):
    clients = {name: httpx.Client(base_url=system.url(name), timeout=10, headers=default_headers()) for name in system.ports}
    assert clients["archive"].put(f"/v1/plazas/{PLAZA}", json={"name": "Hooks Plaza", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
    r = clients["archive"].put(f"/v1/plazas/{PLAZA}/units/{UNIT}", json={
        "area_m2": 50, "use": "shop", "occupant": {"name": "Zhou", "kind": "merchant", "phone": "13700137000"},
        "key_account": False})
    assert r.status_code in (200, 201), r.text
    wait_for(lambda: clients["intake"].post(f"/v1/plazas/{PLAZA}/requests",
                                            json={"channel": "phone", "unit": UNIT, "text": " "}).json().get("field") == "text",
             "intake to learn the unit")
    wait_for(lambda: clients["dispatch"].get(f"/v1/plazas/{PLAZA}/webhooks").status_code == 200, "dispatch to learn the plaza")
    token = clients["staff"].post("/v1/token", json={"username": "operator", "password": system.operator_password()}).json()
    operator = {"Authorization": f"Bearer {token['access_token']}"}
    wait_for(lambda: clients["staff"].put(f"/v1/plazas/{PLAZA}/staff/eng-sun", json={
        "name": "孙工 Sun", "roles": ["staff"], "department": "engineering"}, headers=operator).status_code in (200, 201),
        "staff to take on eng-sun")
    yield clients
    for c in clients.values():
        c.close()


def request(api, text: str, department: str) -> dict:
    r = api["intake"].post(f"/v1/plazas/{PLAZA}/requests",
                           json={"channel": "phone", "unit": UNIT, "text": text, "kind": "service", "department": department})
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    return wait_for(lambda: (api["dispatch"].get(f"/v1/plazas/{PLAZA}/work-orders", params={"request_id": rid}).json()["items"] or [None])[0],
                    f"the {department} work order")


def act(api, wo_id: str, action: str, body: dict | None = None) -> None:
    def done() -> bool:  # the assignee must have reached dispatch's copy of staff first
        r = api["dispatch"].post(f"/v1/plazas/{PLAZA}/work-orders/{wo_id}/{action}", json=body or {})
        assert r.status_code in (200, 201, 404, 409, 422), r.text
        return r.status_code in (200, 201)
    wait_for(done, f"{action} of {wo_id}")


def test_registration_refuses_what_would_not_deliver(api):
    bad = api["dispatch"].post(f"/v1/plazas/{PLAZA}/webhooks", json={"url": "ftp://eng.example.com/x", "department": "engineering"})
    assert bad.status_code == 422 and bad.json()["field"] == "url", bad.text
    bad = api["dispatch"].post(f"/v1/plazas/{PLAZA}/webhooks", json={
        "url": "https://eng.example.com/x", "department": "engineering", "events": ["WorkOrderExploded"]})
    assert bad.status_code == 422 and bad.json()["field"] == "events", bad.text


def test_each_engineering_event_arrives_once_signed_even_after_two_failures(api, receiver):
    r = api["dispatch"].post(f"/v1/plazas/{PLAZA}/webhooks", json={
        "url": receiver.url, "department": "engineering", "secret": SECRET})
    assert r.status_code == 201, r.text
    endpoint = r.json()
    assert endpoint["secret"] == SECRET
    assert "secret" not in api["dispatch"].get(f"/v1/plazas/{PLAZA}/webhooks").json()["items"][0] or \
        api["dispatch"].get(f"/v1/plazas/{PLAZA}/webhooks").json()["items"][0]["secret"] is None

    wo = request(api, "the water pipe under the sink leaks", "engineering")
    request(api, "the corridor outside the shop needs mopping", "cleaning")  # not engineering's: never sent
    act(api, wo["id"], "assign", {"assignee": "eng-sun"})
    act(api, wo["id"], "start")
    act(api, wo["id"], "resolve", {"paid": False, "labour_fen": 0, "materials": []})
    act(api, wo["id"], "close")

    expected = ["WorkOrderCreated", "WorkOrderAssigned", "WorkOrderStarted", "WorkOrderResolved", "WorkOrderClosed"]
    wait_for(lambda: sorted(r["type"] for r in receiver.accepted()) == sorted(expected), "every engineering event accepted")
    accepted = receiver.accepted()
    assert len({r["event_id"] for r in accepted}) == len(accepted) == 5  # each once
    assert all(r["department"] == "engineering" for r in receiver.received)
    assert all(verify(SECRET, r["signature"], r["body"]) for r in accepted)
    # The creation was refused twice and delivered on the third attempt.
    created = [r for r in receiver.received if r["type"] == "WorkOrderCreated"]
    assert [r["status"] for r in created] == [500, 500, 200]
    assert len({r["event_id"] for r in created}) == 1

    # The deliveries the desk sees: every attempt and its answer.
    deliveries = api["dispatch"].get(f"/v1/plazas/{PLAZA}/webhooks/{endpoint['id']}/deliveries").json()["items"]
    assert len(deliveries) == 5 and all(d["status"] == "delivered" for d in deliveries)
    first = next(d for d in deliveries if d["event_type"] == "WorkOrderCreated")
    assert [a["status_code"] for a in first["attempts_made"]] == [500, 500, 200]

    # A changed body, or another secret, fails the receiver's check.
    sample = accepted[0]
    tampered = sample["body"].replace(b"engineering", b"engineerinG")
    assert not verify(SECRET, sample["signature"], tampered)
    assert not verify("whsec_someone-else", sample["signature"], sample["body"])

    # A manual redelivery sends it once more, and is kept with who asked.
    again = api["dispatch"].post(f"/v1/plazas/{PLAZA}/webhooks/deliveries/{first['id']}/redeliver")
    assert again.status_code == 202, again.text
    wait_for(lambda: sum(1 for r in receiver.accepted() if r["event_id"] == first["event_id"]) == 2, "the redelivery")
    shown = api["dispatch"].get(f"/v1/plazas/{PLAZA}/webhooks/{endpoint['id']}/deliveries").json()["items"]
    assert next(d for d in shown if d["id"] == first["id"])["redelivered_by"]
