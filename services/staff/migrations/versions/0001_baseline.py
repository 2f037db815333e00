"""Baseline: staff's tables as the release before versioned migrations made them at
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
    op.create_table('failed_events',
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('event_type', sa.String(length=80), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_index(op.f('ix_failed_events_failed_at'), 'failed_events', ['failed_at'], unique=False)
    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=80), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('processed_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id')
    )
    op.create_table('login_failures',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('occupant_links',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('link_id', sa.String(length=32), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('issued_by', sa.String(length=100), nullable=False),
    sa.Column('issued_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('used_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash'),
    sa.UniqueConstraint('link_id')
    )
    op.create_index(op.f('ix_occupant_links_expires_at'), 'occupant_links', ['expires_at'], unique=False)
    op.create_table('outbox',
    sa.Column('seq', sa.Integer(), sa.Identity(always=False), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('published_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('event_id')
    )
    op.create_index(op.f('ix_outbox_published_at'), 'outbox', ['published_at'], unique=False)
    op.create_table('people',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('post', sa.String(length=200), nullable=True),
    sa.Column('global_roles', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('created_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('username')
    )
    op.create_table('plaza_roles',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('roles', sa.String(length=200), nullable=False),
    sa.Column('joined_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'username')
    )
    op.create_index(op.f('ix_plaza_roles_username'), 'plaza_roles', ['username'], unique=False)
    op.create_table('plazas',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id')
    )
    op.create_table('refresh_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('issued_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index(op.f('ix_refresh_tokens_username'), 'refresh_tokens', ['username'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_refresh_tokens_username'), table_name='refresh_tokens')
    op.drop_table('refresh_tokens')
    op.drop_table('plazas')
    op.drop_index(op.f('ix_plaza_roles_username'), table_name='plaza_roles')
    op.drop_table('plaza_roles')
    op.drop_table('people')
    op.drop_index(op.f('ix_outbox_published_at'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_index(op.f('ix_occupant_links_expires_at'), table_name='occupant_links')
    op.drop_table('occupant_links')
    op.drop_table('login_failures')
    op.drop_table('inbox')
    op.drop_index(op.f('ix_failed_events_failed_at'), table_name='failed_events')
    op.drop_table('failed_events')
