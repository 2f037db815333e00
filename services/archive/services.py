"""Archive use cases: each one function, one transaction, its events to the outbox."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import msgspec
from msgspec import UNSET, UnsetType

from libs.contracts import Event, new_event_id, utcnow
from libs.contracts.events import STREAM_OF, Occupant, PlazaRegistered, UnitContact, UnitRegistered, Use
from libs.runtime import limits
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.outbox import Tx
from services.archive import domain, store

ARCHIVE_ACTOR = "front-desk"


class BadField(InvalidInput):
    """A field of the request body is wrong: the same 400 the API gives for a wrong type."""

    status = 400
    title = "Invalid request"


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
    return Saved(created=created, changed=True, row=dict(await store.get_plaza(tx.conn, plaza_id)))


def _check_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise BadField(f"timezone {name!r} is not an IANA time zone such as 'Asia/Shanghai'", field="timezone") from exc


async def require_plaza(conn, plaza_id: str) -> None:
    if await store.get_plaza(conn, plaza_id) is None:
        raise NotFound(f"plaza {plaza_id!r} is not registered (PUT /v1/plazas/{plaza_id} first)", field="plaza")


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
    if current is None:
        await store.add_unit(tx.conn, {"plaza_id": plaza_id, "unit": unit, **unit_columns(after),
                                       "revision": 1, "created_at": now, "updated_at": now})
    else:
        await store.update_unit(tx.conn, plaza_id, unit, {**unit_columns(after), "revision": revision, "updated_at": now})
    event = unit_event(plaza_id, unit, revision, after, at=now, actor=actor, correlation_id=correlation_id)
    await store.add_revision(tx.conn, revision_row(event, before, after))
    await tx.emit(event)
    await file_on_timeline(tx, event, domain.summarize_unit_registered(event, changes))
    return Saved(created=current is None, changed=True, row=dict(await store.get_unit(tx.conn, plaza_id, unit)))


# --- timeline --------------------------------------------------------------------------


async def record_event(tx: Tx, event: Event) -> None:
    await record_events(tx, [event])


async def record_events(tx: Tx, events: list[Event], summarize: Callable[[Event], str] = domain.summarize) -> int:
    """Any service's event about a unit goes on its timeline (the consumer lets through
    only registered units): one insert for the batch, an event already filed, or the same
    fact under another event id (``domain.fact_key``), is left as it is. Returns how many
    were about a unit."""
    rows = [timeline_row(e, summarize(e)) for e in events if e.unit_id]
    await store.add_timeline_entries(tx.conn, rows)
    return len(rows)


async def file_on_timeline(tx: Tx, event: Event, summary: str) -> bool:
    return await store.add_timeline_entry(tx.conn, timeline_row(event, summary))


def timeline_row(event: Event, summary: str) -> dict:
    return {
        "event_id": event.id,
        "fact_key": domain.fact_key(event),
        "plaza_id": event.plaza_id,
        "unit": event.unit_id,
        "type": type(event).__name__,
        "occurred_at": event.occurred_at,
        "correlation_id": event.correlation_id,
        "source": STREAM_OF.get(type(event), "unknown"),
        "summary": summary,
        "event": msgspec.to_builtins(event),
        "recorded_at": utcnow(),
    }


def parse_types(values: list[str] | None) -> list[str]:
    """``?type=A&type=B`` and ``?type=A,B`` mean the same."""
    return [t.strip() for v in values or [] for t in v.split(",") if t.strip()]


def as_utc(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise BadField(f"{field} must carry a time zone, e.g. 2024-05-01T00:00:00Z", field=field)
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError:  # within a day of year 1 or 9999: no such instant in UTC
        raise BadField(f"{field} is out of range", field=field) from None


def decode_cursor(text: str | None) -> domain.TimelineCursor | None:
    if not text:
        return None
    try:
        return domain.TimelineCursor.decode(text)
    except domain.InvalidFact as exc:
        raise BadField(exc.message, field=exc.field) from exc
