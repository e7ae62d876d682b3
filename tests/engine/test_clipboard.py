"""Copy/paste of node sets as JSON-able clips."""

from __future__ import annotations

import json

import pytest

from engine.clipboard import ClipError, copy_nodes, plan_paste
from engine.graph import Graph


def _chain() -> tuple[Graph, list[str]]:
    g = Graph()
    a = g.add_node("Input", "x", {"shape": [8]}, pos=(0, 0))
    b = g.add_node("Linear", "fc", {"out_features": 4}, pos=(200, 0))
    c = g.add_node("ReLU", "relu", pos=(400, 0))
    g.connect(a.id, "out", b.id, "x")
    g.connect(b.id, "out", c.id, "x")
    return g, [a.id, b.id, c.id]


def test_clip_keeps_only_inner_edges_and_is_json():
    g, (_a, b, c) = _chain()
    clip = json.loads(json.dumps(copy_nodes(g, [c, b])))
    assert [n["name"] for n in clip["nodes"]] == ["fc", "relu"]  # graph order
    assert clip["edges"] == [{"src": b, "src_port": "out", "dst": c, "dst_port": "x"}]


def test_paste_plan_into_same_graph_gets_fresh_ids_and_unique_names():
    g, ids = _chain()
    plan = plan_paste(g, copy_nodes(g, ids), offset=(10, 20))
    names = [n.name for n in plan.nodes]
    assert not set(names) & g.names() and len(set(names)) == 3
    assert not {n.id for n in plan.nodes} & set(ids)
    assert plan.nodes[1].pos == (210.0, 20.0)
    assert plan.nodes[1].params["out_features"] == 4
    for n in plan.nodes:
        g.add_node(n.kind, n.name, n.params, n.pos, node_id=n.id)
    for e in plan.edges:
        g.connect(*e)
    assert len(g) == 6 and len(g.edges) == 4
    plan2 = plan_paste(g, copy_nodes(g, ids))
    assert not {n.name for n in plan2.nodes} & g.names()


@pytest.mark.parametrize("clip", [None, "text", {"format": "other"},
                                  {"format": "torchwire-clip/1", "nodes": [{"kind": "Nope"}], "edges": []}])
def test_foreign_or_damaged_clips_are_refused(clip):
    with pytest.raises(ClipError):
        plan_paste(Graph(), clip)
