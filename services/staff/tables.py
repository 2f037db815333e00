"""Every table of staff in one place: the people who work in PlazaDesk and their roles per
plaza, the credentials they log in with (password hashes, refresh tokens), the slow-down
of failed logins, staff's own copy of the plazas archive publishes; the desk's posts,
training, rotation plans, roster and attendance, post records; and the small projections
of the other services' events the clerks' daily reports and phone figures are made of."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime import replica
from libs.runtime.db import UtcDateTime
from libs.runtime.db.migrate import service_metadata
from libs.runtime.uow import add_runtime_tables

metadata = service_metadata(__file__)
outbox, inbox = add_runtime_tables(metadata)

# A person is staff at a plaza only if archive registered it (404 otherwise).
# The zone a plaza counts its days in (roster weeks, opening hours, report months).
plazas = replica.plazas_table(metadata, sa.Column("timezone", sa.String(64)))

# One row per person, whatever their plazas: name, department and post are the person's,
# as is their standing (an inactive person logs in nowhere) and the global roles
# (operator, auditor: every plaza). Roles are stored comma-joined: a role name has none.
people = sa.Table(
    "people",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("phone", sa.String(64)),
    sa.Column("department", sa.String(64)),
    sa.Column("post", sa.String(200)),
    sa.Column("global_roles", sa.String(200), nullable=False, default=""),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    # argon2id, encoded with its parameters; NULL: no password set yet (cannot log in).
    sa.Column("password_hash", sa.String(255)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
)

plaza_roles = sa.Table(
    "plaza_roles",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), primary_key=True, index=True),
    sa.Column("roles", sa.String(200), nullable=False),
    sa.Column("joined_at", UtcDateTime(), nullable=False),
)

# Only the SHA-256 of a refresh token is kept: a copy of this table logs no one in.
refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),
)

# Failed logins per key ("user:<name>", "addr:<client address>"), kept in the database so
# every replica slows the same guesser down.
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", UtcDateTime(), nullable=False),
)

# An occupant's one-time link to their unit's pages (a magic link the desk hands out).
# Only the SHA-256 of the link's token is kept; ``used_at`` makes it single use. The unit
# is the clerk's word: staff keeps no unit register (archive does).
occupant_links = sa.Table(
    "occupant_links",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("link_id", sa.String(32), nullable=False, unique=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),  # masked: the unit and a phone's last 4 digits
    sa.Column("issued_by", sa.String(100), nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("used_at", UtcDateTime()),
)


# --- posts (岗位) and training (培训) -----------------------------------------------------
# A plaza's own posts, beside the desk's built-in catalogue (posts/domain.py), or a change
# of a built-in one: its name, department, procedures, the courses it needs, the pass mark
# of its own course and whether it rotates. JSON lists as text.
posts = sa.Table(
    "posts",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("post", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("procedures", sa.Text, nullable=False),
    sa.Column("courses", sa.Text, nullable=False),
    sa.Column("pass_mark", sa.Integer, nullable=False),
    sa.Column("rotates", sa.Boolean, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# Who worked which post from when to when: the rotation spreads posts by it.
post_history = sa.Table(
    "post_history",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("post", sa.String(64), nullable=False),
    sa.Column("from_at", UtcDateTime(), nullable=False),
    sa.Column("to_at", UtcDateTime()),
    sa.Column("source", sa.String(16), nullable=False),  # assignment | rotation
    sa.Index("ix_post_history_person", "plaza_id", "username"),
)

training_sessions = sa.Table(
    "training_sessions",
    metadata,
    sa.Column("session_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False, index=True),
    sa.Column("course", sa.String(64), nullable=False),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("trainer", sa.String(200)),
    sa.Column("pass_mark", sa.Integer, nullable=False),
    sa.Column("invited", sa.Text, nullable=False),  # JSON list of usernames
    sa.Column("scheduled_by", sa.String(100), nullable=False),
    sa.Column("scheduled_at", UtcDateTime(), nullable=False),
)

# One row per person and session: attended, the score, passed (attended and at the mark).
training_results = sa.Table(
    "training_results",
    metadata,
    sa.Column("session_id", sa.String(40), primary_key=True),
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("course", sa.String(64), nullable=False),
    sa.Column("attended", sa.Boolean, nullable=False),
    sa.Column("score", sa.Integer),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("recorded_by", sa.String(100), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Index("ix_training_results_person", "plaza_id", "username"),
)

# --- rotation (岗位轮换, every six months) -------------------------------------------------
rotation_plans = sa.Table(
    "rotation_plans",
    metadata,
    sa.Column("plan_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False, index=True),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | rejected
    sa.Column("moves", sa.Text, nullable=False),  # JSON: [{username, from_post, to_post, training_needed}]
    sa.Column("unstaffed", sa.Text, nullable=False),  # JSON list of posts nobody can take
    sa.Column("sessions", sa.Text, nullable=False),  # JSON list of training sessions it scheduled
    sa.Column("drafted_by", sa.String(100), nullable=False),
    sa.Column("drafted_at", UtcDateTime(), nullable=False),
    sa.Column("adjusted_by", sa.String(100)),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("decided_at", UtcDateTime()),
    sa.Column("comment", sa.Text),
)

# --- roster (排班) and attendance (考勤) -----------------------------------------------------
shifts = sa.Table(
    "shifts",
    metadata,
    sa.Column("shift_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("post", sa.String(64), nullable=False),
    sa.Column("department", sa.String(64)),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("ends_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # planned | cancelled
    sa.Column("planned_by", sa.String(100), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_shifts_plaza_start", "plaza_id", "starts_at"),
    sa.Index("ix_shifts_person", "plaza_id", "username", "starts_at"),
)

# A swap asked for (the shift to another person) and the supervisor's decision.
shift_swaps = sa.Table(
    "shift_swaps",
    metadata,
    sa.Column("swap_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("shift_id", sa.String(40), nullable=False, index=True),
    sa.Column("from_username", sa.String(64), nullable=False),
    sa.Column("to_username", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("requested_by", sa.String(100), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("decided_at", UtcDateTime()),
)

# The desk's opening hours (local times per weekday, JSON) and the posts that must cover them.
opening_hours = sa.Table(
    "opening_hours",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("hours", sa.Text, nullable=False),
    sa.Column("posts", sa.Text, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

attendance = sa.Table(
    "attendance",
    metadata,
    sa.Column("attendance_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("shift_id", sa.String(40), nullable=False, index=True),
    sa.Column("clocked_in_at", UtcDateTime(), nullable=False),
    sa.Column("clocked_out_at", UtcDateTime()),
    sa.Index("ix_attendance_person", "plaza_id", "username", "clocked_in_at"),
)

# --- post records (岗位记录) ---------------------------------------------------------------
# A shift's handover log: what happened, what is pending for the next person.
handover_notes = sa.Table(
    "handover_notes",
    metadata,
    sa.Column("note_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("shift_id", sa.String(40)),
    sa.Column("day", sa.Date, nullable=False),  # the plaza's local day
    sa.Column("happened", sa.Text, nullable=False),
    sa.Column("pending", sa.Text, nullable=False),
    sa.Column("written_at", UtcDateTime(), nullable=False),
    sa.Index("ix_handover_notes_day", "plaza_id", "day"),
)

# The supervisor's sign-off of a person's day (their daily report), with comments.
daily_reviews = sa.Table(
    "daily_reviews",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("reviewed_by", sa.String(100), nullable=False),
    sa.Column("reviewed_at", UtcDateTime(), nullable=False),
    sa.Column("comment", sa.Text),
)

# What a person did, from the other services' events (one row per event): calls logged
# (intake), visits made (survey), dunning (billing), complaints handled (dispatch).
activity = sa.Table(
    "activity",
    metadata,
    sa.Column("event_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # call | visit | dunning | complaint
    sa.Column("ref", sa.String(64), nullable=False),  # the request, visit, task or work order
    sa.Column("what", sa.String(64), nullable=False),  # the event's type
    sa.Column("unit", sa.String(64)),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Index("ix_activity_person", "plaza_id", "username", "occurred_at"),
)

# --- phone etiquette (the figures of the supervisor's report) ------------------------------
# Every request (its clerk and, for a phone request, how the call was answered), the work
# orders made of them and their return visits' ratings: a rating is credited to the clerk
# who took the request.
calls = sa.Table(
    "calls",
    metadata,
    sa.Column("request_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("received_by", sa.String(100)),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("rang_at", UtcDateTime()),
    sa.Column("answered_at", UtcDateTime()),
    sa.Column("greeting", sa.Boolean),
    sa.Column("read_back", sa.Boolean),
    sa.Index("ix_calls_plaza_received", "plaza_id", "received_at"),
)

work_order_requests = sa.Table(
    "work_order_requests",
    metadata,
    sa.Column("work_order_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(40), nullable=False, index=True),
)

visit_ratings = sa.Table(
    "visit_ratings",
    metadata,
    sa.Column("visit_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("work_order_id", sa.String(40), nullable=False, index=True),
    sa.Column("rating", sa.String(24), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
)
