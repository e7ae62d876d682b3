"""User-facing error types shared across the engine."""

from __future__ import annotations


class TorchwireError(Exception):
    """Base of errors whose message is a sentence for the user (no traceback shown)."""


class ProjectError(TorchwireError):
    """A project file cannot be loaded or saved. ``where`` is the file and JSON path."""

    def __init__(self, message: str, where: str = ""):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)
