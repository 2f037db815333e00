"""One trace per case, read from an in-memory span exporter: intake, dispatch, billing and
survey run in this process on one nats-server, their spans going to one OpenTelemetry
provider (libs.runtime.tracing.use). A phone request to intake opens the trace; dispatch's
work order, billing's charge and survey's return visit are in it, under the same trace id,
which is the request's id (a UUIDv7). The clerk's close is a request of its own, in another
trace, linked from the charge and the visit. (The same facts as tests/e2e/test_e2e_traces.py,
without the processes and the OTLP collector.)"""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from libs.runtime import tracing
from services.billing.app import create_app as billing_app
from services.billing.settings import Settings as BillingSettings
from services.dispatch.app import create_app as dispatch_app
from services.dispatch.settings import Settings as DispatchSettings
from services.intake.app import create_app as intake_app
from services.intake.settings import Settings as IntakeSettings
from services.survey.app import create_app as survey_app
from services.survey.settings import Settings as SurveySettings
from tests.support.archive_facts import register
from tests.support.harness import archive_taken, eventually, served_here, service_settings
from tests.support.staff_facts import register_staff

PLAZA = "trace-plaza"
UNIT = "T-8"
SERVICES = {"intake": (IntakeSettings, intake_app), "dispatch": (DispatchSettings, dispatch_app),
            "billing": (BillingSettings, billing_app), "survey": (SurveySettings, survey_app)}
OPEN = "POST /v1/plazas/{plaza}/requests"
CLOSE = "POST /v1/plazas/{plaza}/work-orders/{work_order_id}/close"


@pytest.fixture
def exporter(monkeypatch):
    """Every span of the services in this process, kept in memory; traces are off again
    after the test (the state ``use`` changes is put back as it was)."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(id_generator=tracing.id_generator())  # UUIDv7 trace ids, as ``setup`` makes them
    provider.add_span_processor(SimpleSpanProcessor(memory))
    monkeypatch.setattr(tracing, "enabled", tracing.enabled)
    monkeypatch.setattr(tracing, "_tracer", tracing._tracer)
    tracing.use(provider)
    yield memory
    provider.shutdown()


@asynccontextmanager
async def four_services(bus, nats_url: str, tmp_path):
    """The four services on this test's event loop (SQLite: the trace is the database's
    business in no way), knowing the plaza, its unit and an engineer. Entered inside the
    test: each app's lifespan must end in the task that began it (``served_here``)."""
    await bus.declare_streams()
    async with AsyncExitStack() as stack:
        clients = {}
        for name, (settings_cls, create_app) in SERVICES.items():
            settings = service_settings(settings_cls, nats_url=nats_url, db_kind="sqlite", tmp_path=tmp_path)
            clients[name] = await stack.enter_async_context(served_here(create_app(settings), f"http://{name}"))
        await register(bus, PLAZA, UNIT)
        for name in SERVICES:
            await archive_taken(bus, name)
        await register_staff(bus, PLAZA, "eng-he", "engineering")
        yield clients


def spans(exporter, name: str, consumer: str | None = None, trace_id: int | None = None) -> list:
    return [s for s in exporter.get_finished_spans()
            if s.name == name and (consumer is None or s.attributes.get("messaging.consumer.group.name") == consumer)
            and (trace_id is None or s.context.trace_id == trace_id)]


async def test_one_trace_id_from_intakes_request_to_billings_charge_and_surveys_visit(exporter, bus, nats_server, tmp_path):
    async with four_services(bus, nats_server.url, tmp_path) as services:
        await the_case_is_one_trace(services, exporter)


async def the_case_is_one_trace(services, exporter) -> None:
    intake, dispatch, billing, survey = (services[n] for n in ("intake", "dispatch", "billing", "survey"))
    r = await intake.post(f"/v1/plazas/{PLAZA}/requests", json={
        "channel": "phone", "unit": UNIT, "text": "the socket behind the counter sparks", "kind": "service",
        "department": "engineering"})
    assert r.status_code == 202, r.text
    request_id = r.json()["id"]
    assert uuid.UUID(request_id).version == 7
    trace_id = uuid.UUID(request_id).int  # the case's trace id is its request id

    async def work_order():
        items = (await dispatch.get(f"/v1/plazas/{PLAZA}/work-orders", params={"request_id": request_id})).json()["items"]
        return items[0] if items else None

    wo = await eventually(work_order, what="the work order")
    for action, body in (("assign", {"assignee": "eng-he"}), ("start", {}),
                         ("resolve", {"paid": True, "labour_fen": 3000,
                                      "materials": [{"name": "socket", "quantity": 1, "unit_price_fen": 1500}]}),
                         ("close", {})):
        r = await dispatch.post(f"/v1/plazas/{PLAZA}/work-orders/{wo['id']}/{action}", json=body)
        assert r.status_code == 200, f"{action}: {r.text}"

    async def charged():
        r = await billing.get(f"/v1/plazas/{PLAZA}/accounts/{UNIT}")
        return r.status_code == 200 and r.json()["owed_fen"] == 4500

    async def visited():
        return (await survey.get(f"/v1/plazas/{PLAZA}/visits", params={"work_order_id": wo["id"]})).json()["items"]

    await eventually(charged, what="billing's charge of 45.00 CNY")
    await eventually(visited, what="survey's return visit")

    async def found(name: str, consumer: str | None = None) -> list:
        async def probe():  # a consumer's span ends just after its transaction: soon after what it did shows
            return spans(exporter, name, consumer, trace_id)

        return await eventually(probe, what=f"the span {name!r} {consumer or ''} in the case's trace")

    # Intake's HTTP request is the trace's root.
    [root] = await found(OPEN)
    assert root.kind == SpanKind.SERVER and root.parent is None
    assert root.attributes["http.response.status_code"] == 202
    assert root.attributes["plazadesk.case_id"] == request_id
    # Dispatch applied the request as a child of it (the traceparent on the NATS message),
    # and billing applied the work order dispatch published meanwhile as a child of that.
    [opened] = await found("apply RequestReceived", "dispatch-request-received")
    assert opened.kind == SpanKind.CONSUMER and opened.parent.span_id == root.context.span_id
    [created] = await found("apply WorkOrderCreated", "billing-work-order-created")
    assert created.parent.span_id == opened.context.span_id
    # The charge and the visit are in the same trace, under its root, though the close was a
    # later request of the clerk's own, in a trace of its own: each is linked to it.
    [charge] = await found("apply WorkOrderClosed", "billing-work-order-closed")
    [visit] = await found("apply WorkOrderClosed", "survey-work-order-closed")
    [close] = spans(exporter, CLOSE)
    assert close.context.trace_id != trace_id
    for span in (charge, visit):
        assert span.parent.span_id == root.context.span_id
        assert span.attributes["plazadesk.outcome"] == "applied" and span.attributes["plazadesk.plaza"] == PLAZA
        assert [link.context.trace_id for link in span.links] == [close.context.trace_id]
    # An unrelated request (reading the work orders) is a trace of its own.
    reads = spans(exporter, "GET /v1/plazas/{plaza}/work-orders")
    assert reads and all(s.context.trace_id != trace_id and s.parent is None for s in reads)
