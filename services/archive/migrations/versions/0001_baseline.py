"""Baseline: archive's tables as the release before versioned migrations made them at
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
    op.create_table('defect_work_orders',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('work_order_id', sa.String(length=40), nullable=False),
    sa.Column('defect_id', sa.String(length=40), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('changed_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'work_order_id')
    )
    op.create_index('ix_defect_work_orders_defect', 'defect_work_orders', ['plaza_id', 'defect_id'], unique=False)
    op.create_table('defects',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('defect_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('inspection_id', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('responsible_party', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('found_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'defect_id')
    )
    op.create_index('ix_defects_plaza_unit', 'defects', ['plaza_id', 'unit'], unique=False)
    op.create_table('documents',
    sa.Column('document_id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=128), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('document_id')
    )
    op.create_index('ix_documents_plaza_unit', 'documents', ['plaza_id', 'unit', 'document_id'], unique=False)
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
    op.create_table('permits',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('permit_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('deposit_fen', sa.BigInteger(), nullable=True),
    sa.Column('deduction_fen', sa.BigInteger(), nullable=True),
    sa.Column('approved_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id', 'permit_id')
    )
    op.create_index('ix_permits_plaza_unit', 'permits', ['plaza_id', 'unit'], unique=False)
    op.create_table('plazas',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id')
    )
    op.create_table('timeline',
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('fact_key', sa.String(length=200), nullable=True),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('event', sa.JSON(), nullable=False),
    sa.Column('recorded_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_index('ix_timeline_plaza_unit_order', 'timeline', ['plaza_id', 'unit', 'occurred_at', 'event_id'], unique=False)
    op.create_index('ux_timeline_plaza_fact', 'timeline', ['plaza_id', 'fact_key'], unique=True)
    op.create_table('unit_revisions',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('who', sa.String(length=100), nullable=False),
    sa.Column('changed_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'unit', 'revision')
    )
    op.create_table('units',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.Column('use', sa.String(length=16), nullable=False),
    sa.Column('occupant_name', sa.String(length=200), nullable=False),
    sa.Column('occupant_kind', sa.String(length=16), nullable=False),
    sa.Column('occupant_phone', sa.String(length=64), nullable=True),
    sa.Column('key_account', sa.Boolean(), nullable=False),
    sa.Column('building', sa.String(length=64), nullable=True),
    sa.Column('floor', sa.String(length=16), nullable=True),
    sa.Column('contacts', sa.JSON(), nullable=True),
    sa.Column('handover_date', sa.Date(), nullable=True),
    sa.Column('occupancy_date', sa.Date(), nullable=True),
    sa.Column('contract_start', sa.Date(), nullable=True),
    sa.Column('contract_end', sa.Date(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'unit')
    )


def downgrade() -> None:
    op.drop_table('units')
    op.drop_table('unit_revisions')
    op.drop_index('ux_timeline_plaza_fact', table_name='timeline')
    op.drop_index('ix_timeline_plaza_unit_order', table_name='timeline')
    op.drop_table('timeline')
    op.drop_table('plazas')
    op.drop_index('ix_permits_plaza_unit', table_name='permits')
    op.drop_table('permits')
    op.drop_index(op.f('ix_outbox_published_at'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_index(op.f('ix_failed_events_failed_at'), table_name='failed_events')
    op.drop_table('failed_events')
    op.drop_index('ix_documents_plaza_unit', table_name='documents')
    op.drop_table('documents')
    op.drop_index('ix_defects_plaza_unit', table_name='defects')
    op.drop_table('defects')
    op.drop_index('ix_defect_work_orders_defect', table_name='defect_work_orders')
    op.drop_table('defect_work_orders')
