"""Two clerks saving the same thing at the same moment: each gets an answer a sequential
PUT would have given, never a 500, and the register holds each change exactly once."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import msgspec
import pytest

from libs.contracts.events import PlazaRegistered, UnitRegistered
from tests.support.harness import eventually, served_here, service_settings
from services.archive.app import create_app
from services.archive.settings import Settings

PLAZA = {"name": "Plaza One", "timezone": "Asia/Shanghai"}
UNIT = {
    "area_m2": 80.5,
    "use": "shop",
    "occupant": {"name": "Li Ming", "kind": "merchant", "phone": "13800000000"},
    "key_account": False,
}
OTHER = {**UNIT, "occupant": {"name": "Wang Fang", "kind": "merchant", "phone": "13900000000"}}
UNITS = [f"A-{n:03d}" for n in range(1, 9)]  # several pairs: each pair is one chance to collide
HEADER = "unit,area_m2,use,occupant_name,occupant_kind"


@pytest.fixture
async def settings(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("intake", "dispatch", "survey", "billing", "notices")
    return service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)


@asynccontextmanager
async def served(settings, *, plaza: bool = True):
    """Archive with a client whose requests really overlap (``served_here``)."""
    async with served_here(create_app(settings), "http://archive") as client:
        if plaza:
            assert (await client.put("/v1/plazas/p1", json=PLAZA)).status_code == 201
        yield client


async def archive_events(bus, kind) -> list:
    msgs = await bus.messages("ARCHIVE")
    events = [msgspec.json.decode(m.data, type=PlazaRegistered | UnitRegistered) for m in msgs]
    return [e for e in events if isinstance(e, kind)]


def revisions_by_unit(events: list[UnitRegistered]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for e in events:
        out.setdefault(e.unit, []).append(e.revision)
    return out


async def published(bus, expected: dict[str, list[int]]):
    async def probe():
        return revisions_by_unit(await archive_events(bus, UnitRegistered)) == expected

    await eventually(probe, what=f"UnitRegistered revisions {expected}")


async def test_two_identical_first_puts_register_the_unit_once(settings, bus):
    async with served(settings) as plaza:
        puts = [plaza.put(f"/v1/plazas/p1/units/{unit}", json=UNIT) for unit in UNITS for _ in range(2)]
        answers = await asyncio.gather(*puts)

        assert [r.status_code for r in answers].count(500) == 0, [r.text for r in answers if r.status_code >= 500]
        for unit in UNITS:
            pair = [r for r in answers if r.json().get("unit") == unit]
            # One created it, the other found it already so: the same unit, revision 1.
            assert sorted(r.status_code for r in pair) == [200, 201], [r.text for r in pair]
            assert {r.json()["revision"] for r in pair} == {1}
            assert pair[0].json()["occupant"] == pair[1].json()["occupant"] == UNIT["occupant"]
            revisions = (await plaza.get(f"/v1/plazas/p1/units/{unit}/revisions")).json()["items"]
            assert [rev["revision"] for rev in revisions] == [1]
        await published(bus, {unit: [1] for unit in UNITS})


async def test_two_different_first_puts_become_revisions_one_and_two(settings, bus):
    async with served(settings) as plaza:
        puts = [plaza.put(f"/v1/plazas/p1/units/{unit}", json=body) for unit in UNITS for body in (UNIT, OTHER)]
        answers = await asyncio.gather(*puts)

        assert [r.status_code for r in answers].count(500) == 0, [r.text for r in answers if r.status_code >= 500]
        for unit in UNITS:
            pair = [r for r in answers if r.json().get("unit") == unit]
            # Whoever came second is applied on top of the first, as a PUT a moment later is.
            assert sorted((r.status_code, r.json()["revision"]) for r in pair) == [(200, 2), (201, 1)]
            later = max(pair, key=lambda r: r.json()["revision"]).json()
            shown = (await plaza.get(f"/v1/plazas/p1/units/{unit}")).json()
            assert shown["revision"] == 2 and shown["occupant"] == later["occupant"]
            revisions = (await plaza.get(f"/v1/plazas/p1/units/{unit}/revisions")).json()["items"]
            assert [rev["revision"] for rev in revisions] == [1, 2]
            assert revisions[1]["before"]["occupant"] != revisions[1]["after"]["occupant"]
        await published(bus, {unit: [1, 2] for unit in UNITS})


async def test_an_import_and_a_put_of_the_same_new_units_both_land(settings, bus):
    async with served(settings) as plaza:
        data = (HEADER + "\n" + "".join(f"{unit},80.5,shop,Li Ming,merchant\n" for unit in UNITS)).encode()
        work = [plaza.post("/v1/plazas/p1/units/import", content=data)]
        work += [plaza.put(f"/v1/plazas/p1/units/{unit}", json=OTHER) for unit in UNITS]
        answers = await asyncio.gather(*work)

        assert [r.status_code for r in answers].count(500) == 0, [r.text for r in answers if r.status_code >= 500]
        assert answers[0].status_code == 200 and answers[0].json()["imported"] == len(UNITS)
        assert all(put.status_code in (200, 201) for put in answers[1:])
        for unit in UNITS:
            # Whichever came first is revision 1, the other is applied on top of it.
            revisions = (await plaza.get(f"/v1/plazas/p1/units/{unit}/revisions")).json()["items"]
            assert [rev["revision"] for rev in revisions] == [1, 2]
            assert revisions[0]["before"] is None and revisions[1]["before"] == revisions[0]["after"]
        await published(bus, {unit: [1, 2] for unit in UNITS})


async def test_an_import_and_a_put_changing_the_same_units_are_both_kept(settings, bus):
    async with served(settings) as plaza:
        for unit in UNITS:
            assert (await plaza.put(f"/v1/plazas/p1/units/{unit}", json=UNIT)).status_code == 201
        data = (HEADER + "\n" + "".join(f"{unit},99,shop,Zhao Lei,merchant\n" for unit in UNITS)).encode()
        work = [plaza.post("/v1/plazas/p1/units/import", content=data)]
        work += [plaza.put(f"/v1/plazas/p1/units/{unit}", json=OTHER) for unit in UNITS]
        answers = await asyncio.gather(*work)

        assert [r.status_code for r in answers] == [200] * len(answers), [r.text for r in answers if r.status_code != 200]
        for unit in UNITS:
            revisions = (await plaza.get(f"/v1/plazas/p1/units/{unit}/revisions")).json()["items"]
            assert [rev["revision"] for rev in revisions] == [1, 2, 3]
            assert revisions[2]["before"] == revisions[1]["after"]
        await published(bus, {unit: [1, 2, 3] for unit in UNITS})


async def test_two_identical_imports_of_new_units_do_not_fail(settings, bus):
    async with served(settings) as plaza:
        data = (HEADER + "\n" + "".join(f"{unit},80.5,shop,Li Ming,merchant\n" for unit in UNITS)).encode()
        answers = await asyncio.gather(*(plaza.post("/v1/plazas/p1/units/import", content=data) for _ in range(2)))

        assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
        reports = sorted((r.json()["created"], r.json()["unchanged"]) for r in answers)
        assert reports == [(0, len(UNITS)), (len(UNITS), 0)]
        await published(bus, {unit: [1] for unit in UNITS})


async def test_two_first_puts_of_a_new_plaza_register_it_once(settings, bus):
    async with served(settings, plaza=False) as archive:
        puts = [archive.put(f"/v1/plazas/{p}", json=PLAZA) for p in ("p1", "p2", "p3") for _ in range(2)]
        answers = await asyncio.gather(*puts)

        assert sorted(r.status_code for r in answers) == [200, 200, 200, 201, 201, 201], [r.text for r in answers]

        async def three_plazas():
            return sorted(e.plaza_id for e in await archive_events(bus, PlazaRegistered)) == ["p1", "p2", "p3"]

        await eventually(three_plazas, what="one PlazaRegistered per plaza")
