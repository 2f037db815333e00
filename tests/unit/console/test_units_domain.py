"""The register's view rules: the unit card's groups, the timeline in words, the edit body."""

from __future__ import annotations

from libs.contracts.events import STREAM_OF
from services.console.units import domain


def test_every_event_a_unit_timeline_can_hold_has_its_words():
    unnamed = [cls.__name__ for cls in STREAM_OF if cls.__name__ not in domain.EVENTS]
    assert unnamed == []
    assert domain.event_words("SomethingNew") == "SomethingNew"


def test_the_timeline_reads_newest_first():
    items = [{"event_id": "1", "occurred_at": "2026-12-01T00:00:00Z"},
             {"event_id": "3", "occurred_at": "2026-12-03T00:00:00Z"},
             {"event_id": "2", "occurred_at": "2026-12-03T00:00:00Z"}]
    assert [i["event_id"] for i in domain.newest_first(items)] == ["3", "2", "1"]


def test_the_card_groups_open_permits_before_finished_ones_and_keeps_dates_and_contract():
    unit = {"unit": "A-203", "occupant": {"name": "李明"}, "handover_date": "2026-03-01", "contract_start": "2026-03-01",
            "contract_end": "2029-02-28", "contacts": [{"name": "王芳", "relation": "spouse"}],
            "renovation_permits": [{"permit_id": "p1", "status": "closed"}, {"permit_id": "p2", "status": "approved"},
                                   {"permit_id": "p3", "status": "rejected"}],
            "outstanding_defects": [{"defect_id": "d1"}]}
    card = domain.card(unit)
    assert [p["permit_id"] for p in card.open_permits] == ["p2"]
    assert [p["permit_id"] for p in card.past_permits] == ["p1", "p3"]
    assert card.dates == [("Handover date", "2026-03-01"), ("Occupancy date", None)]
    assert card.contract == ("2026-03-01", "2029-02-28")
    assert card.contacts == [{"name": "王芳", "relation": "spouse"}] and card.defects == [{"defect_id": "d1"}]


def test_only_an_operator_edits_or_imports_the_register():
    assert domain.may({"operator"}, domain.EDITORS) and domain.may({"operator"}, domain.IMPORTERS)
    assert not domain.may({"clerk", "manager"}, domain.EDITORS)
    assert domain.may({"manager"}, domain.EXPORTERS) and not domain.may({"clerk"}, domain.EXPORTERS)


def test_the_edit_form_clears_an_emptied_fact_and_keeps_named_contacts():
    body, errors = domain.unit_update({
        "area_m2": "86.5", "use": "shop", "occupant_name": "李明", "occupant_kind": "merchant", "occupant_phone": "",
        "key_account": "on", "building": "", "handover_date": "2026-03-01", "contract_end": "",
        "contact_0_name": "王芳", "contact_0_relation": "", "contact_1_name": " "})
    assert errors == {}
    assert body["area_m2"] == 86.5 and body["key_account"] is True
    assert body["occupant"] == {"name": "李明", "kind": "merchant", "phone": None}
    assert (body["building"], body["contract_end"], body["handover_date"]) == (None, None, "2026-03-01")
    assert body["contacts"] == [{"name": "王芳", "relation": "contact", "phone": None}]


def test_the_edit_form_names_the_field_it_refuses():
    _, errors = domain.unit_update({"area_m2": "big", "occupant_name": " "})
    assert set(errors) == {"area_m2", "occupant.name"}
