"""The Training panel: optimizer, learning rate and schedule, loop settings, device.

Every edit is one undoable ``Settings.set_training`` call; a refused value shows
its reason under the form and leaves ``project.training`` unchanged. The memory
estimate follows the batch size, the optimizer and the graph's inferred shapes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..file_choice import FileEdit
from . import forms
from .resources import estimate_memory, list_devices
from .settings import Settings

OPTIMIZERS = [("SGD", "sgd"), ("Adam", "adam"), ("AdamW", "adamw"), ("RMSprop", "rmsprop"),
              ("Adagrad", "adagrad")]
FREE_ROLE = Qt.ItemDataRole.UserRole + 1
SCHEDULES = [("Constant", "none"), ("Step decay", "step"), ("Cosine", "cosine"),
             ("One-cycle", "onecycle"), ("Reduce on plateau", "plateau")]


class DeviceCombo(QComboBox):
    """Devices really available; refreshed (free memory) each time the list opens."""

    def refresh(self) -> None:
        current = self.currentData()
        self.blockSignals(True)
        self.clear()
        for device in list_devices():
            self.addItem(device.label, device.value)
            self.setItemData(self.count() - 1, device.free_bytes, FREE_ROLE)
        i = self.findData(current)
        if i < 0 and current:
            self.addItem(f"{current} (not available here)", current)
            i = self.count() - 1
        self.setCurrentIndex(max(i, 0))
        self.blockSignals(False)

    def showPopup(self) -> None:  # noqa: N802 - Qt's name
        self.refresh()
        super().showPopup()


class TrainingPanel(QWidget):
    """Hyperparameters of the project's next run."""

    def __init__(self, settings: Settings, document: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.document = document
        self.fields: dict[str, Any] = {}
        f = self._add
        opt = QGroupBox("Optimizer")
        form = QFormLayout(opt)
        form.addRow("Optimizer", f(forms.combo("optimizer", OPTIMIZERS)))
        form.addRow("Learning rate", f(forms.dspin("lr", 1e-6, 10.0, 6, 0.001)))
        form.addRow("Momentum", f(forms.dspin("momentum", 0.0, 0.999, 3, 0.05)))
        form.addRow("", f(forms.check("nesterov", "Nesterov momentum")))
        form.addRow("Weight decay", f(forms.dspin("weight_decay", 0.0, 1.0, 6, 1e-4)))
        self.beta1 = forms.dspin("beta1", 0.0, 0.999, 3, 0.01)
        self.beta2 = forms.dspin("beta2", 0.0, 0.99999, 5, 0.001)
        betas = QHBoxLayout()
        betas.addWidget(self.beta1.widget)
        betas.addWidget(self.beta2.widget)
        for b in (self.beta1, self.beta2):
            b.signal.connect(self._betas_edited)
        self.betas_row = QWidget()
        self.betas_row.setLayout(betas)
        betas.setContentsMargins(0, 0, 0, 0)
        form.addRow("Betas", self.betas_row)
        self.grad_clip = forms.Optional("grad_clip", "Clip gradient norm", forms.dspin("grad_clip", 0.001,
                                                                                    1000.0, 3, 0.5), 1.0)
        self._optional(form, self.grad_clip)

        sched = QGroupBox("Learning-rate schedule")
        form2 = QFormLayout(sched)
        form2.addRow("Schedule", f(forms.combo("schedule", SCHEDULES)))
        form2.addRow("Warm-up epochs", f(forms.spin("warmup_epochs", 0, 1000)))
        form2.addRow("Step every (epochs)", f(forms.spin("step_size", 1, 10000)))
        form2.addRow("Gamma", f(forms.dspin("gamma", 0.001, 1.0, 3, 0.05)))
        form2.addRow("Plateau patience", f(forms.spin("patience", 1, 1000)))
        form2.addRow("Plateau factor", f(forms.dspin("factor", 0.001, 0.999, 3, 0.05)))

        loop = QGroupBox("Run")
        form3 = QFormLayout(loop)
        form3.addRow("Epochs", f(forms.spin("epochs", 1, 100_000)))
        form3.addRow("Batch size", f(forms.spin("batch_size", 1, 1_000_000)))
        self.early = forms.Optional("early_stopping_patience", "Early stopping (patience)",
                                    forms.spin("early_stopping_patience", 1, 1000), 5)
        self._optional(form3, self.early)
        form3.addRow("Seed", f(forms.spin("seed", 0, 2**31 - 1)))
        self.init_weights = FileEdit("Start from weights", lambda: self.document.project.base_dir,
                                     "empty: fresh initialisation")
        self.init_weights.setToolTip(
            "Weights to start from (fine-tuning): a state_dict keyed by node names, such as a run's "
            "saved weights or an import's. Layers the file lacks start fresh.")
        start = self.init_weights.edit
        form3.addRow("Start from", f(forms.Field("init_weights", self.init_weights, start.text,
                                                 lambda v: start.setText(v or ""), start.editingFinished)))
        self.device = DeviceCombo()
        self.device.setToolTip("Where the run trains; CUDA devices show their free memory")
        self.device.currentIndexChanged.connect(lambda _i: self._edited("device", self.device.currentData()))
        refresh = QPushButton("↻")
        refresh.setToolTip("Refresh the device list and free memory")
        refresh.setFixedWidth(28)
        refresh.clicked.connect(self.device.refresh)
        row = QHBoxLayout()
        row.addWidget(self.device, 1)
        row.addWidget(refresh)
        form3.addRow("Device", row)
        form3.addRow("", f(forms.check("amp", "Mixed precision (CUDA)")))
        self.memory = QLabel()
        self.memory.setWordWrap(True)
        self.memory.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form3.addRow("Memory", self.memory)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for box in (loop, opt, sched):
            layout.addWidget(box)
        layout.addWidget(self.error)
        layout.addStretch(1)
        settings.changed.connect(self._settings_changed)
        document.inference_changed.connect(self.update_memory)
        self.refresh()
        QTimer.singleShot(0, self._first_devices)

    # -- building ---------------------------------------------------------------------
    def _add(self, field: forms.Field) -> QWidget:
        self.fields[field.key] = field
        field.signal.connect(lambda *_a, field=field: self._edited(field.key, field.read()))
        return field.widget

    def _optional(self, form: QFormLayout, opt: forms.Optional) -> None:
        self.fields[opt.key] = opt
        opt.box.toggled.connect(lambda _on: self._edited(opt.key, opt.read()))
        opt.inner.signal.connect(lambda *_a: self._edited(opt.key, opt.read()))
        row = QHBoxLayout()
        row.addWidget(opt.box)
        row.addWidget(opt.inner.widget, 1)
        form.addRow(row)

    def _first_devices(self) -> None:
        self.device.refresh()
        self.refresh()

    # -- model <-> widgets --------------------------------------------------------------
    def _edited(self, key: str, value: Any) -> None:
        reason = self.settings.set_training(**{key: value})
        self.error.setText(reason or "")
        if reason:
            self.refresh()

    def _betas_edited(self, *_args: Any) -> None:
        self._edited("betas", [self.beta1.read(), self.beta2.read()])

    def _settings_changed(self, kind: str) -> None:
        if kind in ("training", "all"):
            self.refresh()

    def refresh(self) -> None:
        """Show ``project.training`` in the widgets."""
        config = self.settings.training
        for key, field in self.fields.items():
            field.show(getattr(config, key))
        self.beta1.show(config.betas[0])
        self.beta2.show(config.betas[1])
        i = self.device.findData(config.device)
        self.device.blockSignals(True)
        if i < 0:
            self.device.addItem(config.device, config.device)
            i = self.device.count() - 1
        self.device.setCurrentIndex(i)
        self.device.blockSignals(False)
        opt = config.optimizer
        self.fields["momentum"].widget.setEnabled(opt in ("sgd", "rmsprop"))
        self.fields["nesterov"].widget.setEnabled(opt == "sgd")
        self.betas_row.setEnabled(opt in ("adam", "adamw"))
        sched = config.schedule
        self.fields["step_size"].widget.setEnabled(sched == "step")
        self.fields["gamma"].widget.setEnabled(sched == "step")
        self.fields["patience"].widget.setEnabled(sched == "plateau")
        self.fields["factor"].widget.setEnabled(sched == "plateau")
        self.update_memory()

    def update_memory(self) -> None:
        inference = self.document.inference
        if not inference.nodes:
            self.memory.setText("(after shape inference)")
            return
        estimate = estimate_memory(self.document.graph, inference, self.settings.training)
        self.memory.setText(estimate.text())
        free = self.device.itemData(self.device.findData(self.settings.training.device), FREE_ROLE)
        if isinstance(free, int) and estimate.total > free:
            self.memory.setText(estimate.text() + " — more than the device has free; lower the batch size")

