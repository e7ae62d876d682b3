"""Seed-style networks built through the engine API, and their hand-written twins."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from engine.graph import Graph, Node


def chain(graph: Graph, nodes: list[Node]) -> None:
    """Connect each node's first output to the next node's first input."""
    for a, b in zip(nodes, nodes[1:], strict=False):
        graph.connect(a.id, a.output_ports()[0], b.id, b.input_ports()[0])


def add(graph: Graph, kind: str, name: str | None = None, **params: Any) -> Node:
    return graph.add_node(kind, name, params)


def mnist_cnn(with_loss: bool = True) -> Graph:
    """conv(1,10,5)-relu-pool-conv(10,20,5)-relu-pool-flatten-fc(320,50)-relu-fc(50,10): 21,840 params."""
    g = Graph()
    nodes = [
        add(g, "Input", "image", field="image", shape=[1, 28, 28]),
        add(g, "Conv2d", "conv1", out_channels=10, kernel_size=[5, 5]),
        add(g, "ReLU", "relu1"),
        add(g, "MaxPool2d", "pool1", kernel_size=[2, 2]),
        add(g, "Conv2d", "conv2", out_channels=20, kernel_size=[5, 5]),
        add(g, "ReLU", "relu2"),
        add(g, "MaxPool2d", "pool2", kernel_size=[2, 2]),
        add(g, "Flatten", "flatten"),
        add(g, "Linear", "fc1", out_features=50),
        add(g, "ReLU", "relu3"),
        add(g, "Linear", "fc2", out_features=10),
        add(g, "Output", "logits"),
    ]
    chain(g, nodes)
    if with_loss:
        label = add(g, "Input", "label", field="label", shape=[], dtype="int64")
        loss = add(g, "CrossEntropyLoss", "loss")
        g.connect(g.by_name("fc2").id, "out", loss.id, "prediction")
        g.connect(label.id, "out", loss.id, "target")
    return g


class MnistCnn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc2(torch.relu(self.fc1(x)))


def residual_mlp() -> Graph:
    """Input(16) -> fc_in(32) -> [fc_a -> relu -> fc_b] + skip -> LayerNorm -> fc_out(4)."""
    g = Graph()
    x = add(g, "Input", "x", field="features", shape=[16])
    fc_in = add(g, "Linear", "fc_in", out_features=32)
    fc_a = add(g, "Linear", "fc_a", out_features=32)
    relu = add(g, "ReLU", "relu")
    fc_b = add(g, "Linear", "fc_b", out_features=32)
    plus = add(g, "Add", "skip")
    norm = add(g, "LayerNorm", "norm")
    fc_out = add(g, "Linear", "fc_out", out_features=4)
    out = add(g, "Output", "y")
    chain(g, [x, fc_in, fc_a, relu, fc_b])
    g.connect(fc_b.id, "out", plus.id, "x0")
    g.connect(fc_in.id, "out", plus.id, "x1")
    chain(g, [plus, norm, fc_out, out])
    return g


class ResidualMlp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc_in = nn.Linear(16, 32)
        self.fc_a = nn.Linear(32, 32)
        self.fc_b = nn.Linear(32, 32)
        self.norm = nn.LayerNorm(32)
        self.fc_out = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc_in(x)
        return self.fc_out(self.norm(self.fc_b(torch.relu(self.fc_a(h))) + h))
