"""Every table of survey, its data model at a glance: archive's plazas and units (survey's
own copy, kept by facts.py), the plaza survey policies, return visits (and the contacts of
requests that name no unit), campaigns with their
samples and answers, key-account plans, the survey links that have answered. Queries live in each capability's store.py.

A table an older release declared and this one does not (``work_orders``, dispatch's kinds
before every close carried its own) stays in an old database, unread: the runtime drops no
table."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime import replica
from libs.runtime.db import RETIRED_INDEXES, UtcDateTime
from libs.runtime.db.migrate import service_metadata
from libs.runtime.uow import add_runtime_tables

metadata = service_metadata(__file__)
outbox, inbox = add_runtime_tables(metadata)

# --- archive's facts ------------------------------------------------------------------------

plazas = replica.plazas_table(
    metadata,
    sa.Column("timezone", sa.String(64), nullable=False, default="Asia/Shanghai"),
)

units = replica.units_table(
    metadata,
    sa.Column("occupant_name", sa.String(200)),
    sa.Column("occupant_phone", sa.String(64)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
    sa.Column("occupant_kind", sa.String(16)),
    sa.Column("building", sa.String(64)),
)

# --- policy -----------------------------------------------------------------------------------

policies = sa.Table(
    "survey_policies",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("window_hours", sa.Integer, nullable=False),
    sa.Column("fatigue_days", sa.Integer, nullable=False),
    sa.Column("link_ttl_hours", sa.Integer, nullable=False),
    sa.Column("campaign", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(100)),
)

# --- return visits ----------------------------------------------------------------------------

# A visit made by a call (not a survey link, not skipped by an older release): what the
# fatigue window measures from. Written out, so that SQLite sees the query imply the index.
CALLED = "skip_reason IS NULL AND method = 'phone'"

visits = sa.Table(
    "visits",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("work_order_id", sa.String(40), nullable=False),
    sa.Column("reopen_count", sa.Integer, nullable=False),
    sa.Column("request_id", sa.String(40)),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("closed_at", UtcDateTime(), nullable=False),
    sa.Column("scheduled_at", UtcDateTime(), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("correlation_id", sa.String(64), nullable=False),
    sa.Column("scheduled_event_id", sa.String(40), nullable=False),
    sa.Column("answered_at", UtcDateTime()),
    sa.Column("answered_by", sa.String(100)),
    sa.Column("rating", sa.String(24)),
    sa.Column("comment", sa.Text),
    sa.Column("channel", sa.String(16)),
    sa.Column("reasons", sa.JSON),
    # Set by an older release when the fatigue window spared the unit a call: such a visit
    # is never answered. This release skips no visit (a lighter touch instead, below).
    sa.Column("skip_reason", sa.String(32)),
    # How the visit is to be made: ``phone``, or ``online`` (a survey link instead of a
    # call) when the unit was called within the fatigue window (``method_reason`` "fatigue").
    sa.Column("method", sa.String(16), nullable=False, default="phone"),
    sa.Column("method_reason", sa.String(32)),
    # One visit per close: a redelivered or re-sent close finds its visit already there.
    sa.UniqueConstraint("plaza_id", "work_order_id", "reopen_count", name="uq_visits_close"),
    sa.Index("ix_visits_plaza_due", "plaza_id", "answered_at", "due_at"),
    # A unit's visits, in the list's order (id). It was (plaza_id, unit, closed_at): the
    # columns of the partial index below, which SQLite (choosing without statistics) then
    # took for the fatigue look-up in some orders of creation, and read every visit of the
    # batch's units in the span, skipped ones included: 0.22 ms a look-up at 5,000 visits,
    # growing with each, against 0.017 ms through the partial index.
    sa.Index("ix_visits_plaza_unit_id", "plaza_id", "unit", "id"),
    # The fatigue window asks for a unit's called closes near a new one: a busy unit's
    # lighter-touch (online) and skipped visits are left out of the index rather than read
    # and dropped. It replaced ix_visits_surveyed (skipped ones only left out).
    sa.Index("ix_visits_called", "plaza_id", "unit", "closed_at",
             sqlite_where=sa.text(CALLED), postgresql_where=sa.text(CALLED)),
)
# Dropped when the migration step adopts a file of a release before migrations; an index
# retired from now on is dropped by a revision.
metadata.info[RETIRED_INDEXES] = ["ix_visits_plaza_unit", "ix_visits_surveyed"]

# Who to follow up a job with when it names no unit (a public area, a caller who is no
# occupant): the contact of intake's RequestReceived. Only such requests are kept.
request_contacts = sa.Table(
    "request_contacts",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200)),
    sa.Column("phone", sa.String(64)),
    sa.Column("area", sa.String(200)),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)

# --- campaigns ----------------------------------------------------------------------------------

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("scale", sa.String(16), nullable=False),
    sa.Column("dimensions", sa.JSON, nullable=False),
    sa.Column("sample_size", sa.Integer, nullable=False),
    # crc32 seeds and chosen ones reach 2**32 and beyond: 64 bits on every database.
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("population", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(100)),
    sa.Column("closed_at", UtcDateTime()),
    sa.Index("ix_campaigns_plaza_month", "plaza_id", "month"),
)

# The units drawn, with the stratum each was drawn from (fixed at drawing time).
campaign_sample = sa.Table(
    "campaign_sample",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("campaign_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("building", sa.String(64), nullable=False),
    sa.Column("occupant_kind", sa.String(16), nullable=False),
    sa.Column("answered_at", UtcDateTime()),
    sa.Column("comment", sa.Text),
    sa.Column("channel", sa.String(16)),
    sa.Column("answered_by", sa.String(100)),
)

campaign_answers = sa.Table(
    "campaign_answers",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("campaign_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("dimension", sa.String(40), primary_key=True),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("level", sa.String(24), nullable=False),
    sa.Column("score", sa.Integer),
)

# --- key-account plans ------------------------------------------------------------------------

plans = sa.Table(
    "key_account_plans",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(100)),
    sa.Column("approved_at", UtcDateTime()),
    sa.Column("approved_by", sa.String(100)),
    sa.Column("completed_at", UtcDateTime()),
    sa.UniqueConstraint("plaza_id", "month", name="uq_key_account_plans_month"),
)

plan_visits = sa.Table(
    "key_account_plan_visits",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("plan_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("planned_on", sa.Date, nullable=False),
    sa.Column("outcome", sa.String(16)),
    sa.Column("rating", sa.String(24)),
    sa.Column("note", sa.Text),
    sa.Column("recorded_at", UtcDateTime()),
    sa.Column("recorded_by", sa.String(100)),
)
