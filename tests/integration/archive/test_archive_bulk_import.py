"""The move-in surge of the register: a 5,000-unit spreadsheet through the import command
(SQLite, service layer: the brief allows big volumes there), with 10 bad rows."""

from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa

from libs.contracts.events import decode
from libs.runtime.db import Database
from services.archive import tables
from services.archive.register import cli, store
from services.archive.settings import Settings
from tests.support.harness import make_tables

HEADER = ["unit", "building", "floor", "area_m2", "use", "occupant_name", "occupant_kind", "occupant_phone",
          "key_account", "contacts", "handover_date", "occupancy_date"]

# row number (the header is row 1) → (the bad row, what the report must say)
BAD = {
    17: (["X-17", "A", 1, "big", "shop", "Li", "merchant", "", "no", "", "", ""], "area_m2"),
    230: (["X-230", "A", 2, 50, "warehouse", "Li", "merchant", "", "no", "", "", ""], "use"),
    999: (["X-999", "A", 3, 50, "shop", "", "merchant", "", "no", "", "", ""], "occupant_name"),
    1500: (["U-00002", "A", 3, 50, "shop", "Li", "merchant", "", "no", "", "", ""], "already appears in row 3"),
    2001: (["X 2001", "A", 3, 50, "shop", "Li", "merchant", "", "no", "", "", ""], "unit"),
    2500: (["X-2500", "A", 3, 50, "shop", "Li", "merchant", "", "no", "", "2026-13-01", ""], "handover_date"),
    3000: (["X-3000", "A", 3, 50, "shop", "Li", "merchant", "", "no", "", "2026-11-20", "2026-11-01"], "occupancy_date"),
    3500: (["X-3500", "A", 3, 50, "shop", "Li", "tenant", "", "no", "", "", ""], "occupant.kind"),
    4000: (["X-4000", "A", 3, 50, "shop", "Li", "merchant", "", "maybe", "", "", ""], "key_account"),
    5001: (["X-5001", "A", 3, -4, "shop", "Li", "merchant", "", "no", "", "", ""], "area_m2"),
}


def register_workbook(units: int) -> tuple[bytes, int]:
    """``units`` good rows with the BAD rows put in at their row numbers."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("units")
    sheet.append(HEADER)
    good, number = 0, 2
    while good < units or number in BAD:
        if number in BAD:
            sheet.append(BAD[number][0])
        else:
            good += 1
            sheet.append([f"U-{good:05d}", f"B{good % 12}", good % 30, 40 + good % 200, ("shop", "office", "residence")[good % 3],
                          f"业户 {good}", "merchant" if good % 3 != 2 else "resident", f"138{good:08d}",
                          "yes" if good % 50 == 0 else "no", f"家属 {good}|spouse|139{good:08d}", "2026-11-20", None])
        number += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), number - 1


async def count(settings: Settings, table: sa.Table, *where) -> int:
    db = Database(settings.database_url)
    async with db.read() as conn:
        n = (await conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))).scalar_one()
    await db.dispose()
    return n


async def seed_plaza(settings: Settings) -> None:
    from libs.contracts import utcnow

    db = Database(settings.database_url)
    await make_tables(db, tables.metadata)
    async with db.write() as conn:
        await store.add_plaza(conn, {"plaza_id": "p1", "name": "Plaza One", "timezone": "Asia/Shanghai",
                                     "created_at": utcnow(), "updated_at": utcnow()})
    await db.dispose()


async def test_a_5000_unit_spreadsheet_with_10_bad_rows_imports_4990_and_a_second_run_changes_nothing(tmp_path, capsys):
    settings = Settings(data_dir=str(tmp_path), database_url=f"sqlite+aiosqlite:///{tmp_path}/archive.db")
    await seed_plaza(settings)
    data, last_row = register_workbook(4990)
    path = tmp_path / "register.xlsx"
    path.write_bytes(data)

    dry = await cli.import_file(settings, "p1", path, dry_run=True)
    assert (dry.imported, dry.unchanged, len(dry.rejected)) == (4990, 0, 10)
    assert await count(settings, tables.units) == 0  # a dry run leaves nothing behind

    bar = cli.progress_bar(io.StringIO())
    report = await cli.import_file(settings, "p1", path, dry_run=False, progress=bar)
    assert (report.imported, report.created, report.unchanged) == (4990, 4990, 0)
    assert [r.row for r in report.rejected] == sorted(BAD)
    for rejected in report.rejected:
        assert BAD[rejected.row][1] in rejected.reason, rejected
    assert await count(settings, tables.units) == 4990
    assert await count(settings, tables.outbox) == 4990  # one UnitRegistered per unit
    assert await count(settings, tables.unit_revisions) == 4990

    again = await cli.import_file(settings, "p1", path, dry_run=False)
    assert (again.imported, again.unchanged, len(again.rejected)) == (0, 4990, 10)
    assert await count(settings, tables.outbox) == 4990
    assert last_row == 5001

    db = Database(settings.database_url)
    async with db.read() as conn:
        payload = (await conn.execute(sa.select(tables.outbox.c.payload).order_by(tables.outbox.c.seq).limit(1))).scalar_one()
    await db.dispose()
    first = decode(payload)
    assert first.unit == "U-00001" and first.contacts[0].relation == "spouse" and first.handover_date.isoformat() == "2026-11-20"


def test_the_cli_prints_a_progress_bar_and_the_report(tmp_path, capsys, monkeypatch):
    import asyncio

    settings = Settings(data_dir=str(tmp_path), database_url=f"sqlite+aiosqlite:///{tmp_path}/archive.db")
    asyncio.run(seed_plaza(settings))
    path = tmp_path / "register.csv"
    path.write_text("房号,面积,用途,业户,业户类型\nA-1,80,商铺,李明,商户\nA-2,abc,商铺,王芳,商户\n", encoding="utf-8")

    code = cli.main(["import", "p1", str(path), "--dry-run"], settings)
    out, err = capsys.readouterr()
    assert code == 1  # some rows were rejected
    assert "[##############################] 100%  2/2 rows" in err
    assert '"imported": 1' in out and '"row": 3' in out and "area_m2" in out
    assert asyncio.run(count(settings, tables.units)) == 0
