"""The unit register in depth: the new facts, documents, bulk import/export over HTTP."""

from __future__ import annotations

import hashlib
import io

import msgspec
import openpyxl
import pytest

from libs.contracts.events import PlazaRegistered, UnitRegistered
from tests.support.harness import as_actor, client_for, eventually, service_settings
from services.archive.app import create_app
from services.archive.settings import Settings

PLAZA = {"name": "Plaza One", "timezone": "Asia/Shanghai"}
UNIT = {
    "area_m2": 120.0,
    "use": "residence",
    "occupant": {"name": "王芳", "kind": "resident", "phone": "13900000000"},
    "key_account": False,
}
FULL = {
    **UNIT,
    "building": "C",
    "floor": "8",
    "contacts": [{"name": "王芳", "relation": "owner", "phone": "13900000000"},
                 {"name": "李强", "relation": "spouse", "phone": "13700000000"}],
    "handover_date": "2026-11-20",
    "occupancy_date": "2027-03-01",
    "contract_start": "2026-12-01",
    "contract_end": "2029-11-30",
}


@pytest.fixture
async def archive(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("intake", "dispatch", "survey", "billing", "notices")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)
    async with client_for(create_app(settings)) as client:
        assert (await client.put("/v1/plazas/p1", json=PLAZA)).status_code == 201
        yield client


async def unit_events(bus) -> list[UnitRegistered]:
    msgs = await bus.messages("ARCHIVE", "plazadesk.archive.*.unit.*.registered")
    return [msgspec.json.decode(m.data, type=PlazaRegistered | UnitRegistered) for m in msgs]


# --- the register ----------------------------------------------------------------------


async def test_the_register_keeps_building_contacts_and_dates_and_tells_other_services(archive, bus):
    r = await archive.put("/v1/plazas/p1/units/C-0802", json=FULL)
    assert r.status_code == 201, r.text
    shown = (await archive.get("/v1/plazas/p1/units/C-0802")).json()
    assert {k: shown[k] for k in FULL} == FULL
    assert shown["renovation_permits"] == [] and shown["outstanding_defects"] == []

    # The DESIGN.md body alone keeps what it does not mention; a changed occupant is news.
    moved = {**UNIT, "occupant": {"name": "赵磊", "kind": "resident", "phone": "13600000000"}}
    r = await archive.put("/v1/plazas/p1/units/C-0802", json=moved, headers=as_actor("clerk-7"))
    assert r.status_code == 200 and r.json()["revision"] == 2 and r.json()["building"] == "C"
    assert r.json()["contacts"] == FULL["contacts"]

    events = await eventually(lambda: _n(unit_events(bus), 2), what="two UnitRegistered on ARCHIVE")
    first, second = events
    assert first.building == "C" and first.floor == "8" and first.handover_date.isoformat() == "2026-11-20"
    assert [c.relation for c in first.contacts] == ["owner", "spouse"]
    assert second.revision == 2 and second.occupant.name == "赵磊" and second.actor == "clerk-7"
    assert second.contract_end.isoformat() == "2029-11-30"

    # An explicit null clears a fact, and the audit trail says who, when, before and after.
    r = await archive.put("/v1/plazas/p1/units/C-0802", json={**moved, "contract_start": None, "contract_end": None})
    assert r.json()["revision"] == 3 and r.json()["contract_end"] is None
    revisions = (await archive.get("/v1/plazas/p1/units/C-0802/revisions")).json()["items"]
    assert revisions[1]["who"] == "clerk-7" and revisions[1]["when"].endswith("Z")
    assert {c["field"] for c in revisions[1]["changes"]} == {"occupant.name", "occupant.phone"}
    assert {c["field"] for c in revisions[2]["changes"]} == {"contract_start", "contract_end"}
    assert revisions[2]["before"]["contract_end"] == "2029-11-30" and "contract_end" not in revisions[2]["after"]


async def _n(coro, n):
    items = await coro
    return items if len(items) == n else None


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"occupancy_date": "2026-11-01"}, "occupancy_date"),
        ({"contract_end": "2026-01-01"}, "contract_end"),
        ({"contacts": [{"name": " ", "relation": "spouse"}]}, "contacts[0].name"),
        ({"handover_date": "2026-02-30"}, "handover_date"),
    ],
)
async def test_inconsistent_facts_are_refused_naming_the_field(archive, over, field):
    r = await archive.put("/v1/plazas/p1/units/C-0802", json={**FULL, **over})
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field


# --- documents -------------------------------------------------------------------------


async def test_documents_round_trip_with_their_checksum(archive):
    await archive.put("/v1/plazas/p1/units/C-0802", json=FULL)
    lease = "租赁合同 lease".encode() * 500 + bytes(range(256))
    r = await archive.post("/v1/plazas/p1/units/C-0802/documents", data={"kind": "contract"},
                           files={"file": ("租赁合同.pdf", lease, "application/pdf")}, headers=as_actor("clerk-7"))
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["sha256"] == hashlib.sha256(lease).hexdigest() and doc["size_bytes"] == len(lease)
    assert doc["filename"] == "租赁合同.pdf" and doc["uploaded_by"] == "clerk-7"

    raw = b"\x89PNG\r\n\x1a\n certificate"
    r = await archive.post("/v1/plazas/p1/units/C-0802/documents?kind=certificate&filename=fire.png", content=raw)
    assert r.status_code == 201 and r.json()["content_type"] == "image/png"

    listed = (await archive.get("/v1/plazas/p1/units/C-0802/documents")).json()["items"]
    assert [d["kind"] for d in listed] == ["contract", "certificate"]

    got = await archive.get(doc["url"])
    assert got.status_code == 200 and got.content == lease
    assert got.headers["content-type"].startswith("application/pdf")
    assert got.headers["etag"] == f'"{doc["sha256"]}"'
    assert (await archive.get(doc["url"], headers={"If-None-Match": got.headers["etag"]})).status_code == 304

    items = (await archive.get("/v1/plazas/p1/units/C-0802/timeline", params={"kind": "unit"})).json()["items"]
    assert [i["type"] for i in items] == ["UnitRegistered", "DocumentAttached", "DocumentAttached"]
    assert items[1]["summary"].startswith("contract attached: 租赁合同.pdf")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"data": {"kind": "contract"}, "files": {"file": ("empty.pdf", b"", "application/pdf")}}, "file"),
        ({"data": {"kind": "receipt"}, "files": {"file": ("a.pdf", b"x", "application/pdf")}}, "kind"),
        ({"content": b"", "params": {"kind": "permit", "filename": "permit.pdf"}}, "file"),
        ({"content": b"abc", "params": {"kind": "permit"}}, "filename"),
    ],
)
async def test_a_bad_upload_is_refused_naming_the_field(archive, kwargs, field):
    await archive.put("/v1/plazas/p1/units/C-0802", json=FULL)
    r = await archive.post("/v1/plazas/p1/units/C-0802/documents", **kwargs)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field
    assert (await archive.get("/v1/plazas/p1/units/C-0802/documents")).json()["items"] == []


# --- bulk import and export ------------------------------------------------------------


def csv_register(n: int, bad: dict[int, str]) -> bytes:
    lines = ["unit,building,floor,area_m2,use,occupant_name,occupant_kind,key_account,contacts,handover_date"]
    for i in range(1, n + 1):
        lines.append(f"U-{i:03d},A,{i % 20},{50 + i},shop,商户 {i},merchant,{'yes' if i % 10 == 0 else 'no'},"
                     f"店长 {i}|manager|138{i:08d},2026-11-{1 + i % 28:02d}")
    for row, line in bad.items():
        lines[row - 1] = line
    return ("\n".join(lines) + "\n").encode()


async def test_a_register_import_is_all_or_nothing_reports_bad_rows_and_is_repeatable(archive, bus):
    bad = {5: "U-004,A,1,abc,shop,x,merchant,no,,", 9: "U-008,A,1,50,garage,x,merchant,no,,"}
    data = csv_register(200, bad)

    dry = (await archive.post("/v1/plazas/p1/units/import", params={"dry_run": "true"},
                              files={"file": ("units.csv", data, "text/csv")})).json()
    assert (dry["imported"], dry["unchanged"], dry["dry_run"]) == (198, 0, True)
    assert (await archive.get("/v1/plazas/p1/units")).json()["items"] == []

    r = await archive.post("/v1/plazas/p1/units/import", files={"file": ("units.csv", data, "text/csv")})
    report = r.json()
    assert r.status_code == 200 and (report["imported"], report["created"]) == (198, 198)
    assert report["rejected"] == [
        {"row": 5, "reason": "area_m2: 'abc' is not a number of square metres"},
        {"row": 9, "reason": "use: use must be one of shop, office, residence, not 'garage'"},
    ]
    unit = (await archive.get("/v1/plazas/p1/units/U-010")).json()
    assert unit["key_account"] is True and unit["contacts"][0]["relation"] == "manager"
    assert unit["handover_date"] == "2026-11-11" and unit["floor"] == "10"

    again = (await archive.post("/v1/plazas/p1/units/import", content=data)).json()
    assert (again["imported"], again["unchanged"]) == (0, 198)

    exported = await archive.get("/v1/plazas/p1/units/export.xlsx")
    assert exported.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content), read_only=True).worksheets[0]
    assert sum(1 for _ in sheet.iter_rows()) == 199
    # The exported workbook, edited in one cell, imports back as exactly that one change.
    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    book.worksheets[0]["D2"] = "新商户"  # occupant_name of U-001
    edited = io.BytesIO()
    book.save(edited)
    r = await archive.post("/v1/plazas/p1/units/import", files={"file": ("units.xlsx", edited.getvalue())})
    assert (r.json()["imported"], r.json()["unchanged"]) == (1, 197)
    assert (await archive.get("/v1/plazas/p1/units/U-001")).json()["occupant"]["name"] == "新商户"

    events = await eventually(lambda: _n(unit_events(bus), 199), what="one UnitRegistered per imported change")
    assert events[-1].unit == "U-001" and events[-1].revision == 2


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/v1/plazas/p1/units/import", b"unit,area_m2\nA-1,80\n", 400, "file"),
        ("/v1/plazas/p1/units/import", b"", 400, "file"),
        ("/v1/plazas/nowhere/units/import", b"unit,area_m2,use,occupant_name,occupant_kind\n", 404, "plaza"),
    ],
)
async def test_an_unusable_register_file_is_refused_naming_the_field(archive, path, body, status, field):
    r = await archive.post(path, content=body)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field


async def test_a_file_that_is_neither_csv_nor_a_workbook_is_refused_naming_the_file(archive):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU"
    r = await archive.post("/v1/plazas/p1/units/import", files={"file": ("file.png", png, "image/png")})
    assert r.status_code in (400, 422), r.text
    assert "file" in r.json().get("field", "") + r.json()["detail"]
    assert (await archive.get("/v1/plazas/p1/units")).json()["items"] == []


async def test_an_uploaded_page_is_downloaded_as_an_attachment_the_browser_does_not_sniff(archive):
    await archive.put("/v1/plazas/p1/units/C-0802", json=FULL)
    page = b"<html><script>alert(document.cookie)</script></html>"
    r = await archive.post("/v1/plazas/p1/units/C-0802/documents?kind=other&filename=notice.html", content=page)
    assert r.status_code == 201, r.text
    got = await archive.get(r.json()["url"])
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment;")
