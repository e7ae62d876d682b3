"""One harness every catalog entry passes the same way: build, infer, run a real
CPU forward, compare shapes with inference, round-trip params through JSON,
count parameters."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from engine.catalog import all_specs
from engine.compiler import compile_graph
from engine.graph import Graph
from engine.project import Project, project_from_dict
from engine.shapes import META_BATCH, infer_shapes

# Sample shape(s) (batch excluded) and dtype per input, and non-default params.
CASES: dict[str, tuple[list[tuple[tuple[int, ...], str]], dict[str, Any]]] = {
    "Linear": ([((8,), "float32")], {"out_features": 5}),
    "Embedding": ([((6,), "int64")], {"num_embeddings": 20, "embedding_dim": 4}),
    "Dropout": ([((8,), "float32")], {}),
    "Dropout2d": ([((3, 6, 6), "float32")], {}),
    "Identity": ([((8,), "float32")], {}),
    "Flatten": ([((3, 4, 4), "float32")], {}),
    "Reshape": ([((48,), "float32")], {"shape": [3, 4, 4]}),
    "Permute": ([((3, 5), "float32")], {"dims": [0, 2, 1]}),
    "Upsample": ([((3, 4, 4), "float32")], {}),
    "Mean": ([((3, 4, 4), "float32")], {"dims": [2, 3]}),
    "Slice": ([((6, 4), "float32")], {"dim": 1, "start": 2, "length": 3}),
    "Select": ([((5, 8), "float32")], {"dim": 1, "index": -1}),
    "StochasticDepth": ([((3, 4, 4), "float32")], {"p": 0.5}),
    "Scale": ([((6,), "float32")], {"scale": 0.5, "shift": 1.0}),
    "Conv1d": ([((3, 16), "float32")], {"out_channels": 4}),
    "Conv2d": ([((3, 12, 12), "float32")], {"out_channels": 4, "padding": 1}),
    "ConvTranspose2d": ([((3, 6, 6), "float32")], {"out_channels": 4, "stride": 2}),
    "MaxPool2d": ([((3, 8, 8), "float32")], {}),
    "AvgPool2d": ([((3, 8, 8), "float32")], {}),
    "AdaptiveAvgPool2d": ([((3, 7, 7), "float32")], {"output_size": [2, 2]}),
    "AdaptiveMaxPool2d": ([((3, 7, 7), "float32")], {}),
    "BatchNorm1d": ([((8,), "float32")], {}),
    "BatchNorm2d": ([((3, 5, 5), "float32")], {}),
    "LayerNorm": ([((5, 8), "float32")], {}),
    "GroupNorm": ([((8, 4, 4), "float32")], {"num_groups": 4}),
    "Add": ([((3, 4, 4), "float32")] * 2, {}),
    "Multiply": ([((3, 4, 4), "float32")] * 3, {"inputs": 3}),
    "Concat": ([((3, 4, 4), "float32"), ((2, 4, 4), "float32")], {}),
    "LSTM": ([((5, 8), "float32")], {"hidden_size": 6}),
    "GRU": ([((5, 8), "float32")], {"hidden_size": 6, "num_layers": 2}),
    "MultiheadAttention": ([((5, 8), "float32")] * 3, {"num_heads": 2}),
    "TransformerEncoderLayer": ([((5, 8), "float32")], {"nhead": 2, "dim_feedforward": 16}),
    "CrossEntropyLoss": ([((10,), "float32"), ((), "int64")], {}),
    "NLLLoss": ([((10,), "float32"), ((), "int64")], {}),
    "BCEWithLogitsLoss": ([((1,), "float32"), ((1,), "float32")], {}),
    "BCELoss": ([((1,), "float32"), ((1,), "float32")], {}),
    "MSELoss": ([((1,), "float32"), ((1,), "float32")], {"weight": 0.5}),
    "L1Loss": ([((3,), "float32"), ((3,), "float32")], {}),
    "SmoothL1Loss": ([((3,), "float32"), ((3,), "float32")], {"beta": 0.5}),
}
FUSED_ON_CPU = {"LSTM", "TransformerEncoderLayer"}  # aten::lstm, the encoder's eval fast path
BACKBONE_INPUT = ([((3, 32, 32), "float32")], {"num_classes": 7})
ACTIVATION_INPUT = ([((8,), "float32")], {})
SPECS = [s for s in all_specs() if s.role not in ("input", "output")]


def case_for(kind: str, family: str) -> tuple[list[tuple[tuple[int, ...], str]], dict[str, Any]]:
    if kind in CASES:
        return CASES[kind]
    if family == "vision":
        return BACKBONE_INPUT
    if family == "activation":
        return ACTIVATION_INPUT
    raise AssertionError(f"add a conformance case for the new kind {kind}")


def sample(shape: tuple[int, ...], dtype: str, kind: str) -> torch.Tensor:
    if dtype == "int64":
        high = 10 if "Loss" in kind else 20
        return torch.randint(0, high, (META_BATCH, *shape))
    if kind == "BCELoss":
        return torch.rand(META_BATCH, *shape)
    return torch.randn(META_BATCH, *shape)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_conformance(spec: Any) -> None:
    torch.manual_seed(0)
    inputs, params = case_for(spec.kind, spec.family)
    g = Graph()
    node = g.add_node(spec.kind, "layer", params)
    ports = node.input_ports()
    assert len(ports) == len(inputs)
    for i, ((shape, dtype), port) in enumerate(zip(inputs, ports, strict=True)):
        src = g.add_node("Input", f"in{i}", {"field": f"f{i}", "shape": list(shape), "dtype": dtype})
        g.connect(src.id, "out", node.id, port)
    if spec.role == "loss":  # the model returns the prediction; the loss is training-only
        out = g.add_node("Output", "out_prediction")
        g.connect(g.by_name("in0").id, "out", out.id, "x")
    else:
        for port in node.output_ports():
            out = g.add_node("Output", f"out_{port}")
            g.connect(node.id, port, out.id, "x")

    # 1. infer on meta
    inference = infer_shapes(g)
    assert inference.ok, [i.message for i in inference.issues]
    info = inference.nodes[node.id]

    # 2. round-trip params through the JSON project format
    project = Project(graph=g)
    again = project_from_dict(json.loads(json.dumps(project.to_dict())))
    assert again.graph == g
    assert again.graph.node(node.id).params == node.params

    # 3. real CPU forward through the compiled graph; shapes match inference
    compiled = compile_graph(g, inference=inference)
    tensors = [sample(shape, dtype, spec.kind) for shape, dtype in inputs]
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        if spec.role == "loss":
            result = compiled.train_module(*tensors)
            value = result["losses"]["layer"]
            assert value.shape == () and torch.isfinite(value)
            assert inference.shape(node.id, "loss") == ()
        else:
            compiled.model.eval()
            result = compiled.model(*tensors)
            results = result if isinstance(result, dict) else {compiled.outputs[0]: result}
            for port in node.output_ports():
                real = tuple(results[f"out_{port}"].shape)
                assert real == inference.shape(node.id, port), port

    # 4. parameter count equals the real module's
    module = dict(compiled.train_module.named_children()).get("layer")
    real_params = sum(p.numel() for p in module.parameters()) if module is not None else 0
    assert info.params == real_params
    # 5. MACs per sample equal what PyTorch counts on the real forward (except where the CPU
    #    runs one fused kernel the counter cannot see into; meta decomposes those into matmuls)
    if spec.kind not in FUSED_ON_CPU:
        assert info.macs == counter.get_total_flops() // 2 // META_BATCH
    else:
        assert info.macs > 0
