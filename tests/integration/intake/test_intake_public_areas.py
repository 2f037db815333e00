"""Requests about no unit: a plaza's public areas (the list, its defaults, who may change
it), a request naming one, and a passer-by who leaves a name and phone; what the INTAKE
stream and intake's own read model make of them."""

from __future__ import annotations

from intake_fixtures import intake, wait_for_events  # noqa: F401  (intake: the fixture)
from tests.support.harness import bearer, eventually

URL = "/v1/plazas/p1/requests"
AREAS = "/v1/plazas/p1/public-areas"
SUPERVISOR = bearer("supervisor-li", plazas={"p1": ["supervisor"]})
CLERK = bearer("clerk-wang", plazas={"p1": ["clerk"]})
CALLER = {"name": "张先生", "phone": "13900139000"}
B2 = {"items": [{"id": "car-park-b2", "name": "地下停车场B2"}, {"id": "east-entrance", "name": "东门"}]}


async def test_a_plaza_has_default_public_areas_until_a_supervisor_sets_its_own(intake):
    defaults = (await intake.get(AREAS, headers=CLERK)).json()
    assert defaults["source"] == "default"
    assert {"car-park", "east-entrance", "west-entrance", "corridors", "toilets", "escalators"} <= {a["id"] for a in defaults["items"]}

    assert (await intake.put(AREAS, headers=CLERK, json=B2)).status_code == 403
    r = await intake.put(AREAS, headers=SUPERVISOR, json=B2)
    assert r.status_code == 200, r.text
    shown = (await intake.get(AREAS)).json()
    assert (shown["items"], shown["source"], shown["updated_by"]) == (B2["items"], "plaza", "supervisor-li")
    assert (await intake.put(AREAS, json={"items": B2["items"][:1]})).status_code == 200  # the operator too
    assert [a["id"] for a in (await intake.get(AREAS)).json()["items"]] == ["car-park-b2"]


async def test_a_bad_list_of_areas_gets_a_problem_naming_the_item(intake):
    for items, status, field in [
        ([{"id": "b2.north", "name": "x"}], 422, "items[0].id"),
        ([{"id": "a", "name": "x"}, {"id": "a", "name": "y"}], 422, "items[1].id"),
        ([{"id": "a", "name": " "}], 422, "items[0].name"),
        ([{"id": "a"}], 400, "items[0].name"),
    ]:
        r = await intake.put(AREAS, json={"items": items})
        assert (r.status_code, r.json().get("field")) == (status, field), (items, r.text)
    assert (await intake.put("/v1/plazas/nowhere/public-areas", json=B2)).status_code == 404


async def test_a_request_about_a_public_area_carries_no_unit_and_is_listed_by_area(intake, bus):
    await intake.put(AREAS, json=B2)
    r = await intake.post(URL, headers=CLERK, json={"channel": "visit", "area": "car-park-b2", "text": "B2 的灯坏了"})
    assert r.status_code == 202, r.text
    assert r.json()["area"] == "car-park-b2"
    [event] = await wait_for_events(bus, "RequestReceived", 1, request_id=r.json()["id"])
    assert (event.unit, event.area, event.contact) == ("", "car-park-b2", None)

    shown = (await intake.get(f"{URL}/{r.json()['id']}")).json()
    assert (shown["unit"], shown["area"]) == ("", "car-park-b2")

    async def listed():  # the row reaches the read model through intake's own stream
        items = (await intake.get(URL, params={"area": "car-park-b2"})).json()["items"]
        return [i["id"] for i in items]

    assert await eventually(listed, what="the area's request on the list") == [r.json()["id"]]
    assert (await intake.get(URL, params={"area": "east-entrance"})).json()["items"] == []


async def test_a_passer_by_is_heard_when_they_leave_name_and_phone(intake, bus):
    stored = await intake.post(URL, headers={**CLERK, "Idempotency-Key": "walk-in-1"},
                               json={"channel": "visit", "text": "商场门口地面很滑 / the floor by the door is slippery", "contact": CALLER})
    published = await intake.post(URL, headers=CLERK, json={"channel": "phone", "text": "投诉：扶梯太吵", "contact": CALLER})
    assert stored.status_code == published.status_code == 202, (stored.text, published.text)
    ids = {stored.json()["id"], published.json()["id"]}

    events = [e for e in await wait_for_events(bus, "RequestReceived", 2) if e.request_id in ids]
    assert {(e.unit, e.area, e.contact.phone) for e in events} == {("", None, "13900139000")}

    async def listed():
        items = (await intake.get(URL, params={"unit": ""})).json()["items"]
        return {i["id"] for i in items} >= ids and items

    await intake.post(URL, json={"channel": "phone", "unit": "A-203", "text": "门锁坏了"})

    async def all_three():
        return len((await intake.get(URL)).json()["items"]) == 3

    await eventually(all_three, what="the three requests on the read model")
    items = await listed()
    assert {i["unit"] for i in items} == {""}  # unit "" filters for requests naming none
    assert {i["contact"]["name"] for i in items if i["id"] in ids} == {"张先生"}
    complaint = (await intake.get(f"{URL}/{published.json()['id']}")).json()
    assert (complaint["kind"], complaint["unit"], complaint["contact"]) == ("complaint", "", CALLER)


async def test_where_a_request_is_about_gets_a_problem_naming_the_field(intake):
    for body, field in [
        ({"text": "灯坏了"}, "contact"),
        ({"text": "灯坏了", "contact": {"name": "张先生"}}, "contact"),
        ({"text": "灯坏了", "area": "roof"}, "area"),
        ({"text": "灯坏了", "unit": "A-203", "area": "car-park"}, "area"),
    ]:
        r = await intake.post(URL, json={"channel": "phone", **body})
        assert (r.status_code, r.json().get("field")) == (422, field), (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_a_request_about_an_area_can_be_corrected(intake, bus):
    r = await intake.post(URL, json={"channel": "visit", "area": "toilets", "text": "卫生间没有纸了"})
    fixed = await intake.post(f"{URL}/{r.json()['id']}/reclassify", headers=CLERK,
                              json={"kind": "complaint", "reason": "第三次反映"})
    assert fixed.status_code == 200, fixed.text
    [event] = await wait_for_events(bus, "RequestReclassified", 1, request_id=r.json()["id"])
    assert (event.unit, event.area, event.kind) == ("", "toilets", "complaint")
