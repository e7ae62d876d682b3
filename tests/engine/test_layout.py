"""Layered left-to-right auto-layout (pure Python)."""

from __future__ import annotations

from engine.graph import Graph
from engine.layout import layered_layout


def _diamond() -> tuple[Graph, dict[str, str]]:
    g = Graph()
    ids = {}
    for name, kind, params in [("inp", "Input", {"shape": [8]}), ("a", "Linear", {}), ("b", "ReLU", {}),
                               ("add", "Add", {}), ("out", "Output", {})]:
        ids[name] = g.add_node(kind, name, params).id
    g.connect(ids["inp"], "out", ids["a"], "x")
    g.connect(ids["inp"], "out", ids["b"], "x")
    g.connect(ids["a"], "out", ids["add"], "x0")
    g.connect(ids["b"], "out", ids["add"], "x1")
    g.connect(ids["add"], "out", ids["out"], "x")
    return g, ids


def test_every_edge_goes_left_to_right():
    g, ids = _diamond()
    pos = layered_layout(g)
    assert set(pos) == set(ids.values())
    for e in g.edges:
        assert pos[e.src][0] < pos[e.dst][0]
    assert pos[ids["a"]][0] == pos[ids["b"]][0]
    assert pos[ids["a"]][1] != pos[ids["b"]][1]


def test_no_overlaps_with_custom_sizes():
    g, _ids = _diamond()
    pos = layered_layout(g, size=lambda nid: (100.0, 60.0 + 10 * int(nid[1:])), gap_y=10)
    rects = [(x, y, x + 100, y + 60 + 10 * int(nid[1:])) for nid, (x, y) in pos.items()]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_source_sits_next_to_its_consumer_and_empty_graph():
    g = Graph()
    x = g.add_node("Input", "x", {"shape": [4]}).id
    fc = g.add_node("Linear", "fc").id
    relu = g.add_node("ReLU", "r").id
    label = g.add_node("Input", "label", {"shape": [], "dtype": "int64"}).id
    loss = g.add_node("MSELoss", "loss").id
    g.connect(x, "out", fc, "x")
    g.connect(fc, "out", relu, "x")
    g.connect(relu, "out", loss, "prediction")
    g.connect(label, "out", loss, "target")
    pos = layered_layout(g)
    assert pos[label][0] == pos[relu][0]
    assert layered_layout(Graph()) == {}
