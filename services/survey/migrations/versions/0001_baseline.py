"""Baseline: survey's tables as the release before versioned migrations made them at
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
    op.create_table('campaign_answers',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('campaign_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('dimension', sa.String(length=40), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=24), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id', 'campaign_id', 'unit', 'dimension')
    )
    op.create_table('campaign_sample',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('campaign_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('building', sa.String(length=64), nullable=False),
    sa.Column('occupant_kind', sa.String(length=16), nullable=False),
    sa.Column('answered_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('answered_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id', 'campaign_id', 'unit')
    )
    op.create_table('campaigns',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('scale', sa.String(length=16), nullable=False),
    sa.Column('dimensions', sa.JSON(), nullable=False),
    sa.Column('sample_size', sa.Integer(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('closed_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_campaigns_plaza_month', 'campaigns', ['plaza_id', 'month'], unique=False)
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
    op.create_table('key_account_plan_visits',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('rating', sa.String(length=24), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id', 'plan_id', 'unit')
    )
    op.create_table('key_account_plans',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('approved_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.String(length=100), nullable=True),
    sa.Column('completed_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plaza_id', 'month', name='uq_key_account_plans_month')
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
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id')
    )
    op.create_table('request_contacts',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('area', sa.String(length=200), nullable=True),
    sa.Column('received_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plaza_id', 'request_id')
    )
    op.create_table('survey_policies',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('window_hours', sa.Integer(), nullable=False),
    sa.Column('fatigue_days', sa.Integer(), nullable=False),
    sa.Column('link_ttl_hours', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.JSON(), nullable=False),
    sa.Column('updated_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id')
    )
    op.create_table('units',
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('occupant_name', sa.String(length=200), nullable=True),
    sa.Column('occupant_phone', sa.String(length=64), nullable=True),
    sa.Column('key_account', sa.Boolean(), nullable=False),
    sa.Column('occupant_kind', sa.String(length=16), nullable=True),
    sa.Column('building', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('plaza_id', 'unit')
    )
    op.create_table('visits',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('plaza_id', sa.String(length=64), nullable=False),
    sa.Column('work_order_id', sa.String(length=40), nullable=False),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=True),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('closed_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('scheduled_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('due_at', types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('scheduled_event_id', sa.String(length=40), nullable=False),
    sa.Column('answered_at', types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.String(length=100), nullable=True),
    sa.Column('rating', sa.String(length=24), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=True),
    sa.Column('skip_reason', sa.String(length=32), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('method_reason', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plaza_id', 'work_order_id', 'reopen_count', name='uq_visits_close')
    )
    op.create_index('ix_visits_called', 'visits', ['plaza_id', 'unit', 'closed_at'], unique=False, sqlite_where=sa.text("skip_reason IS NULL AND method = 'phone'"), postgresql_where=sa.text("skip_reason IS NULL AND method = 'phone'"))
    op.create_index('ix_visits_plaza_due', 'visits', ['plaza_id', 'answered_at', 'due_at'], unique=False)
    op.create_index('ix_visits_plaza_unit_id', 'visits', ['plaza_id', 'unit', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_visits_plaza_unit_id', table_name='visits')
    op.drop_index('ix_visits_plaza_due', table_name='visits')
    op.drop_index('ix_visits_called', table_name='visits', sqlite_where=sa.text("skip_reason IS NULL AND method = 'phone'"), postgresql_where=sa.text("skip_reason IS NULL AND method = 'phone'"))
    op.drop_table('visits')
    op.drop_table('units')
    op.drop_table('survey_policies')
    op.drop_table('request_contacts')
    op.drop_table('plazas')
    op.drop_index(op.f('ix_outbox_published_at'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('key_account_plans')
    op.drop_table('key_account_plan_visits')
    op.drop_table('inbox')
    op.drop_index(op.f('ix_failed_events_failed_at'), table_name='failed_events')
    op.drop_table('failed_events')
    op.drop_index('ix_campaigns_plaza_month', table_name='campaigns')
    op.drop_table('campaigns')
    op.drop_table('campaign_sample')
    op.drop_table('campaign_answers')
