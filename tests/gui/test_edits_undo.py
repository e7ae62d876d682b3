"""Delete/undo, clipboard, and random edit sequences that undo and redo exactly."""

from __future__ import annotations

from conftest import build_mnist
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QGuiApplication

from gui.canvas.scene import GraphScene
from gui.document import Document


def _scene_matches(scene: GraphScene) -> None:
    graph = scene.graph
    assert set(scene.node_items) == {n.id for n in graph.nodes}
    assert set(scene.edge_items) == set(graph.edges)
    for n in graph.nodes:
        item = scene.node_items[n.id]
        assert (item.pos().x(), item.pos().y()) == n.pos


def test_delete_node_with_edges_and_undo_restores_exactly(window):
    graph = window.document.graph
    ids = build_mnist(graph)
    before = graph.to_dict()
    window.scene.select_nodes([ids["fc2"]])
    window.actions_["delete"].trigger()
    assert ids["fc2"] not in graph
    assert all(ids["fc2"] not in (e.src, e.dst) for e in graph.edges)
    _scene_matches(window.scene)
    window.document.undo_stack.undo()
    assert graph.to_dict() == before
    _scene_matches(window.scene)
    window.document.undo_stack.redo()
    assert ids["fc2"] not in graph


def test_delete_selected_wire_only(window):
    graph = window.document.graph
    build_mnist(graph)
    edge = graph.edges[3]
    window.scene.clearSelection()
    window.scene.edge_items[edge].setSelected(True)
    window.actions_["delete"].trigger()
    assert edge not in graph.edges and len(graph) == 14
    window.document.undo_stack.undo()
    assert graph.edges[3] == edge


def test_copy_paste_keeps_inner_edges_and_unique_names(window):
    graph = window.document.graph
    ids = build_mnist(graph)
    window.scene.select_nodes([ids["conv1"], ids["relu1"], ids["pool1"]])
    window.actions_["copy"].trigger()
    assert "torchwire-clip" in QGuiApplication.clipboard().text()
    steps = window.document.undo_stack.count()
    window.actions_["paste"].trigger()
    assert window.document.undo_stack.count() == steps + 1  # one step
    assert len(graph) == 17
    new_ids = window.scene.selected_node_ids()
    assert len(new_ids) == 3
    names = [n.name for n in graph.nodes]
    assert len(names) == len(set(names))
    inner = [e for e in graph.edges if e.src in new_ids and e.dst in new_ids]
    assert len(inner) == 2
    assert not [e for e in graph.edges if (e.src in new_ids) != (e.dst in new_ids)]
    pasted = graph.node(new_ids[0])
    assert pasted.pos == (graph.node(ids["conv1"]).pos[0] + 40, graph.node(ids["conv1"]).pos[1] + 40)
    assert pasted.params == graph.node(ids["conv1"]).params
    window.document.undo_stack.undo()
    assert len(graph) == 14


def test_cut_and_duplicate(window):
    graph = window.document.graph
    ids = build_mnist(graph)
    window.scene.select_nodes([ids["relu3"]])
    window.actions_["duplicate"].trigger()
    assert len(graph) == 15
    window.scene.select_nodes([ids["relu3"]])
    window.actions_["cut"].trigger()
    assert ids["relu3"] not in graph and len(graph) == 14
    window.actions_["paste"].trigger()
    assert len(graph) == 15


def test_paste_of_foreign_text_is_refused(window):
    QGuiApplication.clipboard().setText("hello")
    window.actions_["paste"].trigger()
    assert len(window.document.graph) == 0
    assert "clipboard" in window.last_message()


# -- random edit sequences ---------------------------------------------------------
KINDS = ["Input", "Linear", "ReLU", "Add", "Concat", "Dropout", "Output", "MSELoss"]


def _apply(doc: Document, op: tuple, draw_index) -> None:
    graph = doc.graph
    nodes = graph.nodes
    kind = op[0]
    if kind == "add" or not nodes:
        doc.add_node(KINDS[op[1] % len(KINDS)], (float(op[2] * 20), float(op[3] * 20)))
        return
    node = nodes[op[1] % len(nodes)]
    if kind == "remove":
        doc.delete([node.id])
    elif kind == "connect":
        other = nodes[op[2] % len(nodes)]
        for out in node.output_ports():
            for inp in other.input_ports():
                if graph.can_connect(node.id, out, other.id, inp):
                    doc.connect(node.id, out, other.id, inp)
                    return
    elif kind == "disconnect" and graph.edges:
        doc.disconnect(graph.edges[op[2] % len(graph.edges)])
    elif kind == "move":
        doc.move_nodes({node.id: (node.pos, (float(op[2] * 20), float(op[3] * 20)))})
    elif kind == "rename":
        doc.rename(node.id, f"{node.name}_r{op[2]}")
    elif kind == "param":
        if "inputs" in node.params:
            doc.set_param(node.id, "inputs", 2 + op[2] % 3)  # may drop wires
        elif "out_features" in node.params:
            doc.set_param(node.id, "out_features", 1 + op[2])
        elif "p" in node.params:
            doc.set_param(node.id, "p", (op[2] % 10) / 10)
    elif kind == "paste":
        from engine.clipboard import copy_nodes

        chosen = [n.id for i, n in enumerate(nodes) if (op[2] >> (i % 8)) & 1] or [node.id]
        doc.paste(copy_nodes(graph, chosen))
    elif kind == "layout":
        doc.auto_layout()


OPS = st.tuples(
    st.sampled_from(["add", "add", "remove", "connect", "connect", "disconnect", "move", "rename",
                     "param", "paste", "layout"]),
    st.integers(0, 50), st.integers(0, 40), st.integers(0, 40))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=1, max_size=25))
def test_random_edits_undo_all_and_redo_all(qtbot, ops):
    doc = Document()
    scene = GraphScene(doc)
    build_mnist(doc.graph)
    states = [doc.graph.to_dict()]
    for op in ops:
        _apply(doc, op, None)
        if doc.undo_stack.count() > len(states) - 1:
            states.append(doc.graph.to_dict())
        assert doc.undo_stack.index() == len(states) - 1
        _scene_matches(scene)
    for expected in reversed(states[:-1]):
        doc.undo_stack.undo()
        assert doc.graph.to_dict() == expected
    _scene_matches(scene)
    for expected in states[1:]:
        doc.undo_stack.redo()
        assert doc.graph.to_dict() == expected
    _scene_matches(scene)
    doc.dispose()
