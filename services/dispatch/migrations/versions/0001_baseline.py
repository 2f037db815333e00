"""Baseline: dispatch's tables as the release before versioned migrations made them at
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
    op.create_table('applied_visits',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('visit_id', sa.String(length=40), nullable=False),
    sa.Column('work_order_id', sa.String(length=40), nullable=False),
    sa.Column('rating', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('applied_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'visit_id')
    )
    op.create_table('charge_lines',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('line_id', sa.String(length=80), nullable=False),
    sa.Column('work_order_id', sa.String(length=40), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'line_id')
    )
    op.create_index('ix_charge_lines_work_order', 'charge_lines', ['plaza_id', 'work_order_id'], unique=False)
    op.create_table('deadlines',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('work_order_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('due_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('manager_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('met_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('escalated', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id', 'work_order_id', 'name', 'round')
    )
    op.create_index('ix_deadlines_open', 'deadlines', ['met_at', 'voided', 'due_at'], unique=False)
    op.create_table('escalations',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('work_order_id', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('cause', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('occurred_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'event_id')
    )
    op.create_index('ix_escalations_work_order', 'escalations', ['plaza_id', 'work_order_id'], unique=False)
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
    op.create_table('held_requests',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('area', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('received_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'request_id')
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
    op.create_table('plazas',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id')
    )
    op.create_table('praise',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('received_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'request_id')
    )
    op.create_index('ix_praise_plaza_department', 'praise', ['plaza_id', 'department'], unique=False)
    op.create_table('report_requests',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('area', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('received_kind', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('major', sa.Boolean(), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('received_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('corrected_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('corrected_by', sa.String(length=100), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id', 'request_id')
    )
    op.create_index('ix_report_requests_plaza_kind', 'report_requests', ['plaza_id', 'kind'], unique=False)
    op.create_table('routing_rules',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('keyword', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'position')
    )
    op.create_table('sla_policies',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id')
    )
    op.create_table('staff',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('at_plaza', sa.Boolean(), nullable=False),
    sa.Column('occurred_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'username')
    )
    op.create_table('stock_adjustments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('requested_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_stock_adjustments_status', 'stock_adjustments', ['plaza_id', 'status', 'id'], unique=False)
    op.create_table('stock_items',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('low_level', sa.Integer(), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'sku')
    )
    op.create_table('stock_movements',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('quantity_after', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('work_order_id', sa.String(length=40), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('occurred_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_stock_movements_sku', 'stock_movements', ['plaza_id', 'sku', 'id'], unique=False)
    op.create_table('suggestion_follow_ups',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('occurred_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'request_id', 'n')
    )
    op.create_table('suggestions',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('received_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id', 'request_id')
    )
    op.create_table('units',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('occupant_name', sa.String(length=200), nullable=True),
    sa.Column('key_account', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'unit')
    )
    op.create_table('work_orders',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('original_department', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('sla_class', sa.String(length=16), nullable=False),
    sa.Column('warranty', sa.Boolean(), nullable=False),
    sa.Column('responsible_party', sa.String(length=200), nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('major', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assignee', sa.String(length=100), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('paid', sa.Boolean(), nullable=True),
    sa.Column('labour_fen', sa.BigInteger(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('lines_created', sa.Integer(), nullable=False),
    sa.Column('last_rating', sa.String(length=32), nullable=True),
    sa.Column('created_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('first_responded_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('first_closed_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('area', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plaza_id', 'request_id', name='uq_work_orders_plaza_request')
    )
    op.create_index('ix_work_orders_plaza_department_status', 'work_orders', ['plaza_id', 'department', 'status'], unique=False)
    op.create_index('ix_work_orders_plaza_kind_created', 'work_orders', ['plaza_id', 'kind', 'created_at'], unique=False)
    op.create_index('ix_work_orders_plaza_status', 'work_orders', ['plaza_id', 'status'], unique=False)
    op.create_index('ix_work_orders_plaza_unit', 'work_orders', ['plaza_id', 'unit'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_work_orders_plaza_unit', table_name='work_orders')
    op.drop_index('ix_work_orders_plaza_status', table_name='work_orders')
    op.drop_index('ix_work_orders_plaza_kind_created', table_name='work_orders')
    op.drop_index('ix_work_orders_plaza_department_status', table_name='work_orders')
    op.drop_table('work_orders')
    op.drop_table('units')
    op.drop_table('suggestions')
    op.drop_table('suggestion_follow_ups')
    op.drop_index('ix_stock_movements_sku', table_name='stock_movements')
    op.drop_table('stock_movements')
    op.drop_table('stock_items')
    op.drop_index('ix_stock_adjustments_status', table_name='stock_adjustments')
    op.drop_table('stock_adjustments')
    op.drop_table('staff')
    op.drop_table('sla_policies')
    op.drop_table('routing_rules')
    op.drop_index('ix_report_requests_plaza_kind', table_name='report_requests')
    op.drop_table('report_requests')
    op.drop_index('ix_praise_plaza_department', table_name='praise')
    op.drop_table('praise')
    op.drop_table('plazas')
    op.drop_index(op.f('ix_outbox_published_at'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_table('held_requests')
    op.drop_index(op.f('ix_failed_events_failed_at'), table_name='failed_events')
    op.drop_table('failed_events')
    op.drop_index('ix_escalations_work_order', table_name='escalations')
    op.drop_table('escalations')
    op.drop_index('ix_deadlines_open', table_name='deadlines')
    op.drop_table('deadlines')
    op.drop_index('ix_charge_lines_work_order', table_name='charge_lines')
    op.drop_table('charge_lines')
    op.drop_table('applied_visits')
