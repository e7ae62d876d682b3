"""File > New from Template: a gallery of the example projects.

Each entry shows a thumbnail of its graph (drawn small with QPainter from the node
positions), its description, dataset and parameter count. Opening one loads an
untitled copy (``engine.examples.open_example``), so the example file itself is
never overwritten. The only entry point for the main window is :func:`install`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine.errors import ProjectError
from engine.examples import DEFAULT_EXAMPLE, Example, list_examples, open_example
from engine.graph import Graph
from engine.project import load_project

from . import theme

if TYPE_CHECKING:
    from .main_window import MainWindow

THUMB = QSize(260, 150)
_NODE_W, _NODE_H = 190.0, 70.0  # a node's footprint in scene units (header and a few rows)


def render_thumbnail(graph: Graph, size: QSize = THUMB) -> QPixmap:
    """The graph drawn small: one rounded box per node in its family colour, wires as curves."""
    pixmap = QPixmap(size)
    pixmap.fill(theme.canvas_background())
    if not len(graph):
        return pixmap
    xs = [n.pos[0] for n in graph.nodes]
    ys = [n.pos[1] for n in graph.nodes]
    bounds = QRectF(min(xs), min(ys), max(xs) - min(xs) + _NODE_W, max(ys) - min(ys) + _NODE_H)
    margin = 8.0
    scale = min((size.width() - 2 * margin) / bounds.width(), (size.height() - 2 * margin) / bounds.height())
    offset = QPointF((size.width() - bounds.width() * scale) / 2, (size.height() - bounds.height() * scale) / 2)

    def at(x: float, y: float) -> QPointF:
        return QPointF((x - bounds.left()) * scale, (y - bounds.top()) * scale) + offset

    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    wire = QPen(theme.wire(), max(1.0, 3.0 * scale))
    loss_wire = QPen(theme.loss_wire(), max(1.0, 3.0 * scale))
    for edge in graph.edges:
        src, dst = graph.node(edge.src), graph.node(edge.dst)
        a = at(src.pos[0] + _NODE_W, src.pos[1] + _NODE_H / 2)
        b = at(dst.pos[0], dst.pos[1] + _NODE_H / 2)
        bend = max(abs(b.x() - a.x()) / 2, 60.0 * scale)
        path = QPainterPath(a)
        path.cubicTo(a + QPointF(bend, 0), b - QPointF(bend, 0), b)
        painter.setPen(loss_wire if dst.spec.role == "loss" else wire)
        painter.drawPath(path)
    outline = QPen(theme.dim_text(), 1.0)
    radius = max(1.5, 8.0 * scale)
    for node in graph.nodes:
        rect = QRectF(at(*node.pos), QSize(int(_NODE_W * scale), int(_NODE_H * scale)).toSizeF())
        painter.setPen(outline)
        painter.setBrush(theme.node_body())
        painter.drawRoundedRect(rect, radius, radius)
        header = QRectF(rect.left(), rect.top(), rect.width(), rect.height() * 0.4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.family_color(node.spec.family))
        painter.drawRoundedRect(header, radius, radius)
    painter.end()
    return pixmap


def _detail_html(ex: Example) -> str:
    recipe = "adversarial (GAN)" if ex.recipe == "gan" else ex.recipe
    return (f"<h3>{ex.title}</h3><p>{ex.description}</p>"
            f"<p><b>Dataset:</b> {ex.dataset}<br><b>Parameters:</b> {ex.parameters:,}<br>"
            f"<b>Training:</b> {recipe}</p>")


class GalleryDialog(QDialog):
    """Pick an example; :attr:`chosen` carries the :class:`Example` when Open is pressed."""

    chosen = Signal(object)

    def __init__(self, examples: list[Example] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New from Template")
        self.examples = examples if examples is not None else list_examples()
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(THUMB)
        self.list.setGridSize(QSize(THUMB.width() + 20, THUMB.height() + 44))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(True)
        self.thumbnails: dict[str, QPixmap] = {}
        for ex in self.examples:
            pixmap = self._thumbnail(ex)
            self.thumbnails[ex.stem] = pixmap
            item = QListWidgetItem(QIcon(pixmap), f"{ex.title}\n{ex.parameters:,} parameters")
            item.setData(Qt.ItemDataRole.UserRole, ex.stem)
            item.setToolTip(ex.description)
            self.list.addItem(item)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview = QLabel()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.preview)
        side_layout.addWidget(self.details, 1)
        scroll.setWidget(side)
        scroll.setMinimumWidth(320)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.list, 3)
        row.addWidget(scroll, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self.list.currentItemChanged.connect(self._show_current)
        self.list.itemActivated.connect(lambda _item: self.accept())
        self.resize(1040, 640)
        self.select(DEFAULT_EXAMPLE)

    def _thumbnail(self, ex: Example) -> QPixmap:
        try:
            return render_thumbnail(load_project(ex.path).graph)
        except ProjectError:
            pixmap = QPixmap(THUMB)
            pixmap.fill(QColor(theme.error()))
            return pixmap

    def select(self, stem: str) -> bool:
        """Make the example ``stem`` current; False when there is no such example."""
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == stem:
                self.list.setCurrentRow(i)
                return True
        return False

    def current(self) -> Example | None:
        item = self.list.currentItem()
        if item is None:
            return None
        stem = item.data(Qt.ItemDataRole.UserRole)
        return next((ex for ex in self.examples if ex.stem == stem), None)

    def _show_current(self, *_args: object) -> None:
        ex = self.current()
        self.buttons.button(QDialogButtonBox.StandardButton.Open).setEnabled(ex is not None)
        self.details.setText(_detail_html(ex) if ex else "")
        self.preview.setPixmap(self.thumbnails.get(ex.stem, QPixmap()) if ex else QPixmap())

    def accept(self) -> None:
        ex = self.current()
        if ex is None:
            return
        super().accept()
        self.chosen.emit(ex)


def open_template(window: MainWindow, example: str | Example) -> bool:
    """Replace the window's project by an untitled copy of ``example`` (asks to save first)."""
    if window.read_only or not window.maybe_save():
        return False
    try:
        project = open_example(example)
    except (KeyError, ProjectError) as err:
        window.show_message(f"Cannot open the template: {err}")
        return False
    window.document.set_project(project)
    window.view.frame(graph_rect(window))
    window.show_message(f"New project from the “{project.name}” template — Save As to keep it")
    return True


def graph_rect(window: MainWindow) -> QRectF:
    """Scene rectangle of every node and the curve of every wire (a wrapped chain's return
    wire bulges past the nodes)."""
    scene = window.scene
    rect = scene.nodes_rect()
    for item in scene.edge_items.values():
        rect = rect.united(item.mapToScene(item.path().boundingRect()).boundingRect())
    return rect


def show_gallery(window: MainWindow) -> GalleryDialog:
    """Open the gallery over ``window`` (window-modal, non-blocking) and return it."""
    dialog = GalleryDialog(parent=window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.chosen.connect(lambda ex: open_template(window, ex))
    dialog.open()
    return dialog


def install(window: MainWindow) -> QAction:
    """Add File > New from Template… (after New) to an existing main window."""
    return window.add_file_action("new_from_template", "New from &Template…", lambda: show_gallery(window),
                                  after=window.actions_.get("new"), shortcut="Ctrl+Shift+N",
                                  tip="Start from one of the example projects")


__all__ = ["GalleryDialog", "graph_rect", "install", "open_template", "render_thumbnail", "show_gallery"]
