"""Register use cases: plazas, units and their revisions, one at a time (PUT) or a whole
register at once (import from CSV/.xlsx, export to .xlsx). Each one function, one
transaction, its events to the outbox and its timeline entries in the same transaction.

An import reads and checks every row first (``read_register``); then ``import_units``
applies all accepted rows in one transaction with bulk statements and one ``tx.emit`` for
the UnitRegistered of every unit that changed: the valid rows all land, or none do.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
import csv
import io
import itertools
from collections.abc import Callable, Iterator

import msgspec
import openpyxl
from msgspec import UNSET, UnsetType

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import Occupant, PlazaRegistered, UnitContact, UnitRegistered, Use
from libs.runtime import export, limits
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.uow import Tx
from services.archive.register import domain, store
from services.archive.register.domain import Rejected, Row
from services.archive.timeline import domain as timeline_rules
from services.archive.timeline import services as timeline
from services.archive.timeline.services import BadField

Progress = Callable[[int, int], None]
XLSX_MAGIC = b"PK\x03\x04"
XLSX_TYPE = export.XLSX_TYPE
EXPORT_COLUMNS = domain.COLUMNS


class PlazaUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: limits.Name
    timezone: limits.Code = "Asia/Shanghai"


class OccupantIn(Occupant, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The occupant as a request body takes it: the event's Occupant, bounded. (The event
    type itself stays open: a newer producer's field must not break an older consumer.)"""

    name: limits.Name
    phone: limits.Phone | None = None


class UnitContactIn(UnitContact, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A contact or family member as a request body takes it."""

    name: limits.Name
    relation: limits.Code
    phone: limits.Phone | None = None


class UnitUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The DESIGN.md body plus optional facts: a fact left out keeps its current value,
    an explicit null clears it."""

    area_m2: float
    use: Use
    occupant: OccupantIn
    key_account: bool = False
    building: limits.Name | None | UnsetType = UNSET
    floor: limits.Code | None | UnsetType = UNSET
    contacts: limits.items(UnitContactIn, limits.CONTACTS_MAX) | None | UnsetType = UNSET
    handover_date: dt.date | None | UnsetType = UNSET  # 入伙
    occupancy_date: dt.date | None | UnsetType = UNSET  # 入住
    contract_start: dt.date | None | UnsetType = UNSET
    contract_end: dt.date | None | UnsetType = UNSET


class Saved(msgspec.Struct, kw_only=True):
    """What a PUT did: ``created`` picks 201 over 200; ``changed`` is False for a no-op."""

    created: bool
    changed: bool
    row: dict


# --- plazas ----------------------------------------------------------------------------


async def register_plaza(tx: Tx, plaza_id: str, body: PlazaUpdate, *, actor: str, correlation_id: str | None) -> Saved:
    if not body.name.strip():
        raise BadField("name must not be empty", field="name")
    _check_timezone(body.timezone)
    values = {"name": body.name, "timezone": body.timezone}
    now = utcnow()
    current = await store.get_plaza(tx.conn, plaza_id, for_update=True)
    created = current is None and await store.add_plaza(
        tx.conn, {"plaza_id": plaza_id, **values, "created_at": now, "updated_at": now})
    if not created:
        # Registered already, or by another first PUT that committed since we looked: then
        # this one is applied on top of it, as the same PUT a moment later would be.
        current = current or await store.get_plaza(tx.conn, plaza_id, for_update=True)
        if all(current[k] == v for k, v in values.items()):
            return Saved(created=False, changed=False, row=dict(current))
        await store.update_plaza(tx.conn, plaza_id, {**values, "updated_at": now})
    await tx.emit(
        PlazaRegistered(
            plaza_id=plaza_id, occurred_at=now, correlation_id=correlation_id or new_event_id(),
            actor=actor, name=body.name, timezone=body.timezone,
        )
    )
    created_at = now if created else current["created_at"]
    return Saved(created=created, changed=True,
                 row={"plaza_id": plaza_id, **values, "created_at": created_at, "updated_at": now})


def _check_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise BadField(f"timezone {name!r} is not an IANA time zone such as 'Asia/Shanghai'", field="timezone") from exc


async def require_plaza(conn, plaza_id: str) -> None:
    if await store.get_plaza(conn, plaza_id) is None:
        raise NotFound(f"plaza {plaza_id!r} is not registered (PUT /v1/plazas/{plaza_id} first)", field="plaza")


async def require_unit(conn, plaza_id: str, unit: str) -> dict:
    row = await store.get_unit(conn, plaza_id, unit)
    if row is None:
        raise NotFound(f"unit {unit!r} is not registered in plaza {plaza_id!r}", field="unit")
    return row


# --- units -----------------------------------------------------------------------------


def facts_of_row(row) -> dict:
    return domain.unit_facts(
        area_m2=row["area_m2"], use=row["use"], occupant_name=row["occupant_name"],
        occupant_kind=row["occupant_kind"], occupant_phone=row["occupant_phone"],
        key_account=row["key_account"], **{k: row[k] for k in domain.OPTIONAL_FACTS},
    )


def _facts_of_body(body: UnitUpdate, before: dict | None) -> dict:
    kept = before or {}
    optional = {k: kept.get(k) if getattr(body, k) is UNSET else getattr(body, k) for k in domain.OPTIONAL_FACTS}
    if optional["contacts"] and not isinstance(optional["contacts"][0], dict):
        optional["contacts"] = msgspec.to_builtins(optional["contacts"])
    return domain.unit_facts(
        area_m2=body.area_m2, use=body.use, occupant_name=body.occupant.name,
        occupant_kind=body.occupant.kind, occupant_phone=body.occupant.phone,
        key_account=body.key_account, **optional,
    )


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def unit_columns(facts: dict) -> dict:
    occupant = facts["occupant"]
    return {
        "area_m2": facts["area_m2"], "use": facts["use"], "occupant_name": occupant["name"],
        "occupant_kind": occupant["kind"], "occupant_phone": occupant["phone"],
        "key_account": facts["key_account"], "building": facts.get("building"), "floor": facts.get("floor"),
        "contacts": facts.get("contacts"), **{k: _date(facts.get(k)) for k in domain.DATE_FACTS},
    }


def unit_event(plaza_id: str, unit: str, revision: int, facts: dict, *, at: dt.datetime, actor: str,
               correlation_id: str | None) -> UnitRegistered:
    occupant = facts["occupant"]
    return UnitRegistered(
        plaza_id=plaza_id, occurred_at=at, correlation_id=correlation_id or new_event_id(), actor=actor,
        unit=unit, revision=revision, area_m2=facts["area_m2"], use=facts["use"],
        occupant=Occupant(name=occupant["name"], kind=occupant["kind"], phone=occupant["phone"]),
        key_account=facts["key_account"], building=facts.get("building"), floor=facts.get("floor"),
        contacts=[UnitContact(**c) for c in facts.get("contacts") or []],
        **{k: _date(facts.get(k)) for k in domain.DATE_FACTS},
    )


def check_facts(facts: dict) -> None:
    try:
        domain.check_unit_facts(facts)
    except domain.InvalidFact as exc:
        raise BadField(exc.message, field=exc.field) from exc


def revision_row(event: UnitRegistered, before: dict | None, after: dict) -> dict:
    return {"plaza_id": event.plaza_id, "unit": event.unit, "revision": event.revision, "who": event.actor,
            "changed_at": event.occurred_at, "event_id": event.id, "before": before, "after": after}


async def register_unit(
    tx: Tx, plaza_id: str, unit: str, body: UnitUpdate, *, actor: str, correlation_id: str | None
) -> Saved:
    await require_plaza(tx.conn, plaza_id)
    current = await store.get_unit(tx.conn, plaza_id, unit, for_update=True)
    if current is None:
        # New so far: look again holding the plaza's lock for creating units. Another
        # clerk's first PUT of this unit may have committed meanwhile; then this PUT is
        # applied on top of it as a PUT a moment later would be: the same body changes
        # nothing, a different one is the next revision.
        await store.lock_plaza(tx.conn, plaza_id)
        current = await store.get_unit(tx.conn, plaza_id, unit, for_update=True)
    before = facts_of_row(current) if current is not None else None
    after = _facts_of_body(body, before)
    check_facts(after)
    changes = domain.diff(before, after)
    if not changes:
        return Saved(created=False, changed=False, row=dict(current))

    now = utcnow()
    revision = 1 if current is None else current["revision"] + 1
    columns = {**unit_columns(after), "revision": revision, "updated_at": now}
    if current is None:
        row = {"plaza_id": plaza_id, "unit": unit, **columns, "created_at": now}
        await store.add_unit(tx.conn, row)
    else:
        row = {**current, **columns}
        await store.update_unit(tx.conn, plaza_id, unit, columns)
    event = unit_event(plaza_id, unit, revision, after, at=now, actor=actor, correlation_id=correlation_id)
    await store.add_revision(tx.conn, revision_row(event, before, after))
    await tx.emit(event)
    await timeline.file_on_timeline(tx, event, timeline_rules.summarize_unit_registered(event, [c.field for c in changes]))
    return Saved(created=current is None, changed=True, row=row)


# --- the register in bulk ------------------------------------------------------------------


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
        columns = domain.header_columns(header or ())
    except domain.InvalidFact as exc:
        raise timeline.refused(exc) from exc
    try:
        accepted, rejected = domain.parse_rows(columns, _counted(rows, total, progress))
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
    try:  # newline="": the csv module handles a quoted line break and a lone CR itself
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise BadField(f"file is not a readable CSV: {exc}", field="file") from exc
    header = lines[0] if lines else None
    return header, ((n, tuple(cells)) for n, cells in enumerate(lines[1:], start=2)), max(len(lines) - 1, 0)


# --- applying it -------------------------------------------------------------------------


async def import_units(
    tx: Tx, plaza_id: str, parsed: Parsed, *, dry_run: bool, actor: str, correlation_id: str | None = None
) -> ImportReport:
    await require_plaza(tx.conn, plaza_id)
    if not dry_run:
        # The lock a first PUT takes to create a unit, and every unit this may update: a PUT
        # or another import at the same moment goes before or after this one, never between.
        await store.lock_plaza(tx.conn, plaza_id)
    current_rows = {r["unit"]: r for r in await store.all_units(tx.conn, plaza_id, for_update=not dry_run)}
    current = {unit: facts_of_row(r) for unit, r in current_rows.items()}
    plan = domain.plan(parsed.rows, parsed.rejected, current)
    import_id = correlation_id or new_event_id()
    created = sum(1 for _, before, _ in plan.changed if before is None)
    report = ImportReport(import_id=import_id, dry_run=dry_run, imported=len(plan.changed), created=created,
                          updated=len(plan.changed) - created, unchanged=plan.unchanged, rejected=plan.rejected)
    if not dry_run and plan.changed:
        await _apply(tx, plaza_id, plan, current_rows, actor=actor, import_id=import_id)
    return report


async def _apply(tx: Tx, plaza_id: str, plan: domain.Plan, current_rows: dict, *, actor: str, import_id: str) -> None:
    now = utcnow()
    new_units, updates, revisions, events, summaries = [], [], [], [], {}
    for row, before, after in plan.changed:
        revision = 1 if before is None else current_rows[row.unit]["revision"] + 1
        event = unit_event(plaza_id, row.unit, revision, after, at=now, actor=actor, correlation_id=import_id)
        columns = {**unit_columns(after), "revision": revision, "updated_at": now}
        if before is None:
            new_units.append({"plaza_id": plaza_id, "unit": row.unit, **columns, "created_at": now})
        else:
            updates.append({"key_unit": row.unit, **columns})
        revisions.append(revision_row(event, before, after))
        changed = [c.field for c in domain.diff(before, after)]
        summaries[event.id] = timeline_rules.summarize_unit_registered(event, changed)
        events.append(event)
    await store.add_units(tx.conn, new_units)
    await store.update_units(tx.conn, plaza_id, updates)
    await store.add_revisions(tx.conn, revisions)
    await timeline.record_events(tx, events, lambda e: summaries[e.id])
    await tx.emit(*events)


# --- export ------------------------------------------------------------------------------


def export_register(rows, lang: str = "zh") -> bytes:
    """The register as .xlsx, in the columns an import reads back unchanged: headed in
    Chinese (the names an import reads, 房号, 面积 …) or with the column names (``en``)."""
    lines = ([_cell(col, row) for col in EXPORT_COLUMNS] for row in rows)
    header = [domain.HEADERS_ZH[c] if lang == "zh" else c for c in EXPORT_COLUMNS]
    return export.xlsx([("单元档案" if lang == "zh" else "units", itertools.chain([header], lines))])


def _cell(col: str, row):
    if col == "contacts":
        return domain.format_contacts(row["contacts"]) or None
    if col == "key_account":
        return "yes" if row["key_account"] else "no"
    value = row[col]
    return value.isoformat() if isinstance(value, dt.date) else value
