"""Baseline: intake's tables as the release before versioned migrations made them at
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
    op.create_table('handover_appointments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_phone', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('booked_by', sa.String(length=100), nullable=False),
    sa.Column('booked_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('inspection_id', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_handover_plaza_day', 'handover_appointments', ['plaza_id', 'day'], unique=False)
    op.create_index('ix_handover_plaza_unit', 'handover_appointments', ['plaza_id', 'unit'], unique=False)
    op.create_table('handover_days',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'day')
    )
    op.create_table('handover_defects',
    sa.Column('defect_id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('inspection_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('responsible_party', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('defect_id')
    )
    op.create_index(op.f('ix_handover_defects_inspection_id'), 'handover_defects', ['inspection_id'], unique=False)
    op.create_table('handover_inspections',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('appointment_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('inspector', sa.String(length=100), nullable=False),
    sa.Column('inspected_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('appointment_id')
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
    op.create_table('plaza_rules',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'name')
    )
    op.create_table('plazas',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id')
    )
    op.create_table('public_areas',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('items', sa.LargeBinary(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id')
    )
    op.create_table('renovations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('contractor', sa.String(length=200), nullable=False),
    sa.Column('workers', sa.LargeBinary(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('deposit_fen', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('deduction_fen', sa.BigInteger(), nullable=False),
    sa.Column('deduction_reason', sa.Text(), nullable=True),
    sa.Column('history', sa.LargeBinary(), nullable=False),
    sa.Column('applied_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_renovations_plaza_unit', 'renovations', ['plaza_id', 'unit'], unique=False)
    op.create_table('request_corrections',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('before', sa.LargeBinary(), nullable=False),
    sa.Column('after', sa.LargeBinary(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_request_corrections_request', 'request_corrections', ['plaza_id', 'request_id'], unique=False)
    op.create_table('requests',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('kind_reason', sa.String(length=200), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=True),
    sa.Column('severity_reason', sa.String(length=200), nullable=True),
    sa.Column('praised_department', sa.String(length=64), nullable=True),
    sa.Column('source_department', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_phone', sa.String(length=64), nullable=True),
    sa.Column('serviceable', sa.Boolean(), nullable=False),
    sa.Column('referral', sa.String(length=200), nullable=True),
    sa.Column('major', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('received_by', sa.String(length=100), nullable=True),
    sa.Column('received_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('department_chosen', sa.Boolean(), nullable=False),
    sa.Column('area', sa.String(length=64), nullable=True),
    sa.Column('mixed_with', sa.String(length=40), nullable=True),
    sa.Column('overruled_referral', sa.String(length=200), nullable=True),
    sa.Column('overrule_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_requests_plaza_area', 'requests', ['plaza_id', 'area'], unique=False)
    op.create_index('ix_requests_plaza_received', 'requests', ['plaza_id', 'received_at'], unique=False)
    op.create_index('ix_requests_plaza_unit', 'requests', ['plaza_id', 'unit'], unique=False)
    op.create_table('units',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('occupant_name', sa.String(length=200), nullable=True),
    sa.Column('occupant_phone', sa.String(length=64), nullable=True),
    sa.Column('key_account', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'unit')
    )


def downgrade() -> None:
    op.drop_table('units')
    op.drop_index('ix_requests_plaza_unit', table_name='requests')
    op.drop_index('ix_requests_plaza_received', table_name='requests')
    op.drop_index('ix_requests_plaza_area', table_name='requests')
    op.drop_table('requests')
    op.drop_index('ix_request_corrections_request', table_name='request_corrections')
    op.drop_table('request_corrections')
    op.drop_index('ix_renovations_plaza_unit', table_name='renovations')
    op.drop_table('renovations')
    op.drop_table('public_areas')
    op.drop_table('plazas')
    op.drop_table('plaza_rules')
    op.drop_index(op.f('ix_outbox_published_at'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_table('idempotency_keys')
    op.drop_table('handover_inspections')
    op.drop_index(op.f('ix_handover_defects_inspection_id'), table_name='handover_defects')
    op.drop_table('handover_defects')
    op.drop_table('handover_days')
    op.drop_index('ix_handover_plaza_unit', table_name='handover_appointments')
    op.drop_index('ix_handover_plaza_day', table_name='handover_appointments')
    op.drop_table('handover_appointments')
    op.drop_index(op.f('ix_failed_events_failed_at'), table_name='failed_events')
    op.drop_table('failed_events')
