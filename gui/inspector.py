"""The inspector: a form generated from the selected node's spec.

Each field validates through the engine (``Param.validate``) before anything is
pushed; a refused value shows the engine's sentence beside the field and the
model stays unchanged."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.catalog import AUTO, FAMILIES, Param
from engine.graph import GraphEvent

from . import theme
from .canvas.node_item import count_text, value_text
from .document import Document
from .file_choice import FileEdit

INT_LIMIT = 2_000_000_000


def parse_numbers(text: str, integer: bool) -> list[Any] | str:
    """'5, 5' / '5×5' / '5 5' -> [5, 5]; returns the text itself if a part is not a number
    (the engine's validator then words the error)."""
    parts = [p for p in re.split(r"[,\s×x()\[\]]+", text.strip()) if p]
    out: list[Any] = []
    for part in parts:
        try:
            out.append(int(part) if integer else float(part))
        except ValueError:
            try:
                out.append(float(part))
            except ValueError:
                return text
    return out


class ParamField(QWidget):
    """Editor for one parameter. Emits ``committed(name, value)``; shows errors beside itself."""

    committed = Signal(str, object)

    def __init__(self, param: Param, parent: QWidget | None = None,
                 base_dir: Callable[[], Path | None] = lambda: None) -> None:
        super().__init__(parent)
        self.param = param
        self._auto_value: Any = None
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.file: FileEdit | None = None
        if param.type == "path":  # a line edit with a "…" file chooser
            self.file = FileEdit(f"Choose {param.name}", base_dir)
            self.file.edit.editingFinished.connect(self._commit_text)
            self.editor = self.file.edit
            row.addWidget(self.file, 1)
        else:
            self.editor = self._make_editor()
            row.addWidget(self.editor, 1)
        self.editor.setToolTip(param.help)
        self.auto_box: QCheckBox | None = None
        self.none_box: QCheckBox | None = None
        if param.auto:
            self.auto_box = QCheckBox("auto")
            self.auto_box.setToolTip("Fill from the incoming shape")
            self.auto_box.toggled.connect(self._auto_toggled)
            row.addWidget(self.auto_box)
        if param.optional:
            self.none_box = QCheckBox("none")
            self.none_box.toggled.connect(self._none_toggled)
            row.addWidget(self.none_box)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.error().name()};")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error)

    def _make_editor(self) -> QWidget:
        p = self.param
        if p.type == "int":
            box = QSpinBox()
            box.setRange(-INT_LIMIT, INT_LIMIT)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda v: self._commit(int(v)))
            return box
        if p.type == "float":
            dbox = QDoubleSpinBox()
            dbox.setDecimals(6)
            dbox.setRange(-1e12, 1e12)
            dbox.setSingleStep(0.05 if (p.maximum is not None and p.maximum <= 1) else 0.1)
            dbox.setKeyboardTracking(False)
            dbox.valueChanged.connect(lambda v: self._commit(float(v)))
            return dbox
        if p.type == "bool":
            check = QCheckBox()
            check.toggled.connect(lambda v: self._commit(bool(v)))
            return check
        if p.type == "choice":
            combo = QComboBox()
            combo.addItems([str(c) for c in p.choices])
            combo.activated.connect(lambda i: self._commit(p.choices[i]))
            return combo
        edit = QLineEdit()
        if p.type in ("ints", "floats"):
            edit.setPlaceholderText("e.g. 3, 3" if p.length != 1 else "e.g. 3")
        edit.editingFinished.connect(self._commit_text)
        return edit

    def choose_file(self, path: str | None = None) -> None:
        """A file parameter from a file dialog (or ``path``), stored relative to the project's
        folder when the file is inside it."""
        if self.file is not None:
            self.file.choose(path)

    def _commit_text(self) -> None:
        assert isinstance(self.editor, QLineEdit)
        text = self.editor.text()
        if self.param.type in ("ints", "floats"):
            self._commit(parse_numbers(text, self.param.type == "ints"))
        else:
            self._commit(text)

    def _commit(self, value: Any) -> None:
        if self.signalsBlocked():
            return
        self.committed.emit(self.param.name, value)

    def _auto_toggled(self, on: bool) -> None:
        self.editor.setEnabled(not on)
        if on:
            self._commit(AUTO)
        else:
            self._commit(self.editor_value())

    def _none_toggled(self, on: bool) -> None:
        self.editor.setEnabled(not on)
        self._commit(None if on else (self.param.default if self.param.default is not None else 0))

    def editor_value(self) -> Any:
        e = self.editor
        if isinstance(e, (QSpinBox, QDoubleSpinBox)):
            return e.value()
        if isinstance(e, QCheckBox):
            return e.isChecked()
        if isinstance(e, QComboBox):
            return e.currentText()
        assert isinstance(e, QLineEdit)
        if self.param.type in ("ints", "floats"):
            return parse_numbers(e.text(), self.param.type == "ints")
        return e.text()

    def set_value(self, value: Any, resolved: Any = None) -> None:
        """Show ``value`` (``resolved`` is what ``auto`` currently means) without committing."""
        self.blockSignals(True)
        try:
            is_auto = value == AUTO
            is_none = value is None and self.param.optional
            if self.auto_box is not None:
                self.auto_box.setChecked(is_auto)
            if self.none_box is not None:
                self.none_box.setChecked(is_none)
            shown = resolved if is_auto else value
            e = self.editor
            e.setEnabled(not is_auto and not is_none)
            if isinstance(e, QSpinBox):
                e.setSpecialValueText("")
                if isinstance(shown, (int, float)) and not isinstance(shown, bool):
                    e.setValue(int(shown))
            elif isinstance(e, QDoubleSpinBox):
                if isinstance(shown, (int, float)):
                    e.setValue(float(shown))
            elif isinstance(e, QCheckBox):
                e.setChecked(bool(shown))
            elif isinstance(e, QComboBox):
                e.setCurrentText(str(shown))
            elif isinstance(e, QLineEdit):
                text = "" if shown is None else (", ".join(map(str, shown)) if isinstance(shown, tuple)
                                                 else str(shown))
                if e.text() != text:
                    e.setText(text)
        finally:
            self.blockSignals(False)

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


class Inspector(QScrollArea):
    """Properties of the selected node; empty text when none or several are selected."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.node_id: str | None = None
        self.fields: dict[str, ParamField] = {}
        self.read_only = False
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(260)
        document.graph_event.connect(self._on_event)
        document.inference_changed.connect(self._refresh_info)
        self._build()

    def set_node(self, node_id: str | None) -> None:
        if node_id != self.node_id:
            self.node_id = node_id
            self._build()

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self._build()

    # -- building ---------------------------------------------------------------
    def _build(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        self.fields = {}
        self.name_edit: QLineEdit | None = None
        graph = self.document.graph
        if self.node_id is None or self.node_id not in graph:
            self.node_id = None
            hint = QLabel("Select a layer to see and edit its parameters.\n\n"
                          "Drag layers from the palette, or press Tab on the canvas to add one.")
            hint.setWordWrap(True)
            hint.setEnabled(False)
            layout.addWidget(hint)
            layout.addStretch(1)
            self.setWidget(page)
            return
        node = graph.node(self.node_id)
        spec = node.spec
        title = QLabel(f"<b>{node.kind}</b> <span style='color:gray'>· {FAMILIES[spec.family]}</span>")
        layout.addWidget(title)
        help_label = QLabel(spec.help)
        help_label.setWordWrap(True)
        layout.addWidget(help_label)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(node.name)
        self.name_edit.editingFinished.connect(self._rename)
        self.name_error = QLabel()
        self.name_error.setWordWrap(True)
        self.name_error.setStyleSheet(f"color: {theme.error().name()};")
        self.name_error.hide()
        name_box = QWidget()
        name_layout = QVBoxLayout(name_box)
        name_layout.setContentsMargins(0, 0, 0, 0)
        name_layout.addWidget(self.name_edit)
        name_layout.addWidget(self.name_error)
        form.addRow("name", name_box)
        for p in spec.params:
            field = ParamField(p, base_dir=lambda: self.document.project.base_dir)
            field.committed.connect(self._commit)
            label = QLabel(p.name)
            label.setToolTip(p.help)
            form.addRow(label, field)
            self.fields[p.name] = field
        layout.addLayout(form)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.info)
        layout.addStretch(1)
        page.setEnabled(not self.read_only)
        self.setWidget(page)
        self._refresh_values()
        self._refresh_info()

    def _refresh_values(self) -> None:
        if self.node_id is None or self.node_id not in self.document.graph:
            return
        node = self.document.graph.node(self.node_id)
        info = self.document.inference.nodes.get(self.node_id)
        kwargs = (info.kwargs or {}) if info is not None else {}
        for name, field in self.fields.items():
            field.set_value(node.params.get(name), kwargs.get(name))
        if self.name_edit is not None and self.name_edit.text() != node.name:
            self.name_edit.setText(node.name)

    def _refresh_info(self) -> None:
        if self.node_id is None or self.node_id not in self.document.graph:
            return
        node = self.document.graph.node(self.node_id)
        inf = self.document.inference
        info = inf.nodes.get(self.node_id)
        lines = []
        if info is not None and info.ok:
            for port, _shape in info.outputs.items():
                lines.append(f"Output <b>{port}</b>: {info.shape_text(port)} ({info.dtypes.get(port, '')})")
            lines.append(f"Parameters: {info.params:,} ({count_text(info.params)}"
                         f"{'' if info.trainable == info.params else f', {info.trainable:,} trainable'})")
            lines.append(f"MACs per sample: {info.macs:,} ({count_text(info.macs)})")
        for issue in inf.issues_for(node.name):
            lines.append(f"<span style='color:{theme.error().name()}'>⚠ {issue.message}</span>")
        self.info.setText("<br>".join(lines) or "<i>Shapes unknown until the inputs are connected.</i>")
        self._refresh_values()

    def _on_event(self, event: GraphEvent) -> None:
        if event.type == "graph_reset":
            self.set_node(None)
            self._build()
            return
        node = event.data.get("node")
        if node is None or node.id != self.node_id:
            return
        if event.type == "node_removed":
            self.set_node(None)
        elif event.type in ("param_changed", "node_renamed"):
            self._refresh_values()

    # -- edits ------------------------------------------------------------------
    def _commit(self, name: str, value: Any) -> None:
        if self.node_id is None or self.read_only:
            return
        error = self.document.set_param(self.node_id, name, value)
        self.fields[name].show_error(error)

    def _rename(self) -> None:
        if self.node_id is None or self.name_edit is None or self.read_only:
            return
        error = self.document.rename(self.node_id, self.name_edit.text().strip())
        self.name_error.setText(error or "")
        self.name_error.setVisible(bool(error))

    def value_text(self, name: str) -> str:
        """The value of param ``name`` as the canvas shows it (for tests and tooltips)."""
        assert self.node_id is not None
        return value_text(self.document.graph.node(self.node_id).params[name])
