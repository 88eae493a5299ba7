"""kill -9 during a backup or a restore: afterwards the live database is the old one or
the new one, whole, and the backup being restored is untouched."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from casework.db import BACKUPS_KEPT, Database, open_database, raw_connect
from casework.services import backup, persons, staff
from casework.services.context import Context

from .factories import intake_data, person_data

FORK = multiprocessing.get_context("fork")
PASSPHRASE = "clave de prueba de cortes"
STEPS = ("copied", "checked", "ready", "previous", "replacing", "replaced")


def _add(db: Database, who: Any, tag: str, n: int) -> None:
    for i in range(n):
        data = person_data(given_names=f"Persona {tag} {i}", documents=[])
        persons.register_intake(Context(db, who.id), intake_data(data))


def _counts(path: Path, key: str | None) -> dict[str, int]:
    """integrity_check on the file as the kill left it (its WAL folded in), then counts."""
    conn = raw_connect(path, key)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(params=["plain", "encrypted"])
def scene(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> dict[str, Any]:
    """An office with 16 persons (the old database) and a backup of it taken at 6 persons
    (what a restore brings back), each as a closed file."""
    key = PASSPHRASE if request.param == "encrypted" else None
    live = tmp_path / "office.db"
    shutil.copy(sqlite_template, live)
    if key is not None:
        backup.encrypt(open_database(str(live), upgrade=False), key)
    db = open_database(str(live), passphrase=key)
    admin = staff.first_run(
        Context(db), {"code": "OFMIG", "name": "Oficina"}, {"username": "ana", "full_name": "Ana"}
    )
    _add(db, admin, "antes", 6)
    source = backup.backup(db, tmp_path / "monday.db")
    _add(db, admin, "despues", 10)
    db.dispose()
    old = tmp_path / "old-snapshot.db"
    shutil.copy(live, old)
    new = _counts(source, key)
    new["audit_event"] += 1  # the restore records itself
    return {
        "key": key,
        "live": live,
        "old": old,
        "source": source,
        "old_counts": _counts(old, key),
        "new_counts": new,
    }


def _reset(scene: dict[str, Any]) -> None:
    live: Path = scene["live"]
    for suffix in ("", "-wal", "-shm", ".restoring", ".restoring-wal", ".restoring-shm"):
        live.with_name(live.name + suffix).unlink(missing_ok=True)
    shutil.copy(scene["old"], live)


def _restore_child(live: str, source: str, key: str | None, fd: int) -> None:
    out = os.fdopen(fd, "w", buffering=1)
    current = open_database(live, passphrase=key, upgrade=False)
    out.write("start\n")
    backup.restore(
        Path(live),
        Path(source),
        current=current,
        passphrase=key,
        step=lambda s: out.write(s + "\n"),
    )
    out.write("done\n")
    out.close()
    os._exit(0)


def _backup_child(live: str, key: str | None, out_dir: str, round_: int, fd: int) -> None:
    out = os.fdopen(fd, "w", buffering=1)
    db = open_database(live, passphrase=key, upgrade=False)
    out.write("start\n")
    for i in range(1000):
        backup.backup(db, Path(out_dir) / f"copy-{round_}-{i:04d}.db")
        db.backup_file(reason=f"auto{round_}-{i:04d}")  # into backups/, pruning the oldest
    out.close()
    os._exit(0)


def _wait_for(fd: int, wanted: str, limit: float = 20.0) -> list[str]:
    """Lines the child wrote, until ``wanted`` (or its end) arrived."""
    seen = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        seen += chunk
        if f"{wanted}\n".encode() in seen:
            break
    return seen.decode().split()


def _kill(child: Any) -> None:
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)


def _check_after(scene: dict[str, Any], source_digest: str) -> str:
    live: Path = scene["live"]
    key = scene["key"]
    assert _digest(scene["source"]) == source_digest, "the backup being restored was changed"
    counts = _counts(live, key)
    if counts == scene["old_counts"]:
        state = "old"
    elif counts == scene["new_counts"]:
        state = "new"
    else:
        raise AssertionError(f"neither the old nor the new database: {counts}")
    for copy in (live.parent / "backups").glob("*.db"):  # a pre-restore copy is whole
        assert _counts(copy, key) in (scene["old_counts"], scene["new_counts"]), copy
    return state


def test_restore_killed_at_any_moment_leaves_the_old_or_the_new_database(
    scene: dict[str, Any],
) -> None:
    rng = random.Random(int(os.environ.get("CASEWORK_KILL_SEED", "20261204")))
    live, source, key = scene["live"], scene["source"], scene["key"]
    source_digest = _digest(source)
    # How long a whole restore takes here, to aim the random kills inside it.
    read_fd, write_fd = os.pipe()
    child = FORK.Process(target=_restore_child, args=(str(live), str(source), key, write_fd))
    began = time.monotonic()
    child.start()
    os.close(write_fd)
    assert "done" in _wait_for(read_fd, "done")
    child.join(10)
    os.close(read_fd)
    duration = time.monotonic() - began
    assert _check_after(scene, source_digest) == "new"
    outcomes: dict[str, int] = {"old": 0, "new": 0}
    # At each step (just after it), then at random times. An encrypted restore derives its
    # key several times (SQLCipher's KDF is slow on purpose): fewer rounds there.
    if key is None:
        rounds: list[str | None] = [*STEPS, None, None, None, None]
    else:
        rounds = ["checked", "previous", "replaced"]
    for aim in rounds:
        _reset(scene)
        for leftover in (live.parent / "backups").glob("*"):
            leftover.unlink()
        read_fd, write_fd = os.pipe()
        child = FORK.Process(target=_restore_child, args=(str(live), str(source), key, write_fd))
        child.start()
        os.close(write_fd)
        if aim is None:
            _wait_for(read_fd, "start")
            time.sleep(rng.uniform(0, duration))
        else:
            assert aim in _wait_for(read_fd, aim), f"the restore never reached {aim}"
            time.sleep(rng.uniform(0, 0.003))
        _kill(child)
        os.close(read_fd)
        outcomes[_check_after(scene, source_digest)] += 1
        # The next restore after a kill works, whatever the kill left beside the file.
        if aim in ("copied", "replacing"):
            current = open_database(str(live), passphrase=key, upgrade=False)
            try:
                backup.restore(live, source, current=current, passphrase=key)
            finally:
                current.dispose()
            assert _check_after(scene, source_digest) == "new"
            assert not live.with_name(live.name + ".restoring").exists()
    print(f"restore killed {len(rounds)} times ({'encrypted' if key else 'plain'}): {outcomes}")
    assert outcomes["old"] >= 1 and outcomes["new"] >= 1, outcomes


# A backup of an encrypted file is the same online-backup copy (the restore test above
# covers encrypted files); SQLCipher's slow key derivation would only add minutes here.
@pytest.mark.parametrize("scene", ["plain"], indirect=True)
def test_backup_killed_at_any_moment_leaves_the_office_and_whole_copies(
    scene: dict[str, Any], tmp_path: Path
) -> None:
    rng = random.Random(int(os.environ.get("CASEWORK_KILL_SEED", "4122026")))
    live, key = scene["live"], scene["key"]
    out_dir = tmp_path / "copies"
    out_dir.mkdir()
    began = time.monotonic()
    db = open_database(str(live), passphrase=key, upgrade=False)
    backup.backup(db, tmp_path / "timed.db")
    db.backup_file(reason="timed")
    db.dispose()
    duration = time.monotonic() - began
    checked: set[Path] = set()
    for round_ in range(10):
        read_fd, write_fd = os.pipe()
        child = FORK.Process(
            target=_backup_child, args=(str(live), key, str(out_dir), round_, write_fd)
        )
        child.start()
        os.close(write_fd)
        _wait_for(read_fd, "start")
        # Mostly inside the first copies; the last round surely after one finished.
        time.sleep(2.5 * duration if round_ == 9 else rng.uniform(0, 1.5 * duration))
        _kill(child)
        os.close(read_fd)
        assert _counts(live, key) == scene["old_counts"]
        finished = {*out_dir.glob("*.db"), *(live.parent / "backups").glob("*.db")}
        for copy in finished - checked:  # a name ending in .db is whole; a cut one is .part
            assert _counts(copy, key) == scene["old_counts"], copy
        checked |= finished
        for part in [*out_dir.glob("*.part"), *(live.parent / "backups").glob("*.part")]:
            part.unlink()
    print(f"backup killed 10 times: {len(checked)} whole copies checked")
    assert len(checked) >= 3, "hardly a backup finished: the test tested nothing"
    assert len(list((live.parent / "backups").glob("*.db"))) <= BACKUPS_KEPT + 1
    # And the office opens as before.
    db = open_database(str(live), passphrase=key)
    db.dispose()
