"""The operator's command line against a running system: a plaza and a person set up, the
health overview, and a dead letter found, shown, replayed once its cause is fixed (the work
order then opens), another discarded with a reason, both in the audit."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from click.testing import CliRunner

from libs.contracts.intake import RequestReceived
from scripts.cli import main
from scripts.system import System
from tests.support.harness import Bus, wait_for

pytestmark = pytest.mark.e2e
PLAZA = "cli-plaza"
LATE = "late-plaza"  # a plaza an event names before it is registered


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    # Events about an unknown plaza are dead-lettered after one second instead of thirty. The
    # services trust the staff service's keys, as in production: the CLI logs in there.
    env = {"PLAZADESK_CONSUMER_FACT_WAIT_S": "1"}
    with System(tmp_path_factory.mktemp("system"), default_ports=False, env=env) as s:
        yield s


@pytest.fixture(scope="module")
def cli(system):
    env = {"PLAZADESK_DATA_DIR": str(system.data_dir), "PLAZADESK_NATS_URL": system.services_nats_url,
           "PLAZADESK_OPERATOR_PASSWORD": system.operator_password(),
           **{f"PLAZADESK_{name.upper()}_URL": system.url(name) for name in system.ports}}
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, f"{args}: {result.output}"
        return result

    return invoke


@pytest.fixture(scope="module")
def operator(system):
    r = httpx.post(f"{system.url('staff')}/v1/token", json={"username": "operator", "password": system.operator_password()})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_setting_up_a_plaza_and_a_person(system, cli, operator):
    shown = json.loads(cli("plaza", "set", PLAZA, "--name", "CLI 广场").output)
    assert shown["name"] == "CLI 广场"
    archive = httpx.Client(base_url=system.url("archive"), headers=operator)
    assert archive.get(f"/v1/plazas/{PLAZA}").json()["timezone"] == "Asia/Shanghai"
    wait_for(lambda: cli("staff", "set", PLAZA, "li.na", "--name", "李娜", "--role", "clerk", ok=False).exit_code == 0,
             "staff to learn the plaza")
    refused = cli("staff", "set", PLAZA, "wang", "--name", "王", "--role", "emperor", ok=False)
    assert refused.exit_code != 0 and "staff answered 4" in refused.output  # the service's own problem, named


def test_health_lists_every_service_and_its_consumers(cli):
    result = cli("health")
    for service in ("intake", "dispatch", "billing", "survey", "archive", "staff"):
        assert f"{service} " in result.output and "DOWN" not in result.output
    assert "dispatch-request-received" in result.output


def test_a_dead_letter_replayed_after_the_fix_and_one_discarded(system, cli, operator):
    events = [RequestReceived(plaza_id=LATE, correlation_id=rid, request_id=rid, unit="L-1", channel="phone",
                              kind="service", text="the shutter of L-1 is stuck", department="engineering")
              for rid in ("0193a000-0000-7000-8000-000000000001", "0193a000-0000-7000-8000-000000000002")]

    async def publish() -> None:
        async with Bus(system.nats_url) as bus:
            for e in events:
                await bus.publish(e)

    asyncio.run(publish())
    parked = wait_for(lambda: [x for x in json.loads(cli("dead-letters", "list", "--consumer", "dispatch-request-received",
                                                             "--json").output) if x["plaza_id"] == LATE] or None
                      if len(json.loads(cli("dead-letters", "list", "--consumer", "dispatch-request-received",
                                                "--json").output)) >= 2 else None,
                      "both events to be dead-lettered by dispatch")
    assert {x["event_id"] for x in parked} == {e.id for e in events}
    assert all("late-plaza" in x["reason"] for x in parked)
    first, second = sorted(parked, key=lambda x: x["seq"])
    shown = json.loads(cli("dead-letters", "show", str(first["seq"])).output)
    assert shown["event"]["request_id"] == events[0].request_id and shown["subject"].endswith(".request.received")

    # The fix: the plaza and its unit registered. Then the first is replayed, the second dropped.
    archive = httpx.Client(base_url=system.url("archive"), headers=operator)
    assert archive.put(f"/v1/plazas/{LATE}", json={"name": "Late", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
    assert archive.put(f"/v1/plazas/{LATE}/units/L-1", json={
        "area_m2": 30, "use": "shop", "occupant": {"name": "Ma", "kind": "merchant", "phone": "13600136000"},
        "key_account": False}).status_code in (200, 201)
    dispatch = httpx.Client(base_url=system.url("dispatch"), headers=operator)
    wait_for(lambda: dispatch.get(f"/v1/plazas/{LATE}/work-orders").status_code == 200, "dispatch to learn the plaza")

    assert "replayed" in cli("dead-letters", "replay", str(first["seq"]), "--reason", "plaza registered",
                             "--actor", "ops-zhou").output
    wo = wait_for(lambda: dispatch.get(f"/v1/plazas/{LATE}/work-orders",
                                       params={"request_id": events[0].request_id}).json()["items"], "the replayed work order")
    assert len(wo) == 1 and wo[0]["department"] == "engineering"
    refused = cli("dead-letters", "discard", str(second["seq"]), ok=False)
    assert refused.exit_code != 0 and "--reason" in refused.output
    cli("dead-letters", "discard", str(second["seq"]), "--reason", "a test call, not a merchant", "--actor", "ops-zhou")

    left = json.loads(cli("dead-letters", "list", "--consumer", "dispatch-request-received", "--json").output)
    assert not [x for x in left if x["plaza_id"] == LATE]
    missing = cli("dead-letters", "show", str(first["seq"]), ok=False)
    assert missing.exit_code != 0 and "no dead letter" in missing.output
    audit = cli("dead-letters", "audit").output
    assert "dead_letter_replayed" in audit and "plaza registered" in audit
    assert "dead_letter_discarded" in audit and "a test call, not a merchant" in audit and "ops-zhou" in audit
    # Replayed to every consumer of the subject: the others had parked it too, or apply it now; none twice.
    assert dispatch.get(f"/v1/plazas/{LATE}/work-orders", params={"request_id": events[1].request_id}).json()["items"] == []
