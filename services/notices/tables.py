"""Every table of notices, its data model at a glance: the facts it keeps of the other
services (archive's plazas and units, billing's dues and credits, intake's renovation
permits, dispatch's work orders), the notices with their approval, each recipient unit's
copy with its reading, and the messages handed to the SMS/WeChat/e-mail providers.
Queries live in each capability's store.py."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime import replica
from libs.runtime.db import UtcDateTime
from libs.runtime.db.migrate import service_metadata
from libs.runtime.uow import add_runtime_tables

metadata = service_metadata(__file__)  # its revisions: migrations/versions (scripts.migrate)
outbox, inbox = add_runtime_tables(metadata)

# --- archive's facts ------------------------------------------------------------------------

plazas = replica.plazas_table(
    metadata,
    sa.Column("timezone", sa.String(64), nullable=False, default="Asia/Shanghai"),
)

units = replica.units_table(
    metadata,
    sa.Column("area_m2", sa.Float, nullable=False, default=0.0),
    sa.Column("occupant_name", sa.String(200)),
    sa.Column("occupant_phone", sa.String(64)),
    sa.Column("occupant_kind", sa.String(16)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
    sa.Column("building", sa.String(64)),
    sa.Column("floor", sa.String(64)),
)

# --- billing's facts: what each unit owes and when it fell due --------------------------------
# One row per ledger entry billing announced that moves what a unit owes: debits (charges,
# invoices, refunds) with their due date, credits (payments), and corrections naming the
# entry they reverse. Enough to tell how many days a unit's oldest unpaid debt is overdue,
# by billing's own rule (credits go to the oldest due first).
dues = sa.Table(
    "unit_dues",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("entry_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("direction", sa.Integer, nullable=False),  # +1 debit, -1 credit, 0 a correction
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("due_date", sa.Date),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("reverses_entry_id", sa.String(40)),
    sa.Index("ix_unit_dues_unit", "plaza_id", "unit"),
)

# --- intake's and dispatch's facts -----------------------------------------------------------

permits = sa.Table(
    "renovation_permits",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("permit_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("closed", sa.Boolean, nullable=False, default=False),
)

work_orders = sa.Table(
    "work_order_units",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("work_order_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
)

# Complaints that hold dunning, kept by billing's own rule: a complaint work order's latest
# step (created 0, closed 1, reopened 2, closed again 3…; a cancel closes it) and the desk's
# corrections of a request's kind. A dunning letter never goes to a unit while one is open.
complaints = sa.Table(
    "complaints",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("work_order_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(40)),
    sa.Column("step", sa.Integer, nullable=False),
)

reclassified_requests = sa.Table(
    "reclassified_requests",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("complaint", sa.Boolean, nullable=False),
    sa.Column("ended", sa.Boolean, nullable=False, default=False),
    sa.Column("reclassified_at", UtcDateTime(), nullable=False),
)

# --- notices ----------------------------------------------------------------------------------

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the template, placeholders and all
    sa.Column("values", sa.JSON, nullable=False),  # what the placeholders not of the unit hold
    sa.Column("audience", sa.JSON, nullable=False),
    sa.Column("channels", sa.JSON, nullable=False),
    sa.Column("urgent", sa.Boolean, nullable=False, default=False),
    sa.Column("status", sa.String(16), nullable=False),  # draft, pending, published, rejected
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(100)),
    sa.Column("submitted_at", UtcDateTime()),
    sa.Column("decided_at", UtcDateTime()),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("reason", sa.Text),
    sa.Column("published_at", UtcDateTime()),
    sa.Column("recipients", sa.Integer, nullable=False, default=0),
    sa.Column("correlation_id", sa.String(64), nullable=False),
    # A notice another service asked for (a disclosure, a dunning letter): its key, so a
    # redelivered request makes one notice.
    sa.Column("source", sa.String(200)),
    # A table the notice carries (a disclosure's): {"title", "header", "rows", "right"},
    # printed with it and downloadable as xlsx and PDF.
    sa.Column("attachment", sa.JSON),
    sa.UniqueConstraint("plaza_id", "source", name="uq_notices_source"),
    sa.Index("ix_notices_plaza_id", "plaza_id", "id"),
)

# Each recipient unit's copy: its own text (placeholders filled with its facts), its link
# id, and when it was read.
recipients = sa.Table(
    "notice_recipients",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("notice_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("occupant_name", sa.String(200)),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("delivered_at", UtcDateTime(), nullable=False),
    sa.Column("read_at", UtcDateTime()),
    sa.Column("read_via", sa.String(16)),
    sa.Index("ix_notice_recipients_unit", "plaza_id", "unit", "delivered_at"),
)

# --- activities (社区文化活动/公益活动) --------------------------------------------------------

activities = sa.Table(
    "activities",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # community, public_welfare
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("place", sa.String(200), nullable=False),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("ends_at", UtcDateTime(), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    # Seats taken: raised only while below capacity, in one statement, so two sign-ups at
    # once can never both take the last seat.
    sa.Column("signed_up", sa.Integer, nullable=False, default=0),
    sa.Column("status", sa.String(16), nullable=False),  # planned, published, reported, cancelled
    sa.Column("notice_id", sa.String(40)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(100)),
    sa.Column("report", sa.Text),
    sa.Column("photos", sa.JSON),  # archive document ids
    sa.Column("reported_at", UtcDateTime()),
    sa.Column("reported_by", sa.String(100)),
    sa.Index("ix_activities_plaza_start", "plaza_id", "starts_at"),
)

signups = sa.Table(
    "activity_signups",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("activity_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200)),
    sa.Column("phone", sa.String(64)),
    sa.Column("signed_at", UtcDateTime(), nullable=False),
    sa.Column("signed_by", sa.String(100)),
    sa.Column("attended", sa.Boolean),  # None until the day's attendance is taken
)

# --- messages to the providers ----------------------------------------------------------------

messages = sa.Table(
    "notice_messages",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("notice_id", sa.String(40), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),  # sms, wechat, email
    sa.Column("address", sa.String(200)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending, sent, failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime()),
    sa.Column("provider", sa.String(32)),
    sa.Column("provider_ref", sa.String(200)),
    sa.Column("error", sa.Text),
    sa.UniqueConstraint("plaza_id", "notice_id", "unit", "channel", name="uq_notice_messages_one"),
    sa.Index("ix_notice_messages_due", "status", "next_attempt_at"),
)
