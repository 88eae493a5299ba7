"""follow-through: route deadlines that know their own date, one open route per person,
and a record of every duplicate scan

- ``follow_up.deadline_key`` / ``deadline_from``: a follow-up that is a route deadline says
  which one and the day it counts from, so correcting that day moves it.
- ``uq_guidance_open_route``: a route is open once per person (starting it again resumes
  it). Where a person already has the same route open twice, the later copies are closed
  first (their checklists stay, read-only history); the earliest one stays open.
- ``dedupe_scan``: each scan run (started, finished, persons read, pairs found, trigger,
  worker); an automatic scan claims its run by its
  ``running`` row, so two desks starting at once do not both scan.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("follow_up") as batch:
        batch.add_column(sa.Column("deadline_key", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("deadline_from", sa.Date(), nullable=True))

    # Close the later duplicates of an open route so the unique index can be built.
    op.execute(
        sa.text(
            "UPDATE guidance SET closed = :yes WHERE NOT closed AND EXISTS ("
            " SELECT 1 FROM guidance AS earlier WHERE NOT earlier.closed"
            " AND earlier.person_id = guidance.person_id"
            " AND earlier.route_id = guidance.route_id"
            " AND (earlier.created_at < guidance.created_at"
            "      OR (earlier.created_at = guidance.created_at AND earlier.id < guidance.id)))"
        ).bindparams(yes=True)
    )
    op.create_index(
        "uq_guidance_open_route",
        "guidance",
        ["person_id", "route_id"],
        unique=True,
        sqlite_where=sa.text("NOT closed"),
        postgresql_where=sa.text("NOT closed"),
    )

    op.create_table(
        "dedupe_scan",
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("persons_scanned", sa.Integer(), nullable=True),
        sa.Column("pairs_found", sa.Integer(), nullable=True),
        sa.Column("new_pairs", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "trigger IN ('startup', 'import', 'manual')", name=op.f("ck_dedupe_scan_trigger")
        ),
        sa.CheckConstraint(
            "status IN ('running', 'done', 'failed')", name=op.f("ck_dedupe_scan_status")
        ),
        sa.CheckConstraint(
            "(status = 'done') = (finished_at IS NOT NULL)",
            name=op.f("ck_dedupe_scan_finished_iff_done"),
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_dedupe_scan_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dedupe_scan")),
    )
    op.create_index("ix_dedupe_scan_finished", "dedupe_scan", ["finished_at"], unique=False)
    op.create_index(
        "ix_dedupe_scan_status", "dedupe_scan", ["status", "heartbeat_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_dedupe_scan_status", table_name="dedupe_scan")
    op.drop_index("ix_dedupe_scan_finished", table_name="dedupe_scan")
    op.drop_table("dedupe_scan")
    op.drop_index("uq_guidance_open_route", table_name="guidance")
    with op.batch_alter_table("follow_up") as batch:
        batch.drop_column("deadline_from")
        batch.drop_column("deadline_key")
