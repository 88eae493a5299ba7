"""Validated inputs (pydantic) and plain outputs of the service layer.

Field validators raise ``PydanticCustomError`` with our own error codes, so that
:func:`casework.services.context.validate` can turn them into translated messages.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from casework import clock, refdata, rut
from casework.models.enums import (
    ConsentGiver,
    ConsentPurpose,
    DatePrecision,
    DeclinedBy,
    FollowUpStatus,
    GuidanceItemState,
    ReferralStatus,
    Role,
    Sex,
)
from casework.models.security import RequestStatus
from casework.services.edits import FieldChange
from casework.text import alnum_upper, clean_spaces


def local_today() -> dt.date:
    return clock.today()


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store a NUL character in text; nobody types one on purpose.
    if "\x00" in value:
        raise PydanticCustomError("bad_value", "bad value")
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = clean_spaces(_no_nul(value))
        return value or None
    return value


def _required_text(value: Any) -> Any:
    if isinstance(value, str):
        value = clean_spaces(_no_nul(value))
        if not value:
            raise PydanticCustomError("required", "required")
    return value


OptText = Annotated[str | None, BeforeValidator(_blank_to_none)]
Text = Annotated[str, BeforeValidator(_required_text)]


def _clean_lines(value: Any) -> Any:
    """A note typed over several lines: spaces tidied within each line, its line breaks
    kept (one blank line between paragraphs at most)."""
    if not isinstance(value, str):
        return value
    out: list[str] = []
    for line in _no_nul(value).splitlines():
        line = clean_spaces(line)
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def _required_lines(value: Any) -> Any:
    value = _clean_lines(value)
    if value == "":
        raise PydanticCustomError("required", "required")
    return value


LinesText = Annotated[str, BeforeValidator(_required_lines)]
"""Required text from a multi-line field (a note): line breaks are kept."""


def _lines_or_none(value: Any) -> Any:
    return _clean_lines(value) or None


OptLinesText = Annotated[str | None, BeforeValidator(_lines_or_none)]


def _country(value: str | None) -> str | None:
    if value is None:
        return None
    found = refdata.country(value)
    if found is None:
        raise PydanticCustomError("unknown_country", "unknown country", {"value": value})
    return found.alpha3


def _commune(value: str | None) -> str | None:
    if value is None:
        return None
    found = refdata.commune(value) or refdata.find_commune(value)
    if found is None:
        raise PydanticCustomError("unknown_commune", "unknown commune", {"value": value})
    return found.code


def _phone(value: str | None) -> str | None:
    """E.164; a bare 9-digit number is Chilean, anything with + keeps its country."""
    if value is None:
        return None
    if any(ch.isalpha() for ch in value):
        # phonenumbers would read letters as a keypad's digits: a typo became a number.
        raise PydanticCustomError("phone_letters", "letters in a phone", {"value": value})
    try:
        parsed = phonenumbers.parse(value, "CL")
    except phonenumbers.NumberParseException:
        raise PydanticCustomError("invalid_phone", "invalid phone", {"value": value}) from None
    if not phonenumbers.is_possible_number(parsed):
        raise PydanticCustomError("invalid_phone", "invalid phone", {"value": value})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _past_date(value: dt.date | None) -> dt.date | None:
    if value is not None and value > local_today():
        raise PydanticCustomError("date_in_future", "date in the future")
    if value is not None and value.year < 1900:
        raise PydanticCustomError("date_too_old", "date too old")
    return value


def _language(value: str) -> str:
    codes = {lang.code for lang in refdata.languages()}
    if value not in codes:
        raise PydanticCustomError("unknown_language", "unknown language", {"value": value})
    return value


def _code_in(code_list: tuple[refdata.Code, ...], error: str) -> Any:
    keys = {c.key for c in code_list}

    def check(value: str | None) -> str | None:
        if value is not None and value not in keys:
            raise PydanticCustomError(error, error, {"value": value})
        return value

    return AfterValidator(check)


Country = Annotated[OptText, AfterValidator(_country)]
Commune = Annotated[OptText, AfterValidator(_commune)]
Phone = Annotated[OptText, AfterValidator(_phone)]
PastDate = Annotated[dt.date | None, AfterValidator(_past_date)]
LanguageCode = Annotated[str, AfterValidator(_language)]
MigrationStatusKey = Annotated[str, _code_in(refdata.MIGRATION_STATUSES, "unknown_status")]
ReasonKey = Annotated[str, _code_in(refdata.CONTACT_REASONS, "unknown_reason")]
ChannelKey = Annotated[str, _code_in(refdata.CONTACT_CHANNELS, "unknown_channel")]


class Input(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, frozen=True, defer_build=True
    )


class DocumentIn(Input):
    type: str
    number: Text = Field(max_length=40)
    issuing_country: Country = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        found = refdata.document_type(value)
        if found is None:
            raise PydanticCustomError("unknown_document_type", "unknown", {"value": value})
        return found.key

    @model_validator(mode="after")
    def _check_number(self) -> DocumentIn:
        doc_type = refdata.document_type(self.type)
        if doc_type is not None and doc_type.checked_mod11:
            parts = rut.split(self.number)
            if parts is None:
                raise PydanticCustomError("rut_format", "bad RUN", {"value": self.number})
            if rut.check_digit(parts[0]) != parts[1]:
                raise PydanticCustomError(
                    "rut_check_digit",
                    "bad check digit",
                    {"value": self.number, "expected": rut.check_digit(parts[0])},
                )
        elif len(alnum_upper(self.number)) < 3:
            raise PydanticCustomError("document_too_short", "too short")
        return self

    def normalised(self) -> str:
        doc_type = refdata.document_type(self.type)
        if doc_type is not None and doc_type.checked_mod11:
            return rut.canonical(self.number)
        return alnum_upper(self.number)


class HouseholdMemberIn(Input):
    relationship: Annotated[str, _code_in(refdata.RELATIONSHIPS, "unknown_relationship")]
    name: OptText = Field(default=None, max_length=200)
    related_person_id: uuid.UUID | None = None
    birth_year: int | None = Field(default=None, ge=1900)
    sex: Sex | None = None
    in_school: bool | None = None
    pregnant: bool | None = None
    disability: bool | None = None
    lives_abroad: bool = False

    @field_validator("birth_year")
    @classmethod
    def _not_future(cls, value: int | None) -> int | None:
        if value is not None and value > local_today().year:
            raise PydanticCustomError("date_in_future", "in the future")
        return value


class ConsentIn(Input):
    purpose: ConsentPurpose
    granted: bool = True
    destination_key: str | None = None
    given_by: ConsentGiver = ConsentGiver.PERSON
    representative_name: OptText = Field(default=None, max_length=200)
    language: LanguageCode = "es"
    notice_version: str = "1"

    @model_validator(mode="after")
    def _coherent(self) -> ConsentIn:
        # Whether the key is in the catalogue (shipped or the office's own) is checked by
        # the service, in the transaction: see persons.check_consent_destinations.
        if self.purpose is ConsentPurpose.SHARE_WITH_DESTINATION and not self.destination_key:
            raise PydanticCustomError(
                "unknown_destination", "destination", {"value": self.destination_key or ""}
            )
        if self.given_by is ConsentGiver.REPRESENTATIVE and not self.representative_name:
            raise PydanticCustomError("representative_name_required", "name")
        return self


class MigrationStatusIn(Input):
    status: MigrationStatusKey
    subcategory: OptText = Field(default=None, max_length=80)
    dependent: bool | None = None
    valid_until: dt.date | None = None
    sermig_application: OptText = Field(default=None, max_length=40)
    certificate_expires_on: dt.date | None = None
    entry_date: PastDate = None
    entry_authorised: bool | None = None
    tum: bool | None = None
    voluntary_declaration_on: PastDate = None
    biometric_registration: bool | None = None
    expulsion_order: bool = False
    refuge_requested: bool = False
    note: OptText = None


class PersonIn(Input):
    given_names: Text = Field(max_length=120)
    first_surname: Text = Field(max_length=80)
    second_surname: OptText = Field(default=None, max_length=80)
    social_name: OptText = Field(default=None, max_length=120)
    sex: Sex | None = None
    gender_identity: OptText = Field(default=None, max_length=20)
    birth_date: PastDate = None
    birth_date_precision: DatePrecision | None = None
    nationality: Country = None
    birth_country: Country = None
    phone: Phone = None
    phone2: Phone = None
    email: OptText = Field(default=None, max_length=200)
    address: OptText = Field(default=None, max_length=300)
    commune: Commune = None
    civil_status: Annotated[OptText, _code_in(refdata.CIVIL_STATUSES, "unknown_code")] = None
    schooling: OptText = Field(default=None, max_length=40)
    languages: tuple[LanguageCode, ...] = ()
    interpreter_needed: bool = False
    arrival_date: PastDate = None
    stats_opt_out: bool = False
    documents: tuple[DocumentIn, ...] = ()
    household: tuple[HouseholdMemberIn, ...] = ()
    external_refs: tuple[str, ...] = ()

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return _email_check(value)

    @model_validator(mode="after")
    def _dates(self) -> PersonIn:
        if (
            self.arrival_date is not None
            and self.birth_date is not None
            and self.arrival_date < self.birth_date
        ):
            raise PydanticCustomError("arrival_before_birth", "arrival before birth")
        return self

    @property
    def precision(self) -> DatePrecision:
        if self.birth_date is None:
            return DatePrecision.UNKNOWN
        return self.birth_date_precision or DatePrecision.EXACT


def _email_check(value: str | None) -> str | None:
    if value is not None and ("@" not in value or "." not in value.split("@")[-1]):
        raise PydanticCustomError("invalid_email", "invalid email", {"value": value})
    return value


def _max_length(limit: int) -> AfterValidator:
    """A text no longer than ``limit``; None passes (pydantic's own constraint refuses it)."""

    def check(value: str | None) -> str | None:
        if value is not None and len(value) > limit:
            raise PydanticCustomError("too_long", "too long", {"max_length": limit})
        return value

    return AfterValidator(check)


class PersonEditIn(Input):
    """A correction of a person's data: only the fields the worker changed, each with the
    value the form started from (services/edits.py). Names are the stored columns'."""

    given_names: FieldChange[Annotated[Text, Field(max_length=120)]] | None = None
    first_surname: FieldChange[Annotated[Text, Field(max_length=80)]] | None = None
    second_surname: FieldChange[Annotated[OptText, _max_length(80)]] | None = None
    social_name: FieldChange[Annotated[OptText, _max_length(120)]] | None = None
    sex: FieldChange[Sex | None] | None = None
    gender_identity: FieldChange[Annotated[OptText, _max_length(20)]] | None = None
    birth_date: FieldChange[PastDate] | None = None
    birth_date_precision: FieldChange[DatePrecision] | None = None
    nationality: FieldChange[Country] | None = None
    birth_country: FieldChange[Country] | None = None
    phone: FieldChange[Phone] | None = None
    phone2: FieldChange[Phone] | None = None
    email: (
        FieldChange[Annotated[OptText, _max_length(200), AfterValidator(_email_check)]] | None
    ) = None
    address: FieldChange[Annotated[OptText, _max_length(300)]] | None = None
    commune_code: FieldChange[Commune] | None = None
    civil_status: (
        FieldChange[Annotated[OptText, _code_in(refdata.CIVIL_STATUSES, "unknown_code")]] | None
    ) = None
    schooling: FieldChange[Annotated[OptText, _max_length(40)]] | None = None
    interpreter_needed: FieldChange[bool] | None = None
    arrival_date: FieldChange[PastDate] | None = None
    stats_opt_out: FieldChange[bool] | None = None


class ContactIn(Input):
    reasons: tuple[ReasonKey, ...] = ()
    channel: ChannelKey = "desk"
    note: OptLinesText = None
    interpreter_language: LanguageCode | None = None
    occurred_at: dt.datetime | None = None

    @field_validator("occurred_at")
    @classmethod
    def _not_future(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None:
            if value.tzinfo is None:
                value = value.astimezone()
            if value > clock.now() + dt.timedelta(minutes=5):
                raise PydanticCustomError("date_in_future", "in the future")
        return value


class IntakeIn(Input):
    """The ficha de atención: a new person and their first contact."""

    person: PersonIn
    contact: ContactIn = ContactIn()
    status: MigrationStatusIn | None = None
    consents: tuple[ConsentIn, ...] = ()
    allow_duplicate_document: bool = False
    """Imports may create a person whose document is already on record (to merge later)."""


class ReferralIn(Input):
    destination: str
    reason: Text
    service_area: str | None = None
    urgency: Literal["normal", "urgent"] = "normal"
    request_now: bool = True
    consent_given: bool = False
    """The person agreed, at this moment, to share their data with the destination."""
    override_consent: bool = False
    """A supervisor lets it be requested without consent (audited)."""
    follow_up_in_days: int | None = Field(default=None, ge=0, le=365)

    @model_validator(mode="after")
    def _destination(self) -> ReferralIn:
        dest = refdata.destination(self.destination)
        if dest is None:
            raise PydanticCustomError(
                "unknown_destination", "destination", {"value": self.destination}
            )
        areas = {a.key for a in refdata.service_areas()}
        if self.service_area is not None and self.service_area not in areas:
            raise PydanticCustomError("unknown_service_area", "area", {"value": self.service_area})
        return self


class ReferralMoveIn(Input):
    to: ReferralStatus
    from_status: ReferralStatus | None = None
    """The status the form showed (services/referrals.py move): None checks nothing."""
    note: OptText = None
    outcome: Annotated[OptText, _code_in(refdata.REFERRAL_OUTCOMES, "unknown_outcome")] = None
    declined_by: DeclinedBy | None = None
    decline_reason: OptText = None
    override_consent: bool = False

    @model_validator(mode="after")
    def _rejection(self) -> ReferralMoveIn:
        if self.to is ReferralStatus.REJECTED:
            if self.declined_by is None:
                raise PydanticCustomError("declined_by_required", "who declined")
            if not self.decline_reason:
                raise PydanticCustomError("decline_reason_required", "why")
        return self


class FollowUpIn(Input):
    due_on: dt.date
    what: Text = Field(max_length=300)
    worker_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    guidance_id: uuid.UUID | None = None


class FollowUpCloseIn(Input):
    status: Literal[FollowUpStatus.DONE, FollowUpStatus.MISSED, FollowUpStatus.CANCELLED]
    outcome: OptText = Field(default=None, validate_default=True)

    @field_validator("outcome")
    @classmethod
    def _outcome(cls, value: str | None, info: ValidationInfo) -> str | None:
        # On the field, not the form: the desk shows the message beside it.
        if info.data.get("status") is FollowUpStatus.DONE and not value:
            raise PydanticCustomError("outcome_required", "what came of it")
        return value


class GuidanceIn(Input):
    route_id: str
    sermig_application: OptText = Field(default=None, max_length=40)
    next_step: OptText = Field(default=None, max_length=300)
    next_step_on: dt.date | None = None

    @field_validator("route_id")
    @classmethod
    def _route(cls, value: str) -> str:
        if refdata.route(value) is None:
            raise PydanticCustomError("unknown_route", "route", {"value": value})
        return value


class GuidanceItemIn(Input):
    item_key: str
    state: GuidanceItemState
    from_state: GuidanceItemState | None = None
    """The state the checklist showed (services/guidance.py set_item): None checks nothing."""


class WorkerIn(Input):
    username: Annotated[str, Field(min_length=2, max_length=60, pattern=r"^[a-z0-9._-]+$")]
    full_name: Text = Field(max_length=200)
    role: Role = Role.WORKER
    programme_code: str | None = None
    office_wide: bool = False
    """A supervisor of the whole office (services/gate.py): supervisors only."""


class ProgrammeIn(Input):
    code: Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
    name: Text = Field(max_length=200)


class NoteIn(Input):
    text: LinesText = Field(max_length=20_000)
    case_id: uuid.UUID | None = None


# Outputs ------------------------------------------------------------------------------------


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True, defer_build=True)


class ProgrammeOut(Output):
    id: uuid.UUID
    code: str
    name: str


class WorkerOut(Output):
    id: uuid.UUID
    username: str
    full_name: str
    role: str
    programme_id: uuid.UUID | None
    active: bool
    password_temporary: bool = False
    office_wide: bool = False


class DocumentOut(Output):
    id: uuid.UUID
    type_key: str
    number: str
    number_norm: str
    issuing_country: str | None
    expires_on: dt.date | None = None


class PersonSummary(Output):
    """Enough to tell people apart in a list."""

    id: uuid.UUID
    given_names: str
    first_surname: str
    second_surname: str | None
    birth_date: dt.date | None
    birth_date_precision: str
    nationality: str | None
    sex: str | None
    document: str | None = None
    last_contact: dt.datetime | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_names, self.first_surname, self.second_surname) if p)

    def age(self, today: dt.date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        today = today or local_today()
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


OPEN_STATUSES = (RequestStatus.OPEN.value, RequestStatus.EXTENDED.value)
"""Rights requests still to be answered."""


class RightsRequestOut(Output):
    id: uuid.UUID
    person_id: uuid.UUID
    kind: str
    received_on: dt.date
    due_on: dt.date
    status: str
    identity_checked: bool
    extended_on: dt.date | None
    answered_at: dt.datetime | None
    refusal_ground: str | None
    answer_note: str | None = None
    answer_sha256: str | None

    @property
    def days_left(self) -> int:
        return (self.due_on - local_today()).days

    @property
    def overdue(self) -> bool:
        return self.status in OPEN_STATUSES and self.days_left < 0
