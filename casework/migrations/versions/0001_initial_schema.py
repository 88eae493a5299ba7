"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 13:20:21.853205
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY_SQLITE = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
]
APPEND_ONLY_POSTGRES = [
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]


def _append_only_audit() -> None:
    """The audit trail refuses UPDATE and DELETE at the database itself."""
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": APPEND_ONLY_SQLITE, "postgresql": APPEND_ONLY_POSTGRES}.get(dialect, [])
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("code", name=op.f("uq_programme_code")),
    )
    op.create_table(
        "request_log",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("result_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_request_log")),
    )
    op.create_table(
        "worker",
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('worker', 'supervisor', 'admin')", name=op.f("ck_worker_role")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_worker_programme_id_programme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker")),
        sa.UniqueConstraint("username", name=op.f("uq_worker_username")),
    )
    op.create_table(
        "audit_event",
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_audit_event_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_event_person", ["person_id", "at"], unique=False)

    op.create_table(
        "person",
        sa.Column("given_names", sa.String(length=120), nullable=False),
        sa.Column("first_surname", sa.String(length=80), nullable=False),
        sa.Column("second_surname", sa.String(length=80), nullable=True),
        sa.Column("social_name", sa.String(length=120), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("gender_identity", sa.String(length=20), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_date_precision", sa.String(length=10), nullable=False),
        sa.Column("nationality", sa.String(length=3), nullable=True),
        sa.Column("birth_country", sa.String(length=3), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone2", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("civil_status", sa.String(length=20), nullable=True),
        sa.Column("schooling", sa.String(length=40), nullable=True),
        sa.Column("interpreter_needed", sa.Boolean(), nullable=False),
        sa.Column("arrival_date", sa.Date(), nullable=True),
        sa.Column("current_status", sa.String(length=30), nullable=True),
        sa.Column("stats_opt_out", sa.Boolean(), nullable=False),
        sa.Column("sort_name", sa.String(length=300), nullable=False),
        sa.Column("external_refs", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "birth_date IS NOT NULL OR birth_date_precision = 'unknown'",
            name=op.f("ck_person_birth_date_known"),
        ),
        sa.CheckConstraint(
            "birth_date_precision IN ('exact', 'month', 'year', 'unknown')",
            name=op.f("ck_person_birth_date_precision"),
        ),
        sa.CheckConstraint("sex IS NULL OR sex IN ('F', 'M', 'X')", name=op.f("ck_person_sex")),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id", name=op.f("ck_person_merge_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["worker.id"], name=op.f("fk_person_created_by_worker")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["person.id"], name=op.f("fk_person_merged_into_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_current_status"), ["current_status"], unique=False
        )
        batch_op.create_index("ix_person_sort_name", ["sort_name"], unique=False)

    op.create_table(
        "case_file",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closing_reason", sa.String(length=200), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL AND closing_reason IS NOT NULL)",
            name=op.f("ck_case_file_closed_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'on_hold', 'closed')", name=op.f("ck_case_file_status")
        ),
        sa.CheckConstraint(
            "closed_at IS NULL OR closed_at >= opened_at", name=op.f("ck_case_file_closed_after")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_case_file_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_case_file_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_case_file_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_file")),
    )
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_file_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_case_programme_status", ["programme_id", "status"], unique=False)
        batch_op.create_index("ix_case_worker_status", ["worker_id", "status"], unique=False)

    op.create_table(
        "consent",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("destination_key", sa.String(length=60), nullable=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("given_by", sa.String(length=20), nullable=False),
        sa.Column("representative_name", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("notice_version", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "given_by IN ('person', 'representative')", name=op.f("ck_consent_given_by")
        ),
        sa.CheckConstraint(
            "purpose <> 'share_with_destination' OR destination_key IS NOT NULL",
            name=op.f("ck_consent_destination_named"),
        ),
        sa.CheckConstraint(
            "purpose IN ('case_management', 'share_with_destination', 'statistics')",
            name=op.f("ck_consent_purpose"),
        ),
        sa.CheckConstraint(
            "revoked_at IS NULL OR revoked_at >= recorded_at", name=op.f("ck_consent_revoked_after")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_consent_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["worker.id"], name=op.f("fk_consent_recorded_by_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_person_id"), ["person_id"], unique=False)

    op.create_table(
        "household_member",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("related_person_id", sa.Uuid(), nullable=True),
        sa.Column("relationship_key", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("in_school", sa.Boolean(), nullable=True),
        sa.Column("pregnant", sa.Boolean(), nullable=True),
        sa.Column("disability", sa.Boolean(), nullable=True),
        sa.Column("lives_abroad", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "related_person_id IS NULL OR related_person_id <> person_id",
            name=op.f("ck_household_member_not_self"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_household_member_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_person_id"],
            ["person.id"],
            name=op.f("fk_household_member_related_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_member")),
    )
    with op.batch_alter_table("household_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_household_member_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_household_member_related_person_id"), ["related_person_id"], unique=False
        )

    op.create_table(
        "identity_document",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("type_key", sa.String(length=30), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("number_norm", sa.String(length=40), nullable=False),
        sa.Column("issuing_country", sa.String(length=3), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_identity_document_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_document")),
    )
    with op.batch_alter_table("identity_document", schema=None) as batch_op:
        batch_op.create_index("ix_identity_document_number", ["number_norm"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_identity_document_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "migration_status",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("subcategory", sa.String(length=80), nullable=True),
        sa.Column("dependent", sa.Boolean(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("sermig_application", sa.String(length=40), nullable=True),
        sa.Column("certificate_expires_on", sa.Date(), nullable=True),
        sa.Column("entry_date", sa.Date(), nullable=True),
        sa.Column("entry_authorised", sa.Boolean(), nullable=True),
        sa.Column("tum", sa.Boolean(), nullable=True),
        sa.Column("voluntary_declaration_on", sa.Date(), nullable=True),
        sa.Column("biometric_registration", sa.Boolean(), nullable=True),
        sa.Column("expulsion_order", sa.Boolean(), nullable=False),
        sa.Column("refuge_requested", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_migration_status_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["worker.id"], name=op.f("fk_migration_status_recorded_by_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migration_status")),
    )
    with op.batch_alter_table("migration_status", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_migration_status_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "person_key",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_person_key_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "kind", "key", name=op.f("pk_person_key")),
    )
    with op.batch_alter_table("person_key", schema=None) as batch_op:
        batch_op.create_index("ix_person_key_lookup", ["kind", "key", "person_id"], unique=False)

    op.create_table(
        "person_language",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_person_language_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_language")),
    )
    with op.batch_alter_table("person_language", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_language_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index("uq_person_language", ["person_id", "code"], unique=True)

    op.create_table(
        "person_merge",
        sa.Column("survivor_id", sa.Uuid(), nullable=False),
        sa.Column("merged_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("survivor_id <> merged_id", name=op.f("ck_person_merge_distinct")),
        sa.ForeignKeyConstraint(
            ["merged_id"], ["person.id"], name=op.f("fk_person_merge_merged_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["person.id"], name=op.f("fk_person_merge_survivor_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_person_merge_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merge")),
        sa.UniqueConstraint("merged_id", name=op.f("uq_person_merge_merged_id")),
    )
    with op.batch_alter_table("person_merge", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_merge_survivor_id"), ["survivor_id"], unique=False
        )

    op.create_table(
        "contact",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("interpreter_language", sa.String(length=8), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('intake', 'follow_up')", name=op.f("ck_contact_kind")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_contact_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_contact_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_contact_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_contact_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
    )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_contact_person_time", ["person_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_contact_time", ["occurred_at"], unique=False)
        batch_op.create_index("ix_contact_worker_time", ["worker_id", "occurred_at"], unique=False)

    op.create_table(
        "guidance",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("route_id", sa.String(length=60), nullable=False),
        sa.Column("sermig_application", sa.String(length=40), nullable=True),
        sa.Column("next_step", sa.String(length=300), nullable=True),
        sa.Column("next_step_on", sa.Date(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_guidance_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_guidance_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_guidance_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance")),
    )
    with op.batch_alter_table("guidance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guidance_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_guidance_person", ["person_id", "created_at"], unique=False)

    op.create_table(
        "note",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_note_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_note_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_note_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note")),
    )
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_note_person_time", ["person_id", "created_at"], unique=False)

    op.create_table(
        "referral",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("service_area", sa.String(length=30), nullable=False),
        sa.Column("destination_key", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("declined_by", sa.String(length=10), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_override_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "declined_by IS NULL OR declined_by IN ('person', 'provider')",
            name=op.f("ck_referral_declined_by"),
        ),
        sa.CheckConstraint(
            "status <> 'completed' OR (completed_at IS NOT NULL AND requested_at IS NOT NULL AND completed_at >= requested_at)",
            name=op.f("ck_referral_completed_after_requested"),
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR declined_by IS NOT NULL",
            name=op.f("ck_referral_rejection_says_who"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'cancelled', 'entered-in-error') OR requested_at IS NOT NULL",
            name=op.f("ck_referral_requested_before_answer"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'requested', 'accepted', 'in-progress', 'on-hold', 'completed', 'rejected', 'cancelled', 'failed', 'entered-in-error')",
            name=op.f("ck_referral_status"),
        ),
        sa.CheckConstraint("urgency IN ('normal', 'urgent')", name=op.f("ck_referral_urgency")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_referral_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["consent_override_by"],
            ["worker.id"],
            name=op.f("fk_referral_consent_override_by_worker"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_referral_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_referral_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_referral_person", ["person_id", "created_at"], unique=False)
        batch_op.create_index("ix_referral_status", ["status", "requested_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_worker_id"), ["worker_id"], unique=False)

    op.create_table(
        "follow_up",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("guidance_id", sa.Uuid(), nullable=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("what", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'pending') = (completed_at IS NULL)",
            name=op.f("ck_follow_up_completion_time_iff_closed"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'missed', 'cancelled')", name=op.f("ck_follow_up_status")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_follow_up_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["guidance_id"], ["guidance.id"], name=op.f("fk_follow_up_guidance_id_guidance")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_follow_up_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_follow_up_referral_id_referral")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_follow_up_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
    )
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_follow_up_due", ["worker_id", "status", "due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_up_guidance_id"), ["guidance_id"], unique=False)
        batch_op.create_index("ix_follow_up_person", ["person_id", "due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_up_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "guidance_item",
        sa.Column("guidance_id", sa.Uuid(), nullable=False),
        sa.Column("item_key", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('step', 'document')", name=op.f("ck_guidance_item_kind")),
        sa.CheckConstraint(
            "state IN ('pending', 'explained', 'gathered', 'submitted', 'resolved', 'not_applicable')",
            name=op.f("ck_guidance_item_state"),
        ),
        sa.ForeignKeyConstraint(
            ["guidance_id"],
            ["guidance.id"],
            name=op.f("fk_guidance_item_guidance_id_guidance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["worker.id"], name=op.f("fk_guidance_item_updated_by_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_item")),
    )
    with op.batch_alter_table("guidance_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guidance_item_guidance_id"), ["guidance_id"], unique=False
        )
        batch_op.create_index("uq_guidance_item_key", ["guidance_id", "item_key"], unique=True)

    op.create_table(
        "referral_event",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_event_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_referral_event_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_event")),
    )
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_event_referral_id"), ["referral_id"], unique=False
        )
    _append_only_audit()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_event_referral_id"))

    op.drop_table("referral_event")
    with op.batch_alter_table("guidance_item", schema=None) as batch_op:
        batch_op.drop_index("uq_guidance_item_key")
        batch_op.drop_index(batch_op.f("ix_guidance_item_guidance_id"))

    op.drop_table("guidance_item")
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_referral_id"))
        batch_op.drop_index("ix_follow_up_person")
        batch_op.drop_index(batch_op.f("ix_follow_up_guidance_id"))
        batch_op.drop_index("ix_follow_up_due")
        batch_op.drop_index(batch_op.f("ix_follow_up_case_id"))

    op.drop_table("follow_up")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_worker_id"))
        batch_op.drop_index("ix_referral_status")
        batch_op.drop_index("ix_referral_person")
        batch_op.drop_index(batch_op.f("ix_referral_case_id"))

    op.drop_table("referral")
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.drop_index("ix_note_person_time")
        batch_op.drop_index(batch_op.f("ix_note_case_id"))

    op.drop_table("note")
    with op.batch_alter_table("guidance", schema=None) as batch_op:
        batch_op.drop_index("ix_guidance_person")
        batch_op.drop_index(batch_op.f("ix_guidance_case_id"))

    op.drop_table("guidance")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_worker_time")
        batch_op.drop_index("ix_contact_time")
        batch_op.drop_index("ix_contact_person_time")
        batch_op.drop_index(batch_op.f("ix_contact_case_id"))

    op.drop_table("contact")
    with op.batch_alter_table("person_merge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_merge_survivor_id"))

    op.drop_table("person_merge")
    with op.batch_alter_table("person_language", schema=None) as batch_op:
        batch_op.drop_index("uq_person_language")
        batch_op.drop_index(batch_op.f("ix_person_language_person_id"))

    op.drop_table("person_language")
    with op.batch_alter_table("person_key", schema=None) as batch_op:
        batch_op.drop_index("ix_person_key_lookup")

    op.drop_table("person_key")
    with op.batch_alter_table("migration_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_migration_status_person_id"))

    op.drop_table("migration_status")
    with op.batch_alter_table("identity_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_document_person_id"))
        batch_op.drop_index("ix_identity_document_number")

    op.drop_table("identity_document")
    with op.batch_alter_table("household_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_member_related_person_id"))
        batch_op.drop_index(batch_op.f("ix_household_member_person_id"))

    op.drop_table("household_member")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_person_id"))

    op.drop_table("consent")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_worker_status")
        batch_op.drop_index("ix_case_programme_status")
        batch_op.drop_index(batch_op.f("ix_case_file_person_id"))

    op.drop_table("case_file")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_sort_name")
        batch_op.drop_index(batch_op.f("ix_person_current_status"))

    op.drop_table("person")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_person")
        batch_op.drop_index("ix_audit_event_at")

    op.drop_table("audit_event")
    op.drop_table("worker")
    op.drop_table("request_log")
    op.drop_table("programme")
