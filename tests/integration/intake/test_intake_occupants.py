"""An occupant's token (one unit, from a magic link) at intake: logs requests for its own
unit only, always online; reads its own unit's requests and no other's; nothing else."""

from __future__ import annotations

from intake_fixtures import intake  # noqa: F401  (intake: the fixture)
from tests.support.harness import bearer, eventually

OCCUPANT = bearer("occupant:p1:A-203:abc", plazas={"p1": ["occupant"]}, unit="A-203", name="A-203 住户/occupant")


async def test_an_occupant_logs_a_request_for_their_own_unit_online(intake):
    r = await intake.post("/v1/plazas/p1/requests", headers=OCCUPANT, json={
        "channel": "phone", "unit": "A-203", "text": "the drain in the shop is blocked",
        "received_by": "someone at the desk", "severity": "major"})
    assert r.status_code == 202, r.text
    shown = await intake.get(f"/v1/plazas/p1/requests/{r.json()['id']}", headers=OCCUPANT)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["channel"] == "online" and body["unit"] == "A-203"
    assert body["received_by"] == "occupant:p1:A-203:abc"  # the token's subject, not what the body claimed


async def test_another_unit_is_not_theirs(intake):
    r = await intake.post("/v1/plazas/p1/requests", headers=OCCUPANT,
                          json={"channel": "online", "unit": "B-102", "text": "门锁坏了"})
    assert r.status_code == 404 and r.json()["field"] == "unit" and "'B-102' is not your unit" in r.json()["detail"]
    theirs = (await intake.post("/v1/plazas/p1/requests", json={"channel": "visit", "unit": "B-102", "text": "门锁坏了"}))
    other = await intake.get(f"/v1/plazas/p1/requests/{theirs.json()['id']}", headers=OCCUPANT)
    unknown = await intake.get("/v1/plazas/p1/requests/no-such-request", headers=OCCUPANT)
    assert other.status_code == unknown.status_code == 404  # never revealed: just not found
    assert other.json()["detail"].replace(theirs.json()["id"], "?") == unknown.json()["detail"].replace("no-such-request", "?")


async def test_the_list_is_their_units_only(intake):
    await intake.post("/v1/plazas/p1/requests", json={"channel": "visit", "unit": "B-102", "text": "门锁坏了"})
    mine = (await intake.post("/v1/plazas/p1/requests", headers=OCCUPANT,
                              json={"channel": "online", "unit": "A-203", "text": "灯不亮"})).json()["id"]

    async def listed():
        items = (await intake.get("/v1/plazas/p1/requests", headers=OCCUPANT)).json()["items"]
        return items if any(i["id"] == mine for i in items) else None

    items = await eventually(listed, what="the occupant's request on the list")
    assert {i["unit"] for i in items} == {"A-203"}
    r = await intake.get("/v1/plazas/p1/requests", params={"unit": "B-102"}, headers=OCCUPANT)
    assert r.status_code == 404 and r.json()["field"] == "unit"


async def test_every_other_intake_route_refuses_an_occupant(intake):
    for method, path in [("GET", "/v1/plazas/p1/classification-rules"), ("GET", "/v1/plazas/p1/renovations"),
                         ("POST", "/v1/plazas/p1/handover/appointments")]:
        r = await intake.request(method, path, headers=OCCUPANT, json={} if method == "POST" else None)
        assert r.status_code == 403, (method, path, r.text)
    other_plaza = await intake.get("/v1/plazas/p2/requests", headers=OCCUPANT)
    assert other_plaza.status_code == 404 and other_plaza.json()["field"] == "plaza"


async def test_an_occupant_always_speaks_for_their_unit_not_for_a_public_area_or_the_desk(intake):
    r = await intake.post("/v1/plazas/p1/requests", headers=OCCUPANT, json={
        "channel": "online", "area": "car-park", "text": "停车场路灯不亮 (路灯)", "serviceable": True, "department": "security"})
    assert r.status_code == 202, r.text
    shown = (await intake.get(f"/v1/plazas/p1/requests/{r.json()['id']}", headers=OCCUPANT)).json()
    assert (shown["unit"], shown["area"], shown["department_chosen"], shown["serviceable"]) == ("A-203", None, False, False)
