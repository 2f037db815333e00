"""Every table of intake in one place: requests and their corrections, per-plaza rules and
public areas, move-in season's handover
appointments, inspections and renovation permits, and intake's own copy of the plazas and
units archive publishes. Every row carries its plaza; every query filters by it."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime import idempotency, replica
from libs.runtime.db import UtcDateTime
from libs.runtime.db.migrate import service_metadata
from libs.runtime.uow import add_runtime_tables

metadata = service_metadata(__file__)
outbox, inbox = add_runtime_tables(metadata)
idempotency_keys = idempotency.add_table(metadata)

# The zone counts the plaza's days ("a booking in the past"); NULL until archive says
# (a copy made before intake kept it), read as the default zone.
plazas = replica.plazas_table(metadata, sa.Column("timezone", sa.String(64)))

units = replica.units_table(
    metadata,
    sa.Column("occupant_name", sa.String(200)),
    sa.Column("occupant_phone", sa.String(64)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
)

requests = sa.Table(
    "requests",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("kind_reason", sa.String(200), nullable=False),
    sa.Column("severity", sa.String(8)),
    sa.Column("severity_reason", sa.String(200)),
    sa.Column("praised_department", sa.String(64)),
    sa.Column("source_department", sa.String(64)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("contact_name", sa.String(200)),
    sa.Column("contact_phone", sa.String(64)),
    sa.Column("serviceable", sa.Boolean, nullable=False),
    sa.Column("referral", sa.String(200)),
    sa.Column("major", sa.Boolean, nullable=False, default=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("received_by", sa.String(100)),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    # The department proposed from the text or chosen by the clerk (then dispatch routes
    # there); a request about a public area has unit "" and names it; a mixed message's
    # two records point at each other.
    sa.Column("department", sa.String(64)),
    sa.Column("department_chosen", sa.Boolean, nullable=False, default=False),
    sa.Column("area", sa.String(64)),
    sa.Column("mixed_with", sa.String(40)),
    # The referral the clerk overruled at intake (the plaza serves it after all), and why.
    sa.Column("overruled_referral", sa.String(200)),
    sa.Column("overrule_reason", sa.Text),
    # A phone request: when it rang and was answered, greeting given, key points read back
    # (接听商户电话: 三声之内, 问好, 复述). Staff's phone-etiquette figures come from the event.
    sa.Column("call_rang_at", UtcDateTime()),
    sa.Column("call_answered_at", UtcDateTime()),
    sa.Column("call_greeting", sa.Boolean),
    sa.Column("call_read_back", sa.Boolean),
    sa.Index("ix_requests_plaza_unit", "plaza_id", "unit"),
    sa.Index("ix_requests_plaza_received", "plaza_id", "received_at"),
    sa.Index("ix_requests_plaza_area", "plaza_id", "area"),
)

# Every correction of a request after it was received: who, when, what it was, what it
# became (only the fields that changed, as JSON) and why; ids are time-ordered.
request_corrections = sa.Table(
    "request_corrections",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),  # the RequestReclassified event's id
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(40), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("before", sa.LargeBinary, nullable=False),
    sa.Column("after", sa.LargeBinary, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Index("ix_request_corrections_request", "plaza_id", "request_id"),
)

# A plaza's public areas (car park, entrances, corridors), which a request may name instead
# of a unit; no row → the defaults in areas/domain.py.
public_areas = sa.Table(
    "public_areas",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("items", sa.LargeBinary, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# A plaza's own rule documents ("classification-rules", "referrals"); none → the defaults.
plaza_rules = sa.Table(
    "plaza_rules",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("document", sa.LargeBinary, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)


# --- move-in season ------------------------------------------------------------------

# One row per plaza and day: the booked count is raised with a guarded UPDATE, so two
# clerks booking the last slot at once on PostgreSQL cannot both get it.
handover_days = sa.Table(
    "handover_days",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("booked", sa.Integer, nullable=False),
)

handover_appointments = sa.Table(
    "handover_appointments",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("contact_name", sa.String(200)),
    sa.Column("contact_phone", sa.String(64)),
    sa.Column("note", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("booked_by", sa.String(100), nullable=False),
    sa.Column("booked_at", UtcDateTime(), nullable=False),
    sa.Column("cancel_reason", sa.Text),
    sa.Column("inspection_id", sa.String(40)),
    sa.Index("ix_handover_plaza_day", "plaza_id", "day"),
    sa.Index("ix_handover_plaza_unit", "plaza_id", "unit"),
)

handover_inspections = sa.Table(
    "handover_inspections",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("appointment_id", sa.String(40), nullable=False, unique=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("accepted", sa.Boolean, nullable=False),
    sa.Column("inspector", sa.String(100), nullable=False),
    sa.Column("inspected_at", UtcDateTime(), nullable=False),
)

handover_defects = sa.Table(
    "handover_defects",
    metadata,
    sa.Column("defect_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("inspection_id", sa.String(40), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),  # the order the inspector listed them
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("location", sa.String(200)),
    sa.Column("responsible_party", sa.String(200), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
)

renovations = sa.Table(
    "renovations",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("contractor", sa.String(200), nullable=False),
    sa.Column("workers", sa.LargeBinary, nullable=False),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date, nullable=False),
    sa.Column("deposit_fen", sa.BigInteger, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("deduction_fen", sa.BigInteger, nullable=False, default=0),
    sa.Column("deduction_reason", sa.Text),
    sa.Column("history", sa.LargeBinary, nullable=False),  # every step: who, when, note
    sa.Column("applied_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_renovations_plaza_unit", "plaza_id", "unit"),
)
