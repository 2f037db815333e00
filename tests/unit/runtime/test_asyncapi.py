"""The AsyncAPI documents: generated from what each service really subscribes to and
publishes, committed under docs/asyncapi exactly as generated, served at /asyncapi."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from libs.contracts import STREAMS, subject_for
from libs.contracts.events import WorkOrderClosed, WorkOrderCreated
from libs.runtime import asyncapi
from libs.runtime.bus import Consumers

DOCS = Path(__file__).resolve().parents[3] / "docs" / "asyncapi"
REGENERATE = "regenerate with: python -m libs.runtime.asyncapi --write docs/asyncapi"


@pytest.fixture(scope="module")
def generated() -> dict[str, bytes]:
    return asyncapi.files()


def test_the_committed_documents_are_what_the_code_generates(generated):
    committed = {p.name: p.read_bytes() for p in DOCS.iterdir()}
    assert sorted(committed) == sorted(generated), REGENERATE
    for name, content in generated.items():
        assert committed[name] == content, f"docs/asyncapi/{name} is out of date; {REGENERATE}"


def test_every_event_type_is_in_the_document_of_its_producer(generated):
    for service in STREAMS:
        document = json.loads(generated[f"{service}.json"])
        for cls in asyncapi.contract(service).EVENTS:
            channel = document["channels"][cls.__name__]
            assert channel["address"] == asyncapi.subject_of(cls)
            assert document["components"]["schemas"][cls.__name__]["title"] == cls.__name__
            assert document["operations"][cls.__name__]["action"] == "send"


def test_every_subscription_of_a_service_is_in_its_document(generated):
    for service in STREAMS:
        document = json.loads(generated[f"{service}.json"])
        for sub in asyncapi.subscriptions(service):
            durable = f"{service}-{sub.name}"
            assert document["channels"][durable]["address"] == STREAMS[sub.producer].subject(sub.subject_pattern)
            assert document["operations"][durable]["action"] == "receive"
            assert asyncapi.events_of(sub), f"{durable} takes no event of {sub.producer}"


def test_a_subscription_lists_exactly_the_events_its_subject_takes():
    subs = {s.name: s for s in asyncapi.subscriptions("billing")}
    assert asyncapi.events_of(subs["work-order-closed"]) == (WorkOrderClosed,)
    assert [c.__name__ for c in asyncapi.events_of(subs["renovation"])] == ["RenovationApproved", "RenovationClosed"]
    assert len(asyncapi.events_of(subs["archive"])) == len(asyncapi.contract("archive").EVENTS)


def test_the_recorder_takes_the_calls_consumers_take():
    for method in ("subscribe", "subscribe_batch"):
        ours = inspect.signature(getattr(asyncapi.Recorder, method)).parameters
        theirs = inspect.signature(getattr(Consumers, method)).parameters
        assert list(ours) == list(theirs)
        assert [p.kind for p in ours.values()] == [p.kind for p in theirs.values()]


def test_the_subject_of_an_event_type_is_the_subject_of_its_events():
    event = WorkOrderCreated(
        plaza_id="p1", correlation_id="c", work_order_id="w", request_id="r", unit="A-203",
        department="engineering", kind="service", text="drain",
    )
    assert asyncapi.subject_of(WorkOrderCreated) == "plazadesk.dispatch.*.*.work_order.created"
    assert asyncapi.may_match(asyncapi.subject_of(WorkOrderCreated), subject_for(event))


@pytest.mark.parametrize(
    ("pattern", "subject", "takes"),
    [
        ("plazadesk.dispatch.*.>", "plazadesk.dispatch.*.*.work_order.closed", True),
        ("plazadesk.dispatch.*.*.work_order.closed", "plazadesk.dispatch.*.*.work_order.created", False),
        ("plazadesk.dispatch.p1.engineering.work_order.>", "plazadesk.dispatch.*.*.work_order.closed", True),
        ("plazadesk.dispatch.p1.engineering.work_order.>", "plazadesk.dispatch.*.stock.low", False),
        ("plazadesk.intake.*.renovation.>", "plazadesk.intake.*.renovation", False),
    ],
)
def test_may_match(pattern, subject, takes):
    assert asyncapi.may_match(pattern, subject) is takes


def test_get_asyncapi_serves_the_document_as_json(generated):
    with TestClient(Litestar([asyncapi.route("dispatch")])) as client:
        r = client.get("/asyncapi")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.content == generated["dispatch.json"]
    assert r.json()["asyncapi"].startswith("3.")


def test_every_service_app_serves_asyncapi(tmp_path):
    for service in STREAMS:
        module = importlib.import_module(f"services.{service}.app")
        settings = importlib.import_module(f"services.{service}.settings").Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/{service}.db", data_dir=str(tmp_path))
        app = module.create_app(settings)
        assert "/asyncapi" in {route.path for route in app.routes}, service
