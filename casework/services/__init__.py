"""The application's verbs. Screens and the CLI call these; nothing else touches the database.

Each module groups the verbs of one area; every call takes a :class:`Context` first.
"""

from casework.services import (
    followups,
    guidance,
    person_file,
    persons,
    referrals,
    staff,
)
from casework.services.context import Context

__all__ = ["Context", "followups", "guidance", "person_file", "persons", "referrals", "staff"]
