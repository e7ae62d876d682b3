"""Never lose work: periodic autosave of a modified document, and crash recovery.

Each running editor writes ``autosave-<pid>.json`` in the autosave folder while
it has unsaved changes and deletes it on a clean exit (or after saving). A file
whose process is gone on the next start means a crash: the window offers to
restore it.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from engine.atomic import write_atomic
from engine.errors import ProjectError
from engine.project import Project, project_from_dict

from .document import Document

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_MS = 30_000


def default_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("Torchwire")) / "autosave"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class Autosaver(QObject):
    """Writes the document to ``directory`` every ``interval_ms`` while it is modified."""

    def __init__(self, document: Document, directory: Path | None = None,
                 interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.directory = Path(directory) if directory is not None else default_dir()
        self.file = self.directory / f"autosave-{os.getpid()}.json"
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()
        document.modified_changed.connect(self._on_modified)

    def _on_modified(self, modified: bool) -> None:
        if not modified:
            self.discard()

    def save_now(self) -> bool:
        """Write the autosave file if the document has unsaved changes. Returns True if written."""
        if not self.document.modified:
            return False
        payload = {"original_path": str(self.document.path) if self.document.path else None,
                   "project": self.document.project.to_dict()}
        try:
            write_atomic(self.file, json.dumps(payload).encode("utf-8"))
        except OSError:
            log.warning("autosave to %s failed", self.file, exc_info=True)
            return False
        return True

    def discard(self) -> None:
        """Delete this session's autosave (after a save, or on a clean exit)."""
        try:
            self.file.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            log.warning("cannot remove %s", self.file, exc_info=True)

    def stop(self) -> None:
        self.timer.stop()
        self.discard()


def find_orphans(directory: Path | None = None) -> list[Path]:
    """Autosave files left by editors that are no longer running, newest first."""
    directory = Path(directory) if directory is not None else default_dir()
    found = []
    for path in directory.glob("autosave-*.json"):
        try:
            pid = int(path.stem.split("-", 1)[1])
        except ValueError:
            continue
        if not _alive(pid):
            found.append(path)
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def load_autosave(path: Path) -> Project:
    """The project stored in an autosave file (path restored to the original file, if any).

    Raises:
        ProjectError, OSError, ValueError: the file is damaged.
    """
    payload = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(payload, dict) or not isinstance(payload.get("project"), dict):
        raise ProjectError("the autosave file is damaged (no project inside)", str(path))
    original = payload.get("original_path")
    project = project_from_dict(payload["project"], source=str(path))
    project.path = Path(original) if original else None
    return project
