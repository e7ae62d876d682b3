"""An editable list of torchvision transforms (augmentation) for one split."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.data import transform_names

#: Sensible starting parameters when a transform is added.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "Normalize": {"mean": [0.5], "std": [0.5]},
    "Resize": {"size": [32, 32]},
    "CenterCrop": {"size": [28, 28]},
    "Pad": {"padding": 2},
    "RandomCrop": {"size": [28, 28], "padding": 2},
    "RandomResizedCrop": {"size": [28, 28], "scale": [0.8, 1.0]},
    "RandomHorizontalFlip": {"p": 0.5},
    "RandomVerticalFlip": {"p": 0.5},
    "RandomRotation": {"degrees": 10},
    "RandomAffine": {"degrees": 10, "translate": [0.1, 0.1]},
    "ColorJitter": {"brightness": 0.2, "contrast": 0.2},
    "GaussianBlur": {"kernel_size": 3},
    "RandomErasing": {"p": 0.25},
    "Grayscale": {"num_output_channels": 1},
}


def step_text(step: dict[str, Any]) -> str:
    params = ", ".join(f"{k}={json.dumps(v)}" for k, v in step.get("params", {}).items())
    return f"{step['name']}({params})"


class TransformList(QWidget):
    """Steps as ``{"name", "params"}`` dicts; ``edited(list)`` carries the whole new list."""

    edited = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps: list[dict[str, Any]] = []
        self.list = QListWidget()
        self.list.setMaximumHeight(90)
        self.list.currentRowChanged.connect(self._selected)
        self.kind = QComboBox()
        self.kind.addItems(transform_names())
        add = QPushButton("Add")
        add.clicked.connect(self._add)
        self.remove = QPushButton("Remove")
        self.remove.clicked.connect(self._remove)
        self.params = QLineEdit()
        self.params.setPlaceholderText('parameters as JSON, e.g. {"degrees": 10}')
        self.params.setToolTip("Parameters of the selected step (JSON object); Enter applies them")
        self.params.editingFinished.connect(self._params_edited)
        row = QHBoxLayout()
        row.addWidget(self.kind, 1)
        row.addWidget(add)
        row.addWidget(self.remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addWidget(self.params)
        layout.addLayout(row)
        self._selected(-1)

    def set_steps(self, steps: list[dict[str, Any]]) -> None:
        row = self.list.currentRow()
        self.steps = [dict(s) for s in steps]
        self.list.blockSignals(True)
        self.list.clear()
        for step in self.steps:
            self.list.addItem(step_text(step))
        self.list.setCurrentRow(min(row, len(self.steps) - 1))
        self.list.blockSignals(False)
        self._selected(self.list.currentRow())

    def _selected(self, row: int) -> None:
        valid = 0 <= row < len(self.steps)
        self.remove.setEnabled(valid)
        self.params.setEnabled(valid)
        self.params.setText(json.dumps(self.steps[row].get("params", {})) if valid else "")

    def _add(self) -> None:
        name = self.kind.currentText()
        self.edited.emit([*self.steps, {"name": name, "params": dict(DEFAULT_PARAMS.get(name, {}))}])

    def _remove(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.steps):
            self.edited.emit(self.steps[:row] + self.steps[row + 1:])

    def _params_edited(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.steps):
            return
        try:
            params = json.loads(self.params.text() or "{}")
        except ValueError as err:
            self.params.setToolTip(f"Not valid JSON: {err}")
            self.params.setStyleSheet("color: #c0392b;")
            return
        self.params.setStyleSheet("")
        if isinstance(params, dict) and params != self.steps[row].get("params"):
            steps = [dict(s) for s in self.steps]
            steps[row]["params"] = params
            self.edited.emit(steps)
