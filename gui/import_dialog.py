"""File > Import PyTorch Model…: trace an ``nn.Module`` (a class in a .py file, or a
torchvision classification model) and open it as a new, laid-out, editable document.

Listing the classes of a file only *parses* it (``ast``); the file runs only when the
user presses Import, as the engine's ``import_model`` does for the CLI.
"""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from engine.errors import TorchwireError
from engine.graph import GraphError

from .file_choice import WEIGHTS_FILTER

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)

TORCHVISION_SHAPE = "1,3,224,224"
PY_FILTER = "Python files (*.py);;All files (*)"
ERROR_STYLE = "color: #c62828;"


def module_classes(path: str | Path) -> list[str]:
    """Names of the top-level classes in ``path`` that subclass ``nn.Module`` (directly,
    through ``torch.nn`` classes or through other such classes of the file). Parsed, never run.

    Raises:
        OSError: the file cannot be read. SyntaxError: it is not valid Python.
    """
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    found: list[str] = []
    changed = True
    while changed:  # a class may derive from a Module subclass defined further down
        changed = False
        for cls in classes:
            if cls.name not in found and any(_is_module_base(b, found) for b in cls.bases):
                found.append(cls.name)
                changed = True
    return [c.name for c in classes if c.name in found]  # file order


def _is_module_base(base: ast.expr, known: list[str]) -> bool:
    name = ast.unparse(base)
    return (name.rsplit(".", 1)[-1] == "Module" or name.startswith(("nn.", "torch.nn."))
            or name in known)


def parse_shapes(text: str) -> list[tuple[int, ...]]:
    """``"1,3,32,32"`` -> ``[(1, 3, 32, 32)]``; shapes of several inputs are separated by ``;``.

    Raises:
        ValueError: with a sentence for the user.
    """
    shapes = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        dims = [d for d in re.split(r"[,x×\s]+", part.strip("()[] ")) if d]
        if not dims or not all(d.isdigit() and int(d) > 0 for d in dims):
            raise ValueError(f"'{part}' is not a shape — write positive sizes, batch first, e.g. 1,3,32,32")
        shapes.append(tuple(int(d) for d in dims))
    return shapes


def torchvision_models() -> list[str]:
    """torchvision's classification model names (imports torchvision)."""
    import torchvision

    return sorted(torchvision.models.list_models(module=torchvision.models))


class ImportDialog(QDialog):
    """Pick a model (file + class, or torchvision name), its input shape and optional
    weights; Import traces it and opens it in ``window``: as a new untitled document, or,
    with weights, saved where the user chooses with the weights beside it, so training
    starts from them (fine-tuning)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.result_: Any = None  # the engine ImportResult after a successful import
        self._auto_shape = False
        self.setWindowTitle("Import PyTorch Model")
        self.setObjectName("import_dialog")
        self.resize(640, 320)

        self.file_radio = QRadioButton("Python file")
        self.torchvision_radio = QRadioButton("torchvision model")
        self.file_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.file_radio)
        group.addButton(self.torchvision_radio)

        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText("path/to/model.py")
        self.file_browse = QPushButton("Browse…")
        self.file_browse.clicked.connect(self.browse_file)
        self.class_combo = QComboBox()
        self.class_combo.setMinimumContentsLength(20)
        self.torchvision_combo = QComboBox()
        self.torchvision_combo.setMaxVisibleItems(20)
        self.shape_edit = QLineEdit()
        self.shape_edit.setPlaceholderText("batch first, e.g. 1,3,32,32 (several inputs: 1,3,32,32; 1,10)")
        self.weights_edit = QLineEdit()
        self.weights_edit.setPlaceholderText("optional: a state_dict of the original model")
        weights_browse = QPushButton("Browse…")
        weights_browse.clicked.connect(self.browse_weights)

        form = QFormLayout()
        form.addRow("Source:", _row(self.file_radio, self.torchvision_radio, stretch_first=False))
        form.addRow("File:", _row(self.file_edit, self.file_browse))
        form.addRow("Class:", self.class_combo)
        form.addRow("torchvision:", self.torchvision_combo)
        form.addRow("Input shape:", self.shape_edit)
        form.addRow("Weights:", _row(self.weights_edit, weights_browse))
        note = QLabel("The model is traced with torch.fx and rebuilt from Torchwire layers; its forward "
                      "must not branch on tensor values. Running the file executes its code.")
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(placeholder-text);")
        self.error_label = QLabel()
        self.error_label.setObjectName("import_error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addStretch(1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.file_edit.editingFinished.connect(self.refresh_classes)
        self.torchvision_radio.toggled.connect(self._mode_changed)
        self._mode_changed()

    # -- state ------------------------------------------------------------------------
    @property
    def spec(self) -> str:
        """The engine's model spec: ``file.py:Class`` or ``torchvision:NAME``."""
        if self.torchvision_radio.isChecked():
            return f"torchvision:{self.torchvision_combo.currentText()}"
        path, cls = self.file_edit.text().strip(), self.class_combo.currentText()
        return f"{path}:{cls}" if cls else path

    def set_file(self, path: str | Path, class_name: str | None = None) -> None:
        """Import from the Python file ``path`` (and select ``class_name`` when given)."""
        self.file_radio.setChecked(True)
        self.file_edit.setText(str(path))
        self.refresh_classes()
        if class_name:
            self.class_combo.setCurrentText(class_name)

    def set_torchvision(self, name: str) -> None:
        """Import torchvision's ``name`` model."""
        self.torchvision_radio.setChecked(True)
        self.torchvision_combo.setCurrentText(name)

    def refresh_classes(self) -> None:
        """List the file's nn.Module classes (parsed with ``ast``)."""
        current = self.class_combo.currentText()
        self.class_combo.clear()
        self.error_label.hide()
        text = self.file_edit.text().strip()
        if not text:
            return
        try:
            names = module_classes(Path(text).expanduser())
        except OSError as err:
            self.show_error(f"{text}: cannot read the file ({err.strerror or err}).")
            return
        except SyntaxError as err:
            self.show_error(f"{text}:{err.lineno}: the file is not valid Python ({err.msg}).")
            return
        except ValueError:  # not UTF-8 text, or null bytes
            self.show_error(f"{text} is not a UTF-8 Python source file — choose the .py file that "
                            "defines the model.")
            return
        if not names:
            self.show_error(f"{Path(text).name} defines no nn.Module class.")
        self.class_combo.addItems(names)
        if current in names:
            self.class_combo.setCurrentText(current)

    def _mode_changed(self, *_args: Any) -> None:
        tv = self.torchvision_radio.isChecked()
        for widget in (self.file_edit, self.file_browse, self.class_combo):
            widget.setEnabled(not tv)
        self.torchvision_combo.setEnabled(tv)
        if tv and not self.torchvision_combo.count():
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                names = torchvision_models()
            finally:
                QGuiApplication.restoreOverrideCursor()
            self.torchvision_combo.addItems(names)
            if "resnet18" in names:
                self.torchvision_combo.setCurrentText("resnet18")
        if tv and not self.shape_edit.text().strip():
            self.shape_edit.setText(TORCHVISION_SHAPE)
            self._auto_shape = True
        elif not tv and self._auto_shape and self.shape_edit.text() == TORCHVISION_SHAPE:
            self.shape_edit.clear()  # a file's input shape must be given, not guessed
            self._auto_shape = False
        self.error_label.hide()

    # -- actions ----------------------------------------------------------------------
    def browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Python file defining the model",
                                              self.file_edit.text() or str(Path.home()), PY_FILTER)
        if path:
            self.set_file(path)

    def browse_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Weights of the original model",
                                              self.weights_edit.text() or str(Path.home()), WEIGHTS_FILTER)
        if path:
            self.weights_edit.setText(path)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _problem(self) -> str | None:
        """What the form still lacks, as a sentence (None when it is complete)."""
        if self.window_.read_only:
            return "Stop training before importing a model."
        if self.torchvision_radio.isChecked():
            return None if self.torchvision_combo.currentText() else "Choose a torchvision model."
        if not self.file_edit.text().strip():
            return "Choose the Python file that defines the model."
        if not self.class_combo.currentText():
            self.refresh_classes()
            if not self.class_combo.currentText():
                return self.error_label.text() or "Choose the nn.Module class to import."
        if not self.shape_edit.text().strip():
            return "Give the model's input shape, batch first, e.g. 1,3,32,32."
        return None

    def accept(self) -> None:
        """Import; on success open the graph (after asking to save the current one) and close."""
        from engine.importer import import_model

        problem = self._problem()
        try:
            shapes = parse_shapes(self.shape_edit.text())
        except ValueError as err:
            problem = problem or f"Input shape: {err}."
        if problem:
            self.show_error(problem)
            return
        weights = self.weights_edit.text().strip() or None
        self.error_label.hide()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = import_model(self.spec, shapes or None, source_weights=weights)
        except (TorchwireError, GraphError) as err:
            log.info("import failed: %s", err)
            self.show_error(str(err))
            return
        except Exception as err:  # noqa: BLE001 - the user's model code may raise anything
            log.exception("import of %s failed", self.spec)
            self.show_error(f"Importing {self.spec} failed: {type(err).__name__}: {err}")
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        if not self.window_.maybe_save():
            self.show_error("The current project is still open — save or discard it to open the import.")
            return
        self.result_ = result
        if weights is None:
            open_imported(self.window_, result)
        elif not self._open_with_weights(result):
            return
        super().accept()

    def ask_project_path(self, result: Any) -> Path | None:
        """Where to save an import that has weights (None: cancelled); tests replace this."""
        folder = Path(self.weights_edit.text().strip()).expanduser().parent
        start = str(folder / f"{result.project.name or 'model'}.json")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the imported project (its weights are saved beside it)", start,
            "Torchwire project (*.json)")
        if not path:
            return None
        return Path(path) if Path(path).suffix else Path(path).with_suffix(".json")

    def _open_with_weights(self, result: Any) -> bool:
        """Save the project and its renamed weights, then open it; False keeps the dialog open."""
        from engine.importer import save_import

        path = self.ask_project_path(result)
        if path is None:
            open_imported(self.window_, result)
            self.window_.show_message("Imported without its weights (not saved) — import again and choose "
                                      "where to save the project to keep them")
            return True
        weights = path.with_suffix(".safetensors")
        try:
            save_import(result, path, weights)
        except (OSError, TorchwireError) as err:
            self.show_error(f"Could not save the import: {err}")
            return False
        self.window_.open_file(path, ask=False)
        self.window_.show_message(f"Imported {result.project.name} with its weights ({weights.name}); "
                                  "training starts from them")
        return True


def open_imported(window: MainWindow, result: Any) -> None:
    """Show an import result as a new untitled (unsaved) document, framed in the view."""
    project = result.project
    window.document.set_project(project, modified=True)  # not saved anywhere yet
    window.view.frame_all()
    layers = sum(1 for n in project.graph if n.spec.role not in ("input", "output"))
    window.show_message(f"Imported {project.name}: {layers} layers — save it to keep it")


def _row(*widgets: QWidget, stretch_first: bool = True) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for i, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if i == 0 and stretch_first else 0)
    if not stretch_first:
        layout.addStretch(1)
    return box


def show_import_dialog(window: MainWindow) -> ImportDialog:
    """Open the import dialog (window-modal, not blocking)."""
    dialog = ImportDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def install(window: MainWindow) -> None:
    """Add File > Import PyTorch Model… (after Open Recent) to the main window."""
    window.add_file_action("import_model", "&Import PyTorch Model…", lambda: show_import_dialog(window),
                           after=window.recent_menu.menuAction(),
                           tip="Open a PyTorch nn.Module (a .py file or torchvision) as an editable graph")


__all__ = ["ImportDialog", "install", "module_classes", "open_imported", "parse_shapes",
           "show_import_dialog", "torchvision_models"]
