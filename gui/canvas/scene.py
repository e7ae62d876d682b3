"""The scene mirrors the document's graph: it creates, updates and removes items in
response to graph events and never keeps node state of its own. Gestures (node
drags, wire drags) become document edits, i.e. undo commands."""

from __future__ import annotations

from collections import deque
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from engine.graph import Edge, Graph, GraphError, GraphEvent

from .. import theme
from ..document import Document
from .edge_item import EdgeItem, wire_path
from .node_item import NodeItem

SCENE_EXTENT = 100_000.0


def snap(value: float) -> float:
    return round(value / theme.GRID) * theme.GRID


class GraphScene(QGraphicsScene):
    """Signals:
        quick_add_requested(QPointF scene_pos, QPoint screen_pos, object connect_from):
            a wire was dropped on empty canvas; ``connect_from`` is ``(node_id, port, is_output)``.
    """

    quick_add_requested = Signal(QPointF, object, object)

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self.read_only = False
        # Items taken out of the scene stay referenced: Qt may still touch them
        # (mouse grabber, pending paint) after an undo removes them.
        self._graveyard: deque[Any] = deque(maxlen=4096)
        self.wire_targets: set[tuple[str, str, bool]] | None = None
        self._wire: tuple[str, str, bool] | None = None
        self._wire_item: QGraphicsPathItem | None = None
        self._drag_start: QPointF | None = None
        self._drag_origin: dict[str, tuple[float, float]] = {}
        self.setSceneRect(QRectF(-SCENE_EXTENT, -SCENE_EXTENT, 2 * SCENE_EXTENT, 2 * SCENE_EXTENT))
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        document.graph_event.connect(self._on_event)
        document.inference_changed.connect(self.refresh_inference)
        self.rebuild()

    @property
    def graph(self) -> Graph:
        return self.document.graph

    # -- model -> items -----------------------------------------------------------
    def rebuild(self) -> None:
        for edge_item in self.edge_items.values():
            self._discard(edge_item.label_item)
        for item in [*self.edge_items.values(), *self.node_items.values()]:
            self._discard(item)
        self.node_items.clear()
        self.edge_items.clear()
        for node in self.graph.nodes:
            self._add_node_item(node.id)
        for edge in self.graph.edges:
            self._add_edge_item(edge)

    def _discard(self, item: Any) -> None:
        if item.scene() is self:
            self.removeItem(item)
        self._graveyard.append(item)

    def _add_node_item(self, node_id: str) -> NodeItem:
        item = NodeItem(self, node_id)
        self.node_items[node_id] = item
        self.addItem(item)
        return item

    def _add_edge_item(self, edge: Edge) -> None:
        item = EdgeItem(self, edge)
        self.edge_items[edge] = item
        self.addItem(item)
        self.addItem(item.label_item)

    def _remove_edge_item(self, edge: Edge) -> None:
        item = self.edge_items.pop(edge, None)
        if item is not None:
            self._discard(item.label_item)
            self._discard(item)

    def _refresh_edges_of(self, node_id: str) -> None:
        for edge, item in self.edge_items.items():
            if node_id in (edge.src, edge.dst):
                item.refresh()

    def _on_event(self, event: GraphEvent) -> None:
        kind, data = event.type, event.data
        if kind == "graph_reset":
            self.rebuild()
        elif kind == "node_added":
            self._add_node_item(data["node"].id)
            for edge in data.get("edges", ()):
                self._add_edge_item(edge)
        elif kind == "node_removed":
            for edge in data.get("edges", ()):
                self._remove_edge_item(edge)
            item = self.node_items.pop(data["node"].id, None)
            if item is not None:
                self._discard(item)
        elif kind in ("node_renamed", "param_changed", "node_moved"):
            for edge in data.get("dropped", ()):
                self._remove_edge_item(edge)
            item = self.node_items.get(data["node"].id)
            if item is not None:
                item.refresh()
                self._refresh_edges_of(item.node_id)
        elif kind == "edge_added":
            self._add_edge_item(data["edge"])
        elif kind == "edge_removed":
            self._remove_edge_item(data["edge"])

    def refresh_inference(self) -> None:
        """New shapes and issues: update wire labels, outlines and tooltips."""
        for item in self.node_items.values():
            item.refresh_issues()
        for edge_item in self.edge_items.values():
            if edge_item.label != edge_item.label_text():
                edge_item.refresh()

    # -- selection -------------------------------------------------------------
    def selected_node_ids(self) -> list[str]:
        """Selected nodes in graph order."""
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [n.id for n in self.graph.nodes if n.id in chosen]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for nid in node_ids:
            item = self.node_items.get(nid)
            if item is not None:
                item.setSelected(True)

    def nodes_rect(self, node_ids: list[str] | None = None) -> QRectF:
        rect = QRectF()
        for nid, item in self.node_items.items():
            if node_ids is None or nid in node_ids:
                rect = rect.united(item.sceneBoundingRect())
        return rect

    def node_size(self, node_id: str) -> tuple[float, float]:
        return self.node_items[node_id].size()

    # -- node drag: the model moves live; release records one undo step ------------
    def begin_node_drag(self, scene_pos: QPointF) -> None:
        self._drag_start = scene_pos
        self._drag_origin = {nid: self.graph.node(nid).pos for nid in self.selected_node_ids()}

    def drag_nodes(self, scene_pos: QPointF) -> None:
        if self._drag_start is None or not self._drag_origin:
            return
        delta = scene_pos - self._drag_start
        for nid, (x, y) in self._drag_origin.items():
            new = (snap(x + delta.x()), snap(y + delta.y()))
            if nid in self.graph and self.graph.node(nid).pos != new:
                self.graph.move_node(nid, new)

    def end_node_drag(self) -> None:
        if self._drag_start is None:
            return
        moves = {nid: (old, self.graph.node(nid).pos) for nid, old in self._drag_origin.items()
                 if nid in self.graph}
        self._drag_start, self._drag_origin = None, {}
        self.document.move_nodes(moves)

    # -- wire drag -------------------------------------------------------------------
    @property
    def wiring(self) -> bool:
        return self._wire is not None

    def begin_wire(self, node_id: str, port: str, is_output: bool, scene_pos: QPointF) -> None:
        self._wire = (node_id, port, is_output)
        self.wire_targets = set()
        for other in self.graph.nodes:
            if is_output:
                for p in other.input_ports():
                    if self.graph.can_connect(node_id, port, other.id, p):
                        self.wire_targets.add((other.id, p, False))
            else:
                for p in other.output_ports():
                    if self.graph.can_connect(other.id, p, node_id, port):
                        self.wire_targets.add((other.id, p, True))
        item = QGraphicsPathItem()
        pen = QPen(theme.highlight(), 2)
        pen.setDashPattern([4, 3])
        item.setPen(pen)
        item.setZValue(5)
        self._wire_item = item
        self.addItem(item)
        for node_item in self.node_items.values():
            node_item.update()
        self.update_wire(scene_pos)

    def _port_under(self, scene_pos: QPointF) -> tuple[str, str, bool] | None:
        for item in self.items(QRectF(scene_pos.x() - 12, scene_pos.y() - 12, 24, 24)):
            if isinstance(item, NodeItem):
                hit = item.port_at(scene_pos)
                if hit is not None:
                    return item.node_id, hit[0], hit[1]
        return None

    def _wire_args(self, target: tuple[str, str, bool]) -> tuple[str, str, str, str] | None:
        assert self._wire is not None
        node_id, port, is_output = self._wire
        other, other_port, other_is_output = target
        if other_is_output == is_output:
            return None
        return (node_id, port, other, other_port) if is_output else (other, other_port, node_id, port)

    def update_wire(self, scene_pos: QPointF) -> None:
        if self._wire is None or self._wire_item is None:
            return
        node_id, port, is_output = self._wire
        anchor = self.node_items[node_id].port_pos(port, is_output)
        path: QPainterPath = wire_path(anchor, scene_pos) if is_output else wire_path(scene_pos, anchor)
        self._wire_item.setPath(path)
        target = self._port_under(scene_pos)
        if target is not None and target not in (self.wire_targets or set()):
            self.document.message.emit(self.refusal(target))

    def refusal(self, target: tuple[str, str, bool]) -> str:
        """The engine's reason why the current wire cannot end at ``target``."""
        args = self._wire_args(target)
        if args is None:
            return "connect an output port to an input port"
        try:
            self.graph.check_connection(*args)
        except GraphError as err:
            return str(err)
        return ""

    def end_wire(self, scene_pos: QPointF, screen_pos: Any = None) -> None:
        wire = self._wire
        if wire is None:
            return
        target = self._port_under(scene_pos)
        self._cancel_wire()
        if target is not None:
            if target[:2] == wire[:2]:
                return  # released on the port it started from
            self._wire = wire
            args = self._wire_args(target)
            self._wire = None
            if args is None:
                self.document.message.emit("connect an output port to an input port")
                return
            self.document.connect(*args)
            return
        if any(isinstance(i, NodeItem) for i in self.items(scene_pos)):
            return  # dropped on a node body, not a port: nothing to do
        self.quick_add_requested.emit(scene_pos, screen_pos, wire)

    def _cancel_wire(self) -> None:
        if self._wire_item is not None:
            self._discard(self._wire_item)
        self._wire_item = None
        self._wire = None
        self.wire_targets = None
        for node_item in self.node_items.values():
            node_item.update()

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        if read_only:
            self._cancel_wire()
            self._drag_start, self._drag_origin = None, {}
