"""The Panel's side: check the release files offices send and combine them (no database).

Each file carries its release chain (the earlier releases of its office and year it was
protected against); a file not protected against a release of the same office and year the
Panel holds is flagged and left out of the combined table until a corrected file arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from casework.disclosure import Release, combine
from casework.services.panel import ExportError, make_policy


def read_release(path: Path) -> Release:
    try:
        return Release.from_json(path.read_bytes())
    except OSError as exc:
        raise ExportError("export_read", path=str(path), reason=exc.strerror or "") from exc
    except ValueError as exc:
        raise ExportError("export_bad_file", path=path.name, reason=str(exc)) from exc


def combine_files(paths: Sequence[Path], k: int = 10) -> str:
    """Several municipalities' JSON files as one comparison table."""
    releases = [read_release(path) for path in paths]
    try:
        return combine(releases, make_policy(k)).to_text()
    except ValueError as exc:
        raise ExportError("combine_refused", reason=str(exc)) from exc
