"""Bulk import of a plaza's unit register from CSV or Excel, and its export to Excel.

The file is read and every row checked first (``read_register``); then one use case applies
all accepted rows in one transaction with bulk statements and one ``tx.emit`` for the
UnitRegistered of every unit that changed: the valid rows all land, or none do.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Callable, Iterator

import msgspec
import openpyxl

from libs.contracts import new_event_id, utcnow
from libs.runtime import export
from libs.runtime.errors import InvalidInput
from libs.runtime.outbox import Tx
from services.archive import domain, domain_import, services, store
from services.archive.domain_import import Rejected, Row
from services.archive.services import BadField

Progress = Callable[[int, int], None]
XLSX_MAGIC = b"PK\x03\x04"
XLSX_TYPE = export.XLSX_TYPE
EXPORT_COLUMNS = domain_import.COLUMNS


class Parsed(msgspec.Struct, kw_only=True):
    rows: list[Row]
    rejected: list[Rejected]


class ImportReport(msgspec.Struct, kw_only=True):
    import_id: str
    dry_run: bool
    imported: int
    created: int
    updated: int
    unchanged: int
    rejected: list[Rejected]


# --- reading a file ----------------------------------------------------------------------


def read_register(data: bytes, progress: Progress | None = None) -> Parsed:
    """CSV (UTF-8, or GB18030 as Chinese Excel saves it) or .xlsx, told apart by content."""
    if not data:
        raise BadField("file is empty: nothing to import", field="file")
    header, rows, total = _xlsx(data) if data.startswith(XLSX_MAGIC) else _csv(data)
    try:
        columns = domain_import.header_columns(header or ())
    except domain.InvalidFact as exc:
        raise BadField(exc.message, field=exc.field) from exc
    try:
        accepted, rejected = domain_import.parse_rows(columns, _counted(rows, total, progress))
    except domain.InvalidFact as exc:  # over the row limit: a limit, not a malformed file
        raise InvalidInput(exc.message, field=exc.field) from exc
    return Parsed(rows=accepted, rejected=rejected)


def _counted(rows: Iterator[tuple[int, tuple]], total: int, progress: Progress | None):
    for number, cells in rows:
        yield number, cells
        if progress and number % 100 == 0 and number - 1 < total:
            progress(number - 1, total)
    if progress:
        progress(total, total)


def _xlsx(data: bytes):
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise BadField(f"file is not a readable .xlsx workbook: {exc}", field="file") from exc
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = next(lines, None)
    return header, ((n, cells) for n, cells in enumerate(lines, start=2)), max((sheet.max_row or 1) - 1, 0)


def _csv(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    lines = list(csv.reader(io.StringIO(text)))
    header = lines[0] if lines else None
    return header, ((n, tuple(cells)) for n, cells in enumerate(lines[1:], start=2)), max(len(lines) - 1, 0)


# --- applying it -------------------------------------------------------------------------


async def import_units(
    tx: Tx, plaza_id: str, parsed: Parsed, *, dry_run: bool, actor: str, correlation_id: str | None = None
) -> ImportReport:
    await services.require_plaza(tx.conn, plaza_id)
    if not dry_run:
        # The lock a first PUT takes to create a unit, and every unit this may update: a PUT
        # or another import at the same moment goes before or after this one, never between.
        await store.lock_plaza(tx.conn, plaza_id)
    current_rows = {r["unit"]: r for r in await store.all_units(tx.conn, plaza_id, for_update=not dry_run)}
    current = {unit: services.facts_of_row(r) for unit, r in current_rows.items()}
    plan = domain_import.plan(parsed.rows, parsed.rejected, current)
    import_id = correlation_id or new_event_id()
    created = sum(1 for _, before, _ in plan.changed if before is None)
    report = ImportReport(import_id=import_id, dry_run=dry_run, imported=len(plan.changed), created=created,
                          updated=len(plan.changed) - created, unchanged=plan.unchanged, rejected=plan.rejected)
    if not dry_run and plan.changed:
        await _apply(tx, plaza_id, plan, current_rows, actor=actor, import_id=import_id)
    return report


async def _apply(tx: Tx, plaza_id: str, plan: domain_import.Plan, current_rows: dict, *, actor: str, import_id: str) -> None:
    now = utcnow()
    new_units, updates, revisions, timeline, events = [], [], [], [], []
    for row, before, after in plan.changed:
        revision = 1 if before is None else current_rows[row.unit]["revision"] + 1
        event = services.unit_event(plaza_id, row.unit, revision, after, at=now, actor=actor, correlation_id=import_id)
        columns = {**services.unit_columns(after), "revision": revision, "updated_at": now}
        if before is None:
            new_units.append({"plaza_id": plaza_id, "unit": row.unit, **columns, "created_at": now})
        else:
            updates.append({"key_unit": row.unit, **columns})
        revisions.append(services.revision_row(event, before, after))
        timeline.append(services.timeline_row(event, domain.summarize_unit_registered(event, domain.diff(before, after))))
        events.append(event)
    await store.add_units(tx.conn, new_units)
    await store.update_units(tx.conn, plaza_id, updates)
    await store.add_revisions(tx.conn, revisions)
    await store.add_timeline_entries(tx.conn, timeline)
    await tx.emit(*events)


# --- export ------------------------------------------------------------------------------


def export_register(rows) -> bytes:
    """The register as .xlsx, in the columns an import reads back unchanged."""
    lines = ([_cell(col, row) for col in EXPORT_COLUMNS] for row in rows)
    return export.xlsx([("units", itertools.chain([list(EXPORT_COLUMNS)], lines))])


def _cell(col: str, row):
    if col == "contacts":
        return domain_import.format_contacts(row["contacts"]) or None
    if col == "key_account":
        return "yes" if row["key_account"] else "no"
    value = row[col]
    return value.isoformat() if isinstance(value, dt.date) else value
