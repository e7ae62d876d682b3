"""Export: every format reproduces the compiled model; weights are checked; writes are atomic."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from seed_graphs import add, chain

from engine.cli import main
from engine.compiler import compile_graph
from engine.export import FORMATS, WeightsMismatchError, export_model, load_snippet, python_source
from engine.graph import Graph
from engine.project import Project, save_project

# torch.jit.load is deprecated in favour of torch.export, but TorchScript is still a format users ask for.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")


def cnn_graph(with_loss: bool = True) -> Graph:
    """image -> conv1 -> relu1 -> (conv2 + relu1) -> pool -> Reshape -> fc -> logits (+ a loss)."""
    g = Graph()
    image = add(g, "Input", "image", field="image", shape=[1, 12, 12])
    conv1 = add(g, "Conv2d", "conv1", out_channels=4, kernel_size=[3, 3])
    relu1 = add(g, "ReLU", "relu1")
    conv2 = add(g, "Conv2d", "conv2", out_channels=4, kernel_size=[3, 3], padding=[1, 1])
    plus = add(g, "Add", "skip")
    pool = add(g, "MaxPool2d", "pool", kernel_size=[2, 2])
    reshape = add(g, "Reshape", "reshape", shape=[4 * 5 * 5])
    bn = add(g, "BatchNorm1d", "bn")
    fc = add(g, "Linear", "fc", out_features=3)
    out = add(g, "Output", "logits")
    chain(g, [image, conv1, relu1, conv2])
    g.connect(relu1.id, "out", plus.id, "x0")
    g.connect(conv2.id, "out", plus.id, "x1")
    chain(g, [plus, pool, reshape, bn, fc, out])
    if with_loss:
        label = add(g, "Input", "label", field="label", shape=[], dtype="int64")
        loss = add(g, "CrossEntropyLoss", "loss")
        g.connect(fc.id, "out", loss.id, "prediction")
        g.connect(label.id, "out", loss.id, "target")
    return g


def two_output_graph() -> Graph:
    g = Graph()
    x = add(g, "Input", "x", field="features", shape=[6])
    fc = add(g, "Linear", "fc", out_features=5)
    act = add(g, "Tanh", "act")
    head_a = add(g, "Linear", "head_a", out_features=2)
    head_b = add(g, "Linear", "head_b", out_features=3, bias=False)
    chain(g, [x, fc, act, head_a, add(g, "Output", "a")])
    chain(g, [act, head_b, add(g, "Softmax", "probs"), add(g, "Output", "b")])
    return g


def backbone_graph() -> Graph:
    g = Graph()
    x = add(g, "Input", "image", field="image", shape=[3, 32, 32])
    bb = add(g, "resnet18", "backbone", head="features", trainable=False)
    chain(g, [x, bb, add(g, "Linear", "head", out_features=4), add(g, "Output", "scores")])
    return g


def trained(graph: Graph, tmp_path: Path, seed: int = 1) -> tuple[torch.nn.Module, Path]:
    """A compiled model with non-default weights (and BN statistics) saved as safetensors."""
    torch.manual_seed(seed)
    model = compile_graph(graph).model
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if value.is_floating_point():
                noise = torch.randn_like(value) * 0.3
                value.copy_(noise.abs() + 0.5 if "running_var" in name else noise)
    path = tmp_path / f"trained{seed}.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return model.eval(), path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Graph, torch.nn.Module, Path, torch.Tensor]:
    tmp = tmp_path_factory.mktemp("export")
    graph = cnn_graph()
    model, weights = trained(graph, tmp)
    x = torch.randn(3, 1, 12, 12)  # batch 3: exports were traced at batch 2, so this checks it is dynamic
    return graph, model, weights, x


@pytest.mark.parametrize("fmt", ["state_dict", "safetensors", "torchscript", "torch-export"])
def test_pytorch_formats_match_compiled(setup, fmt: str, tmp_path: Path) -> None:
    graph, model, weights, x = setup
    out = export_model(graph, weights, fmt, tmp_path / f"m{FORMATS[fmt][0]}")
    assert out.is_file()
    if fmt in ("state_dict", "safetensors"):
        fresh = compile_graph(graph).model.eval()
        namespace = {"model": fresh, "x": x}
        exec(load_snippet(fmt, out), namespace)  # the dialog's snippet really loads it
        loaded = fresh
        assert set(fresh.state_dict()) == set(model.state_dict())  # no loss keys, nothing extra
    elif fmt == "torchscript":
        loaded = torch.jit.load(str(out))
    else:
        namespace = {"x": x}
        exec(load_snippet(fmt, out), namespace)
        loaded = namespace["model"]
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_onnx_in_onnxruntime(setup, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    graph, model, weights, x = setup
    out = export_model(graph, weights, "onnx", tmp_path / "m.onnx")
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["image"]  # the label Input feeds only the loss
    assert [o.name for o in session.get_outputs()] == ["logits"]
    (got,) = session.run(None, {"image": x.numpy()})
    with torch.no_grad():
        assert (torch.from_numpy(got) - model(x)).abs().max().item() <= 1e-5


def test_onnx_falls_back_to_the_dynamo_exporter(tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    g = Graph()  # 7×7 -> 2×2 adaptive pooling: the TorchScript-based exporter cannot express it
    chain(g, [add(g, "Input", "x", shape=[2, 7, 7]), add(g, "AdaptiveAvgPool2d", "pool", output_size=[2, 2]),
              add(g, "Output", "y")])
    out = export_model(g, None, "onnx", tmp_path / "pool.onnx")
    x = torch.randn(3, 2, 7, 7)
    (got,) = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"x": x.numpy()})
    with torch.no_grad():
        assert (torch.from_numpy(got) - compile_graph(g).model(x)).abs().max().item() <= 1e-5


_RUNNER = textwrap.dedent("""
    import importlib.util, sys
    # Torchwire may be installed (editable) in this interpreter: make it unimportable,
    # so any "import engine" / "import gui" in the exported file fails loudly.
    sys.modules["engine"] = None
    sys.modules["gui"] = None
    try:
        import engine  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("Torchwire is importable; the test would prove nothing")
    import torch
    for stem in sys.argv[1:]:
        spec = importlib.util.spec_from_file_location(stem, stem + ".py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        weights = stem + ".safetensors"
        model = module.load_model(weights if __import__("os").path.exists(weights) else None)
        inputs = torch.load(stem + ".in.pt", weights_only=True)
        with torch.no_grad():
            torch.save(model(*inputs), stem + ".out.pt")
    assert not any(name.startswith(("engine.", "gui.")) for name in sys.modules)
""")


def test_python_file_runs_in_a_fresh_interpreter(setup, tmp_path: Path) -> None:
    graph, model, weights, x = setup
    cases = {"cnn": (graph, model, weights, [x])}
    two = two_output_graph()
    two_model, two_weights = trained(two, tmp_path, seed=2)
    cases["two"] = (two, two_model, two_weights, [torch.randn(4, 6)])
    bb = backbone_graph()
    bb_model, bb_weights = trained(bb, tmp_path, seed=3)
    cases["bb"] = (Project(graph=bb, name="frozen backbone"), bb_model, bb_weights, [torch.randn(2, 3, 32, 32)])
    for stem, (what, _, w, inputs) in cases.items():
        export_model(what, w, "python", tmp_path / f"{stem}.py")
        (tmp_path / f"{stem}.safetensors").write_bytes(w.read_bytes())
        torch.save(inputs, tmp_path / f"{stem}.in.pt")
    result = subprocess.run([sys.executable, "-I", "-c", _RUNNER, *cases], cwd=tmp_path,
                            env={"PYTHONPATH": "", "PATH": "/usr/bin:/bin"}, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for stem, (_, m, _, inputs) in cases.items():
        got = torch.load(tmp_path / f"{stem}.out.pt", weights_only=True)
        with torch.no_grad():
            want = m(*inputs)
        if isinstance(want, dict):
            assert list(got) == list(want) == ["a", "b"]
            assert all(torch.equal(got[k], want[k]) for k in want)
        else:
            assert torch.equal(got, want)
    source = (tmp_path / "bb.py").read_text()
    assert "self.backbone = torchvision.models.resnet18(weights=None)" in source
    assert "self.backbone.fc = nn.Identity()" in source
    assert "self.backbone.requires_grad_(False)" in source
    assert "class FrozenBackbone(nn.Module):" in source


def test_python_source_reads_like_hand_written_code() -> None:
    compiled = compile_graph(cnn_graph(), name="tiny cnn")
    src = python_source(compiled, "TinyCnn")
    assert "self.conv1 = nn.Conv2d(in_channels=1, out_channels=4, kernel_size=(3, 3))" in src
    assert "self.conv2 = nn.Conv2d(in_channels=4, out_channels=4, kernel_size=(3, 3), padding=(1, 1))" in src
    assert "self.pool = nn.MaxPool2d(kernel_size=(2, 2))" in src
    assert "self.fc = nn.Linear(in_features=100, out_features=3)" in src
    assert "skip = relu1 + conv2\n" in src
    assert "= None" not in src.split("def forward")[1].split("def load_model")[0]
    assert "loss" not in src and "engine" not in src
    assert "def load_model(weights_path=None):" in src
    compile(src, "tiny.py", "exec")


def test_mismatched_weights_are_listed_and_nothing_is_written(setup, tmp_path: Path) -> None:
    graph, model, _, _ = setup
    state = {k: v.clone() for k, v in model.state_dict().items()}
    del state["conv1.bias"]
    state["extra.weight"] = torch.zeros(2)
    state["fc.weight"] = torch.zeros(3, 99)
    bad = tmp_path / "bad.pt"
    torch.save(state, bad)
    out = tmp_path / "m.onnx"
    with pytest.raises(WeightsMismatchError) as info:
        export_model(graph, bad, "onnx", out)
    err = info.value
    assert err.missing == ["conv1.bias"] and err.unexpected == ["extra.weight"]
    assert err.mismatched == [("fc.weight", (3, 99), (3, 100))]
    assert "missing 1 key(s): conv1.bias" in str(err)
    assert "fc.weight (file 3×99, graph 3×100)" in str(err)
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_training_checkpoint_and_loss_keys_are_accepted(setup, tmp_path: Path) -> None:
    graph, model, _, x = setup
    checkpoint = tmp_path / "ckpt.pt"
    state = dict(model.state_dict())
    state["loss.weight"] = torch.ones(3)  # a loss module's buffer: not part of the model
    torch.save({"model": state, "epoch": 3, "optimizers": {}}, checkpoint)
    out = export_model(graph, checkpoint, "torchscript", tmp_path / "m.ts")
    with torch.no_grad():
        assert torch.equal(torch.jit.load(str(out))(x), model(x))


def test_without_weights_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        out = export_model(two_output_graph(), None, "safetensors", tmp_path / "w.safetensors")
    assert out.is_file()
    assert "untrained" in caplog.text


def test_cli_export(setup, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                    monkeypatch: pytest.MonkeyPatch) -> None:
    graph, model, weights, x = setup
    project = save_project(Project(graph=graph, name="Tiny CNN"), tmp_path / "tiny.json")
    out = tmp_path / "tiny.pt2"
    assert main(["export", str(project), "--weights", str(weights), "--format", "torch-export",
                 "-o", str(out)]) == 0
    assert "torch.export.load" in capsys.readouterr().out
    with torch.no_grad():
        assert torch.equal(torch.export.load(str(out)).module()(x), model(x))
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["export", str(project), "--weights", str(weights), "--format", "python"]) == 0
    # default: the project's name with the format's suffix, in the current folder
    assert (here / "tiny.py").is_file() and not (tmp_path / "tiny.py").exists()

    wrong = tmp_path / "wrong.safetensors"
    save_file({"conv1.weight": torch.zeros(1)}, str(wrong))
    assert main(["export", str(project), "--weights", str(wrong), "-f", "onnx", "-o",
                 str(tmp_path / "x.onnx")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "wrong.safetensors does not match the graph" in err
    assert not (tmp_path / "x.onnx").exists()


def test_unknown_format_is_a_sentence(tmp_path: Path) -> None:
    from engine.export import ExportError

    with pytest.raises(ExportError, match="unknown export format 'keras'"):
        export_model(two_output_graph(), None, "keras", tmp_path / "m.h5")


def test_python_file_with_a_torchvision_layer_runs_in_a_fresh_interpreter(tmp_path: Path) -> None:
    """StochasticDepth is torchvision's: the file imports torchvision and names its public path."""
    g = Graph()
    x = add(g, "Input", "x", field="x", shape=[6])
    chain(g, [x, add(g, "Linear", "fc", out_features=6), add(g, "StochasticDepth", "drop", p=0.3),
              add(g, "Output", "out")])
    model, weights = trained(g, tmp_path, seed=4)
    export_model(Project(graph=g, name="drop path"), weights, "python", tmp_path / "dp.py")
    source = (tmp_path / "dp.py").read_text()
    assert "import torchvision" in source and "torchvision.ops.StochasticDepth(p=0.3" in source
    (tmp_path / "dp.safetensors").write_bytes(weights.read_bytes())
    x_in = torch.randn(3, 6)
    torch.save([x_in], tmp_path / "dp.in.pt")
    done = subprocess.run([sys.executable, "-I", "-c", _RUNNER, "dp"], cwd=tmp_path,
                          env={"PYTHONPATH": "", "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    with torch.no_grad():
        assert torch.equal(torch.load(tmp_path / "dp.out.pt", weights_only=True), model.eval()(x_in))
