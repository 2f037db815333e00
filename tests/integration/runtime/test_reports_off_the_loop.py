"""A manager's report never stalls the desk: every chart and workbook a service answers with
is drawn while its event loop goes on serving.

Each renderer is wrapped so that, once called, it waits until the service's event loop has
ticked three times: a renderer on the loop would wait for ticks that cannot come (and the
wait gives up, failing the test); one in a worker thread sees them at once."""

from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager

import pytest

from libs.contracts.events import PlazaRegistered
from tests.support.harness import eventually, served_here, service_settings
from libs.runtime import export as runtime_export
from services.billing.app import create_app as billing_app
from services.billing.settings import Settings as BillingSettings
from services.dispatch.reports import export as dispatch_reports
from services.dispatch.app import create_app as dispatch_app
from services.dispatch.settings import Settings as DispatchSettings
from services.survey.campaigns import export as survey_export
from services.survey.app import create_app as survey_app
from services.survey.settings import Settings as SurveySettings

MONTH = "2026-03"


class Heartbeat:
    """Counts the event loop's turns; a renderer wrapped by ``hold`` records its thread and
    waits for three turns after it began."""

    def __init__(self) -> None:
        self.ticks = 0
        self.turned = threading.Condition()
        self.rendered_on: list[int] = []
        self.loop_ran: list[bool] = []

    async def run(self) -> None:
        while True:
            with self.turned:
                self.ticks += 1
                self.turned.notify_all()
            await asyncio.sleep(0.001)

    def hold(self, render):
        def held(*args):
            self.rendered_on.append(threading.get_ident())
            with self.turned:
                began = self.ticks
                # Bounded, so a render on the loop fails the test instead of hanging it.
                self.loop_ran.append(self.turned.wait_for(lambda: self.ticks >= began + 3, timeout=30))
            return render(*args)

        return held


@asynccontextmanager
async def beating():
    heart = Heartbeat()
    task = asyncio.create_task(heart.run())
    try:
        yield heart
    finally:
        task.cancel()


@pytest.fixture
async def streams(bus):
    await bus.declare_streams("archive", "intake", "dispatch", "survey", "staff", "notices")
    await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="seed", name="Plaza One"))


def settings_for(cls, nats_server, db_kind, tmp_path, cleanup_schemas):
    return service_settings(cls, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)


async def answered(client, path: str, params: dict):
    """The report answers (once the service knows plaza p1 from archive)."""
    async def probe():
        r = await client.get(path, params=params)
        return r if r.status_code == 200 else None

    return await eventually(probe, timeout=30, what=f"{path} {params} to answer 200")


CASES = [
    pytest.param(DispatchSettings, dispatch_app, dispatch_reports, "to_svg",
                 "/v1/plazas/p1/reports/complaints.svg", {"month": MONTH}, b"<?xml", id="dispatch-complaints-svg"),
    # Every report's workbook is written by the runtime's one writer (libs.runtime.export.report).
    pytest.param(DispatchSettings, dispatch_app, runtime_export, "report",
                 "/v1/plazas/p1/reports/complaints", {"month": MONTH, "format": "xlsx"}, b"PK", id="dispatch-complaints-xlsx"),
    pytest.param(SurveySettings, survey_app, survey_export, "bar_chart",
                 "/v1/plazas/p1/reports/satisfaction/chart", {"month": MONTH, "format": "png"}, b"\x89PNG",
                 id="survey-satisfaction-png"),
    pytest.param(SurveySettings, survey_app, runtime_export, "report",
                 "/v1/plazas/p1/reports/satisfaction", {"month": MONTH, "format": "xlsx"}, b"PK", id="survey-satisfaction-xlsx"),
    pytest.param(BillingSettings, billing_app, runtime_export, "report",
                 "/v1/plazas/p1/reports/monthly", {"month": MONTH, "format": "xlsx"}, b"PK", id="billing-monthly-xlsx"),
    pytest.param(BillingSettings, billing_app, runtime_export, "report",
                 "/v1/plazas/p1/prepaid/summary", {"month": MONTH, "format": "xlsx"}, b"PK", id="billing-prepaid-xlsx"),
]


@pytest.mark.parametrize(("settings_cls", "create_app", "module", "renderer", "path", "params", "magic"), CASES)
async def test_a_report_is_rendered_while_the_service_goes_on_serving(
    streams, nats_server, db_kind, tmp_path, cleanup_schemas, monkeypatch,
    settings_cls, create_app, module, renderer, path, params, magic,
):
    settings = settings_for(settings_cls, nats_server, db_kind, tmp_path, cleanup_schemas)
    async with served_here(create_app(settings)) as client, beating() as heart:
        loop_thread = threading.get_ident()
        monkeypatch.setattr(module, renderer, heart.hold(getattr(module, renderer)))
        r = await answered(client, path, params)
        assert r.content.startswith(magic)
        assert heart.loop_ran and all(heart.loop_ran), "the event loop stood still while the report was rendered"
        assert loop_thread not in heart.rendered_on
