"""The data model. Every table module is imported here so the metadata is complete."""

from casework.models.audit import AuditEvent, PersonMerge, RequestLog
from casework.models.base import Base
from casework.models.case import Case, CaseEvent, Contact, Note
from casework.models.catalogue import LocalDestination
from casework.models.correction import PersonCorrection
from casework.models.dedupe import DedupeScan, MatchPair
from casework.models.followup import FollowUp
from casework.models.guidance import Guidance, GuidanceItem
from casework.models.match_total import MatchTotal
from casework.models.organisation import Programme, Worker
from casework.models.person import (
    Consent,
    HouseholdMember,
    IdentityDocument,
    ImportRef,
    MigrationStatusRecord,
    NameVariant,
    Person,
    PersonKey,
    PersonLanguage,
)
from casework.models.referral import Referral, ReferralEvent
from casework.models.release import PanelRelease
from casework.models.security import (
    RetentionPolicy,
    RetentionReview,
    RightsRequest,
    Tombstone,
)
from casework.models.settings import OfficeSetting
from casework.models.signin import SignInToken
from casework.models.sync import SyncApplied, SyncConflict, SyncDesk, SyncOutbox
from casework.models.transfer import CaseTransfer, TransferState

__all__ = [
    "AuditEvent",
    "Base",
    "Case",
    "CaseEvent",
    "CaseTransfer",
    "Consent",
    "Contact",
    "DedupeScan",
    "FollowUp",
    "Guidance",
    "GuidanceItem",
    "HouseholdMember",
    "IdentityDocument",
    "ImportRef",
    "LocalDestination",
    "MatchPair",
    "MatchTotal",
    "MigrationStatusRecord",
    "NameVariant",
    "Note",
    "OfficeSetting",
    "PanelRelease",
    "Person",
    "PersonCorrection",
    "PersonKey",
    "PersonLanguage",
    "PersonMerge",
    "Programme",
    "Referral",
    "ReferralEvent",
    "RequestLog",
    "RetentionPolicy",
    "RetentionReview",
    "RightsRequest",
    "SignInToken",
    "SyncApplied",
    "SyncConflict",
    "SyncDesk",
    "SyncOutbox",
    "Tombstone",
    "TransferState",
    "Worker",
]
