"""Register rules: what a unit's facts are, what changed between two revisions, and what
each row of a bulk import means. Pure functions; no I/O.

A row of an import is refused with its spreadsheet row number (the header is row 1) and a
reason a clerk can act on; the other rows still import. A column the file does not have
keeps the unit's current value; an empty cell in a column it has clears an optional fact. A
cell takes what the API's body takes: no control characters, no more than its field's limit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from libs.contracts.events import UnitRegistered
from libs.contracts.subjects import InvalidToken, validate_token
from libs.runtime import export, limits
from services.archive.timeline.domain import InvalidFact

USES = ("shop", "office", "residence")
OCCUPANT_KINDS = ("merchant", "resident")


class Change(msgspec.Struct, frozen=True):
    field: str
    before: Any
    after: Any


OPTIONAL_FACTS = ("building", "floor", "contacts", "handover_date", "occupancy_date", "contract_start", "contract_end")
DATE_FACTS = ("handover_date", "occupancy_date", "contract_start", "contract_end")


def unit_facts(
    *, area_m2: float, use: str, occupant_name: str, occupant_kind: str,
    occupant_phone: str | None, key_account: bool, **optional: Any,
) -> dict:
    """The facts that make up one revision of a unit (what the audit trail stores).

    Optional facts appear only when known, so a revision stored before they existed
    compares equal to one that still does not know them. Dates are ISO text (JSON)."""
    facts = {
        "area_m2": area_m2,
        "use": use,
        "occupant": {"name": occupant_name, "kind": occupant_kind, "phone": occupant_phone},
        "key_account": key_account,
    }
    for key in OPTIONAL_FACTS:
        value = optional.get(key)
        if isinstance(value, dt.date):
            value = value.isoformat()
        if value not in (None, "", []):
            facts[key] = value
    return facts


def check_unit_facts(facts: Mapping) -> None:
    area = facts["area_m2"]
    # NaN and infinity pass a plain "> 0" or fail it silently; neither is an area.
    if not isinstance(area, (int, float)) or not math.isfinite(area) or area <= 0:
        raise InvalidFact("area_m2", f"area_m2 must be a positive number of square metres, not {area!r}")
    if facts["use"] not in USES:
        raise InvalidFact("use", f"use must be one of {', '.join(USES)}, not {facts['use']!r}")
    occupant = facts["occupant"]
    if not str(occupant["name"]).strip():
        raise InvalidFact("occupant.name", "occupant.name must not be empty")
    if occupant["kind"] not in OCCUPANT_KINDS:
        raise InvalidFact("occupant.kind", f"occupant.kind must be one of {', '.join(OCCUPANT_KINDS)}")
    _check_contacts(facts.get("contacts") or [])
    _check_order(facts, "handover_date", "occupancy_date", "a unit is occupied (入住) only after its handover (入伙)")
    _check_order(facts, "contract_start", "contract_end", "a contract ends after it starts")


def _check_contacts(contacts: list) -> None:
    for n, contact in enumerate(contacts):
        for key in ("name", "relation"):
            if not str(contact.get(key) or "").strip():
                raise InvalidFact(f"contacts[{n}].{key}", f"contacts[{n}].{key} must not be empty")


def _check_order(facts: Mapping, first: str, then: str, why: str) -> None:
    a, b = facts.get(first), facts.get(then)
    if a and b and b < a:  # ISO dates order as text
        raise InvalidFact(then, f"{then} {b} is before {first} {a}: {why}")


def diff(before: Mapping | None, after: Mapping) -> list[Change]:
    """Field-by-field changes, nested fields dotted (``occupant.phone``); [] means no change."""
    old, new = _flatten(before or {}), _flatten(after)
    keys = list(new) + [k for k in old if k not in new]
    return [Change(k, old.get(k), new.get(k)) for k in keys if not _same(old.get(k), new.get(k))]


def _flatten(facts: Mapping, prefix: str = "") -> dict:
    flat: dict = {}
    for key, value in facts.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _same(a: Any, b: Any) -> bool:
    # 80 and 80.0 are the same area; True and 1 are not the same key-account flag.
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def facts_of_event(e: UnitRegistered) -> dict:
    """The facts a UnitRegistered carries, in the shape the audit trail stores them."""
    return unit_facts(
        area_m2=e.area_m2, use=e.use, occupant_name=e.occupant.name, occupant_kind=e.occupant.kind,
        occupant_phone=e.occupant.phone, key_account=e.key_account, building=e.building, floor=e.floor,
        contacts=msgspec.to_builtins(e.contacts), handover_date=e.handover_date, occupancy_date=e.occupancy_date,
        contract_start=e.contract_start, contract_end=e.contract_end,
    )


# --- a bulk import of the register ------------------------------------------------------


REQUIRED = ("unit", "area_m2", "use", "occupant_name", "occupant_kind")
OPTIONAL = ("occupant_phone", "key_account", "building", "floor", "contacts",
            "handover_date", "occupancy_date", "contract_start", "contract_end")
COLUMNS = REQUIRED + OPTIONAL

# The headers of the register spreadsheets the desks already keep.
ALIASES = {
    "房号": "unit", "铺位": "unit", "楼栋": "building", "楼层": "floor", "面积": "area_m2",
    "用途": "use", "业户": "occupant_name", "业户类型": "occupant_kind", "电话": "occupant_phone",
    "重点客户": "key_account", "联系人": "contacts", "入伙日期": "handover_date",
    "入住日期": "occupancy_date", "合同开始": "contract_start", "合同结束": "contract_end",
}
# The header an export writes in Chinese: the first of each column's names above.
HEADERS_ZH = {column: name for name, column in reversed(ALIASES.items())}
VALUES = {"商铺": "shop", "办公": "office", "住宅": "residence", "商户": "merchant", "居民": "resident"}
TRUE = {"true", "yes", "y", "1", "是", "x", "✓"}
FALSE = {"false", "no", "n", "0", "否", ""}
# The longest text a cell takes, as PUT …/units/{unit} does (a name's, unless said here).
LONGEST = {"occupant_phone": limits.PHONE_MAX, "floor": limits.CODE_MAX}


class RowError(ValueError):
    pass


class Rejected(msgspec.Struct, frozen=True):
    row: int
    reason: str


class Row(msgspec.Struct, frozen=True):
    row: int
    unit: str
    values: dict  # column → parsed value, only the columns the file has


class Plan(msgspec.Struct, kw_only=True):
    """What an import does: per changed unit its facts before (None: new) and after."""

    changed: list[tuple[Row, dict | None, dict]]
    unchanged: int
    rejected: list[Rejected]


def header_columns(header: Iterable[Any]) -> list[str | None]:
    """Header cells → column names (None: a column the register does not know, ignored)."""
    columns = []
    for cell in header:
        name = str(cell).strip() if cell is not None else ""
        name = ALIASES.get(name, name.lower().replace(" ", "_"))
        columns.append(name if name in COLUMNS else None)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InvalidFact("file", f"the header row lacks the column(s) {', '.join(missing)}")
    return columns


def parse_rows(columns: list[str | None], rows: Iterable[tuple[int, tuple]]) -> tuple[list[Row], list[Rejected]]:
    accepted: list[Row] = []
    rejected: list[Rejected] = []
    first_seen: dict[str, int] = {}
    for number, cells in rows:
        if all(c is None or str(c).strip() == "" for c in cells):
            continue  # spreadsheets end in blank rows
        if len(accepted) + len(rejected) >= limits.IMPORT_ROWS_MAX:
            raise InvalidFact(
                "file", f"the file has more rows than an import takes: at most {limits.IMPORT_ROWS_MAX} rows at a time")
        try:
            row = parse_row(number, columns, cells)
            if row.unit in first_seen:
                raise RowError(f"unit {row.unit} already appears in row {first_seen[row.unit]}")
        except (RowError, InvalidFact) as exc:
            rejected.append(Rejected(number, _reason(exc)))
            continue
        first_seen[row.unit] = number
        accepted.append(row)
    return accepted, rejected


def _reason(exc: Exception) -> str:
    if isinstance(exc, InvalidFact):
        return f"{exc.field}: {exc.message}"
    return str(exc)


def parse_row(number: int, columns: list[str | None], cells: tuple) -> Row:
    raw = {col: cells[i] if i < len(cells) else None for i, col in enumerate(columns) if col}
    values = {col: _PARSERS.get(col, _text)(col, value) for col, value in raw.items()}
    unit = values.pop("unit")
    if unit is None:
        raise RowError("unit: the unit number is empty")
    try:
        validate_token(unit, "unit")
    except InvalidToken as exc:
        raise RowError(f"unit: {exc}") from exc
    for col in REQUIRED[1:]:
        if values.get(col) is None:
            raise RowError(f"{col}: is empty")
    return Row(number, unit, values)


def facts_after(row: Row, before: Mapping | None) -> dict:
    """The unit's facts once the row applies: what the file does not say stays as it was."""
    current = _flat(before) if before else {}
    merged = {**current, **row.values}
    facts = unit_facts(
        area_m2=merged["area_m2"], use=merged["use"], occupant_name=merged["occupant_name"],
        occupant_kind=merged["occupant_kind"], occupant_phone=merged.get("occupant_phone"),
        key_account=bool(merged.get("key_account") or False),
        **{k: merged.get(k) for k in OPTIONAL_FACTS},
    )
    check_unit_facts(facts)
    return facts


def _flat(facts: Mapping) -> dict:
    occupant = facts["occupant"]
    rest = {k: v for k, v in facts.items() if k != "occupant"}
    return {**rest, "occupant_name": occupant["name"], "occupant_kind": occupant["kind"],
            "occupant_phone": occupant.get("phone")}


def plan(rows: list[Row], rejected: list[Rejected], current: Mapping[str, dict]) -> Plan:
    changed, unchanged, refused = [], 0, list(rejected)
    for row in rows:
        before = current.get(row.unit)
        try:
            after = facts_after(row, before)
        except InvalidFact as exc:
            refused.append(Rejected(row.row, _reason(exc)))
            continue
        if before is not None and not diff(before, after):
            unchanged += 1
        else:
            changed.append((row, before, after))
    return Plan(changed=changed, unchanged=unchanged, rejected=sorted(refused, key=lambda r: r.row))


# --- cells -----------------------------------------------------------------------------


def _text(col: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores floor 3 as 3.0
    text = export.unquote(str(value).strip())  # "'=x" in a file this service exported is "=x"
    if bad := limits.control_character(text):
        raise RowError(f"{col}: contains a control character ({bad})")
    if col != "contacts" and (why := limits.too_long(text, LONGEST.get(col, limits.NAME_MAX))):
        raise RowError(f"{col}: {why}")
    return VALUES.get(text, text) or None


def _area(col: str, value: Any) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RowError(f"area_m2: {value!r} is not a number of square metres") from None


def _flag(col: str, value: Any) -> bool:
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE or value is True:
        return True
    if text in FALSE or value is False:
        return False
    raise RowError(f"{col}: {value!r} is neither yes nor no")


def _date(col: str, value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _text(col, value)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.replace("/", "-")).isoformat()
    except ValueError:
        raise RowError(f"{col}: {text!r} is not a date such as 2026-11-27") from None


def _contacts(col: str, value: Any) -> list[dict]:
    """``name|relation|phone; name|relation|phone`` (phone optional)."""
    text = _text(col, value) or ""
    contacts = []
    items = list(filter(None, (part.strip() for part in text.split(";"))))
    if len(items) > limits.CONTACTS_MAX:
        raise RowError(f"contacts: {len(items)} contacts, at most {limits.CONTACTS_MAX}")
    for item in items:
        parts = [p.strip() for p in item.split("|")]
        if len(parts) not in (2, 3):
            raise RowError(f"contacts: {item!r} is not name|relation|phone")
        for part, (what, longest) in zip(parts, _CONTACT_PARTS):
            if why := limits.too_long(part, longest):
                raise RowError(f"contacts: a {what} of {why}")
        contacts.append({"name": parts[0], "relation": parts[1], "phone": (parts[2] if len(parts) == 3 else None) or None})
    return contacts


_CONTACT_PARTS = (("name", limits.NAME_MAX), ("relation", limits.CODE_MAX), ("phone", limits.PHONE_MAX))


def format_contacts(contacts: list[Mapping] | None) -> str:
    return "; ".join("|".join(filter(None, (c["name"], c["relation"], c.get("phone")))) for c in contacts or [])


_PARSERS = {
    "area_m2": _area,
    "key_account": _flag,
    "contacts": _contacts,
    **{col: _date for col in DATE_FACTS},
}
