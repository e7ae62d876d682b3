"""Run history: every run of the project with its hyperparameters; tick runs to overlay them."""

from __future__ import annotations

import json
from datetime import datetime

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .runs import RunRecord

RUN_ROLE = Qt.ItemDataRole.UserRole


class HistoryPanel(QWidget):
    """A list of runs: the current item is shown in the curves and results; ticked ones overlay.

    Signals:
        selection_changed(RunRecord | None, list[RunRecord]): current run, ticked runs.
        save_requested(RunRecord): "Save weights…" for the current run.
    """

    selection_changed = Signal(object, list)
    save_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setToolTip("Click a run to show it; tick runs to overlay their curves")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.save_button = QPushButton("Save weights…")
        self.save_button.setToolTip("Save the selected run's trained weights (.safetensors or .pt)")
        self.save_button.clicked.connect(lambda: self.save_requested.emit(self.current_run()))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 2)
        layout.addWidget(self.details, 1)
        layout.addLayout(buttons)
        self.list.currentItemChanged.connect(lambda *_a: self._emit())
        self.list.itemChanged.connect(lambda *_a: self._emit())

    def set_runs(self, runs: list[RunRecord], current: RunRecord | None = None) -> None:
        """Show ``runs`` newest first, keeping ticks; ``current`` becomes the current item."""
        ticked = {r.run_id for r in self.ticked_runs()}
        with QSignalBlocker(self.list):
            self.list.clear()
            for run in reversed(runs):
                item = QListWidgetItem(run.summary())
                item.setData(RUN_ROLE, run)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if run.run_id in ticked else Qt.CheckState.Unchecked)
                item.setToolTip(run.message or run.summary())
                self.list.addItem(item)
                if run is current:
                    self.list.setCurrentItem(item)
        self._show_details()

    def current_run(self) -> RunRecord | None:
        item = self.list.currentItem()
        return item.data(RUN_ROLE) if item is not None else None

    def ticked_runs(self) -> list[RunRecord]:
        return [self.list.item(i).data(RUN_ROLE) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def set_ticked(self, runs: list[RunRecord]) -> None:
        ids = {r.run_id for r in runs}
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(RUN_ROLE).run_id in ids
                               else Qt.CheckState.Unchecked)

    def _emit(self) -> None:
        self._show_details()
        self.selection_changed.emit(self.current_run(), self.ticked_runs())

    def _show_details(self) -> None:
        run = self.current_run()
        self.save_button.setEnabled(run is not None and run.status != "running")
        if run is None:
            self.details.setText("No runs yet — press Train.")
            return
        hp = run.hparams.get("training", {})
        data = run.hparams.get("data", {})
        started = datetime.fromtimestamp(run.started).strftime("%Y-%m-%d %H:%M")
        keys = ("optimizer", "lr", "batch_size", "epochs", "schedule", "weight_decay", "momentum", "seed",
                "device")
        settings = ", ".join(f"{k}={json.dumps(hp[k])}" for k in keys if k in hp)
        source = data.get("name") if data.get("source") == "bundled" else data.get("root")
        self.details.setText(f"<b>{run.name}</b> · {started} · {run.status}<br>{settings}<br>"
                             f"data: {data.get('source', '?')} {source or ''}"
                             + (f"<br>{run.message}" if run.message else ""))
