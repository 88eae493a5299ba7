"""Where casework keeps its files. One module, so tests have one seam to patch."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path, user_log_path, user_state_path

APP_NAME = "casework"


def data_dir() -> Path:
    """The user data folder (``CASEWORK_DATA_DIR`` overrides the platform's one)."""
    override = os.environ.get("CASEWORK_DATA_DIR")
    path = Path(override) if override else user_data_path(APP_NAME, appauthor=False)
    return path


def is_own_folder(folder: Path) -> bool:
    """The data folder or a folder inside it: casework made it, so it keeps it private."""
    try:
        own = data_dir().expanduser().resolve()
        return folder.expanduser().resolve().is_relative_to(own)
    except OSError:
        return False


def state_dir() -> Path:
    """The user state folder, where ``casework signin`` keeps its short-lived tokens
    (``CASEWORK_STATE_DIR`` overrides the platform's one)."""
    override = os.environ.get("CASEWORK_STATE_DIR")
    return Path(override) if override else user_state_path(APP_NAME, appauthor=False)


def log_dir() -> Path:
    """The user log folder, where ``casework.log`` rotates (``CASEWORK_LOG_DIR`` overrides
    the platform's one). It holds no person's data (casework/logs.py)."""
    override = os.environ.get("CASEWORK_LOG_DIR")
    return Path(override) if override else user_log_path(APP_NAME, appauthor=False)


def default_db_path() -> Path:
    return data_dir() / "casework.db"


def backup_dir(db_file: Path) -> Path:
    """Automatic backups live beside the database they copy."""
    return db_file.parent / "backups"
