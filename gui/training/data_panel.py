"""The Data panel: source, split, augmentation, a preview, and binding fields to Input nodes.

Settings edits are undoable ``Settings.set_data`` calls. Binding a field to an Input
node sets the node's ``field`` (and its ``shape`` and ``dtype`` to the data's) through
the document's parameter commands, as one undo step. The preview builds the
datasets in a background thread so a slow folder never freezes the window.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QRectF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.data import DataError, bundled_names
from engine.data.core import describe_field

from . import forms
from .data_preview import Preview, make_preview
from .results import gray_or_rgb_image
from .settings import Settings
from .transforms_edit import TransformList

SOURCES = [("Bundled dataset", "bundled"), ("MNIST folder", "mnist"), ("Fashion-MNIST folder", "fashion_mnist"),
           ("CIFAR-10 folder", "cifar10"), ("Image folder (a sub-folder per class)", "image_folder"),
           ("CSV file", "csv")]
PREVIEW_DELAY_MS = 200


class PreviewGrid(QWidget):
    """Sample images with their labels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: list[tuple[Any, str]] = []
        self.setMinimumHeight(150)

    def set_images(self, images: list[tuple[Any, str]]) -> None:
        self.images = [(gray_or_rgb_image(a), caption) for a, caption in images]
        self.update()

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        tile, gap = 44, 4
        cols = max(1, self.width() // (tile + gap))
        font = QFont(self.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        for k, (image, caption) in enumerate(self.images):
            r, c = divmod(k, cols)
            x, y = c * (tile + gap), r * (tile + 14 + gap)
            painter.drawImage(QRectF(x, y, tile, tile), image)
            painter.drawText(QRectF(x, y + tile, tile, 14), Qt.AlignmentFlag.AlignCenter, caption[:8])


class DataPanel(QWidget):
    """Where the samples come from, how they are split and augmented, and what they look like."""

    _previewed = Signal(int, object)  # (generation, Preview | str error) from the preview thread

    def __init__(self, settings: Settings, document: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings, self.document = settings, document
        self.preview: Preview | None = None
        self.fields: dict[str, Any] = {}  # settings key -> form field
        self.data_fields: dict[str, Any] = {}  # dataset field name -> FieldInfo (from the preview)
        self._generation = 0
        self._thread: threading.Thread | None = None
        f = self._add

        source = QGroupBox("Source")
        form = QFormLayout(source)
        form.addRow("Source", f(forms.combo("source", SOURCES)))
        form.addRow("Dataset", f(forms.combo("name", [(n, n) for n in bundled_names()])))
        self.root = forms.line("root", "Folder (or CSV file); relative to the project's folder",
                               "folder or file…")
        f(self.root)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.root.widget, 1)
        row.addWidget(browse)
        self.root_row = QWidget()
        self.root_row.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        form.addRow("Location", self.root_row)
        form.addRow("", f(forms.check("download", "Download when missing (needs a network)")))
        self.target = QComboBox()
        self.target.setToolTip("The CSV column to predict")
        self.target.currentIndexChanged.connect(lambda _i: self._edited("csv_target", self.target.currentText()))
        form.addRow("Target column", self.target)
        form.addRow("Task", f(forms.combo("csv_task", [("Automatic", "auto"), ("Classification",
                                                       "classification"), ("Regression", "regression")])))
        self.features = QListWidget()
        self.features.setMaximumHeight(100)
        self.features.setToolTip("Feature columns (none ticked = every column but the target)")
        self.features.itemChanged.connect(lambda _i: self._edited("csv_features", self._ticked_features()))
        form.addRow("Features", self.features)
        self.csv_rows = [self.target, self.fields["csv_task"].widget, self.features]

        split = QGroupBox("Split")
        form2 = QFormLayout(split)
        form2.addRow("Validation fraction", f(forms.dspin("val_fraction", 0.0, 0.9, 2, 0.05)))
        form2.addRow("", f(forms.check("use_test_split", "Validate on the official test split")))
        form2.addRow("Split seed", f(forms.spin("split_seed", 0, 2**31 - 1)))
        self.limit = forms.Optional("limit", "Use only the first", forms.spin("limit", 1, 10_000_000), 1000)
        self.fields["limit"] = self.limit
        self.limit.box.toggled.connect(lambda _on: self._edited("limit", self.limit.read()))
        self.limit.inner.signal.connect(lambda *_a: self._edited("limit", self.limit.read()))
        lrow = QHBoxLayout()
        lrow.addWidget(self.limit.box)
        lrow.addWidget(self.limit.inner.widget, 1)
        form2.addRow(lrow)

        aug = QGroupBox("Transforms and augmentation")
        form3 = QFormLayout(aug)
        self.train_tf, self.val_tf = TransformList(), TransformList()
        self.train_tf.edited.connect(lambda steps: self._edited("train_transforms", steps))
        self.val_tf.edited.connect(lambda steps: self._edited("val_transforms", steps))
        form3.addRow("Training", self.train_tf)
        form3.addRow("Validation", self.val_tf)

        self.bind_box = QGroupBox("Inputs ← fields")
        self.bind_form = QFormLayout(self.bind_box)
        preview = QGroupBox("Preview")
        pv = QVBoxLayout(preview)
        self.summary = QLabel("…")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.grid = PreviewGrid()
        self.table = QTableWidget()
        self.table.setMinimumHeight(150)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.table)
        pv.addWidget(self.summary)
        pv.addWidget(self.stack, 1)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for w in (source, self.bind_box, preview, split, aug, self.error):
            layout.addWidget(w)
        layout.addStretch(1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._start_preview)
        self._previewed.connect(self._on_preview)
        settings.changed.connect(self._settings_changed)
        self._bind_timer = QTimer(self)  # rebuild after the edit, never inside a combo's own signal
        self._bind_timer.setSingleShot(True)
        self._bind_timer.setInterval(0)
        self._bind_timer.timeout.connect(self._refresh_bindings)
        document.graph_event.connect(lambda _e: self._bind_timer.start())
        self.refresh()

    # -- settings <-> widgets ------------------------------------------------------------
    def _add(self, field: forms.Field) -> QWidget:
        self.fields[field.key] = field
        field.signal.connect(lambda *_a, field=field: self._edited(field.key, field.read()))
        return field.widget

    def _edited(self, key: str, value: Any) -> None:
        reason = self.settings.set_data(**{key: value})
        self.error.setText(reason or "")
        if reason:
            self.refresh()

    def _settings_changed(self, kind: str) -> None:
        if kind in ("data", "all"):
            self.refresh()

    def refresh(self) -> None:
        """Show ``project.data`` and schedule a new preview."""
        config = self.settings.data
        for key, field in self.fields.items():
            field.show(getattr(config, key))
        self.train_tf.set_steps([t.model_dump() for t in config.train_transforms])
        self.val_tf.set_steps([t.model_dump() for t in config.val_transforms])
        source = config.source
        self.fields["name"].widget.setEnabled(source == "bundled")
        self.root_row.setEnabled(source != "bundled")
        self.fields["download"].widget.setEnabled(source in ("mnist", "fashion_mnist", "cifar10"))
        for w in self.csv_rows:
            w.setEnabled(source == "csv")
        self._timer.start()

    def _browse(self) -> None:
        if self.settings.data.source == "csv":
            path, _ = QFileDialog.getOpenFileName(self, "CSV file", self.root.read(), "CSV (*.csv);;All (*)")
        else:
            path = QFileDialog.getExistingDirectory(self, "Data folder", self.root.read())
        if path:
            self._edited("root", path)

    def _ticked_features(self) -> list[str]:
        return [self.features.item(i).text() for i in range(self.features.count())
                if self.features.item(i).checkState() == Qt.CheckState.Checked]

    def _show_csv_columns(self, header: list[str]) -> None:
        config = self.settings.data
        with QSignalBlocker(self.target):
            self.target.clear()
            self.target.addItems(header)
            self.target.setCurrentText(config.csv_target or (header[-1] if header else ""))
        with QSignalBlocker(self.features):
            self.features.clear()
            for name in header:
                item = QListWidgetItem(name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if name in config.csv_features
                                   else Qt.CheckState.Unchecked)
                self.features.addItem(item)

    # -- preview (background thread) ----------------------------------------------------------
    def _start_preview(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._timer.start()  # one at a time; try again shortly
            return
        self._generation += 1
        generation, config, base = self._generation, self.settings.data, self.document.project.base_dir
        self.summary.setText("Reading the data…")

        def work() -> None:
            try:
                result: Preview | str = make_preview(config, base)
            except DataError as err:
                result = str(err)
            except Exception as err:  # noqa: BLE001 - a preview must never take the app down
                result = f"{type(err).__name__}: {err}"
            try:
                self._previewed.emit(generation, result)
            except RuntimeError:  # the panel was deleted meanwhile
                pass

        self._thread = threading.Thread(target=work, name="torchwire-data-preview", daemon=True)
        self._thread.start()

    def wait_preview(self, timeout: float = 30.0) -> None:
        """Block until the running preview thread ends (tests)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _on_preview(self, generation: int, result: Preview | str) -> None:
        if generation != self._generation:
            return
        if isinstance(result, str):
            self.preview = None
            self.summary.setText(f"<span style='color:#c0392b'>{result}</span>")
            self.grid.set_images([])
            return
        self.preview = result
        self.data_fields = result.fields
        lines = [result.description]
        if result.train_counts:
            names = result.class_names or [str(i) for i in range(len(result.train_counts))]
            counts = " · ".join(f"{n[:10]}: {t}/{v}" for n, t, v in
                                zip(names, result.train_counts, result.val_counts or [0] * len(names),
                                    strict=False))
            lines.append(f"Class counts (train/val): {counts}")
        lines.append("Fields: " + ", ".join(describe_field(f) for f in result.fields.values()))
        self.summary.setText("<br>".join(lines))
        if result.table is not None:
            header, rows = result.table
            self._show_csv_columns(header)
            self.table.setColumnCount(len(header))
            self.table.setHorizontalHeaderLabels(header)
            self.table.setRowCount(len(rows))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    self.table.setItem(r, c, QTableWidgetItem(value))
            self.stack.setCurrentWidget(self.table)
        else:
            self.grid.set_images(result.images)
            self.stack.setCurrentWidget(self.grid)
        self._bind_timer.start()

    # -- bindings: Input node -> dataset field ---------------------------------------------------
    def _refresh_bindings(self) -> None:
        while self.bind_form.rowCount():
            self.bind_form.removeRow(0)
        inputs = [n for n in self.document.graph.nodes if n.spec.role == "input"]
        if not inputs:
            self.bind_form.addRow(QLabel("The graph has no Input node."))
        for node in inputs:
            box = QComboBox()
            names = list(self.data_fields) or [node.params["field"]]
            if node.params["field"] not in names:
                names.append(node.params["field"])
            box.addItems(names)
            box.setCurrentText(node.params["field"])
            box.setToolTip(f"The dataset field that feeds Input '{node.name}'")
            box.currentTextChanged.connect(lambda text, nid=node.id: self.bind(nid, text))
            self.bind_form.addRow(node.name, box)

    def bind(self, node_id: str, field: str) -> str | None:
        """Bind Input ``node_id`` to dataset ``field`` (and the data's shape and dtype), one undo step."""
        doc = self.document
        node = doc.graph.node(node_id)
        info = self.data_fields.get(field)
        changes: dict[str, Any] = {"field": field}
        if info is not None:
            changes["shape"] = list(info.shape)
            changes["dtype"] = info.dtype
        doc.undo_stack.beginMacro(f"Bind {node.name} to {field}")
        reason = None
        for key, value in changes.items():
            reason = reason or doc.set_param(node_id, key, value)
        doc.undo_stack.endMacro()
        self.error.setText(reason or "")
        return reason
