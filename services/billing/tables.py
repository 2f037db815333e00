"""Every table of billing, on one MetaData: the ledger, its copy of archive's plazas and
units, fee rates and invoices, prepaid tariffs and meter readings, renovation permits,
complaints that hold dunning, and dunning tasks.

The ledger is only ever inserted into. ``uq_ledger_line`` is what makes a work order's
charge line postable once per plaza, however often and in whatever order the closing
events arrive; payments have no line id, and NULLs never collide on either database.
Other unique keys carry the idempotency too: one invoice per (plaza, unit, period), one
dunning task per (plaza, entry, stage), one permit per (plaza, permit id), one complaint
row per (plaza, work order).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime import idempotency, replica
from libs.runtime.db import UtcDateTime, insert_ignore
from libs.runtime.db.migrate import service_metadata
from libs.runtime.uow import add_runtime_tables

metadata = service_metadata(__file__)
outbox, inbox = add_runtime_tables(metadata)
idempotency_keys = idempotency.add_table(metadata)

# The plaza's time zone (archive's IANA name) says which local day an instant is on;
# NULL until archive tells billing (rows kept before the column was added, too).
plazas = replica.plazas_table(metadata, sa.Column("timezone", sa.String(64)))

units = replica.units_table(
    metadata,
    sa.Column("area_m2", sa.Float, nullable=False),
    sa.Column("use", sa.String(16), nullable=False),
    sa.Column("occupant_name", sa.String(200)),
    sa.Column("occupant_kind", sa.String(16)),
    sa.Column("occupant_phone", sa.String(64)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
    # Archive adds the occupancy date to UnitRegistered; units without one are billed whole periods.
    sa.Column("occupancy_date", sa.Date),
)

ledger = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False, default="CNY"),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("work_order_id", sa.String(40)),
    sa.Column("line_id", sa.String(200)),
    sa.Column("method", sa.String(16)),
    sa.Column("reference", sa.String(255)),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("causation_id", sa.String(40)),
    # Where the entry came from: "event:<id>" or "request:<id>"; and who did it.
    sa.Column("source", sa.String(200)),
    sa.Column("actor", sa.String(80), nullable=False, default="system"),
    sa.Column("invoice_id", sa.String(40)),
    sa.Column("due_date", sa.Date),
    sa.Column("utility", sa.String(16)),
    sa.Column("reverses_entry_id", sa.String(40)),
    sa.Column("reason", sa.Text),
    sa.Column("approver", sa.String(80)),
    sa.CheckConstraint("amount_fen > 0", name="ck_ledger_amount_positive"),
    sa.UniqueConstraint("plaza_id", "line_id", name="uq_ledger_line"),
    # An entry is reversed at most once.
    sa.UniqueConstraint("plaza_id", "reverses_entry_id", name="uq_ledger_reversal"),
    sa.Index("ix_ledger_plaza_unit", "plaza_id", "unit", "occurred_at", "id"),
)

# Refunds and corrections wait here for a second person (four eyes): nothing reaches the
# ledger, and no event leaves, until someone other than the asker approves.
ledger_requests = sa.Table(
    "ledger_requests",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # refund | correction
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | rejected
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("method", sa.String(16)),
    sa.Column("reference", sa.String(255)),
    sa.Column("reason", sa.Text),
    sa.Column("reverses_entry_id", sa.String(40)),  # a correction's entry
    sa.Column("requested_by", sa.String(80), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("decided_by", sa.String(80)),
    sa.Column("decided_at", UtcDateTime()),
    sa.Column("entry_id", sa.String(40)),  # the ledger entry posted on approval
    sa.Index("ix_ledger_requests_status", "plaza_id", "status", "id"),
)

fee_rates = sa.Table(
    "fee_rates",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("shop", sa.BigInteger, nullable=False),
    sa.Column("office", sa.BigInteger, nullable=False),
    sa.Column("residence", sa.BigInteger, nullable=False),
    sa.Column("due_days", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(80), nullable=False),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("entry_id", sa.String(40), nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("plaza_id", "unit", "period", name="uq_invoice_unit_period"),
)

tariffs = sa.Table(
    "tariffs",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("utility", sa.String(16), primary_key=True),
    sa.Column("price_fen", sa.BigInteger, nullable=False),
    sa.Column("low_balance_fen", sa.BigInteger, nullable=False),
)

meter_readings = sa.Table(
    "meter_readings",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("utility", sa.String(16), nullable=False),
    sa.Column("reading_milli", sa.BigInteger, nullable=False),
    sa.Column("previous_milli", sa.BigInteger),
    sa.Column("price_fen", sa.BigInteger, nullable=False),
    sa.Column("deduction_fen", sa.BigInteger, nullable=False),
    sa.Column("balance_fen", sa.BigInteger, nullable=False),
    sa.Column("read_at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Index("ix_readings_meter", "plaza_id", "unit", "utility", "read_at"),
)

permits = sa.Table(
    "renovation_permits",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("permit_id", sa.String(64), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("deposit_fen", sa.BigInteger),
    sa.Column("closed", sa.Boolean, nullable=False, default=False),
    sa.Column("deduction_fen", sa.BigInteger, nullable=False, default=0),
    sa.Column("deduction_reason", sa.Text),
)

complaints = sa.Table(
    "complaints",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("work_order_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    # ``step`` orders a complaint's events (dunning.domain.complaint_step); ``status`` is
    # where the latest left it, and an older one never moves it back.
    sa.Column("status", sa.String(8), nullable=False),
    # Rows kept before steps were: a closed one at 0 moves on like a closed one at 1.
    sa.Column("step", sa.Integer, nullable=False, default=0),
    # Only complaints have rows now (the events say which); an older release kept a row for
    # every closed, cancelled or reopened work order, and this tells those apart.
    sa.Column("complaint", sa.Boolean, nullable=False, default=True),
    # The request the job came from, so that the desk's correction of that request (turned
    # away from a complaint) lifts the hold; NULL on rows kept before it was recorded.
    sa.Column("request_id", sa.String(40)),
    sa.Index("ix_complaints_unit", "plaza_id", "unit", "status"),
)

# The desk's latest correction of a request's kind (intake's RequestReclassified), where it
# made the request a complaint or took that away. ``complaint`` true holds the unit's
# dunning like any open complaint until the request's job closes (``ended``) or its
# work-order events say complaint themselves (then the complaints table governs); false
# lifts the hold of that request's complaint row. ``reclassified_at`` orders corrections:
# a late copy of an older one never undoes a newer one.
reclassified_requests = sa.Table(
    "reclassified_requests",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("complaint", sa.Boolean, nullable=False),
    sa.Column("ended", sa.Boolean, nullable=False, default=False),
    sa.Column("reclassified_at", UtcDateTime(), nullable=False),
    sa.Index("ix_reclassified_requests_unit", "plaza_id", "unit"),
)

dunning_tasks = sa.Table(
    "dunning_tasks",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("entry_id", sa.String(40), nullable=False),
    sa.Column("invoice_id", sa.String(40)),
    sa.Column("stage", sa.String(8), nullable=False),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("open_fen", sa.BigInteger, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("outcome", sa.String(24)),
    sa.Column("note", sa.Text),
    sa.Column("recorded_by", sa.String(80)),
    sa.Column("recorded_at", UtcDateTime()),
    sa.UniqueConstraint("plaza_id", "entry_id", "stage", name="uq_dunning_entry_stage"),
    sa.Index("ix_dunning_plaza_status", "plaza_id", "status", "created_at"),
)


# The service catalogue (多种经营有偿服务): each plaza's price list of paid services.
catalogue_items = sa.Table(
    "catalogue_items",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name_zh", sa.String(200), nullable=False),
    sa.Column("name_en", sa.String(200), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("pricing", sa.String(16), nullable=False),  # fixed | per_unit | quoted
    sa.Column("price_fen", sa.BigInteger),  # none for a quoted item
    sa.Column("unit_name", sa.String(32)),  # per_unit: 小时, 平方米, 件 …
    sa.Column("tax_treatment", sa.String(16), nullable=False),  # included | exempt
    sa.Column("tax_rate_bp", sa.Integer, nullable=False, default=0),  # 600 = 6 %
    sa.Column("active_from", sa.Date, nullable=False),
    sa.Column("active_to", sa.Date),  # the last day it is sold; none: open-ended
)

# Per plaza: ad hoc charges above this amount wait for a second person (four eyes).
catalogue_settings = sa.Table(
    "catalogue_settings",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("ad_hoc_approval_above_fen", sa.BigInteger, nullable=False),
)

# What each posted service charge sold (a closed job's catalogue line, an ad hoc charge):
# revenue by item and month is read from here, next to the ledger entry it explains.
service_charges = sa.Table(
    "service_charges",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("entry_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("item", sa.String(64), nullable=False),  # a catalogue code, or the ad hoc item's name
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # work_order | ad_hoc
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("tax_fen", sa.BigInteger, nullable=False, default=0),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Index("ix_service_charges_plaza_time", "plaza_id", "occurred_at"),
)

# Ad hoc charges for services no work order carries, asked by finance; above the plaza's
# threshold they wait here for a second person, nothing posted until approved.
ad_hoc_charges = sa.Table(
    "ad_hoc_charges",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("item", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_name", sa.String(32)),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("tax_fen", sa.BigInteger, nullable=False, default=0),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | rejected | posted
    sa.Column("requested_by", sa.String(80), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("decided_by", sa.String(80)),
    sa.Column("decided_at", UtcDateTime()),
    sa.Column("entry_id", sa.String(40)),
    sa.Index("ix_ad_hoc_charges_status", "plaza_id", "status", "id"),
)


async def one(conn: AsyncConnection, q):
    return (await conn.execute(q)).first()


async def all_(conn: AsyncConnection, q):
    return (await conn.execute(q)).all()


async def insert_once(conn: AsyncConnection, table: sa.Table, row: dict) -> bool:
    return (await conn.execute(insert_ignore(conn, table), row)).rowcount == 1


async def upsert(conn: AsyncConnection, table: sa.Table, keys: dict, values: dict) -> None:
    where = [table.c[k] == v for k, v in keys.items()]
    if (await conn.execute(table.update().where(*where).values(**values))).rowcount == 0:
        await conn.execute(table.insert().values(**keys, **values))


# --- public-share costs (公摊费用) ----------------------------------------------------------
# A period's shared costs of the common areas, each with its evidence (archive document ids);
# the run that charged them (one per plaza and period: a repeated run finds it); each unit's
# share as charged, the table the financial disclosure shows.

public_share_costs = sa.Table(
    "public_share_costs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("category", sa.String(100), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("documents", sa.JSON, nullable=False),
    sa.Column("entered_at", UtcDateTime(), nullable=False),
    sa.Column("entered_by", sa.String(80)),
    sa.Index("ix_public_share_costs_period", "plaza_id", "period"),
)

public_share_runs = sa.Table(
    "public_share_runs",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(16), primary_key=True),
    sa.Column("rule", sa.String(16), nullable=False),
    sa.Column("total_fen", sa.BigInteger, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("run_at", UtcDateTime(), nullable=False),
    sa.Column("run_by", sa.String(80)),
)

public_share_lines = sa.Table(
    "public_share_lines",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(16), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("area_m2", sa.Float, nullable=False),
    sa.Column("share_fen", sa.BigInteger, nullable=False),
    sa.Column("entry_id", sa.String(40)),  # None: a share of 0 fen, nothing charged
)
