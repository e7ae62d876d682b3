"""The main window: composes the document, canvas, palette, inspector and issues.

Later panels (training, run controls) are added with :meth:`MainWindow.add_dock`
and may lock the canvas with :meth:`MainWindow.set_read_only`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QWidget,
)

from engine.clipboard import CLIP_FORMAT, ClipError, copy_nodes
from engine.errors import ProjectError
from engine.project import Project, load_project

from . import autosave, icons
from .canvas.node_item import count_text
from .canvas.scene import GraphScene, snap
from .canvas.view import GraphView
from .document import Document
from .inspector import Inspector
from .issues import IssuesList
from .palette import Palette
from .quick_add import QuickAdd, kinds_accepting

log = logging.getLogger(__name__)
CLIP_MIME = "application/x-torchwire-clip"
FILE_FILTER = "Torchwire projects (*.json);;All files (*)"
MAX_RECENT = 8


# Actions that replace the whole project: off while the window is read-only (a run in progress
# holds the project and its runs folder)
REPLACING_ACTIONS = ("new", "open", "new_from_template", "import_model")


class MainWindow(QMainWindow):
    """The editor window.

    Args:
        path: A project file to open (a missing file gives an empty untitled project
            and a status message).
        settings: Where recent files and window state live (default: the user's
            QSettings for Torchwire; tests pass an ini file).
        autosave_dir / autosave_interval_ms: Crash-recovery autosave location and period.
        check_recovery: Offer to restore an autosave left by a crashed session.
    """

    def __init__(self, path: str | Path | None = None, *, settings: QSettings | None = None,
                 autosave_dir: Path | None = None,
                 autosave_interval_ms: int = autosave.DEFAULT_INTERVAL_MS,
                 check_recovery: bool = True) -> None:
        super().__init__()
        self.settings = settings or QSettings("Torchwire", "Torchwire")
        self.document = Document(parent=self)
        self.scene = GraphScene(self.document)
        self.scene.setParent(self.document)
        self.view = GraphView(self.scene)
        self.setCentralWidget(self.view)
        self.read_only = False
        self.read_only_reason = ""
        # Asked in order before the window closes; one returning False keeps it open
        # (the training controller's "stop the run?" question). A close guard rather than
        # an event filter: a Python filter on the window would run for every event it gets.
        self.close_guards: list[Callable[[], bool]] = []
        self.layers = Palette()
        self.inspector = Inspector(self.document)
        self.issues = IssuesList(self.document)
        self.quick_add = QuickAdd(self)
        self._quick_target: tuple[QPointF, Any] | None = None
        self.layers_dock = self.add_dock(self.layers, "Layers", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self.add_dock(self.inspector, "Inspector", Qt.DockWidgetArea.RightDockWidgetArea)
        self.issues_dock = self.add_dock(self.issues, "Issues", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.layers_dock, self.inspector_dock], [210, 300], Qt.Orientation.Horizontal)
        self.resizeDocks([self.issues_dock], [130], Qt.Orientation.Vertical)
        self._build_status_bar()
        self.actions_: dict[str, QAction] = {}
        self._build_actions()
        self._build_menus()
        self._connect()
        self.autosaver = autosave.Autosaver(self.document, autosave_dir, autosave_interval_ms, self)
        self.autosave_dir = self.autosaver.directory
        self.resize(1280, 800)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self._update_title()
        self._update_counts()
        if path is not None:
            if Path(path).exists():
                self.open_file(path, ask=False)
            else:
                self.show_message(f"{path} not found — started an empty project")
        if check_recovery:
            self.offer_recovery()

    # -- composition -------------------------------------------------------------
    def add_dock(self, widget: QWidget, title: str, area: Qt.DockWidgetArea) -> QDockWidget:
        """Add a panel as a dock (used by later panels such as training)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        self.message_label = QLabel()
        self.counts_label = QLabel()
        self.mode_label = QLabel()
        bar = self.statusBar()
        bar.addWidget(self.message_label, 1)
        bar.addPermanentWidget(self.mode_label)
        bar.addPermanentWidget(self.counts_label)

    def add_action(self, key: str, text: str, slot: Any, shortcut: Any = None, icon: str | None = None,
                   tip: str = "") -> QAction:
        """A window-wide action calling ``slot()``, registered as ``actions_[key]``
        (``shortcut``: a key sequence, a standard key or a list of them)."""
        action = QAction(text, self)
        if icon:
            action.setIcon(icons.icon(icon))
        if shortcut is not None:
            if isinstance(shortcut, list):
                action.setShortcuts(shortcut)
            else:
                action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.actions_[key] = action
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self.add_action
        a("new", "&New", self.new_project, K.New, "new", "Start an empty project")
        a("open", "&Open…", self.open_dialog, K.Open, "open", "Open a project file")
        a("save", "&Save", self.save, K.Save, "save", "Save the project")
        a("save_as", "Save &As…", self.save_as, K.SaveAs, "save-as", "Save under a new name")
        a("quit", "&Quit", self.close, K.Quit)
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence(K.Undo))
        undo.setIcon(icons.icon("undo"))
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence(K.Redo), QKeySequence("Ctrl+Shift+Z")])
        redo.setIcon(icons.icon("redo"))
        self.actions_["undo"], self.actions_["redo"] = undo, redo
        self.addAction(undo)
        self.addAction(redo)
        a("cut", "Cu&t", self.cut, K.Cut, "cut", "Cut the selected layers")
        a("copy", "&Copy", self.copy, K.Copy, "copy", "Copy the selected layers")
        a("paste", "&Paste", self.paste, K.Paste, "paste", "Paste layers")
        a("duplicate", "D&uplicate", self.duplicate, "Ctrl+D", "duplicate", "Duplicate the selection")
        a("delete", "&Delete", self.delete_selection, [QKeySequence(K.Delete), QKeySequence("Backspace")],
          "delete", "Delete the selected layers and wires")
        a("select_all", "Select &All", self.select_all, K.SelectAll)
        a("frame", "&Frame All", self.view.frame_all, "F", "frame", "Fit the whole graph in view (F)")
        a("layout", "Auto-&Layout", self.auto_layout, "Ctrl+L", "layout", "Arrange layers left to right")
        a("zoom_in", "Zoom &In", self.view.zoom_in, [QKeySequence(K.ZoomIn), QKeySequence("Ctrl+=")],
          "zoom-in", "Zoom in")
        a("zoom_out", "Zoom &Out", self.view.zoom_out, K.ZoomOut, "zoom-out", "Zoom out")
        a("zoom_reset", "&Reset Zoom", self.view.zoom_reset, "Ctrl+0", "zoom-reset", "Actual size")
        a("quick_add", "&Add Layer…", self.open_quick_add_at_cursor, None, None, "Search and add a layer (Tab)")
        self.actions_["frame"].setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.view.addAction(self.actions_["frame"])
        self.removeAction(self.actions_["frame"])

    def _build_menus(self) -> None:
        act = self.actions_
        bar = self.menuBar()
        file_menu = self.file_menu = bar.addMenu("&File")
        for key in ("new", "open"):
            file_menu.addAction(act[key])
        self.recent_menu = QMenu("Open &Recent", self)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        for key in ("save", "save_as"):
            file_menu.addAction(act[key])
        file_menu.addSeparator()
        file_menu.addAction(act["quit"])
        edit = bar.addMenu("&Edit")
        for key in ("undo", "redo", None, "cut", "copy", "paste", "duplicate", "delete", None,
                    "select_all", None, "quick_add"):
            edit.addSeparator() if key is None else edit.addAction(act[key])
        view = bar.addMenu("&View")
        for key in ("frame", "layout", None, "zoom_in", "zoom_out", "zoom_reset"):
            view.addSeparator() if key is None else view.addAction(act[key])
        view.addSeparator()
        self.panels_menu = view.addMenu("&Panels")
        for dock in (self.layers_dock, self.inspector_dock, self.issues_dock):
            self.panels_menu.addAction(dock.toggleViewAction())
        self.toolbar = QToolBar("Main", self)
        self.toolbar.setObjectName("toolbar_main")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for key in ("new", "open", "save", None, "undo", "redo", None, "cut", "copy", "paste", "delete",
                    None, "layout", "frame", "zoom_in", "zoom_out", "zoom_reset"):
            self.toolbar.addSeparator() if key is None else self.toolbar.addAction(act[key])
        self.addToolBar(self.toolbar)
        self._update_recent_menu()

    def add_file_action(self, key: str, text: str, slot: Any, *, after: QAction | None,
                        shortcut: Any = None, tip: str = "") -> QAction:
        """A feature's action (see :meth:`add_action`) in the File menu right after ``after``
        (at the end if None or absent)."""
        action = self.add_action(key, text, slot, shortcut, tip=tip)
        actions = self.file_menu.actions()
        index = actions.index(after) + 1 if after in actions else len(actions)
        if index < len(actions):
            self.file_menu.insertAction(actions[index], action)
        else:
            self.file_menu.addAction(action)
        return action

    def _connect(self) -> None:
        doc = self.document
        doc.modified_changed.connect(self._update_title)
        doc.path_changed.connect(self._update_title)
        doc.message.connect(self.show_message)
        doc.inference_changed.connect(self._update_counts)
        doc.graph_event.connect(self._update_counts)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.quick_add_requested.connect(self._wire_dropped)
        self.view.quick_add_requested.connect(self.open_quick_add)
        self.quick_add.chosen.connect(self._quick_chosen)
        self.layers.activated.connect(self.add_at_center)
        self.issues.node_activated.connect(self.focus_node)
        doc.undo_stack.indexChanged.connect(self._update_edit_actions)
        self._update_edit_actions()

    # -- status -------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """Show ``text`` as the last message in the status bar."""
        self.message_label.setText(text)
        self.message_label.setToolTip(text)

    def last_message(self) -> str:
        return self.message_label.text()

    def _update_counts(self, *_args: Any) -> None:
        graph = self.document.graph
        total = self.document.inference.total_params
        errors = len(self.document.inference.errors)
        self.counts_label.setText(f"{len(graph)} nodes · {len(graph.edges)} wires · "
                                  f"{count_text(total)} params ({total:,})"
                                  + (f" · {errors} issue{'s' * (errors != 1)}" if errors else ""))

    def _update_title(self, *_args: Any) -> None:
        self.setWindowTitle(f"{self.document.title}[*] — Torchwire")
        self.setWindowModified(self.document.modified)

    def _update_edit_actions(self, *_args: Any) -> None:
        editable = not self.read_only
        for key in ("cut", "paste", "duplicate", "delete", "layout", "quick_add", *REPLACING_ACTIONS):
            if key in self.actions_:  # features add some (gallery, import)
                self.actions_[key].setEnabled(editable)
        self.recent_menu.setEnabled(editable and not self.recent_menu.isEmpty())
        if self.read_only:
            self.actions_["undo"].setEnabled(False)
            self.actions_["redo"].setEnabled(False)
        else:
            self.actions_["undo"].setEnabled(self.document.undo_stack.canUndo())
            self.actions_["redo"].setEnabled(self.document.undo_stack.canRedo())

    def _selection_changed(self) -> None:
        if not shiboken6.isValid(self.scene):
            return  # the scene is being destroyed
        ids = self.scene.selected_node_ids()
        self.inspector.set_node(ids[0] if len(ids) == 1 else None)

    # -- files ----------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask Save/Discard/Cancel when there are unsaved changes. True means go ahead."""
        if not self.document.modified:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.document.title} before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> bool:
        if not self.maybe_save():
            return False
        self.document.set_project(Project())
        self._restore_canvas()
        self.show_message("New project")
        return True

    def open_dialog(self) -> bool:
        start = str(self.document.path.parent) if self.document.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start, FILE_FILTER)
        return bool(path) and self.open_file(path)

    def open_file(self, path: str | Path, ask: bool = True) -> bool:
        """Open a project; a broken file shows the located reason and changes nothing."""
        if self.read_only:  # e.g. a training run holds the project
            self.show_message(f"Cannot open {Path(path).name} now: {self.read_only_reason}")
            return False
        if ask and not self.maybe_save():
            return False
        try:
            project = load_project(path)
        except ProjectError as err:
            QMessageBox.critical(self, "Cannot open project", str(err))
            self.show_message(f"Could not open {Path(path).name}")
            return False
        self.document.set_project(project)
        self._restore_canvas()
        self._add_recent(project.path or Path(path))
        self.show_message(f"Opened {Path(path).name}")
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(None)

    def save_as(self, path: str | Path | None = None) -> bool:
        if path is None:
            start = str(self.document.path or Path.home() / "untitled.json")
            path, _ = QFileDialog.getSaveFileName(self, "Save project as", start, FILE_FILTER)
            if not path:
                return False
        return self._save_to(Path(path))

    def _save_to(self, path: Path | None) -> bool:
        center = self.view.center()
        self.document.project.canvas = {"zoom": self.view.zoom, "center": [center.x(), center.y()]}
        try:
            saved = self.document.save(path)
        except ProjectError as err:
            QMessageBox.critical(self, "Cannot save project", str(err))
            return False
        self._add_recent(saved)
        self.show_message(f"Saved {saved.name}")
        return True

    def _restore_canvas(self) -> None:
        canvas = self.document.project.canvas
        if len(self.document.graph) and canvas.get("center") == [0.0, 0.0] and canvas.get("zoom") == 1.0:
            self.view.frame_all()
            return
        self.view.set_zoom(float(canvas.get("zoom", 1.0)))
        x, y = canvas.get("center", (0.0, 0.0))
        self.view.centerOn(float(x), float(y))

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: Path) -> None:
        files = [str(path)] + [f for f in self.recent_files() if f != str(path)]
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for i, f in enumerate(files):
            action = self.recent_menu.addAction(f"&{i + 1} {Path(f).name}")
            action.setToolTip(f)
            action.setStatusTip(f)
            action.triggered.connect(lambda _c=False, f=f: self.open_file(f))
        self.recent_menu.setEnabled(bool(files) and not self.read_only)

    def offer_recovery(self) -> bool:
        """If a crashed session left an autosave, offer to restore it. True if restored."""
        orphans = autosave.find_orphans(self.autosave_dir)
        if not orphans:
            return False
        newest = orphans[0]
        answer = QMessageBox.question(
            self, "Restore unsaved work?",
            "Torchwire did not exit cleanly last time. Restore the unsaved project it autosaved?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        restored = False
        if answer == QMessageBox.StandardButton.Yes:
            try:
                project = autosave.load_autosave(newest)
            except (ProjectError, OSError, ValueError, KeyError) as err:
                QMessageBox.warning(self, "Cannot restore", f"The autosave is damaged: {err}")
            else:
                self.document.set_project(project, modified=True)
                self._restore_canvas()
                self.autosaver.save_now()
                self.show_message("Restored unsaved work from the autosave")
                restored = True
        for path in orphans:
            path.unlink(missing_ok=True)
        return restored

    def closeEvent(self, event: QCloseEvent) -> None:
        if not all(guard() for guard in self.close_guards) or not self.maybe_save():
            event.ignore()
            return
        self.settings.setValue("window/state", self.saveState())
        self.autosaver.stop()
        self.document.dispose()
        event.accept()

    # -- editing --------------------------------------------------------------------
    def add_at_center(self, kind: str) -> str | None:
        if self.read_only:
            return None
        c = self.view.center()
        node_id = self.document.add_node(kind, (snap(c.x() - 90), snap(c.y() - 40)))
        if node_id:
            self.scene.select_nodes([node_id])
        return node_id

    def open_quick_add_at_cursor(self) -> None:
        self.view.focusNextPrevChild(True)

    def open_quick_add(self, scene_pos: QPointF, global_pos: QPoint, connect_from: Any = None,
                       kinds: list[str] | None = None) -> None:
        if self.read_only:
            return
        self._quick_target = (scene_pos, connect_from)
        self.quick_add.open_at(global_pos, kinds)

    def _wire_dropped(self, scene_pos: QPointF, _screen: Any, wire: tuple[str, str, bool]) -> None:
        node_id, port, is_output = wire
        node = self.document.graph.node(node_id)
        spec = node.spec
        ports = spec.output_ports(node.params) if is_output else spec.input_ports(node.params)
        port_kind = next((p.kind for p in ports if p.name == port), "tensor")
        kinds = kinds_accepting(port_kind, as_input=is_output)
        global_pos = self.view.viewport().mapToGlobal(self.view.mapFromScene(scene_pos))
        self.open_quick_add(scene_pos, global_pos, wire, kinds)

    def _quick_chosen(self, kind: str) -> None:
        if self._quick_target is None:
            return
        scene_pos, connect_from = self._quick_target
        self._quick_target = None
        x, y = scene_pos.x(), scene_pos.y() - 30
        if connect_from is not None and not connect_from[2]:
            x -= 190  # the new node feeds an input: place it to the left
        node_id = self.document.add_node(kind, (snap(x), snap(y)), connect_from)
        if node_id:
            self.scene.select_nodes([node_id])
            self.view.setFocus()

    def select_all(self) -> None:
        self.scene.select_nodes([n.id for n in self.document.graph.nodes])

    def focus_node(self, name: str) -> None:
        """Select and frame the node called ``name`` (from the issues list)."""
        try:
            node = self.document.graph.by_name(name)
        except Exception:  # noqa: BLE001 - a stale issue for a node just removed
            return
        self.scene.select_nodes([node.id])
        self.view.frame_nodes([node.id])

    def delete_selection(self) -> None:
        if self.read_only:
            return
        self.document.delete(self.scene.selected_node_ids(), self.scene.selected_edges())

    def copy(self) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            return False
        clip = copy_nodes(self.document.graph, ids)
        mime = QMimeData()
        text = json.dumps(clip)
        mime.setData(CLIP_MIME, text.encode())
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        self.show_message(f"Copied {len(ids)} layer{'s' * (len(ids) != 1)}")
        return True

    def cut(self) -> None:
        if self.read_only:
            return
        if self.copy():
            self.document.delete(self.scene.selected_node_ids(), [])

    def paste(self) -> None:
        if self.read_only:
            return
        mime = QGuiApplication.clipboard().mimeData()
        raw = bytes(mime.data(CLIP_MIME).data()).decode() if mime and mime.hasFormat(CLIP_MIME) else (
            mime.text() if mime else "")
        try:
            clip = json.loads(raw)
        except ValueError:
            clip = None
        self._paste_clip(clip, "Paste")

    def duplicate(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids and not self.read_only:
            self._paste_clip(copy_nodes(self.document.graph, ids), "Duplicate")

    def _paste_clip(self, clip: Any, text: str) -> None:
        if not isinstance(clip, dict) or clip.get("format") != CLIP_FORMAT:
            self.show_message("The clipboard does not hold Torchwire layers")
            return
        try:
            ids = self.document.paste(clip, (40.0, 40.0), text)
        except ClipError as err:
            self.show_message(str(err))
            return
        self.scene.select_nodes(ids)

    def auto_layout(self) -> None:
        if not self.read_only:
            self.document.auto_layout(self.scene.node_size)
            self.view.frame_all()

    def set_read_only(self, read_only: bool, reason: str = "Read-only") -> None:
        """Lock or unlock editing (e.g. while training); the canvas shows a banner."""
        self.read_only = read_only
        self.read_only_reason = reason if read_only else ""
        self.view.set_read_only(read_only, reason)
        self.inspector.set_read_only(read_only)
        self.layers.setEnabled(not read_only)
        self.mode_label.setText(f"🔒 {reason}" if read_only else "")
        self._update_edit_actions()


def application() -> QApplication:
    """The running QApplication (created if needed), set up as the app sets itself up."""
    from .torch_threads import reserve_for_training

    reserve_for_training()
    app = QApplication.instance()
    if app is None:
        app = QApplication([])
    assert isinstance(app, QApplication)
    from .gc_guard import install_gc_guard

    install_gc_guard(app)
    return app
