"""The graph model: nodes, edges, connection rules and change events. No torch, no Qt.

Every mutation emits exactly one :class:`GraphEvent` to subscribers, so an undo
stack, a canvas and autosave all observe the same single source of truth.
"""

from __future__ import annotations

import copy
import keyword
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import get_spec
from .catalog.spec import LayerSpec

# -- errors -----------------------------------------------------------------


class GraphError(Exception):
    """Base of every error a graph edit can raise; ``str()`` is a user-facing sentence."""


class ConnectionError_(GraphError):
    """Base of the typed connection errors (named to avoid shadowing the builtin)."""


class SelfLoopError(ConnectionError_):
    pass


class CycleError(ConnectionError_):
    pass


class InputAlreadyConnectedError(ConnectionError_):
    pass


class UnknownPortError(ConnectionError_):
    pass


class IncompatiblePortError(ConnectionError_):
    pass


class DuplicateEdgeError(ConnectionError_):
    pass


class NameError_(GraphError):
    """A node name that is not a unique Python identifier."""


class UnknownNodeError(GraphError):
    pass


# -- data ---------------------------------------------------------------------


@dataclass
class Node:
    """One layer on the canvas. ``name`` becomes the module attribute name."""

    id: str
    kind: str
    name: str
    params: dict[str, Any]
    pos: tuple[float, float] = (0.0, 0.0)

    @property
    def spec(self) -> LayerSpec:
        return get_spec(self.kind)

    def input_ports(self) -> list[str]:
        return [p.name for p in self.spec.input_ports(self.params)]

    def output_ports(self) -> list[str]:
        return [p.name for p in self.spec.output_ports(self.params)]


@dataclass(frozen=True)
class Edge:
    """A wire from ``src``'s output port to ``dst``'s input port (node ids)."""

    src: str
    src_port: str
    dst: str
    dst_port: str


@dataclass(frozen=True)
class GraphEvent:
    """What changed. ``type`` is one of EVENT_TYPES; payload keys depend on it."""

    type: str
    data: Mapping[str, Any] = field(default_factory=dict)


EVENT_TYPES = (
    "node_added", "node_removed", "node_renamed", "param_changed", "node_moved",
    "edge_added", "edge_removed", "graph_reset",
)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Public attributes of nn.Module / fx.GraphModule (a test keeps this in step with torch) plus
# names the generated code itself uses. A node with one of these names would overwrite them.
_RESERVED = frozenset({
    "T_destination", "add_module", "add_submodule", "apply", "bfloat16", "buffers", "call_super_init",
    "children", "code", "compile", "cpu", "cuda", "delete_all_unused_submodules", "delete_submodule",
    "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer",
    "get_extra_state", "get_parameter", "get_submodule", "graph", "half", "ipu", "load_state_dict",
    "modules", "mtia", "named_buffers", "named_children", "named_modules", "named_parameters",
    "parameters", "print_readable", "recompile", "register_backward_hook", "register_buffer",
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
    "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty", "to_folder",
    "train", "training", "type", "xpu", "zero_grad",
    "torch", "nn", "self", "input", "output", "operator", "getattr", "load_model",
})


def check_name(name: str) -> None:
    """Raise NameError_ unless ``name`` can be a module attribute name."""
    if not _IDENT.match(name or ""):
        raise NameError_(
            f"'{name}' is not a valid name: use letters, digits and _, not starting with a digit"
        )
    if name.startswith("_"):
        raise NameError_(f"'{name}' starts with _, which PyTorch keeps for its own attributes; "
                         "choose a name starting with a letter")
    if keyword.iskeyword(name) or name in _RESERVED:
        raise NameError_(f"'{name}' is reserved in Python or PyTorch; choose another name")


class Graph:
    """A directed acyclic graph of catalog layers.

    Nodes keep insertion order (it is the order of ties in topological sort and
    in saved files); edges keep their list order. Both are restored exactly by
    undo through ``index`` arguments.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._edges: list[Edge] = []
        self._subscribers: list[Callable[[GraphEvent], None]] = []
        self._next_id = 1

    # -- observation ----------------------------------------------------------
    def subscribe(self, callback: Callable[[GraphEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every mutation. Returns an unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def _emit(self, type_: str, **data: Any) -> None:
        event = GraphEvent(type_, data)
        for callback in list(self._subscribers):
            callback(event)

    # -- queries ----------------------------------------------------------------
    @property
    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    @property
    def edges(self) -> list[Edge]:
        return list(self._edges)

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise UnknownNodeError(f"no node with id {node_id!r}") from None

    def by_name(self, name: str) -> Node:
        for node in self._nodes.values():
            if node.name == name:
                return node
        raise UnknownNodeError(f"no node named {name!r}")

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(list(self._nodes.values()))

    def names(self) -> set[str]:
        return {n.name for n in self._nodes.values()}

    def in_edges(self, node_id: str) -> list[Edge]:
        return [e for e in self._edges if e.dst == node_id]

    def out_edges(self, node_id: str) -> list[Edge]:
        return [e for e in self._edges if e.src == node_id]

    def edge_into(self, node_id: str, port: str) -> Edge | None:
        for e in self._edges:
            if e.dst == node_id and e.dst_port == port:
                return e
        return None

    def unique_name(self, stem: str) -> str:
        """``stem`` if free, else ``stem1``, ``stem2``, … (always a valid identifier)."""
        stem = re.sub(r"\W", "_", stem).strip("_") or "node"
        if stem[0].isdigit():
            stem = "n" + stem
        taken = self.names()
        if stem not in taken and stem not in _RESERVED and not keyword.iskeyword(stem):
            return stem
        base = stem.rstrip("0123456789") or stem
        i = 1
        while f"{base}{i}" in taken:
            i += 1
        return f"{base}{i}"

    def new_id(self) -> str:
        while f"n{self._next_id}" in self._nodes:
            self._next_id += 1
        return f"n{self._next_id}"

    # -- node mutations ----------------------------------------------------------
    def add_node(
        self,
        kind: str,
        name: str | None = None,
        params: Mapping[str, Any] | None = None,
        pos: tuple[float, float] = (0.0, 0.0),
        node_id: str | None = None,
        index: int | None = None,
    ) -> Node:
        """Add a node of ``kind``; params are validated and missing ones defaulted.

        Raises:
            UnknownKind, ParamError, NameError_.
        """
        spec = get_spec(kind)
        values = spec.validate_params(params or {})
        name = name or self.unique_name(spec.name_hint or kind.lower())
        check_name(name)
        if name in self.names():
            raise NameError_(f"a node named '{name}' already exists; names must be unique")
        node_id = node_id or self.new_id()
        if node_id in self._nodes:
            raise GraphError(f"a node with id {node_id!r} already exists")
        node = Node(node_id, kind, name, values, (float(pos[0]), float(pos[1])))
        self._insert(node, index)
        self._emit("node_added", node=node)
        return node

    def _insert(self, node: Node, index: int | None) -> None:
        items = list(self._nodes.items())
        index = len(items) if index is None else max(0, min(index, len(items)))
        items.insert(index, (node.id, node))
        self._nodes = dict(items)

    def remove_node(self, node_id: str) -> tuple[Node, int, list[tuple[int, Edge]]]:
        """Remove a node and its edges (one ``node_removed`` event).

        Returns:
            The node, its index, and ``(index, edge)`` of each removed edge, so undo
            can restore the exact state with :meth:`restore_node`.
        """
        node = self.node(node_id)
        index = list(self._nodes).index(node_id)
        removed = [(i, e) for i, e in enumerate(self._edges) if node_id in (e.src, e.dst)]
        self._edges = [e for e in self._edges if node_id not in (e.src, e.dst)]
        del self._nodes[node_id]
        self._emit("node_removed", node=node, index=index, edges=[e for _, e in removed])
        return node, index, removed

    def restore_node(self, node: Node, index: int, edges: Iterable[tuple[int, Edge]]) -> None:
        """Undo of :meth:`remove_node`: the node and its edges back at their indices."""
        if node.id in self._nodes:
            raise GraphError(f"a node with id {node.id!r} already exists")
        self._insert(node, index)
        edges = sorted(edges, key=lambda ie: ie[0])
        for i, e in edges:
            self._edges.insert(min(i, len(self._edges)), e)
        self._emit("node_added", node=node, edges=[e for _, e in edges])

    def rename_node(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        if name == node.name:
            return
        check_name(name)
        if name in self.names():
            raise NameError_(f"a node named '{name}' already exists; names must be unique")
        old = node.name
        node.name = name
        self._emit("node_renamed", node=node, old=old)

    def set_param(self, node_id: str, name: str, value: Any) -> Any:
        """Validate and set one parameter. Returns the previous value.

        Changing ``inputs`` of a variadic node drops edges into removed ports
        (they are part of the same event's ``edges`` payload for undo).
        """
        node = self.node(node_id)
        spec = node.spec
        new = spec.param(name).validate(value)
        old = node.params.get(name)
        if new == old:
            return old
        node.params[name] = new
        dropped: list[tuple[int, Edge]] = []
        if name == "inputs":
            valid = set(node.input_ports())
            dropped = [(i, e) for i, e in enumerate(self._edges) if e.dst == node_id and e.dst_port not in valid]
            self._edges = [e for e in self._edges if not (e.dst == node_id and e.dst_port not in valid)]
        self._emit("param_changed", node=node, name=name, old=old, value=new,
                   dropped=[e for _, e in dropped], dropped_at=dropped)
        return old

    def set_params(self, node_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Replace all params at once (undo of a multi-field change). Returns the old ones."""
        node = self.node(node_id)
        values = node.spec.validate_params(params)
        old = dict(node.params)
        node.params = values
        valid = set(node.input_ports())
        dropped = [(i, e) for i, e in enumerate(self._edges) if e.dst == node_id and e.dst_port not in valid]
        if dropped:
            self._edges = [e for e in self._edges if not (e.dst == node_id and e.dst_port not in valid)]
        self._emit("param_changed", node=node, name=None, old=old, value=values,
                   dropped=[e for _, e in dropped], dropped_at=dropped)
        return old

    def move_node(self, node_id: str, pos: tuple[float, float]) -> None:
        node = self.node(node_id)
        old = node.pos
        node.pos = (float(pos[0]), float(pos[1]))
        self._emit("node_moved", node=node, old=old)

    # -- edges -----------------------------------------------------------------
    def check_connection(self, src: str, src_port: str, dst: str, dst_port: str) -> None:
        """Raise the typed error that forbids this connection, if any."""
        if src == dst:
            raise SelfLoopError("a layer cannot feed itself; connect it to another layer")
        a, b = self.node(src), self.node(dst)
        out_ports = {p.name: p for p in a.spec.output_ports(a.params)}
        in_ports = {p.name: p for p in b.spec.input_ports(b.params)}
        if src_port not in out_ports:
            raise UnknownPortError(f"{a.name} ({a.kind}) has no output port '{src_port}'")
        if dst_port not in in_ports:
            raise UnknownPortError(f"{b.name} ({b.kind}) has no input port '{dst_port}'")
        if out_ports[src_port].kind != in_ports[dst_port].kind:
            what = "a scalar loss" if out_ports[src_port].kind == "loss" else f"a {out_ports[src_port].kind}"
            raise IncompatiblePortError(
                f"{a.name}.{src_port} is {what} and cannot feed {b.name}.{dst_port}, "
                f"which takes a {in_ports[dst_port].kind}"
            )
        existing = self.edge_into(dst, dst_port)
        if existing is not None:
            if existing.src == src and existing.src_port == src_port:
                raise DuplicateEdgeError(f"{a.name}.{src_port} is already connected to {b.name}.{dst_port}")
            raise InputAlreadyConnectedError(
                f"{b.name}.{dst_port} already receives {self.node(existing.src).name}; "
                "disconnect it first or use another input"
            )
        if self._reaches(dst, src):
            raise CycleError(
                f"connecting {a.name} to {b.name} would make a cycle ({b.name} already feeds {a.name})"
            )

    def can_connect(self, src: str, src_port: str, dst: str, dst_port: str) -> bool:
        try:
            self.check_connection(src, src_port, dst, dst_port)
        except GraphError:
            return False
        return True

    def connect(self, src: str, src_port: str, dst: str, dst_port: str, index: int | None = None) -> Edge:
        """Add an edge after :meth:`check_connection` (raises its typed errors)."""
        self.check_connection(src, src_port, dst, dst_port)
        edge = Edge(src, src_port, dst, dst_port)
        if index is None:
            self._edges.append(edge)
        else:
            self._edges.insert(index, edge)
        self._emit("edge_added", edge=edge)
        return edge

    def disconnect(self, edge: Edge) -> int:
        """Remove ``edge``; returns its index for undo."""
        try:
            index = self._edges.index(edge)
        except ValueError:
            raise GraphError("that connection does not exist") from None
        del self._edges[index]
        self._emit("edge_removed", edge=edge, index=index)
        return index

    def _reaches(self, start: str, goal: str) -> bool:
        succ: dict[str, list[str]] = {}
        for e in self._edges:
            succ.setdefault(e.src, []).append(e.dst)
        stack, seen = [start], set()
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            if n in seen:
                continue
            seen.add(n)
            stack.extend(succ.get(n, ()))
        return False

    # -- whole graph -------------------------------------------------------------
    def topological_order(self) -> list[Node]:
        """Nodes so that every edge goes forwards; ties keep insertion order (Kahn)."""
        indeg = {nid: 0 for nid in self._nodes}
        succ: dict[str, list[str]] = {nid: [] for nid in self._nodes}
        for e in self._edges:
            indeg[e.dst] += 1
            succ[e.src].append(e.dst)
        position = {nid: i for i, nid in enumerate(self._nodes)}
        import heapq

        ready = [(position[n], n) for n, d in indeg.items() if d == 0]
        heapq.heapify(ready)
        order: list[Node] = []
        while ready:
            _, nid = heapq.heappop(ready)
            order.append(self._nodes[nid])
            for m in succ[nid]:
                indeg[m] -= 1
                if indeg[m] == 0:
                    heapq.heappush(ready, (position[m], m))
        if len(order) != len(self._nodes):  # pragma: no cover - connect() forbids cycles
            raise CycleError("the graph has a cycle")
        return order

    def ancestors(self, node_ids: Iterable[str]) -> set[str]:
        """The given nodes and every node that feeds them."""
        return self._closure(node_ids, forward=False)

    def descendants(self, node_ids: Iterable[str]) -> set[str]:
        """The given nodes and every node they feed."""
        return self._closure(node_ids, forward=True)

    def _closure(self, node_ids: Iterable[str], forward: bool) -> set[str]:
        step: dict[str, list[str]] = {}
        for e in self._edges:
            a, b = (e.src, e.dst) if forward else (e.dst, e.src)
            step.setdefault(a, []).append(b)
        seen: set[str] = set()
        stack = list(node_ids)
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(step.get(n, ()))
        return seen

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (the ``graph`` section of a project file)."""
        nodes = []
        for n in self._nodes.values():
            spec = n.spec
            params = {p.name: p.to_json(n.params[p.name]) for p in spec.params if p.name in n.params}
            nodes.append({"id": n.id, "kind": n.kind, "name": n.name, "params": params,
                          "pos": [n.pos[0], n.pos[1]]})
        edges = [{"src": e.src, "src_port": e.src_port, "dst": e.dst, "dst_port": e.dst_port}
                 for e in self._edges]
        return {"nodes": nodes, "edges": edges}

    def replace_with(self, other: Graph) -> None:
        """Take ``other``'s nodes and edges (one ``graph_reset`` event)."""
        self._nodes = {n.id: copy.deepcopy(n) for n in other._nodes.values()}
        self._edges = list(other._edges)
        self._next_id = max(self._next_id, other._next_id)
        self._emit("graph_reset")

    def copy(self) -> Graph:
        g = Graph()
        g._nodes = {n.id: copy.deepcopy(n) for n in self._nodes.values()}
        g._edges = list(self._edges)
        g._next_id = self._next_id
        return g

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Graph({len(self._nodes)} nodes, {len(self._edges)} edges)"
