"""Who may do what: the role decisions the desk asks, and the services too, in one place.

Plain functions over the worker (``WorkerOut`` on the desk, or ``None`` before anyone signs
in; a service passes the worker's row). On the desk they decide what is *offered* -- which
F-key screen opens, which key or checkbox is shown; they read nothing. The services stay
the authority for the data (services/gate.py: ``supervision``, ``read_person``,
``Context.require_role``): a screen these functions open still gets only what the gate
lets through, and these answers follow the same notions (supervisors act on persons,
administrators manage staff and catalogues and read the trail and the anonymised Panel,
never a list of persons).
"""

from __future__ import annotations

from typing import Final, Protocol

from casework.models.enums import Role


class HasRole(Protocol):
    """A worker as the desk holds it (``WorkerOut``) or as a service reads it (the row)."""

    @property
    def role(self) -> str: ...


CASELOAD: Final = "caseload"
DEDUPE: Final = "dedupe"
PANEL: Final = "panel-export"
RIGHTS: Final = "rights"
AUDIT: Final = "audit"
RETENTION: Final = "retention"
ADMIN: Final = "admin"
IMPORT: Final = "import"
SYNC_CONFLICTS: Final = "sync-conflicts"
"""The supervisors' and administrator's screens, by the id of the F-key that opens them."""

SUPERVISOR_SCREENS: Final = frozenset(
    {CASELOAD, DEDUPE, PANEL, RIGHTS, AUDIT, RETENTION, IMPORT, SYNC_CONFLICTS}
)
"""F2 (the sync conflicts of offline desks), F3 and F4–F9: supervisors open all of them."""
ADMIN_SCREENS: Final = frozenset({PANEL, AUDIT, RETENTION, ADMIN, IMPORT})
"""What an administrator opens: the anonymised Panel release, the trail (ids only), the
retention periods, the import of a spreadsheet (F3), and F10. The caseload, the duplicates
and the rights requests list persons: supervisors only (services/gate.py ``supervision``)."""
RESTRICTED_SCREENS: Final = SUPERVISOR_SCREENS | ADMIN_SCREENS
"""Screens not every signed-in worker opens; any other screen is for everyone signed in."""


def _role(worker: HasRole | None) -> str | None:
    return worker.role if worker is not None else None


def screens_for(worker: HasRole | None) -> frozenset[str]:
    """The restricted screens this worker opens (none before signing in)."""
    role = _role(worker)
    if role == Role.SUPERVISOR.value:
        return SUPERVISOR_SCREENS
    if role == Role.ADMIN.value:
        return ADMIN_SCREENS
    return frozenset()


def may_open(worker: HasRole | None, screen: str) -> bool:
    """Whether ``worker`` opens ``screen`` (an id above; any other screen: when signed in)."""
    if worker is None:
        return False
    return screen not in RESTRICTED_SCREENS or screen in screens_for(worker)


def may_read_person_trail(worker: HasRole | None) -> bool:
    """Who saw or changed one person's file: those who read the audit trail."""
    return may_open(worker, AUDIT)


def may_override_consent(worker: HasRole | None) -> bool:
    """Send a referral without the person's consent to share (supervisors and admins)."""
    return _role(worker) in (Role.SUPERVISOR.value, Role.ADMIN.value)


def may_set_retention_periods(worker: HasRole | None) -> bool:
    """Change how long records are kept (administrators; services/retention.py
    ``set_policy`` decides)."""
    return _role(worker) == Role.ADMIN.value


def sees_rights_due(worker: HasRole | None) -> bool:
    """The day shows the rights requests falling due to those who handle them:
    supervisors."""
    return _role(worker) == Role.SUPERVISOR.value


def may_undo_merge(worker: HasRole | None) -> bool:
    """Undo a merge of two records (supervisors; services/merge.py ``undo`` decides for
    the data: a supervisor of both persons)."""
    return _role(worker) == Role.SUPERVISOR.value
