"""File > Export…: write the model (Inputs -> Outputs) with its trained weights in one of
the engine's export formats, with a preview of the generated Python and a load snippet.

The graph is compiled once when the dialog opens (it cannot change while the dialog is
modal); an invalid graph is refused with its issue list before the dialog appears.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.errors import TorchwireError
from engine.export import FORMATS, ExportError, export_model, load_snippet, python_source
from engine.graph import GraphError

from .file_choice import WEIGHTS_FILTER

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)

UNTRAINED = "Untrained (random init)"
ERROR_STYLE = "color: #c62828;"
WARNING_STYLE = "color: #b26a00;"


def latest_run_weights(window: MainWindow) -> tuple[Path, str] | None:
    """``(weights.safetensors of the latest finished run, run name)``, or None when no
    finished run of the current project has saved weights."""
    from .training.runs import WEIGHTS_FILE

    controller = getattr(window, "training", None)
    for run in reversed(getattr(controller, "runs", []) or []):
        if run.status == "finished" and run.folder is not None and (run.folder / WEIGHTS_FILE).is_file():
            return run.folder / WEIGHTS_FILE, run.name
    return None


def default_output(project: Any, fmt: str) -> Path:
    """Next to the project file and named after it (the home folder for an untitled one)."""
    suffix = FORMATS[fmt][0]
    if project.path is not None:
        return project.path.parent / f"{project.path.stem}{suffix}"
    stem = re.sub(r"\W+", "_", project.name or "model").strip("_").lower() or "model"
    return Path.home() / f"{stem}{suffix}"


def swap_suffix(path: str, old_fmt: str, new_fmt: str) -> str:
    """``path`` with ``old_fmt``'s suffix replaced by ``new_fmt``'s (appended if it had none)."""
    old, new = FORMATS[old_fmt][0], FORMATS[new_fmt][0]
    if path.endswith(old):
        return path[: -len(old)] + new
    return path if path.endswith(new) else str(Path(path).with_suffix("")) + new


def _monospace(read_only: bool = True) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setReadOnly(read_only)
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return edit


def _label(text: str = "", style: str = "", wrap: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)  # form rows with wrapping labels get oversized heights
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if style:
        label.setStyleSheet(style)
    return label


class ExportDialog(QDialog):
    """Choose format, weights and output; preview the Python; Export writes the file.

    Args:
        window: The main window (its document's project is exported).
        compiled: The compiled graph (:func:`engine.compiler.compile_graph`), for the preview.
    """

    def __init__(self, window: MainWindow, compiled: Any) -> None:
        super().__init__(window)
        self.window_ = window
        self.project = window.document.project
        self.compiled = compiled
        self.written: Path | None = None
        self.setWindowTitle("Export Model")
        self.setObjectName("export_dialog")
        self.resize(960, 780)

        self.format_combo = QComboBox()
        for name, (suffix, description) in FORMATS.items():
            self.format_combo.addItem(f"{name}  ({suffix})", name)
            self.format_combo.setItemData(self.format_combo.count() - 1, description,
                                          Qt.ItemDataRole.ToolTipRole)
        self.description = _label()
        self.description.setStyleSheet("color: palette(placeholder-text);")

        self.weights_combo = QComboBox()
        self.weights_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.weights_combo.setMinimumContentsLength(24)
        latest = latest_run_weights(window)
        if latest is not None:
            self.weights_combo.addItem(f"{latest[1]} — {latest[0].name}", str(latest[0]))
            self.weights_combo.setItemData(0, str(latest[0]), Qt.ItemDataRole.ToolTipRole)
        self.weights_combo.addItem(UNTRAINED, None)
        weights_browse = QPushButton("Browse…")
        weights_browse.clicked.connect(self.browse_weights)
        self.weights_warning = _label("⚠ No trained weights: the export holds freshly initialised (random) "
                                      "parameters — train first, or browse for a weights file.", WARNING_STYLE)

        self.output_edit = QLineEdit(str(default_output(self.project, self.fmt)))
        output_browse = QPushButton("Browse…")
        output_browse.clicked.connect(self.browse_output)

        form = QFormLayout()
        form.addRow("Format:", self.format_combo)
        form.addRow("", self.description)
        form.addRow("Weights:", _row(self.weights_combo, weights_browse))
        form.addRow("", self.weights_warning)
        form.addRow("Output:", _row(self.output_edit, output_browse))

        self.snippet_title = QLabel()
        self.snippet = _monospace()
        self.snippet.setObjectName("load_snippet")
        self.error_label = _label(style=ERROR_STYLE, wrap=True)
        self.error_label.setObjectName("export_error")
        self.error_label.hide()
        self.preview_title = QLabel()
        self.preview = _monospace()
        self.preview.setObjectName("python_preview")
        self.preview.setPlainText(self._python_text())
        # form on top; below it the Python preview over the (short) load snippet, full width
        # so neither needs horizontal scrolling
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(_column(self.preview_title, self.preview))
        splitter.addWidget(_column(self.snippet_title, self.snippet))
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([420, 130])
        splitter.setChildrenCollapsible(False)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self._last_fmt = self.fmt
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.weights_combo.currentIndexChanged.connect(self._weights_changed)
        self.output_edit.textChanged.connect(self._update_snippet)
        self._format_changed()
        self._weights_changed()

    # -- state ------------------------------------------------------------------------
    @property
    def fmt(self) -> str:
        return str(self.format_combo.currentData())

    @property
    def weights(self) -> Path | None:
        data = self.weights_combo.currentData()
        return Path(data) if data else None

    @property
    def output(self) -> Path:
        return Path(self.output_edit.text().strip()).expanduser()

    def set_format(self, fmt: str) -> None:
        """Select export format ``fmt`` (a key of FORMATS)."""
        self.format_combo.setCurrentIndex(self.format_combo.findData(fmt))

    def set_weights(self, path: str | Path | None) -> None:
        """Use the weights file ``path`` (None: untrained)."""
        if path is None:
            self.weights_combo.setCurrentIndex(self.weights_combo.findData(None))
            return
        text = str(path)
        index = self.weights_combo.findData(text)
        if index < 0:
            self.weights_combo.addItem(Path(text).name, text)
            index = self.weights_combo.count() - 1
            self.weights_combo.setItemData(index, text, Qt.ItemDataRole.ToolTipRole)
        self.weights_combo.setCurrentIndex(index)

    def _python_text(self) -> str:
        from engine.compiler import class_name_for

        title = self.project.name or "Model"
        try:
            return python_source(self.compiled, class_name_for(title), title)
        except ExportError as err:
            return f"# The Python file cannot be generated: {err}"

    def _format_changed(self, *_args: Any) -> None:
        fmt = self.fmt
        self.output_edit.setText(swap_suffix(self.output_edit.text(), self._last_fmt, fmt))
        self._last_fmt = fmt
        self.description.setText(FORMATS[fmt][1])
        if fmt == "python":
            self.preview_title.setText("<b>Python file</b> — exactly what Export writes")
        else:
            self.preview_title.setText("<b>Python source of the model</b> — for reference; "
                                       "choose the <i>python</i> format to export it as a file")
        self._update_snippet()
        self.error_label.hide()

    def _weights_changed(self, *_args: Any) -> None:
        self.weights_warning.setVisible(self.weights is None)
        self.error_label.hide()

    def _update_snippet(self, *_args: Any) -> None:
        self.snippet_title.setText(f"<b>Load it in plain PyTorch</b> ({self.fmt}):")
        self.snippet.setPlainText(load_snippet(self.fmt, self.output))

    # -- actions ----------------------------------------------------------------------
    def browse_weights(self) -> None:
        start = str(self.weights or (self.project.path.parent if self.project.path else Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Weights to export", start, WEIGHTS_FILTER)
        if path:
            self.set_weights(path)

    def browse_output(self) -> None:
        suffix = FORMATS[self.fmt][0]
        path, _ = QFileDialog.getSaveFileName(self, "Export to", str(self.output),
                                              f"{self.fmt} (*{suffix});;All files (*)")
        if path:
            self.output_edit.setText(path)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def accept(self) -> None:
        """Export; on success close and report in the status bar, else show why and stay."""
        if not self.output_edit.text().strip():
            self.show_error("Choose where to write the export.")
            return
        out = self.output
        if out.is_dir():
            self.show_error(f"{out} is a folder — add a file name, e.g. {default_output(self.project, self.fmt).name}.")
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written = export_model(self.project, self.weights, self.fmt, out)
        except (TorchwireError, GraphError) as err:
            log.info("export failed: %s", err)
            self.show_error(str(err))
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.written = written
        origin = "untrained weights" if self.weights is None else self.weights.name
        self.window_.show_message(f"Exported {written.name} ({self.fmt}, {origin})")
        super().accept()


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for i, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if i == 0 else 0)
    return box


def _column(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 4, 0, 0)
    for i, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if i == len(widgets) - 1 else 0)
    return box


def compile_for_export(window: MainWindow) -> Any:
    """Compile the window's graph for the preview; None (and a warning listing every
    issue) when it has errors."""
    from engine.compiler import CompileError, compile_graph

    project = window.document.project
    try:
        return compile_graph(project.graph, name=project.name or "Model", base_dir=project.base_dir)
    except CompileError as err:
        issues = "\n".join(f"• {i.node + ': ' if i.node else ''}{i.message}" for i in err.issues)
        QMessageBox.warning(window, "Cannot export",
                            f"Fix the graph's {len(err.issues)} problem(s) before exporting:\n\n{issues}")
        window.show_message("Export refused: the graph has errors")
        return None
    except Exception as err:  # noqa: BLE001 - e.g. a backbone's weights file that does not fit
        log.warning("export: the graph did not compile", exc_info=True)
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        QMessageBox.warning(window, "Cannot export", f"The model could not be built: {first}")
        window.show_message("Export refused: the model could not be built")
        return None


def show_export_dialog(window: MainWindow) -> ExportDialog | None:
    """Open the export dialog (window-modal, not blocking); None when the graph has errors."""
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # first compile imports torch
    try:
        compiled = compile_for_export(window)
    finally:
        QGuiApplication.restoreOverrideCursor()
    if compiled is None:
        return None
    dialog = ExportDialog(window, compiled)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def install(window: MainWindow) -> None:
    """Add File > Export… (Ctrl+E, after Save As) to the main window."""
    window.add_file_action("export", "&Export…", lambda: show_export_dialog(window),
                           after=window.actions_.get("save_as"), shortcut="Ctrl+E",
                           tip="Export the model with its trained weights (PyTorch, ONNX, Python file…)")


__all__ = ["ExportDialog", "compile_for_export", "default_output", "install", "latest_run_weights",
           "show_export_dialog", "swap_suffix"]
