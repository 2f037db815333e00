"""Every table of archive in one place: plazas, the unit register with its audit trail,
documents, unit timelines, and the projections of other services' events (renovation
permits, defects). The queries are in each capability's store.py."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime.db import UtcDateTime
from libs.runtime.db.migrate import service_metadata
from libs.runtime.uow import add_runtime_tables

metadata = service_metadata(__file__)
outbox, inbox = add_runtime_tables(metadata)

plazas = sa.Table(
    "plazas",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

units = sa.Table(
    "units",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("area_m2", sa.Float, nullable=False),
    sa.Column("use", sa.String(16), nullable=False),
    sa.Column("occupant_name", sa.String(200), nullable=False),
    sa.Column("occupant_kind", sa.String(16), nullable=False),
    sa.Column("occupant_phone", sa.String(64)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
    sa.Column("building", sa.String(64)),
    sa.Column("floor", sa.String(16)),
    sa.Column("contacts", sa.JSON, nullable=True),
    sa.Column("handover_date", sa.Date),
    sa.Column("occupancy_date", sa.Date),
    sa.Column("contract_start", sa.Date),
    sa.Column("contract_end", sa.Date),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

unit_revisions = sa.Table(
    "unit_revisions",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("revision", sa.Integer, primary_key=True),
    sa.Column("who", sa.String(100), nullable=False),
    sa.Column("changed_at", UtcDateTime(), nullable=False),
    sa.Column("event_id", sa.String(40), nullable=False),
    sa.Column("before", sa.JSON, nullable=True),
    sa.Column("after", sa.JSON, nullable=False),
)

timeline = sa.Table(
    "timeline",
    metadata,
    # Unique on its own: whichever stream or redelivery brings an event, it is filed once.
    sa.Column("event_id", sa.String(40), primary_key=True),
    # The fact the event tells (timeline.domain.fact_key), unique in its plaza: the same fact sent
    # again under a new event id is filed once. NULL: the event id is the only key (and
    # on entries filed before the column existed, until a rebuild).
    sa.Column("fact_key", sa.String(200), nullable=True),  # timeline.domain.FACT_KEY_LENGTH
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("correlation_id", sa.String(64), nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("event", sa.JSON, nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Index("ix_timeline_plaza_unit_order", "plaza_id", "unit", "occurred_at", "event_id"),
    sa.Index("ux_timeline_plaza_fact", "plaza_id", "fact_key", unique=True),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("document_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(128), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("path", sa.String(512), nullable=False),  # relative to the data dir
    sa.Column("uploaded_by", sa.String(100), nullable=False),
    sa.Column("uploaded_at", UtcDateTime(), nullable=False),
    sa.Index("ix_documents_plaza_unit", "plaza_id", "unit", "document_id"),
)

# Projections of intake's renovation events: rebuilt from the streams by a replay.
permits = sa.Table(
    "permits",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("permit_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # approved | closed
    sa.Column("valid_from", sa.Date),
    sa.Column("valid_until", sa.Date),
    sa.Column("deposit_fen", sa.BigInteger),
    sa.Column("deduction_fen", sa.BigInteger),
    sa.Column("approved_at", UtcDateTime()),
    sa.Column("closed_at", UtcDateTime()),
    sa.Index("ix_permits_plaza_unit", "plaza_id", "unit"),
)

# Defects found at handover (intake) and the work orders that fix them (dispatch). The
# two streams arrive independently, so neither table assumes the other came first.
defects = sa.Table(
    "defects",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("defect_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("inspection_id", sa.String(40), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("location", sa.String(200)),
    sa.Column("responsible_party", sa.String(200), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("found_at", UtcDateTime(), nullable=False),
    sa.Index("ix_defects_plaza_unit", "plaza_id", "unit"),
)

defect_work_orders = sa.Table(
    "defect_work_orders",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("work_order_id", sa.String(40), primary_key=True),
    sa.Column("defect_id", sa.String(40), nullable=False),  # the work order's request id
    sa.Column("closed", sa.Boolean, nullable=False),
    # Orders the work order's closings and reopenings however late each one arrives.
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("changed_at", UtcDateTime(), nullable=False),
    sa.Index("ix_defect_work_orders_defect", "plaza_id", "defect_id"),
)

PROJECTIONS = (timeline, permits, defects, defect_work_orders)
