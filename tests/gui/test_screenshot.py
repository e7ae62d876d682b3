"""A screenshot of the editor with the MNIST CNN, for a human to look at."""

from __future__ import annotations

from conftest import SCREENSHOTS, build_mnist
from gui_helpers import settle


def test_editor_screenshot_with_mnist(make_window, qtbot):
    window = make_window()
    window.resize(1500, 900)
    qtbot.wait(30)
    graph = window.document.graph
    ids = build_mnist(graph)
    conv_row = ["image", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2"]
    dense_row = ["flatten", "fc1", "relu3", "fc2", "logits"]
    for i, name in enumerate(conv_row):
        graph.move_node(ids[name], (i * 280.0, 0.0))
    for i, name in enumerate(dense_row):
        graph.move_node(ids[name], (280.0 + i * 280.0, 220.0))
    graph.move_node(ids["label"], (1120.0, 440.0))
    graph.move_node(ids["loss"], (1400.0, 400.0))
    settle(qtbot, window)
    assert window.document.inference.errors == []
    assert window.scene.edge_items[graph.edges[0]].label == "N×1×28×28"
    labels = {window.scene.edge_items[e].label for e in graph.edges}
    assert {"N×10×24×24", "N×20×4×4", "N×320", "N×50", "N×10", "N"} <= labels
    window.view.frame_all()
    window.scene.select_nodes([ids["conv2"]])
    qtbot.wait(50)
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / "editor_mnist.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000
    assert "21.8k params" in window.counts_label.text()
