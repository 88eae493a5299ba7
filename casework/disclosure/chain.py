"""The Panel's check of the release chains offices send (issue #18, point 2). Pure: no I/O.

Every release file carries its *chain*: the earlier releases of its office and year it was
protected against, each with its content hash and its published tables. A release made
from a copy or a restored backup whose ledger lacks releases already sent was not protected
against them, and subtracting one from the other can pin a suppressed cell. The Panel
cannot recompute the protection, but it can see what a chain leaves out.

Semantics (keep them; the README and ``casework panel check`` describe the same):

* **Arrival order.** Releases are taken in the order the Panel received them: files named
  on the command line in the order given; the files of a directory sorted by (year, length
  of chain, period slot, file name) — :func:`directory_order` — which, for releases made
  from one ledger, is the order they were made (each release's chain holds every earlier
  one of its year). Identical files (same content hash) count once: a repeat gets the
  verdict of its first copy.
* **Linked releases.** Two releases of one municipality and one year are *linked* when they
  are of the same period (versions of one period), or when either is the year (the year
  minus its quarters gives back a quarter). Quarters of different periods with no year
  between them are not linked: nothing can be subtracted between them.
* **Accepted or flagged.** Per (municipality, year) the Panel keeps the list of accepted
  releases. A release R is accepted iff

  1. every accepted release S linked to R appears in R's chain (by content hash), or S's
     chain names R exactly (S was made after R and protected against it: files named out of
     order, such as a shell glob, are not blamed), and
  2. every link of R's chain that names a release the Panel holds (accepted or not) states
     the same period and the same tables as that release, of the same municipality (a
     chain that misstates what was published is flagged too).

  Otherwise R is flagged, naming the accepted releases it was not protected against and
  the links it misstates. A flagged release is not added to the accepted list: later
  releases need not be protected against it (they may be: that is fine).
* **What the Panel uses.** For each (municipality, period) the Panel uses the latest
  accepted version: the one no other accepted version's chain names (the last to arrive
  among several). If the newest arrival for that period is flagged, the period is **withheld**
  for that municipality — its cells are left out until a corrected file arrives — and is
  not silently replaced by an older version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from casework.disclosure.period import Period
from casework.disclosure.release import Release

SHORT_HASH = 12
"""Characters of a content hash shown to people."""


def short(content_hash: str) -> str:
    """The first characters of a content hash, as shown in messages."""
    return content_hash[:SHORT_HASH]


@dataclass(frozen=True, slots=True)
class Received:
    """One release file as the Panel received it."""

    source: str
    """Where it came from (a file name), for messages."""
    release: Release
    content_hash: str

    @classmethod
    def of(cls, source: str, release: Release) -> Received:
        return cls(source, release, release.content_hash())


@dataclass(frozen=True, slots=True)
class Ref:
    """A release named in a verdict: its period and content hash."""

    period: Period
    content_hash: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The check of one received file."""

    received: Received
    accepted: bool
    unprotected: tuple[Ref, ...] = ()
    """Accepted releases linked to this one that its chain leaves out."""
    misstated: tuple[Ref, ...] = ()
    """Releases the Panel holds whose period, office or tables this chain states wrongly."""
    duplicate_of: str | None = None
    """Source of an identical file received earlier (this one counts once, with its verdict)."""

    @property
    def release(self) -> Release:
        return self.received.release


@dataclass(frozen=True, slots=True)
class Withheld:
    """A (municipality, period) the Panel leaves out until a corrected file arrives."""

    municipality: str
    period: Period
    verdict: Verdict
    """The flagged newest arrival for that period."""


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """Verdicts in arrival order, and what the Panel uses per (municipality, period)."""

    verdicts: tuple[Verdict, ...]
    used: dict[tuple[str, Period], Release]
    withheld: dict[tuple[str, Period], Withheld]

    @property
    def all_accepted(self) -> bool:
        return all(v.accepted for v in self.verdicts)

    def periods(self) -> list[Period]:
        """Every period received, in calendar order."""
        return sorted({v.release.period for v in self.verdicts}, key=Period.sort_key)


def directory_order(items: Sequence[Received]) -> list[Received]:
    """The files of one directory in the order they were made: (year, length of chain,
    period slot, file name)."""
    return sorted(
        items,
        key=lambda r: (
            r.release.period.year,
            len(r.release.chain),
            r.release.period.slot,
            r.source,
        ),
    )


def linked(a: Period, b: Period) -> bool:
    """Can one release be subtracted from the other? (:meth:`Period.linked`.)"""
    return a.linked(b)


def check(received: Sequence[Received]) -> ChainCheck:
    """Decide, in arrival order, which releases are accepted and which are flagged."""
    by_hash: dict[str, Received] = {}
    first_verdict: dict[str, Verdict] = {}
    accepted: dict[tuple[str, int], list[Received]] = {}
    verdicts: list[Verdict] = []
    newest: dict[tuple[str, Period], Verdict] = {}
    for item in received:
        earlier = first_verdict.get(item.content_hash)
        if earlier is not None:
            verdicts.append(
                Verdict(
                    item,
                    earlier.accepted,
                    earlier.unprotected,
                    earlier.misstated,
                    duplicate_of=earlier.received.source,
                )
            )
            continue
        by_hash[item.content_hash] = item
        release = item.release
        office_year = (release.municipality, release.period.year)
        in_chain = {link.content_hash for link in release.chain}
        unprotected = tuple(
            Ref(s.release.period, s.content_hash)
            for s in accepted.get(office_year, [])
            if linked(s.release.period, release.period)
            and s.content_hash not in in_chain
            and not _states(s.release, item)
        )
        misstated = tuple(
            Ref(link.period, link.content_hash)
            for link in release.chain
            if (held := by_hash.get(link.content_hash)) is not None
            and (
                held.release.municipality != release.municipality
                or held.release.period != link.period
                or held.release.tables != link.tables
            )
        )
        verdict = Verdict(item, not unprotected and not misstated, unprotected, misstated)
        if verdict.accepted:
            accepted.setdefault(office_year, []).append(item)
        first_verdict[item.content_hash] = verdict
        verdicts.append(verdict)
        newest[(release.municipality, release.period)] = verdict

    used: dict[tuple[str, Period], Release] = {}
    withheld: dict[tuple[str, Period], Withheld] = {}
    for key, verdict in newest.items():
        if not verdict.accepted:
            withheld[key] = Withheld(key[0], key[1], verdict)
            continue
        versions = [
            r for r in accepted.get((key[0], key[1].year), []) if r.release.period == key[1]
        ]
        # The latest version is the one no other version's chain names (files may arrive
        # out of order); among several such, the last to arrive.
        latest = [
            v
            for v in versions
            if not any(v.content_hash in _chain_hashes(w.release) for w in versions if w is not v)
        ]
        used[key] = (latest or versions)[-1].release
    return ChainCheck(tuple(verdicts), used, withheld)


def _chain_hashes(release: Release) -> set[str]:
    return {link.content_hash for link in release.chain}


def _states(later: Release, earlier: Received) -> bool:
    """Does ``later``'s chain name ``earlier`` as it was published? Then ``later`` was made
    after it and protected against it, whatever order the Panel received them in."""
    return any(
        link.content_hash == earlier.content_hash
        and link.period == earlier.release.period
        and link.tables == earlier.release.tables
        for link in later.chain
    )
