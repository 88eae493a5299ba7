"""Who sees the extra-sensitive facts of a file: an expulsion order, and the violence,
trafficking and unaccompanied-child flags of a case. One rule, in one place:

- supervisors and admins see them on every file;
- a desk worker sees them only on files where a case is assigned to them (the expulsion
  order), and a case's flags only on the cases assigned to them;
- a call with no signed-in worker sees none.

Anyone else gets the file without them: the flags are left out and ``expulsion_order`` is
``None`` ("not shown to you"), never ``False``, so nobody reads a hidden order as "none".
"""

from __future__ import annotations

import uuid
from typing import Final

from sqlalchemy.orm import Session

from casework.models import Worker
from casework.models.enums import Role

SENSITIVE_CASE_FLAGS: Final = frozenset({"violence", "trafficking", "unaccompanied_child"})
SEE_ALL_ROLES: Final = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


def viewer(session: Session, actor_id: uuid.UUID | None) -> Worker | None:
    if actor_id is None:
        return None
    row = session.get(Worker, actor_id)
    return row if row is not None and row.active else None


def sees_all(reader: Worker | None) -> bool:
    return reader is not None and reader.role in SEE_ALL_ROLES


def sees_case(reader: Worker | None, case_worker_id: uuid.UUID) -> bool:
    """Whether the reader sees the sensitive flags of a case assigned to ``case_worker_id``."""
    return sees_all(reader) or (reader is not None and reader.id == case_worker_id)


def sees_person(reader: Worker | None, case_worker_ids: set[uuid.UUID]) -> bool:
    """Whether the reader sees the person's expulsion order: a case of theirs is enough."""
    return sees_all(reader) or (reader is not None and reader.id in case_worker_ids)


def visible_flags(reader: Worker | None, case_worker_id: uuid.UUID, flags: list[str]) -> list[str]:
    if sees_case(reader, case_worker_id):
        return list(flags)
    return [f for f in flags if f not in SENSITIVE_CASE_FLAGS]
