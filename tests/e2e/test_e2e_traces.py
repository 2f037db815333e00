"""One trace per case: from intake's HTTP request through NATS to billing's charge and
survey's visit, exported by OTLP to a collector (here the test's own, keeping the spans in
memory), with the clerk's later close linked to it."""

from __future__ import annotations

import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from scripts.system import System
from tests.support.harness import default_headers, jwks_file, wait_for

pytestmark = pytest.mark.e2e
PLAZA = "trace-plaza"
UNIT = "T-8"


class Collector:
    """An OTLP/HTTP trace receiver: every span sent, with its service, kept in memory."""

    def __init__(self) -> None:
        self.spans: list[dict] = []
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                found = []
                for rs in request.resource_spans:
                    service = next(a.value.string_value for a in rs.resource.attributes if a.key == "service.name")
                    for ss in rs.scope_spans:
                        for s in ss.spans:
                            found.append({
                                "service": service, "name": s.name, "trace_id": s.trace_id.hex(),
                                "span_id": s.span_id.hex(), "parent": s.parent_span_id.hex(),
                                "links": [link.trace_id.hex() for link in s.links],
                                "attributes": {a.key: a.value.string_value or a.value.int_value for a in s.attributes},
                            })
                with collector.lock:
                    collector.spans.extend(found)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def find(self, **match) -> list[dict]:
        with self.lock:
            return [s for s in self.spans if all(s.get(k) == v for k, v in match.items())]


@pytest.fixture(scope="module")
def collector():
    c = Collector()
    yield c
    c.server.shutdown()


@pytest.fixture(scope="module")
def api(collector, tmp_path_factory):
    env = {"PLAZADESK_AUTH_JWKS_FILE": jwks_file(), "PLAZADESK_OTLP_ENDPOINT": collector.url}
    with System(tmp_path_factory.mktemp("system"), default_ports=False, env=env) as system:
        clients = {n: httpx.Client(base_url=system.url(n), timeout=10, headers=default_headers()) for n in system.ports}
        assert clients["archive"].put(f"/v1/plazas/{PLAZA}", json={"name": "Trace", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
        assert clients["archive"].put(f"/v1/plazas/{PLAZA}/units/{UNIT}", json={
            "area_m2": 40, "use": "shop", "occupant": {"name": "Tang", "kind": "merchant", "phone": "13500135000"},
            "key_account": False}).status_code in (200, 201)
        wait_for(lambda: clients["intake"].post(f"/v1/plazas/{PLAZA}/requests",
                                                json={"channel": "phone", "unit": UNIT, "text": " "}).json().get("field") == "text",
                 "intake to learn the unit")
        for name, path in (("dispatch", "work-orders"), ("billing", "accounts"), ("survey", "visits")):
            wait_for(lambda: clients[name].get(f"/v1/plazas/{PLAZA}/{path}").status_code == 200, f"{name} to learn the plaza")
        token = clients["staff"].post("/v1/token", json={"username": "operator", "password": system.operator_password()}).json()
        wait_for(lambda: clients["staff"].put(f"/v1/plazas/{PLAZA}/staff/eng-he", json={
            "name": "何工 He", "roles": ["staff"], "department": "engineering"},
            headers={"Authorization": f"Bearer {token['access_token']}"}).status_code in (200, 201), "staff to take on eng-he")
        yield clients
        for c in clients.values():
            c.close()


def test_one_trace_from_the_request_to_the_charge_and_the_visit(api, collector):
    r = api["intake"].post(f"/v1/plazas/{PLAZA}/requests", json={
        "channel": "phone", "unit": UNIT, "text": "the socket behind the counter sparks", "kind": "service",
        "department": "engineering"})
    assert r.status_code == 202, r.text
    request_id = r.json()["id"]
    trace_id = uuid.UUID(request_id).hex  # the case's trace id is its request id

    wo = wait_for(lambda: (api["dispatch"].get(f"/v1/plazas/{PLAZA}/work-orders", params={"request_id": request_id})
                           .json()["items"] or [None])[0], "the work order")
    for action, body in (("assign", {"assignee": "eng-he"}), ("start", {}),
                         ("resolve", {"paid": True, "labour_fen": 3000, "materials": []}), ("close", {})):
        wait_for(lambda: api["dispatch"].post(f"/v1/plazas/{PLAZA}/work-orders/{wo['id']}/{action}", json=body)
                 .status_code in (200, 201), action)
    wait_for(lambda: api["survey"].get(f"/v1/plazas/{PLAZA}/visits", params={"work_order_id": wo["id"]}).json()["items"],
             "the return visit")

    # Intake's HTTP request is the trace's root.
    root = wait_for(lambda: collector.find(service="plazadesk-intake", trace_id=trace_id,
                                           name="POST /v1/plazas/{plaza}/requests"), "intake's request span")[0]
    assert root["parent"] == ""
    # Dispatch applied the request as a child of it (the traceparent on the NATS message).
    opened = wait_for(lambda: collector.find(service="plazadesk-dispatch", trace_id=trace_id, name="apply RequestReceived"),
                      "dispatch's span")
    assert opened[0]["parent"] == root["span_id"]
    # The charge and the visit are in the same trace, though the close was a later request of
    # the clerk's own: each is linked to that request's trace.
    charge = wait_for(lambda: collector.find(service="plazadesk-billing", trace_id=trace_id, name="apply WorkOrderClosed"),
                      "billing's charge span")
    visit = wait_for(lambda: collector.find(service="plazadesk-survey", trace_id=trace_id, name="apply WorkOrderClosed"),
                     "survey's visit span")
    close = collector.find(service="plazadesk-dispatch", name="POST /v1/plazas/{plaza}/work-orders/{work_order_id}/close")
    assert close and close[0]["trace_id"] != trace_id
    assert close[0]["trace_id"] in charge[0]["links"] and close[0]["trace_id"] in visit[0]["links"]
    assert charge[0]["parent"] == root["span_id"] and charge[0]["attributes"]["plazadesk.outcome"] == "applied"
    # Archive's timeline entries of the case too.
    wait_for(lambda: collector.find(service="plazadesk-archive", trace_id=trace_id), "archive's spans")
