"""Layered left-to-right auto-layout of a graph (pure Python, no Qt).

Each node goes in the column given by its longest path from a source; within a
column, nodes are ordered by the mean row of their predecessors (a few
barycentre sweeps reduce wire crossings), then columns are centred vertically.
"""

from __future__ import annotations

from collections.abc import Callable

from .graph import Graph

Size = tuple[float, float]


def layered_layout(
    graph: Graph,
    size: Callable[[str], Size] | None = None,
    gap_x: float = 100.0,
    gap_y: float = 40.0,
    origin: tuple[float, float] = (0.0, 0.0),
    sweeps: int = 4,
) -> dict[str, tuple[float, float]]:
    """Top-left positions for every node, flowing left to right.

    Args:
        graph: The graph to arrange (not modified).
        size: ``node_id -> (width, height)`` of each drawn node; 180×80 if omitted.
        gap_x/gap_y: Space between columns / between nodes in a column.
        origin: Top-left corner of the whole layout.
        sweeps: Barycentre ordering passes.
    Returns:
        ``{node_id: (x, y)}``.
    """
    size = size or (lambda _nid: (180.0, 80.0))
    order = graph.topological_order()
    preds: dict[str, list[str]] = {n.id: [] for n in order}
    succs: dict[str, list[str]] = {n.id: [] for n in order}
    for e in graph.edges:
        preds[e.dst].append(e.src)
        succs[e.src].append(e.dst)
    layer: dict[str, int] = {}
    for n in order:
        layer[n.id] = max((layer[p] + 1 for p in preds[n.id]), default=0)
    # Pull sources right next to their first consumer (an Input feeding a loss deep
    # in the graph would otherwise sit far left of it, dragging a long wire).
    for n in reversed(order):
        if not preds[n.id] and succs[n.id]:
            layer[n.id] = max(layer[n.id], min(layer[s] for s in succs[n.id]) - 1)
    columns: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for n in order:
        columns[layer[n.id]].append(n.id)
    row: dict[str, float] = {}
    for col in columns:
        for i, nid in enumerate(col):
            row[nid] = float(i)
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        seq = columns[1:] if forward else columns[-2::-1]
        for col in seq:
            def key(nid: str, forward: bool = forward) -> float:
                nbrs = preds[nid] if forward else succs[nid]
                return sum(row[m] for m in nbrs) / len(nbrs) if nbrs else row[nid]
            col.sort(key=key)
            for i, nid in enumerate(col):
                row[nid] = float(i)
    heights = [sum(size(nid)[1] for nid in col) + gap_y * max(len(col) - 1, 0) for col in columns]
    tallest = max(heights, default=0.0)
    out: dict[str, tuple[float, float]] = {}
    x = origin[0]
    for col, height in zip(columns, heights, strict=True):
        y = origin[1] + (tallest - height) / 2
        width = max((size(nid)[0] for nid in col), default=0.0)
        for nid in col:
            w, h = size(nid)
            out[nid] = (x + (width - w) / 2, y)
            y += h + gap_y
        x += width + gap_x
    return out


__all__ = ["layered_layout"]
