"""What an operator's Prometheus sees: the backlog rises while a consumer is paused or the
broker is away, and falls when they are back; the alert rules in deploy/observability fire
on what was scraped (``promtool test rules`` with the scraped values as input series)."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from scripts.system import System
from tests.support.harness import Bus, default_headers, jwks_file, wait_for

pytestmark = pytest.mark.e2e
PLAZA = "metrics-plaza"
UNIT = "M-301"
ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "observability" / "alerts.yml"
DURABLE = "dispatch-request-received"  # dispatch's consumer of intake's requests


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with System(tmp_path_factory.mktemp("system"), default_ports=False,
                env={"PLAZADESK_AUTH_JWKS_FILE": jwks_file()}) as s:
        yield s


@pytest.fixture(scope="module")
def api(system):
    clients = {name: httpx.Client(base_url=system.url(name), timeout=10, headers=default_headers()) for name in system.ports}
    assert clients["archive"].put(f"/v1/plazas/{PLAZA}", json={"name": "Metrics Plaza", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
    r = clients["archive"].put(f"/v1/plazas/{PLAZA}/units/{UNIT}", json={
        "area_m2": 60, "use": "shop", "occupant": {"name": "Wang", "kind": "merchant", "phone": "13900139000"},
        "key_account": False})
    assert r.status_code in (200, 201), r.text
    wait_for(lambda: clients["intake"].post(f"/v1/plazas/{PLAZA}/requests",
                                            json={"channel": "phone", "unit": UNIT, "text": " "}).json().get("field") == "text",
             "intake to learn the unit")
    wait_for(lambda: clients["dispatch"].get(f"/v1/plazas/{PLAZA}/work-orders").status_code == 200, "dispatch to learn the plaza")
    yield clients
    for c in clients.values():
        c.close()


def scrape(client: httpx.Client) -> dict[tuple[str, frozenset], float]:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(samples, name: str, **labels) -> float:
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls]
    return sum(found) if found else 0.0


def request(api, text: str) -> str:
    r = api["intake"].post(f"/v1/plazas/{PLAZA}/requests", json={"channel": "phone", "unit": UNIT, "text": text})
    assert r.status_code == 202, r.text
    return r.json()["id"]


def work_orders_of(api, ids) -> int:
    return sum(1 for i in ids
               if api["dispatch"].get(f"/v1/plazas/{PLAZA}/work-orders", params={"request_id": i}).json()["items"])


async def _pause(nats_url: str, until: dt.datetime | None) -> None:
    async with Bus(nats_url) as bus:
        if until is None:
            await bus.js.resume_consumer("INTAKE", DURABLE)
        else:
            await bus.js.pause_consumer("INTAKE", DURABLE, until.strftime("%Y-%m-%dT%H:%M:%SZ"))


def test_a_paused_consumer_shows_its_backlog_and_drains(system, api):
    wait_for(lambda: value(scrape(api["dispatch"]), "plazadesk_consumer_pending", consumer=DURABLE) == 0
             and ("plazadesk_consumer_pending", frozenset({("service", "dispatch"), ("consumer", DURABLE)})) in scrape(api["dispatch"]),
             "dispatch to report its consumer")
    asyncio.run(_pause(system.nats_url, dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10)))
    ids = [request(api, f"the tap in {UNIT} drips ({n})") for n in range(30)]

    waiting = wait_for(lambda: (lambda s: s if value(s, "plazadesk_consumer_pending", consumer=DURABLE) >= 30 else None)(
        scrape(api["dispatch"])), "the pending count to rise to the 30 requests")
    assert work_orders_of(api, ids) == 0  # nothing applied while paused: the gauge is the backlog
    applied = value(waiting, "plazadesk_events_handled_total", consumer=DURABLE, outcome="applied")
    rules_fire(waiting, "PlazaDeskConsumerStuck", pending=value(waiting, "plazadesk_consumer_pending", consumer=DURABLE),
               applied=applied)

    asyncio.run(_pause(system.nats_url, None))
    drained = wait_for(lambda: (lambda s: s if value(s, "plazadesk_consumer_pending", consumer=DURABLE) == 0
                                and value(s, "plazadesk_consumer_ack_pending", consumer=DURABLE) == 0 else None)(
        scrape(api["dispatch"])), "the backlog to drain")
    wait_for(lambda: work_orders_of(api, ids) == 30, "a work order for every request")
    assert value(drained, "plazadesk_consumer_batch_size_count", consumer=DURABLE) >= 1
    # The business counters: intake counted the 30 requests by kind; dispatch its work orders.
    intake = scrape(api["intake"])
    assert value(intake, "plazadesk_requests_total", plaza=PLAZA, kind="service") >= 30
    wait_for(lambda: value(scrape(api["dispatch"]), "plazadesk_work_orders", plaza=PLAZA) >= 30, "work orders by status")
    # HTTP latency per route: one series a route template, whatever the plaza or the id.
    routes = {dict(labels).get("route") for name, labels in intake if name == "plazadesk_http_request_seconds_count"}
    assert "/v1/plazas/{plaza}/requests" in routes and not any(PLAZA in (r or "") for r in routes), routes


def test_the_outbox_age_rises_while_the_broker_is_away_and_falls_after(system, api):
    system.nats.stop()
    try:
        ids = [request(api, f"the light at {UNIT}'s door is out ({n})") for n in range(5)]  # accepted meanwhile
        stuck = wait_for(lambda: (lambda s: s if value(s, "plazadesk_outbox_backlog", service="intake") >= 5
                                  and value(s, "plazadesk_outbox_oldest_age_seconds", service="intake") >= 2 else None)(
            scrape(api["intake"])), "the outbox backlog and its age to rise")
        rules_fire(stuck, "PlazaDeskOutboxGrowing", age=value(stuck, "plazadesk_outbox_oldest_age_seconds", service="intake"))
    finally:
        system.nats.start(system.logs / "nats-server.log")
    wait_for(lambda: (lambda s: value(s, "plazadesk_outbox_backlog", service="intake") == 0
                      and value(s, "plazadesk_outbox_oldest_age_seconds", service="intake") == 0)(scrape(api["intake"])),
             "the outbox to empty once the broker is back", timeout=60)
    wait_for(lambda: work_orders_of(api, ids) == 5, "the requests taken while the broker was away to reach dispatch", timeout=60)


def rules_fire(samples, alert: str, **seen) -> None:
    """``promtool test rules`` over deploy/observability/alerts.yml with input series made of
    the scraped values, held for half an hour (an age keeps growing meanwhile): ``alert``
    fires; and does not when the gauges read 0, as the scrape shows once the backlog drained."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian's prometheus package) is not installed: the alert rules are not evaluated")
    series = []
    for (name, labels), v in samples.items():
        if name.startswith("plazadesk_consumer") or name.startswith("plazadesk_outbox") or name == "plazadesk_events_handled_total":
            series.append((name, dict(labels), v))
    fired, quiet = _series(series, keep=True), _series(series, keep=False)
    runbook = "docs/operations.md#metrics-and-alerts"
    if alert == "PlazaDeskConsumerStuck":
        expected = {"exp_labels": {"service": "dispatch", "consumer": DURABLE, "severity": "critical"},
                    "exp_annotations": {"runbook": runbook, "summary": f"{DURABLE} has {seen['pending']:g} messages "
                                                                      "waiting and has applied none for 10 minutes"}}
    else:  # the age 25 minutes on, as Prometheus' humanizeDuration writes it
        minutes, seconds = divmod(int(seen["age"] + 25 * 60), 60)
        expected = {"exp_labels": {"service": "intake", "severity": "critical"},
                    "exp_annotations": {"runbook": runbook, "summary": f"intake's oldest unpublished event is "
                                                                      f"{minutes}m {seconds}s old"}}
    tests = {"rule_files": [str(ALERTS)], "evaluation_interval": "1m", "tests": [
        {"interval": "1m", "input_series": fired,
         "alert_rule_test": [{"eval_time": "25m", "alertname": alert, "exp_alerts": [expected]}]},
        {"interval": "1m", "input_series": quiet,
         "alert_rule_test": [{"eval_time": "25m", "alertname": alert, "exp_alerts": []}]},
    ]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{alert}.yml"
        path.write_text(yaml.safe_dump(tests))
        out = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"{alert} with {seen}:\n{out.stdout}\n{out.stderr}"


def _series(series, *, keep: bool) -> list[dict]:
    out = []
    for name, labels, v in series:
        shown = v if keep else (v if name.endswith("_total") else 0)
        step = 60 if keep and name.endswith("_age_seconds") else 0  # a minute older each minute
        selector = ",".join(f'{k}="{val}"' for k, val in sorted(labels.items()))
        out.append({"series": f"{name}{{{selector}}}", "values": f"{shown:g}+{step}x30"})
    return out
