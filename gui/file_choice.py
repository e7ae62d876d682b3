"""Choosing a file that a project refers to (a backbone's or a run's starting weights).

The chosen file is stored relative to the project's folder when it lies inside it, so
the project keeps working when it moves together with its files (see
:func:`engine.catalog.spec.relative_path`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget

from engine.catalog.spec import relative_path
from engine.weights import SAFETENSORS_SUFFIXES, TORCH_SUFFIXES

# every suffix engine.weights reads: .safetensors .pt .pth .bin .ckpt
WEIGHTS_FILTER = (f"Weights ({' '.join('*' + s for s in (*SAFETENSORS_SUFFIXES, *TORCH_SUFFIXES))});;"
                  "All files (*)")


def choose_weights(parent: QWidget, title: str, current: str, base_dir: Path | None) -> str | None:
    """Ask for a weights file; returns how the project stores it, or None if cancelled."""
    home = base_dir or Path.home()
    start = str(Path(home) / current) if current else str(home)
    path, _ = QFileDialog.getOpenFileName(parent, title, start, WEIGHTS_FILTER)
    return relative_path(path, base_dir) if path else None


class FileEdit(QWidget):
    """A line edit for a file path with a "…" button that opens :func:`choose_weights`.

    ``edit.editingFinished`` fires after typing and after a choice (the single "changed"
    signal callers listen to)."""

    def __init__(self, title: str, base_dir: Callable[[], Path | None], placeholder: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.base_dir = title, base_dir
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.button = QPushButton("…")
        self.button.setToolTip("Choose the file (one in the project's folder is stored relative to it)")
        self.button.setFixedWidth(self.button.fontMetrics().horizontalAdvance(" … ") + 12)
        self.button.clicked.connect(lambda: self.choose())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)

    def choose(self, path: str | None = None) -> None:
        """Set the file from a dialog, or from ``path`` (stored relative to the project's folder
        when inside it)."""
        if path is None:
            stored = choose_weights(self, self.title, self.edit.text(), self.base_dir())
            if stored is None:
                return
        else:
            stored = relative_path(path, self.base_dir())
        self.edit.setText(stored)
        self.edit.editingFinished.emit()
