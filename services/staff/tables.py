"""Every table of staff in one place: the people who work in PlazaDesk and their roles per
plaza, the credentials they log in with (password hashes, refresh tokens), the slow-down
of failed logins, and staff's own copy of the plazas archive publishes."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime import replica
from libs.runtime.db import UtcDateTime
from libs.runtime.db.migrate import service_metadata
from libs.runtime.uow import add_runtime_tables

metadata = service_metadata(__file__)
outbox, inbox = add_runtime_tables(metadata)

# A person is staff at a plaza only if archive registered it (404 otherwise).
plazas = replica.plazas_table(metadata)

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
