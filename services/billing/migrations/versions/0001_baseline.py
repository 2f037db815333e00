"""Baseline: billing's tables as the release before versioned migrations made them at
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
    op.create_table('complaints',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('work_order_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('complaint', sa.Boolean(), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id', 'work_order_id')
    )
    op.create_index('ix_complaints_unit', 'complaints', ['plaza_id', 'unit', 'status'], unique=False)
    op.create_table('dunning_tasks',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('entry_id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=True),
    sa.Column('stage', sa.String(length=8), nullable=False),
    sa.Column('days_past_due', sa.Integer(), nullable=False),
    sa.Column('open_fen', sa.BigInteger(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('created_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=80), nullable=True),
    sa.Column('recorded_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plaza_id', 'entry_id', 'stage', name='uq_dunning_entry_stage')
    )
    op.create_index('ix_dunning_plaza_status', 'dunning_tasks', ['plaza_id', 'status', 'created_at'], unique=False)
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
    op.create_table('fee_rates',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('shop', sa.BigInteger(), nullable=False),
    sa.Column('office', sa.BigInteger(), nullable=False),
    sa.Column('residence', sa.BigInteger(), nullable=False),
    sa.Column('due_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id')
    )
    op.create_table('idempotency_keys',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=128), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('response', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'scope', 'key')
    )
    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=80), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('processed_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id')
    )
    op.create_table('invoices',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('entry_id', sa.String(length=40), nullable=False),
    sa.Column('issued_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plaza_id', 'unit', 'period', name='uq_invoice_unit_period')
    )
    op.create_table('ledger_entries',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('work_order_id', sa.String(length=40), nullable=True),
    sa.Column('line_id', sa.String(length=200), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('occurred_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('causation_id', sa.String(length=40), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('utility', sa.String(length=16), nullable=True),
    sa.Column('reverses_entry_id', sa.String(length=40), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('approver', sa.String(length=80), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name='ck_ledger_amount_positive'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plaza_id', 'line_id', name='uq_ledger_line'),
    sa.UniqueConstraint('plaza_id', 'reverses_entry_id', name='uq_ledger_reversal')
    )
    op.create_index('ix_ledger_plaza_unit', 'ledger_entries', ['plaza_id', 'unit', 'occurred_at', 'id'], unique=False)
    op.create_table('ledger_requests',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reverses_entry_id', sa.String(length=40), nullable=True),
    sa.Column('requested_by', sa.String(length=80), nullable=False),
    sa.Column('requested_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('decided_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('entry_id', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_ledger_requests_status', 'ledger_requests', ['plaza_id', 'status', 'id'], unique=False)
    op.create_table('meter_readings',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('utility', sa.String(length=16), nullable=False),
    sa.Column('reading_milli', sa.BigInteger(), nullable=False),
    sa.Column('previous_milli', sa.BigInteger(), nullable=True),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('deduction_fen', sa.BigInteger(), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=False),
    sa.Column('read_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_readings_meter', 'meter_readings', ['plaza_id', 'unit', 'utility', 'read_at'], unique=False)
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
    op.create_table('plazas',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id')
    )
    op.create_table('reclassified_requests',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('complaint', sa.Boolean(), nullable=False),
    sa.Column('ended', sa.Boolean(), nullable=False),
    sa.Column('reclassified_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'request_id')
    )
    op.create_index('ix_reclassified_requests_unit', 'reclassified_requests', ['plaza_id', 'unit'], unique=False)
    op.create_table('renovation_permits',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('permit_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('deposit_fen', sa.BigInteger(), nullable=True),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('deduction_fen', sa.BigInteger(), nullable=False),
    sa.Column('deduction_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id', 'permit_id')
    )
    op.create_table('tariffs',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('utility', sa.String(length=16), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('low_balance_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'utility')
    )
    op.create_table('units',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.Column('use', sa.String(length=16), nullable=False),
    sa.Column('occupant_name', sa.String(length=200), nullable=True),
    sa.Column('occupant_kind', sa.String(length=16), nullable=True),
    sa.Column('occupant_phone', sa.String(length=64), nullable=True),
    sa.Column('key_account', sa.Boolean(), nullable=False),
    sa.Column('occupancy_date', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id', 'unit')
    )


def downgrade() -> None:
    op.drop_table('units')
    op.drop_table('tariffs')
    op.drop_table('renovation_permits')
    op.drop_index('ix_reclassified_requests_unit', table_name='reclassified_requests')
    op.drop_table('reclassified_requests')
    op.drop_table('plazas')
    op.drop_index(op.f('ix_outbox_published_at'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_index('ix_readings_meter', table_name='meter_readings')
    op.drop_table('meter_readings')
    op.drop_index('ix_ledger_requests_status', table_name='ledger_requests')
    op.drop_table('ledger_requests')
    op.drop_index('ix_ledger_plaza_unit', table_name='ledger_entries')
    op.drop_table('ledger_entries')
    op.drop_table('invoices')
    op.drop_table('inbox')
    op.drop_table('idempotency_keys')
    op.drop_table('fee_rates')
    op.drop_index(op.f('ix_failed_events_failed_at'), table_name='failed_events')
    op.drop_table('failed_events')
    op.drop_index('ix_dunning_plaza_status', table_name='dunning_tasks')
    op.drop_table('dunning_tasks')
    op.drop_index('ix_complaints_unit', table_name='complaints')
    op.drop_table('complaints')
