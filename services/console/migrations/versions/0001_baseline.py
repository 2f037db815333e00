"""Baseline: console's tables as the release before versioned migrations made them at
start-up (metadata.create_all: no server defaults; defaults are SQLAlchemy's, on insert).

A database that release made (tables, no version table) is adopted at this revision by
the migration step: that release's start-up upgrade adds what its tables lacked (with the
defaults and ``backfill`` infos of tables.py), then this revision is stamped. Later
revisions add, alter and backfill by themselves.

Revision ID: 0001
Revises: (none: the first)
"""
import sqlalchemy as sa
from alembic import op

from libs.runtime.db import types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('preferences',
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('username')
    )


def downgrade() -> None:
    op.drop_table('preferences')
