"""The canvas view: zoom about the cursor, pan (middle-drag or space+drag), grid,
palette drops, Tab / double-click quick-add, and the read-only banner."""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from .. import theme
from .node_item import NodeItem
from .scene import GraphScene, snap

KIND_MIME = "application/x-torchwire-kind"
MIN_ZOOM, MAX_ZOOM = 0.02, 4.0


class GraphView(QGraphicsView):
    """Signals:
        quick_add_requested(QPointF scene_pos, QPoint global_pos): Tab or double-click on empty canvas.
    """

    quick_add_requested = Signal(QPointF, QPoint)

    def __init__(self, scene: GraphScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.gscene = scene
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self._pan_from: QPoint | None = None
        self._space = False
        self.read_only = False
        self.banner = "Read-only"
        self.centerOn(0, 0)

    # -- zoom and framing -------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float) -> None:
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        factor = zoom / self.zoom
        self.scale(factor, factor)

    def zoom_by(self, factor: float, anchor_under_mouse: bool = False) -> None:
        old = self.transformationAnchor()
        if not anchor_under_mouse:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.set_zoom(self.zoom * factor)
        self.setTransformationAnchor(old)

    def zoom_in(self) -> None:
        self.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.zoom_by(0.8)

    def zoom_reset(self) -> None:
        self.zoom_by(1.0 / self.zoom)

    def frame(self, rect: QRectF, max_zoom: float = 1.25) -> None:
        """Fit ``rect`` in the view (never zooming in past ``max_zoom``)."""
        if rect.isNull() or rect.isEmpty():
            self.centerOn(0, 0)
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > max_zoom:
            self.set_zoom(max_zoom)
        elif self.zoom < MIN_ZOOM:
            self.set_zoom(MIN_ZOOM)
        self.centerOn(rect.center())

    def frame_all(self) -> None:
        self.frame(self.gscene.nodes_rect())

    def frame_nodes(self, node_ids: list[str]) -> None:
        self.frame(self.gscene.nodes_rect(node_ids), max_zoom=1.0)

    def center(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta == 0:
            return
        self.zoom_by(math.pow(1.0015, delta), anchor_under_mouse=True)

    # -- pan ------------------------------------------------------------------
    def _start_pan(self, pos: QPoint) -> None:
        self._pan_from = pos
        self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                self._space and event.button() == Qt.MouseButton.LeftButton):
            self._start_pan(event.position().toPoint())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            pos = event.position().toPoint()
            self.pan_by(pos - self._pan_from)
            self._pan_from = pos
            event.accept()
            return
        super().mouseMoveEvent(event)

    def pan_by(self, delta: QPoint | QPointF) -> None:
        """Move the content by ``delta`` view pixels."""
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() - round(delta.x()))
        v.setValue(v.value() - round(delta.y()))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        scene_pos = self.mapToScene(event.position().toPoint())
        if not any(isinstance(i, NodeItem) for i in self.gscene.items(scene_pos)) and not self.read_only:
            self.quick_add_requested.emit(scene_pos, event.globalPosition().toPoint())
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            return
        super().keyReleaseEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002 - Qt's name
        # Tab opens quick-add at the cursor instead of moving focus.
        if self.read_only:
            return super().focusNextPrevChild(next)
        global_pos = self.cursor().pos()
        local = self.viewport().mapFromGlobal(global_pos)
        if not self.viewport().rect().contains(local):
            local = self.viewport().rect().center()
            global_pos = self.viewport().mapToGlobal(local)
        self.quick_add_requested.emit(self.mapToScene(local), global_pos)
        return True

    # -- palette drops ---------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(KIND_MIME) and not self.read_only:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(KIND_MIME) and not self.read_only:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        if not event.mimeData().hasFormat(KIND_MIME) or self.read_only:
            event.ignore()
            return
        kind = bytes(event.mimeData().data(KIND_MIME).data()).decode()
        pos = self.mapToScene(event.position().toPoint())
        self.gscene.document.add_node(kind, (snap(pos.x()), snap(pos.y())))
        self.gscene.select_nodes([self.gscene.document.graph.nodes[-1].id])
        event.acceptProposedAction()

    # -- drawing ---------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, theme.canvas_background())
        grid = theme.GRID * (5 if self.zoom < 0.5 else 1)
        if grid * self.zoom < 6:
            return
        # Opaque colour, cosmetic pen, no antialiasing: blended AA lines cost ~30 ms a frame.
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(theme.grid_line(), 0))
        left = math.floor(rect.left() / grid) * grid
        top = math.floor(rect.top() / grid) * grid
        lines = []
        x = left
        while x < rect.right():
            lines.append(QLineF(x, rect.top(), x, rect.bottom()))
            x += grid
        y = top
        while y < rect.bottom():
            lines.append(QLineF(rect.left(), y, rect.right(), y))
            y += grid
        painter.drawLines(lines)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if not self.read_only:
            return
        painter.save()
        painter.resetTransform()
        vp = self.viewport().rect()
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        band = QRectF(0, 0, vp.width(), 26)
        color = QColor(theme.highlight())
        color.setAlphaF(0.85)
        painter.fillRect(band, color)
        painter.setPen(self.palette().highlightedText().color())
        painter.drawText(band, Qt.AlignmentFlag.AlignCenter, f"🔒 {self.banner} — editing is disabled")
        pen = QPen(color, 4)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(vp).adjusted(2, 2, -2, -2))
        painter.restore()

    def set_read_only(self, read_only: bool, banner: str = "Read-only") -> None:
        self.read_only = read_only
        self.banner = banner
        self.gscene.set_read_only(read_only)
        self.viewport().update()
