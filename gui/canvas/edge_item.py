"""A wire between two ports, labelled with the tensor shape that flows through it.

The item keeps the engine :class:`Edge` (an immutable value) and reads the
label from the document's latest inference, so it is never stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from engine.graph import Edge

from .. import theme
from .node_item import LOD_TEXT

if TYPE_CHECKING:
    from .scene import GraphScene


def wire_path(a: QPointF, b: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic from output ``a`` to input ``b``."""
    span = b.x() - a.x()
    # Forward wires bend gently; a wire running backwards gets short tangents so it
    # loops just past its ends instead of swinging far outside the graph.
    dx = max(span * 0.5, 40.0) if span >= 0 else 60.0
    path = QPainterPath(a)
    path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
    return path


class EdgeLabel(QGraphicsItem):
    """The shape label of a wire, stacked above nodes so it stays readable where the
    gap between two nodes is narrower than the text. Clicks pass through it."""

    def __init__(self, edge_item: EdgeItem) -> None:
        super().__init__()
        self._edge_item = edge_item
        self.setZValue(2)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)

    def boundingRect(self) -> QRectF:
        return self._edge_item._label_rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        self._edge_item.paint_label(painter, option)


class EdgeItem(QGraphicsPathItem):
    """The item's path is the hit area (stroked wire + label box); the wire is painted
    from ``_center``. Overriding ``shape()`` is avoided on purpose (PySide6 crash)."""

    def __init__(self, scene: GraphScene, edge: Edge) -> None:
        super().__init__()
        self._gscene = scene
        self.edge = edge
        self._center = QPainterPath()
        self._label = ""
        self._label_rect = QRectF()
        self._font = QFont()
        self._font.setPointSizeF(max(self._font.pointSizeF(), 8.0) * 0.85)
        self.setFlag(QGraphicsPathItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.label_item = EdgeLabel(self)
        self.refresh()

    def label_text(self) -> str:
        info = self._gscene.document.inference.nodes.get(self.edge.src)
        if info is None or self.edge.src_port not in info.outputs:
            return "?"
        return info.shape_text(self.edge.src_port)

    def refresh(self) -> None:
        """Recompute the geometry from the node positions and the label from inference."""
        src = self._gscene.node_items.get(self.edge.src)
        dst = self._gscene.node_items.get(self.edge.dst)
        if src is None or dst is None:
            return
        a = src.port_pos(self.edge.src_port, True)
        b = dst.port_pos(self.edge.dst_port, False)
        self._center = wire_path(a, b)
        self._label = self.label_text()
        fm = QFontMetricsF(self._font)
        w, h = fm.horizontalAdvance(self._label) + 10, fm.height() + 2
        mid = self._center.pointAtPercent(0.5)
        self.label_item.prepareGeometryChange()
        self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)
        self.label_item.update()
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        hit = stroker.createStroke(self._center)
        hit.addRect(self._label_rect)
        self.setPath(hit)
        self.update()

    @property
    def label(self) -> str:
        return self._label

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        far = option.levelOfDetailFromTransform(painter.worldTransform()) < LOD_TEXT
        if not far:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        loss = self._gscene.graph.node(self.edge.src).spec.role == "loss"
        color = theme.loss_wire() if loss else theme.wire()
        width = 2.0
        if self.isSelected():
            color, width = theme.highlight(), 3.0
        painter.setPen(QPen(color, width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._center)

    def paint_label(self, painter: QPainter, option: QStyleOptionGraphicsItem) -> None:
        if not self._label or option.levelOfDetailFromTransform(painter.worldTransform()) < LOD_TEXT:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        loss = self._gscene.graph.node(self.edge.src).spec.role == "loss"
        color = theme.highlight() if self.isSelected() else theme.loss_wire() if loss else theme.wire()
        bg = QColor(theme.node_body())
        painter.setPen(QPen(color, 1))
        painter.setBrush(QBrush(bg))
        painter.drawRoundedRect(self._label_rect, 4, 4)
        painter.setFont(self._font)
        painter.setPen(theme.text() if self._label != "?" else theme.dim_text())
        painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self._label)
