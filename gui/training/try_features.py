"""The "Try it" form for models whose input is one row of a table (a feature vector):
edit the values, or step through the validation rows, and see the prediction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# (index) -> (feature values, caption such as "validation row 3 of 114 · true: benign"), or None
SampleSource = Callable[[int], "tuple[np.ndarray, str] | None"]


class FeatureForm(QWidget):
    """One editable row of features; ``changed`` fires after an edit or a loaded sample."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source: SampleSource | None = None
        self._index = 0
        self._filling = False
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["feature", "value"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemChanged.connect(self._edited)
        self.sample_button = QPushButton("Next validation row")
        self.sample_button.setToolTip("Fill the form with a row of the validation set (its true label is shown)")
        self.sample_button.clicked.connect(self.next_sample)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.sample_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.caption)

    def set_features(self, names: list[str]) -> None:
        """One row per feature, every value 0, and the validation rows from the start."""
        self._filling = True
        self.table.setRowCount(len(names))
        for i, name in enumerate(names):
            label = QTableWidgetItem(name)
            label.setFlags(label.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(i, 0, label)
            self.table.setItem(i, 1, QTableWidgetItem("0"))
        self._filling = False
        self._index = 0
        self.caption.setText("")

    def values(self) -> np.ndarray:
        """The form as a float32 vector.

        Raises:
            ValueError: a cell is not a number (the message names the feature).
        """
        out = np.zeros(self.table.rowCount(), dtype=np.float32)
        for i in range(self.table.rowCount()):
            text = self.table.item(i, 1).text().strip()
            try:
                out[i] = float(text)
            except ValueError:
                raise ValueError(f"{self.table.item(i, 0).text()}: '{text}' is not a number") from None
        return out

    def set_values(self, values: Any) -> None:
        self._filling = True
        for i, value in enumerate(np.asarray(values, dtype=np.float64).reshape(-1)[: self.table.rowCount()]):
            self.table.item(i, 1).setText(f"{value:.6g}")
        self._filling = False

    def next_sample(self) -> None:
        """Load the next validation row (from the start after the last one)."""
        got = self.source(self._index) if self.source is not None else None
        if got is None:
            self.caption.setText("No validation rows to show for this run.")
            return
        values, caption = got
        self.set_values(values)
        self.caption.setText(caption)
        self._index += 1
        self.changed.emit()

    def _edited(self, _item: QTableWidgetItem) -> None:
        if not self._filling:
            self.caption.setText("edited values")
            self.changed.emit()


__all__ = ["FeatureForm", "SampleSource"]
