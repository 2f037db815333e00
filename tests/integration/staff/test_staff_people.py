"""People at plazas against a real nats-server and database: who may read and change them,
and the events other services keep their copy from."""

from __future__ import annotations

import pytest

from libs.contracts import subject_for
from staff_fixtures import bearer, staff, staff_events, staff_settings, wait_for_events  # noqa: F401

ENGINEER = {"name": "张伟 Zhang Wei", "roles": ["staff"], "department": "engineering", "post": "维修工",
            "password": "engineer-password", "phone": "13800000001"}
SUPERVISOR = {"name": "王芳 Wang Fang", "roles": ["supervisor"], "password": "supervisor-password"}


async def test_put_announces_staff_joined_then_changed_then_left_without_hash_or_phone(staff, bus):
    op = await bearer(staff)
    assert (await staff.put("/v1/plazas/p1/staff/zhang.wei", json=ENGINEER, headers=op)).status_code == 200
    [joined] = await wait_for_events(bus, "StaffJoined", 1, username="zhang.wei")
    assert (joined.plaza_id, joined.roles, joined.department, joined.post, joined.active) == (
        "p1", ["staff"], "engineering", "维修工", True)
    assert subject_for(joined) == "plazadesk.staff.p1.staff.joined"

    again = await staff.put("/v1/plazas/p1/staff/zhang.wei", json=ENGINEER, headers=op)  # the same: no event
    assert again.status_code == 200
    changed_body = {**ENGINEER, "roles": ["staff", "supervisor"]}
    await staff.put("/v1/plazas/p1/staff/zhang.wei", json=changed_body, headers=op)
    [changed] = await wait_for_events(bus, "StaffChanged", 1, username="zhang.wei")
    assert changed.roles == ["supervisor", "staff"]  # the canonical order, whatever the order given
    assert (await staff.delete("/v1/plazas/p1/staff/zhang.wei", headers=op)).status_code == 204
    await wait_for_events(bus, "StaffLeft", 1, username="zhang.wei", plaza_id="p1")
    assert len(await staff_events(bus, "StaffJoined")) == 1 and len(await staff_events(bus, "StaffChanged")) == 1

    raw = b"".join(m.data for m in await bus.messages("STAFF"))
    assert b"argon2" not in raw and b"13800000001" not in raw and b"password" not in raw
    assert (await staff.get("/v1/plazas/p1/staff/zhang.wei", headers=op)).status_code == 404


async def test_a_plaza_list_is_paged_and_filtered(staff):
    op = await bearer(staff)
    await staff.put("/v1/plazas/p1/staff/zhang.wei", json=ENGINEER, headers=op)
    await staff.put("/v1/plazas/p1/staff/wang.fang", json=SUPERVISOR, headers=op)
    await staff.put("/v1/plazas/p2/staff/li.na", json={"name": "李娜", "roles": ["clerk"]}, headers=op)
    page = (await staff.get("/v1/plazas/p1/staff", params={"limit": 1}, headers=op)).json()
    assert [i["username"] for i in page["items"]] == ["wang.fang"] and page["next"] == "wang.fang"
    rest = (await staff.get("/v1/plazas/p1/staff", params={"cursor": page["next"]}, headers=op)).json()
    assert [i["username"] for i in rest["items"]] == ["zhang.wei"] and rest["next"] is None
    staff_only = (await staff.get("/v1/plazas/p1/staff", params={"role": "staff"}, headers=op)).json()
    assert [i["username"] for i in staff_only["items"]] == ["zhang.wei"]


async def test_no_token_401_other_plaza_404_wrong_role_403(staff):
    op = await bearer(staff)
    await staff.put("/v1/plazas/p1/staff/zhang.wei", json=ENGINEER, headers=op)
    await staff.put("/v1/plazas/p1/staff/wang.fang", json=SUPERVISOR, headers=op)
    r = await staff.get("/v1/plazas/p1/staff")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"].startswith("application/problem+json")
    supervisor = await bearer(staff, "wang.fang", "supervisor-password")
    assert (await staff.get("/v1/plazas/p1/staff", headers=supervisor)).status_code == 200
    assert (await staff.get("/v1/plazas/p2/staff", headers=supervisor)).status_code == 404
    r = await staff.put("/v1/plazas/p1/staff/x", json=SUPERVISOR, headers=supervisor)
    assert r.status_code == 403 and r.json()["roles"] == ["operator"]
    engineer = await bearer(staff, "zhang.wei", "engineer-password")
    assert (await staff.get("/v1/plazas/p1/staff", headers=engineer)).status_code == 403
    assert (await staff.patch("/v1/staff/zhang.wei", json={"active": False}, headers=supervisor)).status_code == 403


async def test_a_global_auditor_reads_every_plaza_and_changes_none(staff):
    op = await bearer(staff)
    await staff.put("/v1/plazas/p1/staff/audit", json={"name": "审计 Audit", "roles": ["auditor"],
                                                        "password": "auditor-password"}, headers=op)
    r = await staff.patch("/v1/staff/audit", json={"roles": ["auditor"]}, headers=op)
    assert r.status_code == 200 and r.json()["roles"] == ["auditor"]
    auditor = await bearer(staff, "audit", "auditor-password")
    assert (await staff.get("/v1/plazas/p2/staff", headers=auditor)).status_code == 200
    assert (await staff.delete("/v1/plazas/p1/staff/audit", headers=auditor)).status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "roles": ["staff"]}, "department"),
    ({"name": "x", "roles": ["janitor"]}, "roles"),
    ({"name": "x", "roles": ["occupant"]}, "roles"),
    ({"name": "x", "roles": []}, "roles"),
    ({"name": "x", "roles": ["clerk"], "password": "short"}, "password"),
    ({"name": "x", "roles": ["staff"], "department": "eng.ineering"}, "department"),
])
async def test_a_bad_person_is_refused_naming_the_field(staff, body, field):
    r = await staff.put("/v1/plazas/p1/staff/new.person", json=body, headers=await bearer(staff))
    assert r.status_code == 422 and r.json()["field"] == field, r.text


async def test_only_operator_and_auditor_may_be_global_and_usernames_are_checked(staff):
    op = await bearer(staff)
    await staff.put("/v1/plazas/p1/staff/wang.fang", json=SUPERVISOR, headers=op)
    r = await staff.patch("/v1/staff/wang.fang", json={"roles": ["supervisor"]}, headers=op)
    assert r.status_code == 422 and r.json()["field"] == "roles"
    r = await staff.put("/v1/plazas/p1/staff/Bad Name", json=SUPERVISOR, headers=op)
    assert r.status_code == 422 and r.json()["field"] == "username"


async def test_a_plaza_archive_never_registered_is_404(staff):
    r = await staff.put("/v1/plazas/nowhere/staff/wang.fang", json=SUPERVISOR, headers=await bearer(staff))
    assert r.status_code == 404


async def test_deactivating_announces_the_change_at_each_plaza(staff, bus):
    op = await bearer(staff)
    await staff.put("/v1/plazas/p1/staff/zhang.wei", json=ENGINEER, headers=op)
    await staff.put("/v1/plazas/p2/staff/zhang.wei", json=ENGINEER, headers=op)
    await staff.patch("/v1/staff/zhang.wei", json={"active": False}, headers=op)
    changed = await wait_for_events(bus, "StaffChanged", 2, username="zhang.wei", active=False)
    assert {e.plaza_id for e in changed} == {"p1", "p2"}
    record = (await staff.get("/v1/staff/zhang.wei", headers=op)).json()
    assert record["plazas"] == {"p1": ["staff"], "p2": ["staff"]} and record["active"] is False


async def test_a_new_name_is_announced_at_every_plaza_and_a_new_password_ends_old_refresh_tokens(staff, bus):
    op = await bearer(staff)
    await staff.put("/v1/plazas/p1/staff/zhang.wei", json=ENGINEER, headers=op)
    await staff.put("/v1/plazas/p2/staff/zhang.wei", json={**ENGINEER, "roles": ["clerk"]}, headers=op)
    refresh = (await staff.post("/v1/token", json={"username": "zhang.wei", "password": "engineer-password"})).json()
    await staff.put("/v1/plazas/p2/staff/zhang.wei", json={**ENGINEER, "name": "张伟", "roles": ["clerk"],
                                                            "password": "a-new-password"}, headers=op)
    changed = await wait_for_events(bus, "StaffChanged", 2, username="zhang.wei", name="张伟")
    assert {(e.plaza_id, tuple(e.roles)) for e in changed} == {("p1", ("staff",)), ("p2", ("clerk",))}
    r = await staff.post("/v1/token", json={"grant_type": "refresh_token", "refresh_token": refresh["refresh_token"]})
    assert r.status_code == 401
    assert (await staff.post("/v1/token", json={"username": "zhang.wei", "password": "a-new-password"})).status_code == 200
