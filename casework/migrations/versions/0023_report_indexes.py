"""covering indexes for the caseload summary (issue #19)

Referrals and guidance were counted by walking a worker's rows one lookup each, or by
scanning the whole table. Each figure now reads one index alone:

- referrals created in a period: (worker_id, created_at, service_area, status), which also
  serves every lookup by worker and so replaces ix_referral_worker_id;
- referrals completed in a period: (status, completed_at, worker_id, service_area,
  requested_at);
- waiting referrals: ix_referral_status gains worker_id;
- guidance opened in a period: (worker_id, created_at, route_id, id); its items' states:
  (guidance_id, state), which replaces ix_guidance_item_guidance_id.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 01:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_referral_worker_id", table_name="referral")
    op.create_index(
        "ix_referral_worker_created",
        "referral",
        ["worker_id", "created_at", "service_area", "status"],
    )
    op.create_index(
        "ix_referral_completed",
        "referral",
        ["status", "completed_at", "worker_id", "service_area", "requested_at"],
    )
    op.drop_index("ix_referral_status", table_name="referral")
    op.create_index("ix_referral_status", "referral", ["status", "requested_at", "worker_id"])
    op.create_index(
        "ix_guidance_worker_created", "guidance", ["worker_id", "created_at", "route_id", "id"]
    )
    op.drop_index("ix_guidance_item_guidance_id", table_name="guidance_item")
    op.create_index("ix_guidance_item_state", "guidance_item", ["guidance_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_guidance_item_state", table_name="guidance_item")
    op.create_index("ix_guidance_item_guidance_id", "guidance_item", ["guidance_id"])
    op.drop_index("ix_guidance_worker_created", table_name="guidance")
    op.drop_index("ix_referral_status", table_name="referral")
    op.create_index("ix_referral_status", "referral", ["status", "requested_at"])
    op.drop_index("ix_referral_completed", table_name="referral")
    op.drop_index("ix_referral_worker_created", table_name="referral")
    op.create_index("ix_referral_worker_id", "referral", ["worker_id"])
