"""The unit register's view rules: the unit card's groups, each timeline event named in the
desk's words, who may edit, import or export, and the edit form's body. No I/O."""

from __future__ import annotations

from typing import Any

import msgspec

from services.console.i18n.domain import N_

USES: dict[str, str] = {"shop": N_("Shop"), "office": N_("Office"), "residence": N_("Residence")}
OCCUPANT_KINDS: dict[str, str] = {"merchant": N_("Merchant"), "resident": N_("Resident")}
DOCUMENT_KINDS: dict[str, str] = {"contract": N_("Contract"), "permit": N_("Permit"),
                                  "certificate": N_("Certificate"), "other": N_("Other document")}
PERMIT_STATUS: dict[str, str] = {
    "applied": N_("Applied"), "reviewed": N_("Reviewed"), "rejected": N_("Rejected"), "approved": N_("Approved"),
    "rectification_required": N_("Rectification required"), "inspection_passed": N_("Inspection passed"),
    "closed": N_("Closed")}
FACTS: dict[str, str] = {
    "area_m2": N_("Area (m²)"), "use": N_("Use"), "occupant": N_("Occupant"), "key_account": N_("Key account"),
    "building": N_("Building"), "floor": N_("Floor"), "contacts": N_("Contacts"),
    "handover_date": N_("Handover date"), "occupancy_date": N_("Occupancy date"),
    "contract_start": N_("Contract start"), "contract_end": N_("Contract end")}
DATES = ("handover_date", "occupancy_date", "contract_start", "contract_end")

# Each event on a unit's timeline in the desk's words.
EVENTS: dict[str, str] = {
    "PlazaRegistered": N_("Plaza registered"), "UnitRegistered": N_("Unit archive recorded or changed"),
    "DocumentAttached": N_("Document filed"), "RequestReceived": N_("Request received"),
    "RequestReclassified": N_("Request reclassified"), "HandoverInspected": N_("Handover inspection"),
    "RenovationApproved": N_("Renovation permit approved"), "RenovationClosed": N_("Renovation permit closed"),
    "WorkOrderCreated": N_("Work order opened"), "WorkOrderAssigned": N_("Work order assigned"),
    "WorkOrderStarted": N_("Work started"), "WorkOrderResolved": N_("Work order resolved"),
    "WorkOrderClosed": N_("Work order closed"), "WorkOrderReopened": N_("Second dispatch"),
    "WorkOrderEscalated": N_("Work order escalated"), "WorkOrderCancelled": N_("Work order cancelled"),
    "WorkOrderRerouted": N_("Work order sent to another department"), "StockLow": N_("Stock low"),
    "VisitScheduled": N_("Return visit scheduled"), "VisitCompleted": N_("Return visit done"),
    "VisitSkipped": N_("Return visit skipped"), "ChargePosted": N_("Charge posted"),
    "PaymentReceived": N_("Payment received"), "InvoiceIssued": N_("Invoice issued"),
    "PrepaidBalanceLow": N_("Prepaid balance low"), "DunningReminderIssued": N_("Dunning reminder"),
    "ArrearsEscalated": N_("Arrears escalated"), "RefundIssued": N_("Refund issued"),
    "DepositHeld": N_("Renovation deposit held"), "DepositRefunded": N_("Renovation deposit refunded"),
    "EntryCorrected": N_("Entry corrected"), "StaffJoined": N_("Staff joined"), "StaffChanged": N_("Staff changed"),
    "StaffLeft": N_("Staff left"), "ShiftPlanned": N_("Shift planned"), "ShiftCancelled": N_("Shift cancelled"),
}
EDITORS = frozenset({"operator"})
IMPORTERS = frozenset({"operator"})
EXPORTERS = frozenset({"supervisor", "manager", "finance", "auditor", "operator"})


def event_words(type_name: str) -> str:
    """An event type in words; one added later shows its own name until it has words."""
    return EVENTS.get(type_name, type_name)


def newest_first(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda i: (str(i.get("occurred_at") or ""), str(i.get("event_id") or "")),
                  reverse=True)


class Card(msgspec.Struct, kw_only=True):
    """The unit card in the groups a clerk reads it by."""

    unit: dict
    occupant: dict
    contacts: list[dict]
    dates: list[tuple[str, str | None]]
    contract: tuple[str | None, str | None]
    open_permits: list[dict]
    past_permits: list[dict]
    defects: list[dict]


def card(unit: dict) -> Card:
    permits = list(unit.get("renovation_permits") or [])
    finished = {"closed", "rejected"}
    return Card(
        unit=unit, occupant=dict(unit.get("occupant") or {}), contacts=list(unit.get("contacts") or []),
        dates=[(FACTS[k], unit.get(k)) for k in ("handover_date", "occupancy_date")],
        contract=(unit.get("contract_start"), unit.get("contract_end")),
        open_permits=[p for p in permits if p.get("status") not in finished],
        past_permits=[p for p in permits if p.get("status") in finished],
        defects=list(unit.get("outstanding_defects") or []),
    )


def may(roles: set[str] | frozenset[str], allowed: frozenset[str]) -> bool:
    return bool(set(roles) & allowed)


def unit_update(form: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """The PUT body from the edit form; an empty optional fact is cleared (null). Errors name
    the field as the service would."""
    errors: dict[str, str] = {}
    try:
        area = float(form.get("area_m2") or "")
    except ValueError:
        area = 0.0
        errors["area_m2"] = N_("Give the area in square metres")
    body: dict[str, Any] = {
        "area_m2": area, "use": form.get("use") or "shop",
        "occupant": {"name": (form.get("occupant_name") or "").strip(), "kind": form.get("occupant_kind") or "merchant",
                     "phone": (form.get("occupant_phone") or "").strip() or None},
        "key_account": form.get("key_account") in ("on", "true", "1"),
        "building": (form.get("building") or "").strip() or None, "floor": (form.get("floor") or "").strip() or None,
    }
    if not body["occupant"]["name"]:
        errors["occupant.name"] = N_("Name the occupant")
    for key in DATES:
        body[key] = form.get(key) or None
    contacts = []
    for i in range(3):
        name = (form.get(f"contact_{i}_name") or "").strip()
        if name:
            contacts.append({"name": name, "relation": (form.get(f"contact_{i}_relation") or "").strip() or "contact",
                             "phone": (form.get(f"contact_{i}_phone") or "").strip() or None})
    body["contacts"] = contacts
    return body, errors


def change_words(field: str) -> str:
    return FACTS.get(field.split(".")[0], field)
