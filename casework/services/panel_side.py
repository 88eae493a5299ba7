"""The Panel's side: check the release files offices send and combine them (no database).

Each file carries its release chain (the earlier releases of its office and year it was
protected against); a file not protected against a release of the same office and year the
Panel holds is flagged and left out of the combined table until a corrected file arrives.
The rules are those of :mod:`casework.disclosure.chain`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from casework.disclosure import CombinedTable, Period, Release, combine
from casework.disclosure.chain import ChainCheck, Received, Ref, Verdict, check, directory_order
from casework.disclosure.chain import short as short_hash
from casework.i18n import t
from casework.services.panel import ExportError, make_policy, parse_period


def read_release(path: Path) -> Release:
    try:
        return Release.from_json(path.read_bytes())
    except OSError as exc:
        raise ExportError("export_read", path=str(path), reason=exc.strerror or "") from exc
    except ValueError as exc:
        raise ExportError("export_bad_file", path=path.name, reason=str(exc)) from exc


def read_paths(paths: Sequence[Path]) -> list[Received]:
    """The releases in arrival order: files in the order given; a directory's ``*.json``
    files (its subfolders too) in the order they were made (:func:`directory_order`)."""
    received: list[Received] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not files:
                raise ExportError("panel_no_files", path=str(path))
            received += directory_order([Received.of(str(f), read_release(f)) for f in files])
        else:
            received.append(Received.of(str(path), read_release(path)))
    if not received:
        raise ExportError("panel_no_files", path="-")
    return received


def check_paths(paths: Sequence[Path]) -> ChainCheck:
    """Check every office's chain in the files (``casework panel check``)."""
    return check(read_paths(paths))


@dataclass(frozen=True, slots=True)
class Combined:
    """A combined table and the check behind it."""

    table: CombinedTable
    check: ChainCheck

    def withheld_lines(self) -> list[str]:
        """Which files were withheld from the table, and why (one line each)."""
        out = []
        for municipality in self.table.withheld:
            withheld = self.check.withheld[(municipality, self.table.period)]
            out.append(
                t(
                    "panelside.withheld_line",
                    municipality=municipality,
                    file=withheld.verdict.received.source,
                    reason=reason(withheld.verdict),
                )
            )
        return out

    def to_text(self) -> str:
        text = self.table.to_text()
        lines = self.withheld_lines()
        if lines:
            text += "\n" + t("panelside.withheld_title") + "\n" + "\n".join(lines) + "\n"
        return text


def combine_paths(paths: Sequence[Path], period: str | None = None, k: int = 10) -> Combined:
    """Check the files, then combine one period of every office (``casework panel combine``).

    ``period`` None: the only period in the files (else an error listing the periods)."""
    policy = make_policy(k)
    result = check_paths(paths)
    found = result.periods()
    listed = ", ".join(p.label for p in found)
    if period is None:
        if len(found) != 1:
            raise ExportError("panel_which_period", periods=listed)
        chosen = found[0]
    else:
        chosen = parse_period(period)
        if chosen not in found:
            raise ExportError("panel_period_missing", period=chosen.label, periods=listed)
    releases = [r for (_, p), r in result.used.items() if p == chosen]
    withheld = [m for (m, p) in result.withheld if p == chosen]
    try:
        table = combine(releases, policy, withheld=withheld, period=chosen)
    except ValueError as exc:
        raise ExportError("combine_refused", reason=str(exc)) from exc
    return Combined(table, result)


def combine_files(paths: Sequence[Path], k: int = 10) -> str:
    """Several municipalities' JSON files of one period as one comparison table (text)."""
    return combine_paths(paths, None, k).to_text()


# -- wording ------------------------------------------------------------------------------


def _named(ref: Ref) -> str:
    return f"{ref.period.label} ({short_hash(ref.content_hash)})"


def reason(verdict: Verdict) -> str:
    """Why a file was flagged, in the current language ("" when accepted)."""
    parts = []
    release = verdict.release
    this = _named(Ref(release.period, verdict.received.content_hash))
    if verdict.unprotected:
        parts.append(
            t(
                "panelside.unprotected",
                release=this,
                others=", ".join(_named(r) for r in verdict.unprotected),
            )
        )
    if verdict.misstated:
        parts.append(
            t("panelside.misstated", others=", ".join(_named(r) for r in verdict.misstated))
        )
    return "; ".join(parts)


def verdict_line(verdict: Verdict) -> str:
    """One file's line in ``casework panel check``."""
    release = verdict.release
    if verdict.accepted:
        outcome = t("panelside.accepted")
    else:
        outcome = t("panelside.flagged", reason=reason(verdict))
    line = t(
        "panelside.check_line",
        file=verdict.received.source,
        municipality=release.municipality,
        period=release.period.label,
        hash=short_hash(verdict.received.content_hash),
        outcome=outcome,
    )
    if verdict.duplicate_of is not None:
        line += " " + t("panelside.duplicate", file=verdict.duplicate_of)
    if release.revision_of is not None:
        units = ", ".join(release.held_back) if release.held_back else t("panelside.held_none")
        line += "\n  " + t("panelside.revision", of=short_hash(release.revision_of), units=units)
    return line


def used_lines(result: ChainCheck) -> list[str]:
    """Per municipality and period: which file the Panel uses, or that it is withheld."""
    keys = sorted(
        set(result.used) | set(result.withheld), key=lambda key: (key[0], Period.sort_key(key[1]))
    )
    out = []
    for key in keys:
        municipality, period = key
        if key in result.used:
            out.append(
                t(
                    "panelside.uses",
                    municipality=municipality,
                    period=period.label,
                    hash=short_hash(result.used[key].content_hash()),
                )
            )
        else:
            out.append(t("panelside.withholds", municipality=municipality, period=period.label))
    return out
