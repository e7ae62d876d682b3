"""Undo commands. Each one is one engine call (or the recorded inverse of one).

Commands keep the removed Node objects and edge indices the engine returns, so
undo restores the exact graph: node order, edge order and positions.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoCommand

from engine.graph import Edge, Graph, Node


class AddNode(QUndoCommand):
    def __init__(self, graph: Graph, kind: str, name: str, params: dict[str, Any],
                 pos: tuple[float, float], node_id: str) -> None:
        super().__init__(f"Add {name}")
        self.graph, self.kind, self.name, self.params = graph, kind, name, dict(params)
        self.pos, self.node_id = pos, node_id
        self._removed: tuple[Node, int] | None = None

    def redo(self) -> None:
        if self._removed is None:
            self.graph.add_node(self.kind, self.name, self.params, self.pos, node_id=self.node_id)
        else:
            node, index = self._removed
            self.graph.restore_node(node, index, [])

    def undo(self) -> None:
        node, index, _edges = self.graph.remove_node(self.node_id)
        self._removed = (node, index)


class RemoveNode(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str) -> None:
        super().__init__(f"Delete {graph.node(node_id).name}")
        self.graph, self.node_id = graph, node_id
        self._removed: tuple[Node, int, list[tuple[int, Edge]]] | None = None

    def redo(self) -> None:
        self._removed = self.graph.remove_node(self.node_id)

    def undo(self) -> None:
        assert self._removed is not None
        self.graph.restore_node(*self._removed)


class Connect(QUndoCommand):
    def __init__(self, graph: Graph, src: str, src_port: str, dst: str, dst_port: str) -> None:
        super().__init__("Connect")
        self.graph = graph
        self.args = (src, src_port, dst, dst_port)
        self.index: int | None = None
        self.edge: Edge | None = None

    def redo(self) -> None:
        self.edge = self.graph.connect(*self.args, index=self.index)
        self.index = self.graph.edges.index(self.edge)

    def undo(self) -> None:
        assert self.edge is not None
        self.graph.disconnect(self.edge)


class Disconnect(QUndoCommand):
    def __init__(self, graph: Graph, edge: Edge) -> None:
        super().__init__("Disconnect")
        self.graph, self.edge = graph, edge
        self.index = 0

    def redo(self) -> None:
        self.index = self.graph.disconnect(self.edge)

    def undo(self) -> None:
        e = self.edge
        self.graph.connect(e.src, e.src_port, e.dst, e.dst_port, index=self.index)


class SetParam(QUndoCommand):
    """One parameter. Shrinking a variadic node's ``inputs`` drops edges; undo puts them back."""

    def __init__(self, graph: Graph, node_id: str, name: str, value: Any) -> None:
        node = graph.node(node_id)
        super().__init__(f"Set {node.name}.{name}")
        self.graph, self.node_id, self.name, self.value = graph, node_id, name, value
        self.old: Any = node.params.get(name)
        self.dropped: list[tuple[int, Edge]] = []

    def redo(self) -> None:
        node = self.graph.node(self.node_id)
        ports = {p.name for p in node.spec.input_ports({**node.params, self.name: self.value})}
        self.dropped = [(i, e) for i, e in enumerate(self.graph.edges)
                        if e.dst == self.node_id and e.dst_port not in ports]
        self.old = self.graph.set_param(self.node_id, self.name, self.value)

    def undo(self) -> None:
        self.graph.set_param(self.node_id, self.name, self.old)
        for i, e in self.dropped:
            self.graph.connect(e.src, e.src_port, e.dst, e.dst_port, index=i)


class Rename(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str, name: str) -> None:
        super().__init__(f"Rename to {name}")
        self.graph, self.node_id, self.name = graph, node_id, name
        self.old = graph.node(node_id).name

    def redo(self) -> None:
        self.graph.rename_node(self.node_id, self.name)

    def undo(self) -> None:
        self.graph.rename_node(self.node_id, self.old)


class MoveNodes(QUndoCommand):
    """Moves of several nodes as one step; redo re-applies (harmless after a live drag)."""

    def __init__(self, graph: Graph, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]],
                 text: str = "Move") -> None:
        super().__init__(text)
        self.graph, self.moves = graph, dict(moves)

    def redo(self) -> None:
        for nid, (_old, new) in self.moves.items():
            if self.graph.node(nid).pos != new:
                self.graph.move_node(nid, new)

    def undo(self) -> None:
        for nid, (old, _new) in self.moves.items():
            self.graph.move_node(nid, old)
