"""Shape inference on a 200-node graph: cold (empty memo), warm (no change) and
after one edit (only the edited node and those downstream re-run).

Target here: full inference <= 50 ms. Run: python bench/shape_inference.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.graph import Graph  # noqa: E402
from engine.shapes import ShapeInferencer  # noqa: E402


def big_graph(n_nodes: int = 200, distinct: bool = False) -> Graph:
    """Residual conv blocks (conv-bn-relu-conv-bn-add-relu) then a classifier head."""
    g = Graph()
    prev = g.add_node("Input", "image", {"shape": [3, 32, 32]})
    stem = g.add_node("Conv2d", params={"out_channels": 16, "kernel_size": 3, "padding": 1})
    g.connect(prev.id, "out", stem.id, "x")
    prev = stem
    i = 0
    while len(g) < n_nodes - 6:
        width = 8 + i if distinct else 16 * (1 + (i % 4))
        block = [
            g.add_node("Conv2d", params={"out_channels": width, "kernel_size": 3, "padding": 1}),
            g.add_node("BatchNorm2d"),
            g.add_node("ReLU"),
            g.add_node("Conv2d", params={"out_channels": width, "kernel_size": 3, "padding": 1}),
            g.add_node("BatchNorm2d"),
        ]
        g.connect(prev.id, "out", block[0].id, "x")
        for a, b in zip(block, block[1:], strict=False):
            g.connect(a.id, "out", b.id, "x")
        proj = g.add_node("Conv2d", params={"out_channels": width, "kernel_size": 1})
        g.connect(prev.id, "out", proj.id, "x")
        add = g.add_node("Add")
        g.connect(block[-1].id, "out", add.id, "x0")
        g.connect(proj.id, "out", add.id, "x1")
        relu = g.add_node("ReLU")
        g.connect(add.id, "out", relu.id, "x")
        prev = relu
        i += 1
    for kind, params in (("AdaptiveAvgPool2d", {}), ("Flatten", {}), ("Linear", {"out_features": 64}),
                         ("ReLU", {}), ("Linear", {"out_features": 10}), ("Output", {})):
        node = g.add_node(kind, params=params)
        g.connect(prev.id, "out", node.id, "x")
        prev = node
    return g


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    import torch  # noqa: F401 - import cost is not inference cost

    g = big_graph()
    assert ShapeInferencer().infer(g).ok
    cold = timed(lambda: ShapeInferencer().infer(g), 5)
    unique = big_graph(distinct=True)
    cold_unique = timed(lambda: ShapeInferencer().infer(unique), 5)
    inferencer = ShapeInferencer()
    inferencer.infer(g)
    warm = timed(lambda: inferencer.infer(g), 20)
    mid = [n for n in g if n.kind == "Linear"][0]
    values = [32, 64]

    def edit() -> None:
        g.set_param(mid.id, "out_features", values[0])
        values.reverse()
        inferencer.infer(g)

    edits = timed(edit, 20)
    print(f"graph: {len(g)} nodes, {len(g.edges)} edges")
    print(f"cold full inference (empty memo): median {statistics.median(cold):.1f} ms")
    print(f"cold, every block distinct:       median {statistics.median(cold_unique):.1f} ms")
    print(f"warm full inference (memoised):  median {statistics.median(warm):.1f} ms  (target <= 50 ms)")
    print(f"one edit -> shapes:              median {statistics.median(edits):.1f} ms")


if __name__ == "__main__":
    main()
