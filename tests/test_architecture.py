"""The core (models, services, matching, database) must work without Textual."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_textual() -> None:
    code = (
        "import sys, casework.db, casework.models, casework.services, casework.refdata, "
        "casework.synthetic.demo; "
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_engine_is_built_at_import_time() -> None:
    code = (
        "import sqlalchemy.engine.create as c; calls = []; orig = c.create_engine; "
        "import sqlalchemy; sqlalchemy.create_engine = lambda *a, **k: calls.append(a); "
        "import casework.app, casework.cli, casework.services; print(len(calls))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"
