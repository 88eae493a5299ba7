"""offline desks: the desk's identity and outbox, the server's applied commands and conflicts

Four new tables; no existing row changes. ``sync_desk`` and ``sync_outbox`` hold rows only
in a desk file; ``sync_applied`` and ``sync_conflict`` are written on the office server.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sync_applied',
    sa.Column('command_id', sa.Uuid(), nullable=False),
    sa.Column('desk_id', sa.Uuid(), nullable=False),
    sa.Column('worker_id', sa.Uuid(), nullable=True),
    sa.Column('command', sa.String(length=60), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('command_id', name=op.f('pk_sync_applied'))
    )
    op.create_table('sync_desk',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('server', sa.String(length=300), nullable=False),
    sa.Column('copied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pushed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_desk'))
    )
    op.create_table('sync_outbox',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Uuid(), nullable=False),
    sa.Column('worker_id', sa.Uuid(), nullable=True),
    sa.Column('command', sa.String(length=60), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('ids', sa.JSON(), nullable=False),
    sa.Column('records', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.String(length=10), nullable=True),
    sa.CheckConstraint("result IS NULL OR result IN ('applied', 'already', 'duplicate', 'conflict', 'waiting', 'decided')", name=op.f('ck_sync_outbox_result')),
    sa.CheckConstraint("state IN ('pending', 'sent')", name=op.f('ck_sync_outbox_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_outbox')),
    sa.UniqueConstraint('seq', name=op.f('uq_sync_outbox_seq'))
    )
    op.create_table('sync_conflict',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('command_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Uuid(), nullable=False),
    sa.Column('desk_name', sa.String(length=80), nullable=False),
    sa.Column('worker_id', sa.Uuid(), nullable=True),
    sa.Column('command', sa.String(length=60), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('ids', sa.JSON(), nullable=False),
    sa.Column('records', sa.JSON(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('blocked_by', sa.Uuid(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('resolution', sa.String(length=10), nullable=True),
    sa.Column('resolved_by', sa.Uuid(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.CheckConstraint("kind IN ('conflict', 'waiting')", name=op.f('ck_sync_conflict_kind')),
    sa.CheckConstraint("resolution IS NULL OR resolution IN ('mine', 'theirs', 'edited', 'after')", name=op.f('ck_sync_conflict_resolution')),
    sa.CheckConstraint("status IN ('open', 'applied', 'discarded')", name=op.f('ck_sync_conflict_status')),
    sa.ForeignKeyConstraint(['blocked_by'], ['sync_conflict.id'], name=op.f('fk_sync_conflict_blocked_by_sync_conflict')),
    sa.ForeignKeyConstraint(['resolved_by'], ['worker.id'], name=op.f('fk_sync_conflict_resolved_by_worker')),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_sync_conflict_worker_id_worker')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflict')),
    sa.UniqueConstraint('command_id', name=op.f('uq_sync_conflict_command_id'))
    )
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_conflict_desk_id'), ['desk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_conflict_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_conflict_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_conflict_status'))
        batch_op.drop_index(batch_op.f('ix_sync_conflict_person_id'))
        batch_op.drop_index(batch_op.f('ix_sync_conflict_desk_id'))

    op.drop_table('sync_conflict')
    op.drop_table('sync_outbox')
    op.drop_table('sync_desk')
    op.drop_table('sync_applied')
