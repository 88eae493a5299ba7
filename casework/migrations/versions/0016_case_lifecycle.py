"""case lifecycle: the outcome a case is closed with, the day it is held until, and the
case's history of closings, reopenings and holds

The outcome is a code (CaseOutcome); closing_reason keeps satisfying closed_has_reason
(the desk writes the code there too). Cases closed before this revision keep their free
text and no outcome. No existing row changes.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOMES = ("goal_reached", "referred_elsewhere", "moved_commune", "lost_contact", "other")
OUTCOME_CHECK = "closing_outcome IS NULL OR closing_outcome IN ({})".format(
    ", ".join(f"'{o}'" for o in OUTCOMES)
)


def upgrade() -> None:
    # Plain ALTER TABLE on both backends: a batch copy of "case_file" would trip the foreign
    # keys that point at it on SQLite. SQLite takes the CHECK with the new column.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE case_file ADD COLUMN closing_outcome VARCHAR(20) "
            f"CONSTRAINT ck_case_file_closing_outcome CHECK ({OUTCOME_CHECK})"
        )
    else:
        op.add_column("case_file", sa.Column("closing_outcome", sa.String(20), nullable=True))
        op.create_check_constraint("ck_case_file_closing_outcome", "case_file", OUTCOME_CHECK)
    op.add_column("case_file", sa.Column("closing_note", sa.Text(), nullable=True))
    op.add_column("case_file", sa.Column("hold_until", sa.Date(), nullable=True))
    op.create_table(
        "case_event",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("from_status", sa.String(10), nullable=False),
        sa.Column("to_status", sa.String(10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("hold_until", sa.Date(), nullable=True),
        sa.Column("follow_ups_cancelled", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("referrals_cancelled", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('close', 'reopen', 'hold', 'resume')", name=op.f("ck_case_event_kind")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_case_event_case_id_case_file"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_case_event_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    op.create_index("ix_case_event_case_id", "case_event", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_event_case_id", table_name="case_event")
    op.drop_table("case_event")
    for column in ("hold_until", "closing_note"):
        op.execute(f"ALTER TABLE case_file DROP COLUMN {column}")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_case_file_closing_outcome", "case_file", type_="check")
    op.execute("ALTER TABLE case_file DROP COLUMN closing_outcome")
