"""Unknown body fields and unknown query parameters are refused naming them, so a clerk's
intent is never dropped silently; the DESIGN.md bodies are still taken as they are."""

from __future__ import annotations

import pytest

from edge_fixtures import HEADERS, SERVICES, answer_field, body_routes, edge, known_unit, routes, structs  # noqa: F401


@pytest.mark.parametrize("service", SERVICES)
async def test_unknown_body_fields_are_refused_naming_them(edge, service):
    async with edge(service) as client:
        wrong = []
        for route in body_routes(client.app):
            for struct in structs(route.body):
                field = f"{struct.field}.bogus_field" if struct.field else "bogus_field"
                r = await client.request(route.method, route.path, json=struct.body({"bogus_field": 1}), headers=HEADERS)
                if r.status_code != 400 or answer_field(r) != field or "unknown field" not in r.json()["detail"]:
                    wrong.append((route.method, route.template, field, r.status_code, r.text[:200]))
        assert wrong == []


async def test_a_request_with_an_unknown_priority_names_it_and_what_the_body_takes(edge):
    async with edge("intake") as client:
        r = await client.post("/v1/plazas/p1/requests", json={
            "channel": "phone", "unit": "A-1", "text": "the drain is blocked",
            "department": "engineering", "serviceable": True, "priority": "high", "urgency": 3,
        })
    assert r.status_code == 400, r.text
    problem = r.json()
    # The clerk's department and serviceable are taken; priority is dispatch's to decide.
    assert [e["field"] for e in problem["errors"]] == ["priority", "urgency"]
    assert problem["field"] == "priority"
    # What the body does take, so the clerk sees where the intent should go.
    assert "department" in problem["detail"] and "serviceable" in problem["detail"]


async def test_an_unknown_nested_field_is_named_with_its_path(edge):
    async with edge("archive") as client:
        r = await client.put("/v1/plazas/p1/units/A-1", json={
            "area_m2": 80, "use": "shop", "occupant": {"name": "Li", "kind": "merchant", "nickname": "Xiao Li"},
        })
    assert r.status_code == 400 and r.json()["field"] == "occupant.nickname", r.text
    assert "name, kind, phone" in r.json()["detail"]


async def test_the_design_bodies_are_still_taken(edge, bus):
    """DESIGN.md's public bodies with every field they name."""
    async with edge("archive") as archive:
        r = await archive.put("/v1/plazas/p1", json={"name": "Plaza One", "timezone": "Asia/Shanghai"})
        assert r.status_code == 200, r.text  # registered already by the fixture: updated
        r = await archive.put("/v1/plazas/p1/units/A-1", json={
            "area_m2": 80.5, "use": "shop", "occupant": {"name": "Li Ming", "kind": "merchant", "phone": "138"},
            "key_account": True,
        })
        assert r.status_code == 201, r.text
    async with edge("intake") as intake:
        await known_unit(bus, intake, "A-2")
        r = await intake.post("/v1/plazas/p1/requests", headers={"Idempotency-Key": "design-1"}, json={
            "channel": "phone", "unit": "A-2", "text": "the drain is blocked", "kind": "service",
            "contact": {"name": "Li Ming", "phone": "13800000000"},
        })
        assert r.status_code == 202, r.text


@pytest.mark.parametrize("service", SERVICES)
async def test_unknown_query_parameters_are_refused_naming_them(edge, service):
    async with edge(service) as client:
        wrong = []
        for route in routes(client.app):
            r = await client.request(route.method, route.path, params={"bogus_param": "1"}, headers=HEADERS)
            if r.status_code != 400 or answer_field(r) != "bogus_param" or r.json()["errors"][0]["source"] != "query":
                wrong.append((route.method, route.template, r.status_code, r.text[:200]))
        assert wrong == []


async def test_the_prepaid_report_refuses_a_format_it_does_not_have(edge):
    async with edge("billing") as client:
        r = await client.get("/v1/plazas/p1/prepaid/report", params={"month": "2026-12", "format": "pdf"})
        assert r.status_code == 400 and r.json()["field"] == "format", r.text
        assert r.json()["detail"] == "format 'pdf' is not offered here; it takes json, xlsx"
        taken = await client.get("/v1/plazas/p1/prepaid/report", params={"month": "2026-12"})
        assert taken.status_code != 400, taken.text
