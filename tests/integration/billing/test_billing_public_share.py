"""Public-share costs through HTTP and the bus (real nats-server, SQLite and PostgreSQL):
costs with their evidence, the table per unit in json and xlsx, a run that charges each
unit once, and the table announced for the disclosure."""

from __future__ import annotations

import pytest

from libs.contracts.events import PublicShareCharged, PublicShareDisclosed, decode
from services.billing.app import create_app
from services.billing.settings import Settings
from tests.support.archive_facts import register, unit_registered
from tests.support.documents import xlsx_rows
from tests.support.harness import as_actor, client_for, eventually, service_settings

P = "/v1/plazas/p1"
SHARE = f"{P}/public-share/2026-11"
FINANCE = as_actor("finance-zhou")
AREAS = {"A-101": 50.0, "A-102": 30.0, "A-103": 20.5}


@pytest.fixture
async def billing(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "dispatch", "intake")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                schemas=cleanup_schemas)
    async with client_for(create_app(settings)) as client:
        await register(bus, "p1")
        for unit, area in AREAS.items():
            await bus.publish(unit_registered("p1", unit, area_m2=area))
        await eventually(lambda: _ok(client, f"{P}/accounts/A-103"), what="billing to learn the units")
        yield client


async def _ok(client, path):
    r = await client.get(path)
    return r.json() if r.status_code == 200 else None


async def test_a_periods_public_share_is_charged_once_and_adds_up_to_the_fen(billing, bus):
    for category, amount, doc in (("公共区域电费", 600, "doc-electricity"), ("电梯维保", 400, "doc-lift")):
        r = await billing.post(f"{SHARE}/costs", json={"category": category, "amount_fen": amount, "documents": [doc]},
                               headers=FINANCE)
        assert r.status_code == 201, r.text
    preview = (await billing.get(SHARE)).json()
    assert (preview["charged"], preview["total_fen"]) == (False, 1000)
    # 1000 fen by 50, 30, 20.5 m²: 497.51, 298.50, 203.98 → 497 + 298 + 203 = 998, the two
    # fen left to the largest remainders (A-103, then A-101).
    assert {u["unit"]: u["share_fen"] for u in preview["units"]} == {"A-101": 498, "A-102": 298, "A-103": 204}

    first = await billing.post(f"{SHARE}/run", json={"rule": "area"}, headers=FINANCE)
    again = await billing.post(f"{SHARE}/run", json={"rule": "area"}, headers=FINANCE)
    assert first.status_code == again.status_code == 200, first.text
    assert first.json() == again.json() and first.json()["charged"] is True
    assert sum(u["share_fen"] for u in first.json()["units"]) == 1000
    for unit, share in {"A-101": 498, "A-102": 298, "A-103": 204}.items():
        account = (await billing.get(f"{P}/accounts/{unit}")).json()
        fees = [e for e in account["entries"] if e["kind"] == "fee"]
        assert [e["amount_fen"] for e in fees] == [share] and account["owed_fen"] == share

    # A charged period takes no more costs.
    r = await billing.post(f"{SHARE}/costs", json={"category": "水费", "amount_fen": 1, "documents": ["d"]}, headers=FINANCE)
    assert r.status_code == 409 and r.json()["field"] == "period"

    async def announced():
        events = [decode(m.data, "billing") for m in await bus.messages("BILLING")]
        return events if any(isinstance(e, PublicShareDisclosed) for e in events) else None
    events = await eventually(announced, what="the public share announced")
    assert sorted((e.unit, e.amount_fen) for e in events if isinstance(e, PublicShareCharged)) == [
        ("A-101", 498), ("A-102", 298), ("A-103", 204)]
    [disclosed] = [e for e in events if isinstance(e, PublicShareDisclosed)]
    assert disclosed.total_fen == 1000 and [c.documents for c in disclosed.costs] == [["doc-electricity"], ["doc-lift"]]

    r = await billing.get(SHARE, params={"format": "xlsx"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = xlsx_rows(r.content)
    assert rows[0][0] == "费用类别 Category" and rows[1][:3] == ["公共区域电费", None, 6] and rows[-1][2] == 10
    units = xlsx_rows(r.content, sheet=1)
    assert units[1] == ["A-101", 50, 4.98, 498] and units[-1][3] == 1000


@pytest.mark.parametrize(("body", "field"), [
    ({"category": "电费", "amount_fen": 100, "documents": []}, "documents"),
    ({"category": "电费", "amount_fen": 0, "documents": ["d"]}, "amount_fen"),
])
async def test_a_cost_without_evidence_or_amount_is_refused(billing, body, field):
    r = await billing.post(f"{SHARE}/costs", json=body, headers=FINANCE)
    assert r.status_code == 422 and r.json()["field"] == field


async def test_a_bad_period_or_rule_is_refused_and_an_empty_period_has_nothing_to_run(billing):
    assert (await billing.get(f"{P}/public-share/2026-13")).json()["field"] == "period"
    r = await billing.post(f"{SHARE}/run", json={"rule": "by-mood"}, headers=FINANCE)
    assert r.status_code == 404 and r.json()["field"] == "period"  # no cost entered yet
    await billing.post(f"{SHARE}/costs", json={"category": "电费", "amount_fen": 100, "documents": ["d"]}, headers=FINANCE)
    r = await billing.post(f"{SHARE}/run", json={"rule": "by-mood"}, headers=FINANCE)
    assert r.status_code == 422 and r.json()["field"] == "rule"
