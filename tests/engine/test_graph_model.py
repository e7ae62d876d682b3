"""Graph edits, events and every typed connection error."""

from __future__ import annotations

import pytest
from seed_graphs import add, chain, mnist_cnn

from engine.catalog import ParamError, UnknownKind
from engine.graph import (
    ConnectionError_,
    CycleError,
    DuplicateEdgeError,
    Graph,
    GraphError,
    IncompatiblePortError,
    InputAlreadyConnectedError,
    NameError_,
    SelfLoopError,
    UnknownPortError,
)


def recorder(graph: Graph) -> list[str]:
    events: list[str] = []
    graph.subscribe(lambda e: events.append(e.type))
    return events


def test_each_mutation_emits_exactly_one_event() -> None:
    g = Graph()
    events = recorder(g)
    a = g.add_node("Linear", "fc1", {"out_features": 4})
    b = g.add_node("ReLU")
    edge = g.connect(a.id, "out", b.id, "x")
    g.rename_node(a.id, "dense")
    g.set_param(a.id, "out_features", 8)
    g.move_node(b.id, (10, 20))
    g.disconnect(edge)
    g.connect(a.id, "out", b.id, "x")
    g.remove_node(a.id)  # also drops the edge: still one event
    assert events == ["node_added", "node_added", "edge_added", "node_renamed", "param_changed",
                      "node_moved", "edge_removed", "edge_added", "node_removed"]
    assert g.edges == []


def test_names_are_unique_identifiers() -> None:
    g = Graph()
    assert g.add_node("Conv2d").name == "conv"
    assert g.add_node("Conv2d").name == "conv1"
    assert g.add_node("Conv2d").name == "conv2"
    with pytest.raises(NameError_, match="already exists"):
        g.add_node("ReLU", "conv")
    with pytest.raises(NameError_, match="not a valid name"):
        g.add_node("ReLU", "2fast")
    with pytest.raises(NameError_, match="reserved"):
        g.add_node("ReLU", "forward")
    node = g.add_node("ReLU", "act")
    with pytest.raises(NameError_):
        g.rename_node(node.id, "my layer")
    assert node.name == "act"


def test_params_validated_and_defaulted() -> None:
    g = Graph()
    n = g.add_node("Conv2d", params={"kernel_size": 5})
    assert n.params["kernel_size"] == (5, 5)  # a single number means every axis
    assert n.params["in_channels"] == "auto"
    with pytest.raises(ParamError, match="at least 1"):
        g.set_param(n.id, "out_channels", 0)
    with pytest.raises(ParamError, match="whole number"):
        g.set_param(n.id, "out_channels", 2.5)
    with pytest.raises(ParamError, match="no parameter"):
        g.add_node("ReLU", params={"bogus": 1})
    with pytest.raises(UnknownKind, match="Conv9d"):
        g.add_node("Conv9d")
    assert n.params["out_channels"] == 16  # unchanged by the refused edits


def test_connection_errors_are_typed() -> None:
    g = Graph()
    a, b, c = add(g, "Linear", "a"), add(g, "Linear", "b"), add(g, "Linear", "c")
    loss = add(g, "MSELoss", "mse")
    chain(g, [a, b, c])
    cases = [
        ((a.id, "out", a.id, "x"), SelfLoopError, "cannot feed itself"),
        ((c.id, "out", a.id, "x"), CycleError, "cycle"),
        ((a.id, "out", b.id, "x"), DuplicateEdgeError, "already connected"),
        ((c.id, "out", b.id, "x"), InputAlreadyConnectedError, "already receives a"),
        ((a.id, "nope", loss.id, "prediction"), UnknownPortError, "no output port 'nope'"),
        ((a.id, "out", loss.id, "nope"), UnknownPortError, "no input port 'nope'"),
        ((loss.id, "loss", a.id, "x"), IncompatiblePortError, "scalar loss"),
    ]
    for args, error, text in cases:
        with pytest.raises(error, match=text):
            g.connect(*args)
        assert issubclass(error, ConnectionError_) and issubclass(error, GraphError)
        assert not g.can_connect(*args)
    assert g.can_connect(c.id, "out", loss.id, "prediction")
    assert len(g.edges) == 2


def test_remove_and_restore_is_exact() -> None:
    g = mnist_cnn()
    before = g.copy()
    node, index, edges = g.remove_node(g.by_name("fc2").id)
    assert "fc2" not in g.names() and len(g.edges) == len(before.edges) - 3
    g.restore_node(node, index, edges)
    assert g == before
    assert [e for e in g.edges] == before.edges  # edge order too


def test_variadic_inputs_follow_param() -> None:
    g = Graph()
    cat = g.add_node("Concat", params={"inputs": 3})
    assert cat.input_ports() == ["x0", "x1", "x2"]
    srcs = [g.add_node("Linear") for _ in range(3)]
    for i, s in enumerate(srcs):
        g.connect(s.id, "out", cat.id, f"x{i}")
    g.set_param(cat.id, "inputs", 2)
    assert [e.dst_port for e in g.in_edges(cat.id)] == ["x0", "x1"]


def test_topological_order_and_equality() -> None:
    g = mnist_cnn()
    order = [n.name for n in g.topological_order()]
    position = {name: i for i, name in enumerate(order)}
    for e in g.edges:
        assert position[g.node(e.src).name] < position[g.node(e.dst).name]
    other = mnist_cnn()
    assert g == other
    other.move_node(other.by_name("conv1").id, (5, 5))
    assert g != other


def test_set_params_drops_edges_into_removed_ports() -> None:
    g = Graph()
    add_node = g.add_node("Add", params={"inputs": 3})
    srcs = [g.add_node("Linear") for _ in range(3)]
    for i, s in enumerate(srcs):
        g.connect(s.id, "out", add_node.id, f"x{i}")
    events = recorder(g)
    g.set_params(add_node.id, {"inputs": 2})
    assert events == ["param_changed"]
    assert [e.dst_port for e in g.in_edges(add_node.id)] == ["x0", "x1"]


def test_replace_with_keeps_ids_fresh() -> None:
    g = Graph()
    other = Graph()
    for _ in range(3):
        other.add_node("ReLU")
    g.replace_with(other)
    assert g.add_node("ReLU").id not in {n.id for n in other.nodes}


def test_names_that_would_shadow_module_attributes_are_refused() -> None:
    import torch

    from engine.graph import _RESERVED

    public = {n for n in set(dir(torch.fx.GraphModule)) | set(dir(torch.nn.Module)) if not n.startswith("_")}
    assert public <= _RESERVED, sorted(public - _RESERVED)  # keep the list in step with torch
    g = Graph()
    for bad in ("__init__", "_modules", "named_parameters", "state_dict"):
        with pytest.raises(NameError_):
            g.add_node("ReLU", bad)
    assert g.unique_name("__weird__") == "weird"
