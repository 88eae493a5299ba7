"""data protection: passwords, rights register, tombstones, retention

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:42:47.479281
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('retention_policy',
    sa.Column('record_type', sa.String(length=30), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['worker.id'], name=op.f('fk_retention_policy_updated_by_worker')),
    sa.PrimaryKeyConstraint('record_type', name=op.f('pk_retention_policy'))
    )
    op.create_table('retention_review',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('decision', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('keep_until', sa.Date(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("decision <> 'kept' OR keep_until IS NOT NULL", name=op.f('ck_retention_review_kept_until')),
    sa.CheckConstraint("decision IN ('anonymised', 'kept')", name=op.f('ck_retention_review_decision')),
    sa.ForeignKeyConstraint(['decided_by'], ['worker.id'], name=op.f('fk_retention_review_decided_by_worker')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_review'))
    )
    with op.batch_alter_table('retention_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retention_review_person_id'), ['person_id'], unique=False)

    op.create_table('rights_request',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('identity_checked', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('extended_on', sa.Date(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refusal_ground', sa.String(length=30), nullable=True),
    sa.Column('answer_note', sa.Text(), nullable=True),
    sa.Column('answer_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('answered_by', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('access', 'rectification', 'erasure', 'objection', 'portability', 'blocking')", name=op.f('ck_rights_request_kind')),
    sa.CheckConstraint("refusal_ground IS NULL OR refusal_ground IN ('legal_obligation', 'public_function', 'public_health', 'statistics', 'legal_claims', 'victim_protection', 'legal_secrecy', 'identity_not_verified')", name=op.f('ck_rights_request_refusal_ground')),
    sa.CheckConstraint("status <> 'refused' OR refusal_ground IS NOT NULL", name=op.f('ck_rights_request_refusal_has_ground')),
    sa.CheckConstraint("status IN ('open', 'extended', 'answered', 'refused', 'withdrawn')", name=op.f('ck_rights_request_status')),
    sa.CheckConstraint('due_on >= received_on', name=op.f('ck_rights_request_due_after_received')),
    sa.ForeignKeyConstraint(['answered_by'], ['worker.id'], name=op.f('fk_rights_request_answered_by_worker')),
    sa.ForeignKeyConstraint(['created_by'], ['worker.id'], name=op.f('fk_rights_request_created_by_worker')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rights_request'))
    )
    with op.batch_alter_table('rights_request', schema=None) as batch_op:
        batch_op.create_index('ix_rights_request_open', ['status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_rights_request_person_id'), ['person_id'], unique=False)

    op.create_table('tombstone',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('worker_id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['rights_request.id'], name=op.f('fk_tombstone_request_id_rights_request')),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_tombstone_worker_id_worker')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tombstone')),
    sa.UniqueConstraint('person_id', name=op.f('uq_tombstone_person_id'))
    )
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_sign_ins')
        batch_op.drop_column('password_hash')

    op.drop_table('tombstone')
    with op.batch_alter_table('rights_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rights_request_person_id'))
        batch_op.drop_index('ix_rights_request_open')

    op.drop_table('rights_request')
    with op.batch_alter_table('retention_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retention_review_person_id'))

    op.drop_table('retention_review')
    op.drop_table('retention_policy')

