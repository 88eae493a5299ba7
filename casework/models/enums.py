"""Closed code lists that the schema enforces with CHECK constraints."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    WORKER = "worker"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"


class DatePrecision(StrEnum):
    EXACT = "exact"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"


class CaseStatus(StrEnum):
    OPEN = "open"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class CaseOutcome(StrEnum):
    """Why a case was closed (labels in i18n ``lifecycle.outcomes.*``). Stored codes: never
    rename one, add a new one instead."""

    GOAL_REACHED = "goal_reached"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    """Referred and accepted by another service, which carries on."""
    MOVED_COMMUNE = "moved_commune"
    LOST_CONTACT = "lost_contact"
    OTHER = "other"
    """A note says what: required."""


class CaseEventKind(StrEnum):
    """A change of a case's status, kept as the case's history (table case_event)."""

    CLOSE = "close"
    REOPEN = "reopen"
    HOLD = "hold"
    RESUME = "resume"


class ContactKind(StrEnum):
    INTAKE = "intake"
    FOLLOW_UP = "follow_up"


class ReferralStatus(StrEnum):
    """FHIR TaskStatus as HL7 Chile uses it for referrals (no ready/received)."""

    DRAFT = "draft"
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"
    ENTERED_IN_ERROR = "entered-in-error"


RS = ReferralStatus
REFERRAL_TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    RS.DRAFT: frozenset({RS.REQUESTED, RS.CANCELLED}),
    RS.REQUESTED: frozenset(
        {RS.ACCEPTED, RS.IN_PROGRESS, RS.REJECTED, RS.CANCELLED, RS.ON_HOLD, RS.FAILED}
    ),
    RS.ACCEPTED: frozenset({RS.IN_PROGRESS, RS.COMPLETED, RS.CANCELLED, RS.ON_HOLD, RS.FAILED}),
    RS.IN_PROGRESS: frozenset({RS.COMPLETED, RS.FAILED, RS.ON_HOLD, RS.CANCELLED}),
    RS.ON_HOLD: frozenset({RS.REQUESTED, RS.ACCEPTED, RS.IN_PROGRESS, RS.CANCELLED, RS.FAILED}),
    RS.COMPLETED: frozenset(),
    RS.REJECTED: frozenset(),
    RS.CANCELLED: frozenset(),
    RS.FAILED: frozenset(),
    RS.ENTERED_IN_ERROR: frozenset(),
}
"""Allowed moves. Any non-final state may also go to entered-in-error (a data-entry mistake)."""

REFERRAL_OPEN = frozenset({RS.DRAFT, RS.REQUESTED, RS.ACCEPTED, RS.IN_PROGRESS, RS.ON_HOLD})
REFERRAL_WAITING = frozenset({RS.REQUESTED, RS.ON_HOLD})
"""Referrals waiting for an answer from the destination."""


def referral_can_move(current: ReferralStatus, target: ReferralStatus) -> bool:
    if target is RS.ENTERED_IN_ERROR:
        return current is not RS.ENTERED_IN_ERROR
    return target in REFERRAL_TRANSITIONS[current]


class DeclinedBy(StrEnum):
    PERSON = "person"
    PROVIDER = "provider"


class FollowUpStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


class GuidanceItemState(StrEnum):
    PENDING = "pending"
    EXPLAINED = "explained"
    GATHERED = "gathered"
    SUBMITTED = "submitted"
    RESOLVED = "resolved"
    NOT_APPLICABLE = "not_applicable"


class ConsentPurpose(StrEnum):
    CASE_MANAGEMENT = "case_management"
    SHARE_WITH_DESTINATION = "share_with_destination"
    STATISTICS = "statistics"


class ConsentGiver(StrEnum):
    PERSON = "person"
    REPRESENTATIVE = "representative"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)
