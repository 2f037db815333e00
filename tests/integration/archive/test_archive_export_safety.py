"""The register's export opens safely whatever the register holds: an imported formula is
text, not a live formula, and a control character stored before the edge refused them no
longer breaks the export."""

from __future__ import annotations

import io
from contextlib import asynccontextmanager

import openpyxl
import pytest

from libs.contracts import utcnow
from tests.support.harness import served_here, service_settings
from services.archive.register import domain, store
from services.archive.register import services as register
from services.archive.app import create_app
from services.archive.settings import Settings

ATTACK = "=cmd|' /C calc'!A0"
HEADER = "unit,building,floor,area_m2,use,occupant_name,occupant_kind,occupant_phone,key_account\n"


@pytest.fixture
async def settings(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("intake", "dispatch", "survey", "billing", "notices")
    return service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                            schemas=cleanup_schemas)


@asynccontextmanager
async def served(settings):
    """Archive on the test's own loop (``served_here``), so the test can also write its
    database directly, as rows written before today's checks were."""
    app = create_app(settings)
    async with served_here(app, "http://archive") as client:
        assert (await client.put("/v1/plazas/p1", json={"name": "Plaza One", "timezone": "Asia/Shanghai"})).status_code == 201
        client.runtime = app.dependencies["runtime"].dependency()
        yield client


async def exported(client) -> list[list]:
    r = await client.get("/v1/plazas/p1/units/export.xlsx", params={"lang": "en"})
    assert r.status_code == 200, r.text
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert not [c.coordinate for line in sheet.iter_rows() for c in line if c.data_type == "f"], "a live formula"
    return [[c.value for c in line] for line in sheet.iter_rows()]


async def test_an_imported_formula_is_exported_as_text_and_reads_back_unchanged(settings):
    async with served(settings) as archive:
        csv = (HEADER + f'A-101,A,-1,80,shop,"{ATTACK.replace(chr(34), chr(34) * 2)}",merchant,+8613900000000,no\n'
               "A-102,@SUM(1+1),2,90,shop,-2+3 Ltd,merchant,,no\n").encode()
        r = await archive.post("/v1/plazas/p1/units/import", files={"file": ("units.csv", csv, "text/csv")})
        assert r.status_code == 200 and r.json()["imported"] == 2, r.text

        header, *rows = await exported(archive)
        a101, a102 = (dict(zip(header, row)) for row in rows)
        assert a101["occupant_name"] == "'" + ATTACK
        assert (a101["floor"], a101["occupant_phone"], a101["area_m2"]) == ("-1", "+8613900000000", 80)
        assert (a102["building"], a102["occupant_name"]) == ("'@SUM(1+1)", "'-2+3 Ltd")
        # The register shows what was imported; the quote lives only in the spreadsheet.
        assert (await archive.get("/v1/plazas/p1/units/A-101")).json()["occupant"]["name"] == ATTACK

        again = await archive.get("/v1/plazas/p1/units/export.xlsx")  # Chinese headers, read back by import
        sheet = openpyxl.load_workbook(io.BytesIO(again.content)).worksheets[0]
        assert [c.value for c in sheet[1]][:3] == ["房号", "面积", "用途"] and sheet.freeze_panes == "A2"
        r = await archive.post("/v1/plazas/p1/units/import", files={"file": ("units.xlsx", again.content)})
        assert (r.json()["imported"], r.json()["unchanged"], r.json()["rejected"]) == (0, 2, [])


async def test_a_control_character_already_stored_does_not_break_the_export(settings):
    async with served(settings) as archive:
        facts = domain.unit_facts(area_m2=60.0, use="residence", occupant_name="bad\u0001name", occupant_kind="resident",
                                  occupant_phone="139\x0200", key_account=False, building="B\x1b",
                                  contacts=[{"name": "li\x07", "relation": "owner", "phone": None}])
        now = utcnow()
        async with archive.runtime.transaction() as tx:  # as a row written before the edge refused it
            await store.add_unit(tx.conn, {"plaza_id": "p1", "unit": "B-1201", **register.unit_columns(facts),
                                           "revision": 1, "created_at": now, "updated_at": now})

        header, row = await exported(archive)
        unit = dict(zip(header, row))
        assert (unit["occupant_name"], unit["occupant_phone"], unit["building"], unit["contacts"]) == (
            "bad\ufffdname", "139\ufffd00", "B\ufffd", "li\ufffd|owner")
