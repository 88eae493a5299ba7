"""The person: one record shared by every programme, with documents, status and household."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from casework.models.base import Base, CreatedMixin, IdMixin, VersionMixin, in_list, utcnow
from casework.models.enums import ConsentGiver, ConsentPurpose, DatePrecision, Sex, values


class Person(IdMixin, CreatedMixin, VersionMixin, Base):
    __tablename__ = "person"
    __table_args__ = (
        sa.CheckConstraint(f"sex IS NULL OR {in_list('sex', values(Sex))}", name="sex"),
        sa.CheckConstraint(
            in_list("birth_date_precision", values(DatePrecision)), name="birth_date_precision"
        ),
        sa.CheckConstraint(
            "birth_date IS NOT NULL OR birth_date_precision = 'unknown'", name="birth_date_known"
        ),
        sa.CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="merge_not_self"),
        sa.Index("ix_person_sort_name", "sort_name"),
    )

    given_names: Mapped[str] = mapped_column(sa.String(120))
    first_surname: Mapped[str] = mapped_column(sa.String(80))
    second_surname: Mapped[str | None] = mapped_column(sa.String(80))
    social_name: Mapped[str | None] = mapped_column(sa.String(120))
    sex: Mapped[str | None] = mapped_column(sa.String(1))
    gender_identity: Mapped[str | None] = mapped_column(sa.String(20))
    birth_date: Mapped[dt.date | None]
    birth_date_precision: Mapped[str] = mapped_column(
        sa.String(10), default=DatePrecision.UNKNOWN.value
    )
    nationality: Mapped[str | None] = mapped_column(sa.String(3))
    birth_country: Mapped[str | None] = mapped_column(sa.String(3))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    phone2: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    commune_code: Mapped[str | None] = mapped_column(sa.String(5))
    civil_status: Mapped[str | None] = mapped_column(sa.String(20))
    schooling: Mapped[str | None] = mapped_column(sa.String(40))
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    arrival_date: Mapped[dt.date | None]
    current_status: Mapped[str | None] = mapped_column(sa.String(30), index=True)
    stats_opt_out: Mapped[bool] = mapped_column(default=False)
    sort_name: Mapped[str] = mapped_column(sa.String(300))
    """Normalised "surnames given-names" for ordering lists; kept by the service."""
    external_refs: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    """References from imported spreadsheets (programme list ids)."""
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("person.id"))
    """Set when this record was merged into another: it then stays only as a pointer."""

    documents: Mapped[list[IdentityDocument]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        order_by="IdentityDocument.created_at",
    )
    languages: Mapped[list[PersonLanguage]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    statuses: Mapped[list[MigrationStatusRecord]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        order_by="MigrationStatusRecord.recorded_at",
    )
    household: Mapped[list[HouseholdMember]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        foreign_keys="HouseholdMember.person_id",
    )
    consents: Mapped[list[Consent]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Consent.recorded_at"
    )


class IdentityDocument(IdMixin, CreatedMixin, Base):
    """A document typed as in HL7 Chile CL Core (RUN, passport, origin ID, IPE, ...)."""

    __tablename__ = "identity_document"
    __table_args__ = (
        sa.Index("ix_identity_document_number", "number_norm"),
        sa.Index("uq_identity_document_live", "type_key", "live_key", unique=True),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    type_key: Mapped[str] = mapped_column(sa.String(30))
    number: Mapped[str] = mapped_column(sa.String(40))
    number_norm: Mapped[str] = mapped_column(sa.String(40))
    issuing_country: Mapped[str | None] = mapped_column(sa.String(3))
    expires_on: Mapped[dt.date | None]
    live_key: Mapped[str | None] = mapped_column(sa.String(40))
    """``number_norm`` while this document is the one live record of its (type, number);
    NULL once its person is merged, or while it waits in the duplicate queue as an imported
    copy of a number another live person holds. Unique with ``type_key`` (NULLs never
    clash): two live persons can never both claim one document, whatever runs at once."""

    person: Mapped[Person] = relationship(back_populates="documents")


class ImportRef(Base):
    """An imported row's reference (the file's ``ref`` column, or a digest of the row when
    it has none), held by the person it created: one person per reference, so two imports
    of one file at once cannot both create the row. A merge moves it to the survivor."""

    __tablename__ = "import_ref"

    ref: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )


class PersonLanguage(IdMixin, Base):
    __tablename__ = "person_language"
    __table_args__ = (sa.Index("uq_person_language", "person_id", "code", unique=True),)

    person_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(8))
    is_primary: Mapped[bool] = mapped_column(default=False)

    person: Mapped[Person] = relationship(back_populates="languages")


class MigrationStatusRecord(IdMixin, Base):
    """One entry of a person's migration-situation history; the newest is the current one."""

    __tablename__ = "migration_status"

    person_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(30))
    subcategory: Mapped[str | None] = mapped_column(sa.String(80))
    dependent: Mapped[bool | None]
    """True for a dependent (dependiente), False for the holder (titular)."""
    valid_until: Mapped[dt.date | None]
    sermig_application: Mapped[str | None] = mapped_column(sa.String(40))
    certificate_expires_on: Mapped[dt.date | None]
    entry_date: Mapped[dt.date | None]
    entry_authorised: Mapped[bool | None]
    tum: Mapped[bool | None]
    voluntary_declaration_on: Mapped[dt.date | None]
    biometric_registration: Mapped[bool | None]
    expulsion_order: Mapped[bool] = mapped_column(default=False)
    refuge_requested: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))

    person: Mapped[Person] = relationship(back_populates="statuses")


class HouseholdMember(IdMixin, CreatedMixin, Base):
    __tablename__ = "household_member"
    __table_args__ = (
        sa.CheckConstraint(
            "related_person_id IS NULL OR related_person_id <> person_id", name="not_self"
        ),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    related_person_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    """Set when the household member is on record too."""
    relationship_key: Mapped[str] = mapped_column(sa.String(30))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    birth_year: Mapped[int | None]
    sex: Mapped[str | None] = mapped_column(sa.String(1))
    in_school: Mapped[bool | None]
    pregnant: Mapped[bool | None]
    disability: Mapped[bool | None]
    lives_abroad: Mapped[bool] = mapped_column(default=False)

    person: Mapped[Person] = relationship(back_populates="household", foreign_keys=[person_id])


class Consent(IdMixin, VersionMixin, Base):
    """What the person was told and agreed to, per purpose; revocation counts from then on."""

    __tablename__ = "consent"
    __table_args__ = (
        sa.CheckConstraint(in_list("purpose", values(ConsentPurpose)), name="purpose"),
        sa.CheckConstraint(in_list("given_by", values(ConsentGiver)), name="given_by"),
        sa.CheckConstraint(
            "purpose <> 'share_with_destination' OR destination_key IS NOT NULL",
            name="destination_named",
        ),
        sa.CheckConstraint("revoked_at IS NULL OR revoked_at >= recorded_at", name="revoked_after"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(sa.String(30))
    destination_key: Mapped[str | None] = mapped_column(sa.String(60))
    granted: Mapped[bool]
    given_by: Mapped[str] = mapped_column(sa.String(20), default=ConsentGiver.PERSON.value)
    representative_name: Mapped[str | None] = mapped_column(sa.String(200))
    language: Mapped[str] = mapped_column(sa.String(8), default="es")
    notice_version: Mapped[str] = mapped_column(sa.String(20), default="1")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
    revoked_at: Mapped[dt.datetime | None]

    person: Mapped[Person] = relationship(back_populates="consents")


class PersonKey(Base):
    """Indexed lookup keys of a person: name tokens and documents for search, match keys
    for the duplicate matcher. Rebuilt by the service whenever the person changes."""

    __tablename__ = "person_key"
    # Covering (kind, key, person_id): a prefix search reads the index alone. No primary key
    # in the database: rows are only ever replaced per person, and a bulk load then builds
    # two indexes once instead of keeping a third b-tree in order row by row.
    __table_args__ = (
        sa.Index("ix_person_key_lookup", "kind", "key", "person_id"),
        sa.Index("ix_person_key_person", "person_id"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    key: Mapped[str] = mapped_column(sa.String(120))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        table = cls.__table__
        return {"primary_key": [table.c.person_id, table.c.kind, table.c.key]}


class NameVariant(Base):
    """The typo index of search (services/keys.py): every name token of person_key, and for
    tokens of four letters or more each spelling with one letter left out (a SymSpell
    deletion neighbourhood). A typed word finds the tokens one letter away through its own
    variants. One row per (variant, token), shared by every person with that token, so
    100,000 persons add only their distinct tokens' variants."""

    __tablename__ = "name_variant"
    __table_args__ = (sa.Index("ix_name_variant_token", "token"),)

    variant: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
