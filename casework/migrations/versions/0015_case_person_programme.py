"""case by person and programme: the index a supervisor's scope is checked through

A programme supervisor's lists (the duplicate queue, the audit trail) keep the rows whose
persons have a case in the programme. Counting a whole list (issue #15: counts are COUNTs,
not the length of a page) checks that for every row; with only ``ix_case_file_person_id``
and ``ix_case_programme_status``, SQLite checked it through the programme index, every
case of the programme for every row. No existing row changes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 13:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_person_programme", ["person_id", "programme_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_person_programme")
