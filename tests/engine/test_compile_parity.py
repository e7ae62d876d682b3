"""Compiled graphs are real PyTorch: bit-identical to hand-written modules."""

from __future__ import annotations

import pytest
import torch
from seed_graphs import MnistCnn, ResidualMlp, mnist_cnn, residual_mlp

from engine.compiler import CompileError, compile_graph


def test_mnist_cnn_matches_hand_written_module() -> None:
    compiled = compile_graph(mnist_cnn(), name="mnist cnn")
    reference = MnistCnn()
    assert sum(p.numel() for p in compiled.model.parameters()) == 21_840
    # state_dict keys are the node names, so the reference's weights load as they are
    compiled.model.load_state_dict(reference.state_dict())
    x = torch.randn(8, 1, 28, 28)
    assert torch.equal(compiled.model(x), reference(x))
    assert list(compiled.model.state_dict()) == list(reference.state_dict())
    assert compiled.inputs == ["image"] and compiled.outputs == ["logits"]


def test_generated_code_reads_like_pytorch() -> None:
    compiled = compile_graph(mnist_cnn(), name="mnist cnn")
    code = compiled.model.code
    assert "def forward(self, image):" in code
    assert "conv1 = self.conv1(image)" in code
    assert "return fc2" in code
    assert "loss" not in code  # losses never reach the exported model
    assert type(compiled.model).__name__ == "MnistCnn"


def test_loss_module_is_training_only() -> None:
    compiled = compile_graph(mnist_cnn())
    assert "loss" not in dict(compiled.model.named_children())
    out = compiled.train_module(torch.randn(4, 1, 28, 28), torch.tensor([1, 2, 3, 4]))
    expected = torch.nn.functional.cross_entropy(out["predictions"]["loss"], torch.tensor([1, 2, 3, 4]))
    assert torch.equal(out["losses"]["loss"], expected)
    # shared parameters: a step on the training module changes the exported model
    out["losses"]["loss"].backward()
    assert compiled.model.fc2.weight.grad is not None
    assert compiled.losses[0].task == "classification" and compiled.losses[0].target_field == "label"


def test_residual_graph_matches_hand_written_module() -> None:
    compiled = compile_graph(residual_mlp())
    reference = ResidualMlp()
    compiled.model.load_state_dict(reference.state_dict())
    x = torch.randn(5, 16)
    assert torch.equal(compiled.model(x), reference(x))
    assert "skip = fc_b + fc_in" in compiled.model.code


def test_compile_refuses_graph_with_errors() -> None:
    g = mnist_cnn()
    g.set_param(g.by_name("fc1").id, "in_features", 100)
    g.remove_node(g.by_name("relu1").id)
    with pytest.raises(CompileError) as info:
        compile_graph(g)
    messages = [i.message for i in info.value.issues]
    assert any("pool1 (MaxPool2d): input 'x' is not connected" in m for m in messages)
    assert all(i.severity == "error" for i in info.value.issues)


def test_multiple_outputs_return_a_dict() -> None:
    g = mnist_cnn(with_loss=False)
    feat = g.add_node("Output", "features")
    g.connect(g.by_name("fc1").id, "out", feat.id, "x")
    compiled = compile_graph(g)
    out = compiled.model(torch.randn(2, 1, 28, 28))
    assert set(out) == {"logits", "features"} and out["features"].shape == (2, 50)
