"""Every table of dispatch, in one MetaData: work orders with their charge lines, SLA
deadlines and escalations, the return visits already applied; the plaza's routing rules and
SLA policy; praise and suggestions; the stock of materials and its movements; its own copy
of the plazas and units archive publishes and of the staff the staff service publishes
(facts.py keeps both); the outbox and inbox."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime import replica
from libs.runtime.db import UtcDateTime
from libs.runtime.db.migrate import service_metadata
from libs.runtime.uow import add_runtime_tables

metadata = service_metadata(__file__)
outbox, inbox = add_runtime_tables(metadata)

plazas = replica.plazas_table(metadata)

units = replica.units_table(
    metadata,
    sa.Column("occupant_name", sa.String(200)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
)

# Who works at each plaza, from staff's events: an assignee must be active staff of the work
# order's department and plaza. A person who left keeps a row (``at_plaza`` false) so that a
# late copy of an older event cannot bring them back: ``occurred_at`` is the newest applied.
staff = sa.Table(
    "staff",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200)),
    sa.Column("department", sa.String(64)),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("at_plaza", sa.Boolean, nullable=False, default=True),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    # Added with the roster: the person's roles at the plaza (an SLA escalation falls back to
    # the plaza's supervisors when none is on duty) and post. NULL until their next event.
    sa.Column("roles", sa.JSON),
    sa.Column("post", sa.String(64)),
)

# The roster, from staff's ShiftPlanned / ShiftCancelled: who is on shift when, on which
# post. A job goes only to people on shift while its department's roster covers now; the
# SLA sweep escalates to the supervisor on duty. A cancelled shift keeps its row
# (``cancelled``) so that a late copy of its older plan cannot bring it back; ``occurred_at``
# is the newest event applied (a cancellation that arrives first has no times).
shifts = sa.Table(
    "shifts",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("shift_id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("post", sa.String(64)),
    sa.Column("department", sa.String(64)),
    sa.Column("starts_at", UtcDateTime()),
    sa.Column("ends_at", UtcDateTime()),
    sa.Column("cancelled", sa.Boolean, nullable=False, default=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Index("ix_shifts_plaza_ends", "plaza_id", "ends_at"),
)

routing_rules = sa.Table(
    "routing_rules",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("keyword", sa.String(100), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
)

work_orders = sa.Table(
    "work_orders",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(40), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
    # Second dispatch is counted against the department that first had the job.
    sa.Column("original_department", sa.String(64), nullable=False, info={"backfill": "department"}),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("category", sa.String(32)),
    sa.Column("sla_class", sa.String(16), nullable=False),
    sa.Column("warranty", sa.Boolean, nullable=False, default=False),
    sa.Column("responsible_party", sa.String(200)),
    sa.Column("priority", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("major", sa.Boolean, nullable=False, default=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("assignee", sa.String(100)),
    sa.Column("reopen_count", sa.Integer, nullable=False, default=0),
    sa.Column("paid", sa.Boolean),
    sa.Column("labour_fen", sa.BigInteger, nullable=False, default=0),
    sa.Column("materials", sa.JSON, nullable=False, default=list),
    sa.Column("note", sa.Text),
    sa.Column("lines_created", sa.Integer, nullable=False, default=0),
    sa.Column("last_rating", sa.String(32)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("closed_at", UtcDateTime()),
    sa.Column("first_responded_at", UtcDateTime()),
    sa.Column("first_closed_at", UtcDateTime()),
    sa.Column("cancel_reason", sa.Text),
    # A public area (car park B2, east entrance) when the request is about no unit (``unit`` "").
    sa.Column("area", sa.String(200)),
    # The catalogue service the request ordered (billing's code and price list), and how many.
    sa.Column("catalogue_item", sa.String(64)),
    sa.Column("catalogue_quantity", sa.Integer),
    # One request, one work order: a RequestReceived delivered twice (under any event id) opens one.
    sa.UniqueConstraint("plaza_id", "request_id", name="uq_work_orders_plaza_request"),
    sa.Index("ix_work_orders_plaza_status", "plaza_id", "status"),
    sa.Index("ix_work_orders_plaza_unit", "plaza_id", "unit"),
    sa.Index("ix_work_orders_plaza_department_status", "plaza_id", "department", "status"),
    sa.Index("ix_work_orders_plaza_kind_created", "plaza_id", "kind", "created_at"),
)

charge_lines = sa.Table(
    "charge_lines",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("line_id", sa.String(80), primary_key=True),
    sa.Column("work_order_id", sa.String(40), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price_fen", sa.BigInteger, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("catalogue_item", sa.String(64)),  # a catalogue service's line: billing prices it
    sa.Index("ix_charge_lines_work_order", "plaza_id", "work_order_id"),
)

# A return visit is applied once, whatever event id carries it.
applied_visits = sa.Table(
    "applied_visits",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("visit_id", sa.String(40), primary_key=True),
    sa.Column("work_order_id", sa.String(40), nullable=False),
    sa.Column("rating", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("applied_at", UtcDateTime(), nullable=False),
)


# Praise is data for the department's reports; suggestions are read by the manager.
praise = sa.Table(
    "praise",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(40), primary_key=True),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Index("ix_praise_plaza_department", "plaza_id", "department"),
)

suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    # The follow-up: received → under_consideration → adopted / declined, the reply the
    # merchant is given, and when it last moved (its steps are in suggestion_follow_ups).
    sa.Column("state", sa.String(24), nullable=False, default="received"),
    sa.Column("reply", sa.Text),
    sa.Column("updated_at", UtcDateTime()),
)

# Every step of a suggestion's follow-up, in order: who moved it, from what, to what, why.
suggestion_follow_ups = sa.Table(
    "suggestion_follow_ups",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(40), primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("from_state", sa.String(24), nullable=False),
    sa.Column("state", sa.String(24), nullable=False),
    sa.Column("reply", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
)

# Requests that opened no work order (praise, suggestions, the not serviceable), kept so
# that when the desk reclassifies one into a job its words and place are still known.
held_requests = sa.Table(
    "held_requests",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("area", sa.String(200)),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)


# --- SLA: each plaza's policy, every deadline a work order was given (one row per
# deadline and round, so a restart finds them all), and every escalation raised.

sla_policies = sa.Table(
    "sla_policies",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("policy", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(100)),
)

# ``round`` is the reopen count the deadline was set at: a second dispatch gets new rows.
# ``escalated`` is the highest rung climbed, so each rung is climbed once, across restarts.
deadlines = sa.Table(
    "deadlines",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("work_order_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(16), primary_key=True),
    sa.Column("round", sa.Integer, primary_key=True),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("manager_at", UtcDateTime(), nullable=False),
    sa.Column("met_at", UtcDateTime()),
    sa.Column("voided", sa.Boolean, nullable=False, default=False),
    sa.Column("escalated", sa.String(16)),
    sa.Index("ix_deadlines_open", "met_at", "voided", "due_at"),
)

escalations = sa.Table(
    "escalations",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(40), primary_key=True),
    sa.Column("work_order_id", sa.String(40), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("cause", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    # Whom it was raised to (usernames): the supervisor on duty (``on_duty``), else the
    # plaza's supervisors; NULL or empty: the level's inbox, nobody by name.
    sa.Column("to_usernames", sa.JSON),
    sa.Column("on_duty", sa.Boolean),
    sa.Index("ix_escalations_work_order", "plaza_id", "work_order_id"),
)


# --- stock: each plaza's items and every movement of them (the audit trail: setting a
# level, issuing to a work order, a stocktaking adjustment with its reason), and the
# adjustments waiting for a second person.

stock_items = sa.Table(
    "stock_items",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("unit_price_fen", sa.BigInteger, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("low_level", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # What one of it cost, on average over what was received (goods receipts); none before
    # the first receipt, when the stock is valued at ``unit_price_fen``.
    sa.Column("average_cost_fen", sa.BigInteger),
)

stock_movements = sa.Table(
    "stock_movements",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # set | issue | adjustment | receipt | requisition | stocktake
    sa.Column("delta", sa.Integer, nullable=False),
    sa.Column("quantity_after", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("work_order_id", sa.String(40)),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    # An adjustment's second person (four eyes); ``actor`` is whoever counted and asked.
    sa.Column("approved_by", sa.String(100)),
    sa.Index("ix_stock_movements_sku", "plaza_id", "sku", "id"),
)

# A stocktaking adjustment waits here until a second person approves it (then it becomes
# a movement) or rejects it: one person alone never changes a level outside a work order.
stock_adjustments = sa.Table(
    "stock_adjustments",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("delta", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | rejected
    sa.Column("requested_by", sa.String(100), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("decided_at", UtcDateTime()),
    sa.Index("ix_stock_adjustments_status", "plaza_id", "status", "id"),
)

# --- the warehouse (仓库): goods received from suppliers, requisitions by a department or a
# person (approved by the supervisor), and stocktakes (a sheet of expected levels for a day,
# filled with what was counted; the variance moves stock once a second person approves).

goods_receipts = sa.Table(
    "goods_receipts",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("supplier", sa.String(200), nullable=False),
    sa.Column("document_id", sa.String(64), nullable=False),  # the supplier's delivery note / invoice
    sa.Column("lines", sa.JSON, nullable=False),  # [{sku, quantity, unit_cost_fen}]
    sa.Column("total_fen", sa.BigInteger, nullable=False),
    sa.Column("received_by", sa.String(100), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    # One delivery note is received once.
    sa.UniqueConstraint("plaza_id", "supplier", "document_id", name="uq_goods_receipts_document"),
)

stock_requisitions = sa.Table(
    "stock_requisitions",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("department", sa.String(64)),
    sa.Column("person", sa.String(100)),
    sa.Column("work_order_id", sa.String(40)),
    sa.Column("lines", sa.JSON, nullable=False),  # [{sku, quantity}]
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | rejected
    sa.Column("requested_by", sa.String(100), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("decided_at", UtcDateTime()),
    sa.Index("ix_stock_requisitions_status", "plaza_id", "status", "id"),
)

stocktakes = sa.Table(
    "stocktakes",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # open | submitted | approved | rejected
    sa.Column("lines", sa.JSON, nullable=False),  # [{sku, name, expected, counted, cost_fen}]
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("submitted_by", sa.String(100)),
    sa.Column("submitted_at", UtcDateTime()),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("decided_at", UtcDateTime()),
    sa.Index("ix_stocktakes_plaza", "plaza_id", "day"),
)

# --- the complaint report's own read of intake's requests: every request as received (its
# channel, text, unit or public area), moved by the desk's corrections (RequestReclassified),
# so a request corrected into a complaint counts and one corrected away stops counting,
# whatever the work orders say. ``received_kind`` is the kind before any correction.
report_requests = sa.Table(
    "report_requests",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("area", sa.String(200)),
    sa.Column("channel", sa.String(16)),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("received_kind", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16)),
    sa.Column("major", sa.Boolean, nullable=False, default=False),
    sa.Column("department", sa.String(64)),
    sa.Column("text", sa.Text),
    sa.Column("received_at", UtcDateTime()),
    sa.Column("corrected_at", UtcDateTime()),
    sa.Column("corrected_by", sa.String(100)),
    sa.Column("correction_reason", sa.Text),
    sa.Index("ix_report_requests_plaza_kind", "plaza_id", "kind"),
)


def plain(row) -> dict:
    # Column keys are str subclasses (quoted_name); msgspec and JSON want plain str.
    return {str(k): v for k, v in row.items()}

# Webhooks for department systems that cannot hold a NATS connection (dispatch/webhooks):
# the endpoints each department registered, one delivery per endpoint and event (unique: an
# event delivered twice by the bus is queued once), and every attempt with its answer.
webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False, index=True),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("events", sa.JSON, nullable=False, default=list),  # event types; [] = every work-order event (notices only when named)
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("endpoint_id", sa.String(40), nullable=False),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("event_id", sa.String(40), nullable=False),
    sa.Column("event_type", sa.String(80), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending, delivered, failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # When this series of attempts began (queued, or redelivered by hand): tried for a day from it.
    sa.Column("since", UtcDateTime(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), index=True),  # None once delivered or failed
    sa.Column("delivered_at", UtcDateTime()),
    sa.Column("redelivered_by", sa.String(100)),  # who last asked for it again by hand
    sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_delivery_event"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("delivery_id", sa.String(40), primary_key=True),
    sa.Column("attempt", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("status_code", sa.Integer),  # None: no answer (refused, timed out)
    sa.Column("response", sa.Text),  # the answer's first 500 characters, or the error
    sa.Column("duration_ms", sa.Integer, nullable=False),
)
