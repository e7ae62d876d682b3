"""A node on the canvas. It draws the engine Node it names and stores no copy of it:
name, kind, params and position are read from the graph, shapes and issues from
the document's latest inference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from engine.catalog import AUTO
from engine.graph import Node

from .. import theme

if TYPE_CHECKING:
    from .scene import GraphScene

WIDTH = 190.0
HEADER = 40.0
ROW = 20.0
PARAM_ROW = 16.0
FOOTER = 20.0
PORT_R = 5.5
MAX_KEY_PARAMS = 3
LOD_TEXT = 0.3  # below this zoom nodes are drawn without text


def count_text(n: int) -> str:
    """12345 -> '12.3k'."""
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:.1f}{unit}"
    return str(n)


def value_text(value: Any) -> str:
    if isinstance(value, tuple):
        return "×".join(map(str, value)) if value else "()"
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "none"
    return str(value)


def key_params(node: Node) -> list[str]:
    """Up to three ``name value`` lines: the params a reader of the canvas cares about."""
    out: list[str] = []
    spec = node.spec
    for p in spec.params:
        value = node.params.get(p.name)
        if value == AUTO or p.type == "bool" or p.name in ("weight",):
            continue
        if p.type == "str" and p.name != "field":
            continue
        if value == p.default and len(out) >= 1 and p.name not in ("kernel_size", "out_channels",
                                                                      "out_features", "shape"):
            continue
        out.append(f"{p.name} {value_text(value)}")
        if len(out) == MAX_KEY_PARAMS:
            break
    return out


class NodeItem(QGraphicsItem):
    """Graphics of one node; ``node_id`` is the only state it keeps."""

    def __init__(self, scene: GraphScene, node_id: str) -> None:
        super().__init__()
        self._gscene = scene
        self.node_id = node_id
        self._rect = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)
        self.refresh()

    # -- model access ---------------------------------------------------------
    @property
    def node(self) -> Node:
        return self._gscene.graph.node(self.node_id)

    def inputs(self) -> list[str]:
        return self.node.input_ports()

    def outputs(self) -> list[str]:
        return self.node.output_ports()

    # -- geometry ---------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the node: position, size (ports and params may have changed), tooltip."""
        node = self.node
        rows = max(len(node.input_ports()), len(node.output_ports()), 1)
        height = HEADER + rows * ROW + 4 + len(key_params(node)) * PARAM_ROW + FOOTER
        rect = QRectF(0, 0, WIDTH, height)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.setPos(QPointF(*node.pos))
        self.refresh_issues()
        self.update()

    def refresh_issues(self) -> None:
        issues = self._gscene.document.inference.issues_for(self.node.name)
        spec = self.node.spec
        tip = f"<b>{self.node.name}</b> — {self.node.kind}<br>{spec.help}"
        if issues:
            tip += "<br>" + "<br>".join(f"<span style='color:{theme.error().name()}'>⚠ {i.message}</span>"
                                        for i in issues)
        self.setToolTip(tip)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-PORT_R - 3, -3, PORT_R + 3, 3)

    def size(self) -> tuple[float, float]:
        return self._rect.width(), self._rect.height()

    def port_pos(self, port: str, output: bool) -> QPointF:
        """Scene position of a port's centre."""
        ports = self.outputs() if output else self.inputs()
        i = ports.index(port) if port in ports else 0
        return self.pos() + QPointF(WIDTH if output else 0.0, HEADER + ROW * i + ROW / 2)

    def port_at(self, scene_pos: QPointF) -> tuple[str, bool] | None:
        """``(port, is_output)`` whose hot zone (around its dot) contains ``scene_pos``."""
        local = scene_pos - self.pos()
        for output, ports in ((False, self.inputs()), (True, self.outputs())):
            x = WIDTH if output else 0.0
            for i, port in enumerate(ports):
                y = HEADER + ROW * i + ROW / 2
                if abs(local.x() - x) <= 11 and abs(local.y() - y) <= ROW / 2:
                    return port, output
        return None

    # -- painting -------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        node = self.node
        scene = self._gscene
        info = scene.document.inference.nodes.get(self.node_id)
        has_issue = bool(scene.document.inference.issues_for(node.name))
        rect = self._rect
        body = theme.node_body()
        header_color = theme.family_color(node.spec.family)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < LOD_TEXT:
            # Zoomed far out: text would be unreadable, draw a coloured block instead.
            painter.setPen(QPen(theme.error(), 6) if has_issue else
                           QPen(theme.highlight(), 4) if self.isSelected() else Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(body))
            painter.drawRect(rect)
            painter.fillRect(QRectF(0, 0, rect.width(), HEADER), header_color)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # body
        outline = QPen(theme.dim_text(), 1.0)
        if has_issue:
            outline = QPen(theme.error(), 2.5)
        if self.isSelected():
            outline = QPen(theme.highlight(), 2.5 if not has_issue else 3.0)
            if has_issue:
                outline.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(body))
        painter.drawRoundedRect(rect, 6, 6)
        head = QPainterPath()
        head.addRoundedRect(rect, 6, 6)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, rect.width(), HEADER))
        painter.setBrush(QBrush(header_color))
        painter.drawPath(head.intersected(clip))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(outline)
        painter.drawRoundedRect(rect, 6, 6)
        # header text
        font = QFont(painter.font())
        base_size = font.pointSizeF() if font.pointSizeF() > 0 else 9.0
        bold = QFont(font)
        bold.setBold(True)
        bold.setPointSizeF(base_size)
        small = QFont(font)
        small.setPointSizeF(base_size * 0.85)
        text_color = theme.text()
        painter.setFont(bold)
        painter.setPen(text_color)
        fm = QFontMetricsF(bold)
        painter.drawText(QRectF(10, 4, WIDTH - 20, 18), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(node.name, Qt.TextElideMode.ElideRight, WIDTH - 20))
        painter.setFont(small)
        dim = QColor(text_color)
        dim.setAlphaF(0.7)
        painter.setPen(dim)
        painter.drawText(QRectF(10, 21, WIDTH - 20, 15), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         node.kind)
        # ports
        targets = scene.wire_targets
        fm_small = QFontMetricsF(small)
        for output, ports in ((False, node.input_ports()), (True, node.output_ports())):
            x = WIDTH if output else 0.0
            for i, port in enumerate(ports):
                y = HEADER + ROW * i + ROW / 2
                fill = theme.loss_wire() if self._port_kind(port, output) == "loss" else header_color.darker(130)
                ring = QPen(theme.text(), 1.0)
                if targets is not None:
                    if (self.node_id, port, output) in targets:
                        fill, ring = theme.ok_port(), QPen(theme.ok_port().darker(130), 2.0)
                    else:
                        fill = QColor(fill)
                        fill.setAlphaF(0.25)
                painter.setPen(ring)
                painter.setBrush(QBrush(fill))
                painter.drawEllipse(QPointF(x, y), PORT_R, PORT_R)
                painter.setPen(text_color)
                label_rect = QRectF(10, y - ROW / 2, WIDTH - 20, ROW)
                align = (Qt.AlignmentFlag.AlignRight if output else Qt.AlignmentFlag.AlignLeft)
                # Shapes are on the wires; a lone "out"/"x" port needs no label.
                label = port if len(ports) > 1 or port not in ("out", "x") else ""
                painter.drawText(label_rect, align | Qt.AlignmentFlag.AlignVCenter,
                                 fm_small.elidedText(label, Qt.TextElideMode.ElideMiddle, WIDTH / 2 + 20))
        # key params
        painter.setPen(dim)
        y = HEADER + max(len(node.input_ports()), len(node.output_ports()), 1) * ROW + 4
        for line in key_params(node):
            painter.drawText(QRectF(10, y, WIDTH - 20, PARAM_ROW),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             fm_small.elidedText(line, Qt.TextElideMode.ElideRight, WIDTH - 20))
            y += PARAM_ROW
        # footer: parameter count or the first issue
        painter.setPen(QPen(QColor(dim.red(), dim.green(), dim.blue(), 40), 1))
        painter.drawLine(QPointF(6, rect.height() - FOOTER), QPointF(WIDTH - 6, rect.height() - FOOTER))
        foot = QRectF(10, rect.height() - FOOTER, WIDTH - 20, FOOTER)
        if has_issue:
            painter.setPen(theme.error())
            painter.drawText(foot, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "⚠ see issues")
        elif info is not None and info.ok:
            painter.setPen(dim)
            text = f"{count_text(info.params)} params" if info.params else "no params"
            painter.drawText(foot, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)

    def _port_kind(self, port: str, output: bool) -> str:
        spec = self.node.spec
        ports = spec.output_ports(self.node.params) if output else spec.input_ports(self.node.params)
        for p in ports:
            if p.name == port:
                return p.kind
        return "tensor"

    # -- interaction (forwarded to the scene, which edits through the document) ----------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            hit = self.port_at(event.scenePos())
            if hit is not None and not self._gscene.read_only:
                self._gscene.begin_wire(self.node_id, hit[0], hit[1], event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and not self._gscene.read_only:
            self._gscene.begin_node_drag(event.scenePos())

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self._gscene
        if scene.wiring:
            scene.update_wire(event.scenePos())
        else:
            scene.drag_nodes(event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self._gscene
        if scene.wiring:
            scene.end_wire(event.scenePos(), event.screenPos())
            return
        scene.end_node_drag()
        super().mouseReleaseEvent(event)
