"""Shapes, parameter counts and MACs come from PyTorch; errors read as sentences."""

from __future__ import annotations

from seed_graphs import add, chain, mnist_cnn

from engine.catalog import format_shape
from engine.graph import Graph
from engine.shapes import ShapeInferencer, infer_shapes


def test_mnist_cnn_shapes_params_and_macs() -> None:
    g = mnist_cnn()
    inf = infer_shapes(g)
    assert inf.ok, inf.issues
    shape = {n.name: format_shape(inf.shape(n.id)) for n in g if n.output_ports() == ["out"]}
    assert shape["conv1"] == "N×10×24×24"
    assert shape["pool2"] == "N×20×4×4"
    assert shape["flatten"] == "N×320"
    assert shape["fc2"] == "N×10"
    assert inf.total_params == 21_840
    assert inf.nodes[g.by_name("fc1").id].kwargs["in_features"] == 320  # auto filled
    # conv1: 10 out channels × 24×24 positions × 25 kernel taps = 144,000 MACs per sample
    assert inf.nodes[g.by_name("conv1").id].macs == 144_000
    assert inf.nodes[g.by_name("fc1").id].macs == 320 * 50
    assert format_shape(inf.shape(g.by_name("loss").id, "loss")) == "scalar"


def test_wrong_in_features_names_node_and_fix() -> None:
    g = mnist_cnn()
    g.set_param(g.by_name("fc1").id, "in_features", 400)
    inf = infer_shapes(g)
    [issue] = inf.errors
    assert issue.node == "fc1"
    assert issue.message == ("fc1 (Linear) receives 320 features but in_features is 400 — "
                             "set in_features to auto or 320")


def test_every_issue_is_reported_not_just_the_first() -> None:
    g = Graph()
    x = add(g, "Input", "x", shape=[3, 32, 32])
    conv = add(g, "Conv2d", "conv1", in_channels=1, out_channels=6, kernel_size=5)
    chain(g, [x, conv, add(g, "Output", "y")])
    fc = add(g, "Linear", "fc9")  # input never connected
    relu = add(g, "ReLU", "act")  # downstream of the unconnected Linear: no extra noise
    g.connect(fc.id, "out", relu.id, "x")
    issues = infer_shapes(g).errors
    assert [(i.node, i.code) for i in issues] == [("conv1", "shape"), ("fc9", "unconnected")]
    assert "conv1 (Conv2d) receives 3 channels but in_channels is 1" in issues[0].message
    assert "input 'x' is not connected" in issues[1].message


def test_rank_and_kernel_messages() -> None:
    g = Graph()
    x = add(g, "Input", "x", shape=[20])
    conv = add(g, "Conv2d", "conv")
    chain(g, [x, conv])
    [issue] = infer_shapes(g).errors
    assert issue.message.startswith("conv (Conv2d) needs N×C×H×W input but receives N×20")

    g = Graph()
    x = add(g, "Input", "x", shape=[1, 4, 4])
    conv = add(g, "Conv2d", "big", kernel_size=5)
    chain(g, [x, conv])
    [issue] = infer_shapes(g).errors
    assert "big (Conv2d)" in issue.message and "smaller kernel" in issue.message


def test_loss_target_mismatch_message() -> None:
    g = Graph()
    x = add(g, "Input", "x", shape=[4])
    y = add(g, "Input", "y", field="target", shape=[3])
    fc = add(g, "Linear", "fc", out_features=1)
    mse = add(g, "MSELoss", "mse")
    chain(g, [x, fc])
    g.connect(fc.id, "out", mse.id, "prediction")
    g.connect(y.id, "out", mse.id, "target")
    [issue] = infer_shapes(g).errors
    assert issue.node == "mse"
    assert "prediction N×1 and target N×3 do not fit" in issue.message


def test_input_shapes_from_data_override_node_shape() -> None:
    g = mnist_cnn()
    inf = infer_shapes(g, {"image": ((1, 32, 32), "float32")})
    assert format_shape(inf.shape(g.by_name("flatten").id)) == "N×500"


def test_memo_reruns_only_downstream_of_an_edit() -> None:
    g = mnist_cnn()
    inferencer = ShapeInferencer()
    inferencer.infer(g)
    first = inferencer.runs
    inferencer.infer(g)
    assert inferencer.runs == first  # nothing changed: all cached
    g.set_param(g.by_name("fc1").id, "out_features", 64)
    inferencer.infer(g)
    # fc1, relu3 (new input shape) and fc2 re-run; the convolutions come from the memo
    assert inferencer.runs - first == 3
    g.set_param(g.by_name("fc1").id, "out_features", 50)
    inferencer.infer(g)
    assert inferencer.runs - first == 3  # back to a known configuration: memo hit


def test_shape_preserving_layers_still_check_their_input() -> None:
    g = Graph()
    x = add(g, "Input", "x", shape=[3, 8, 8])
    bn = add(g, "BatchNorm2d", "bn", num_features=16)
    chain(g, [x, bn])
    [issue] = infer_shapes(g).errors
    assert issue.message == "bn (BatchNorm2d) receives 3 channels but num_features is 16 — " \
                            "set num_features to auto or 3"

    g = Graph()
    x = add(g, "Input", "x", shape=[20])
    bn = add(g, "BatchNorm2d", "bn")
    chain(g, [x, bn])
    [issue] = infer_shapes(g).errors
    assert issue.message.startswith("bn (BatchNorm2d) needs N×C×H×W input but receives N×20")


def test_recurrent_state_ports_show_batch_in_place() -> None:
    g = Graph()
    x = add(g, "Input", "tokens", shape=[7, 16])
    lstm = add(g, "LSTM", "lstm", hidden_size=32, num_layers=2)
    chain(g, [x, lstm])
    inf = infer_shapes(g)
    assert inf.shape_text(lstm.id, "output") == "N×7×32"
    assert inf.shape_text(lstm.id, "h_n") == "2×N×32"


def test_slice_select_and_mean_name_the_dimension_to_use() -> None:
    def issue(kind: str, shape: list[int], **params: object) -> str:
        g = Graph()
        chain(g, [add(g, "Input", "x", field="x", shape=shape), add(g, kind, "n", **params),
                  add(g, "Output", "out")])
        [only] = infer_shapes(g).issues
        return only.message

    assert issue("Slice", [6], dim=1, start=4, length=5) == \
        "n (Slice): start 4 + length 5 runs past the 6 entries of that dimension of its N×6 input — " \
        "lower start or length"
    assert issue("Select", [6], dim=1, index=9) == \
        "n (Select): index 9 is outside dimension 1 of its N×6 input (size 6) — use 0 to 5, or -1 for the last"
    assert issue("Mean", [3, 4, 4], dims=[4]) == \
        "n (Mean): its N×3×4×4 input has no dimension 4 — use 1 to 3 (dimensions count from 1 after the batch)"
    g = Graph()  # a token pick then a per-sample average: N×10×7 -> N×7 -> N
    chain(g, [add(g, "Input", "x", field="x", shape=[10, 7]), add(g, "Select", "cls", dim=1, index=0),
              add(g, "Mean", "avg", dims=[1]), add(g, "Output", "out")])
    inference = infer_shapes(g)
    assert inference.issues == [] and inference.shape(g.by_name("avg").id, "out")[1:] == ()
