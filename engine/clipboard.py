"""Copy and paste of node sets as JSON-able dicts (pure Python, no Qt).

A clip holds the copied nodes (kind, name, params, pos) and only the edges
whose both ends were copied. Pasting plans fresh ids and unique names so the
result can be added to any graph, including the one it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .catalog import get_spec
from .graph import Graph

CLIP_FORMAT = "torchwire-clip/1"


def copy_nodes(graph: Graph, node_ids: Iterable[str]) -> dict[str, Any]:
    """A JSON-able clip of ``node_ids`` (graph order) and the edges among them."""
    wanted = set(node_ids)
    nodes = []
    for n in graph.nodes:
        if n.id in wanted:
            spec = n.spec
            params = {p.name: p.to_json(n.params[p.name]) for p in spec.params if p.name in n.params}
            nodes.append({"id": n.id, "kind": n.kind, "name": n.name, "params": params,
                          "pos": [n.pos[0], n.pos[1]]})
    edges = [{"src": e.src, "src_port": e.src_port, "dst": e.dst, "dst_port": e.dst_port}
             for e in graph.edges if e.src in wanted and e.dst in wanted]
    return {"format": CLIP_FORMAT, "nodes": nodes, "edges": edges}


@dataclass(frozen=True)
class PastedNode:
    id: str
    kind: str
    name: str
    params: dict[str, Any]
    pos: tuple[float, float]


@dataclass(frozen=True)
class PastePlan:
    """What to add: nodes with fresh ids/names, and edges (src, src_port, dst, dst_port)."""

    nodes: list[PastedNode]
    edges: list[tuple[str, str, str, str]]


class ClipError(ValueError):
    """The clip is not a Torchwire clip (e.g. foreign text on the clipboard)."""


def plan_paste(graph: Graph, clip: Any, offset: tuple[float, float] = (30.0, 30.0)) -> PastePlan:
    """Fresh ids and unique names for ``clip``'s nodes, shifted by ``offset``.

    Raises:
        ClipError: ``clip`` is not a valid clip (unknown kind, bad params, …).
    """
    if not isinstance(clip, dict) or clip.get("format") != CLIP_FORMAT:
        raise ClipError("the clipboard does not hold Torchwire layers")
    taken_names = set(graph.names())
    taken_ids = {n.id for n in graph.nodes}
    id_map: dict[str, str] = {}
    nodes: list[PastedNode] = []
    counter = 1
    try:
        for raw in clip["nodes"]:
            spec = get_spec(raw["kind"])
            params = spec.validate_params(raw.get("params", {}))
            while f"n{counter}" in taken_ids:
                counter += 1
            new_id = f"n{counter}"
            taken_ids.add(new_id)
            name = _unique(str(raw["name"]), taken_names)
            taken_names.add(name)
            id_map[raw["id"]] = new_id
            x, y = raw.get("pos", (0.0, 0.0))
            nodes.append(PastedNode(new_id, spec.kind, name, params,
                                    (float(x) + offset[0], float(y) + offset[1])))
        edges = [(id_map[e["src"]], e["src_port"], id_map[e["dst"]], e["dst_port"])
                 for e in clip["edges"] if e["src"] in id_map and e["dst"] in id_map]
    except (KeyError, TypeError, ValueError) as err:
        raise ClipError(f"the clipboard holds damaged Torchwire layers ({err})") from None
    return PastePlan(nodes, edges)


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    base = re.sub(r"\d+$", "", name) or name
    i = 1
    while f"{base}{i}" in taken:
        i += 1
    return f"{base}{i}"


__all__ = ["CLIP_FORMAT", "ClipError", "PastePlan", "PastedNode", "copy_nodes", "plan_paste"]
