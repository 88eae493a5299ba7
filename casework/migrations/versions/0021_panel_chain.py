"""panel releases: one office, one release history (issue #18)

``panel_release.origin``: ``export`` for a release made here (its body holds the exact
counts), ``file`` for one known only from a release file given with ``--prior`` (public
counts only). Two office settings: the municipality, taken from the ledger when every
earlier release names the same one, and the instance of this database (a copy or a
restore is another instance and must be given the releases already sent).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 22:00:00
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from casework.instance import INSTANCE_KEY, identity

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MUNICIPALITY_KEY = "municipality"


def upgrade() -> None:
    with op.batch_alter_table("panel_release") as batch:
        batch.add_column(
            sa.Column(
                "origin", sa.String(length=10), server_default=sa.text("'export'"), nullable=False
            )
        )
    conn = op.get_bind()
    setting = sa.table(
        "office_setting",
        sa.column("key", sa.String),
        sa.column("value", sa.String),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("version", sa.Integer),
    )
    now = dt.datetime.now(dt.UTC)
    codes = [row[0] for row in conn.execute(sa.text("SELECT DISTINCT municipality FROM panel_release"))]
    if len(codes) == 1:
        conn.execute(
            sa.insert(setting).values(key=MUNICIPALITY_KEY, value=codes[0], updated_at=now, version=1)
        )
    conn.execute(
        sa.insert(setting).values(key=INSTANCE_KEY, value=identity(conn), updated_at=now, version=1)
    )


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM office_setting WHERE key IN ('municipality', 'database_instance')")
    )
    with op.batch_alter_table("panel_release") as batch:
        batch.drop_column("origin")
