"""Import: seed-style networks round-trip exactly; unmappable parts are reported with locations."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file

from engine.cli import main
from engine.compiler import compile_graph
from engine.importer import ModelImportError, import_model, rename_state_dict
from engine.project import load_project

MODELS = textwrap.dedent('''
    import torch
    import torch.nn.functional as F
    from torch import nn


    class Mlp(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(inplace=True),
                                     nn.Dropout(0.2), nn.Linear(32, 10), nn.LogSoftmax(dim=1))

        def forward(self, x, temperature=None):  # optional arguments keep their defaults
            logits = self.net(x)
            return logits if temperature is None else logits / temperature


    class MnistCnn(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, 5)
            self.conv2 = nn.Conv2d(10, 20, 5)
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
            x = F.dropout(x, 0.5, training=self.training)
            return self.fc2(torch.relu(self.fc1(x)))


    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)  # the CLI test rebuilds the same weights
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = x.view(-1, 16 * 5 * 5)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)


    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding="same", bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += self.down(x)
            return self.relu(out)


    class ResNetTiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, padding=1)
            self.block = Block(8, 16, 2)
            self.gate = nn.Linear(16, 16)
            self.fc = nn.Linear(32, 5)

        def forward(self, x):
            h = self.block(F.relu(self.stem(x)))
            h = F.adaptive_avg_pool2d(h, 1)
            h = h.view(h.size(0), -1)
            g = torch.sigmoid(self.gate(h))
            return {"logits": self.fc(torch.cat([h * g, h], dim=1)), "features": h}


    class Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(50, 8)
            self.lstm = nn.LSTM(8, 6, batch_first=True)
            self.gru = nn.GRU(6, 6, num_layers=2, batch_first=True)
            self.attn = nn.MultiheadAttention(6, 2, batch_first=True)
            self.enc = nn.TransformerEncoderLayer(6, 2, 16, batch_first=True)
            self.head = nn.Linear(6, 3)

        def forward(self, ids):
            out, (h, c) = self.lstm(self.embed(ids))
            y, _ = self.gru(out)
            a, w = self.attn(y, y, y)
            z = self.enc(a).transpose(1, 2).contiguous()
            return self.head(z.permute(0, 2, 1)), c


    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.shuffle = nn.PixelShuffle(2)

        def forward(self, x):
            x = self.conv(x)
            x = x - torch.relu(x)
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
            return self.shuffle(x)


    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.shared = nn.Linear(4, 4)

        def forward(self, x):
            y = self.fc(x)
            z = F.relu(y, inplace=True)
            return z + y + self.shared(self.shared(z))


    class Branchy(nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                return x
            return -x
''')


@pytest.fixture(scope="module")
def models_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "nets.py"
    path.write_text(MODELS)
    return path


def build(path: Path, name: str) -> torch.nn.Module:
    spec = importlib.util.spec_from_file_location("nets_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)()


def randomise(module: torch.nn.Module) -> None:
    """Non-trivial BatchNorm statistics, so eval mode really uses them."""
    for m in module.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.normal_(0, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.normal_(1, 0.2)
            m.bias.data.normal_(0, 0.2)


def outputs(value: Any) -> list[torch.Tensor]:
    return list(value.values()) if isinstance(value, dict) else [value]


def assert_round_trip(original: torch.nn.Module, result: Any, x: torch.Tensor) -> None:
    """import -> compile -> load the original's weights (renamed) -> identical outputs."""
    compiled = compile_graph(result.project.graph, name=result.project.name)
    model = compiled.model.eval()
    model.load_state_dict(rename_state_dict(original.state_dict(), result.names))
    original.eval()
    with torch.no_grad():
        want, got = original(x), model(x)
    if isinstance(want, dict):
        assert set(got) == set(want)
        got = {k: got[k] for k in want}
    for a, b in zip(outputs(got), outputs(want), strict=True):
        assert a.shape == b.shape
        assert (a - b).abs().max().item() == 0


@pytest.mark.parametrize("name, shape", [
    ("Mlp", (1, 1, 8, 8)), ("MnistCnn", (1, 1, 28, 28)), ("LeNet", (1, 3, 32, 32)), ("ResNetTiny", (1, 3, 16, 16)),
])
def test_seed_networks_round_trip(models_file: Path, name: str, shape: tuple[int, ...]) -> None:
    result = import_model(f"{models_file}:{name}", [shape])
    assert result.max_abs_diff == 0
    original = build(models_file, name)
    randomise(original)
    assert_round_trip(original, result, torch.randn(3, *shape[1:]))


def test_sequence_model_with_multi_output_layers(models_file: Path) -> None:
    result = import_model(f"{models_file}:Seq", [(1, 7)])
    graph = result.project.graph
    assert graph.by_name("ids").params["dtype"] == "int64"  # it feeds an Embedding
    ports = {(graph.node(e.src).name, e.src_port, graph.node(e.dst).name) for e in graph.edges}
    assert {("lstm", "output", "gru"), ("gru", "output", "attn"), ("attn", "out", "enc"),
            ("lstm", "c_n", "out1")} <= ports
    assert graph.by_name("enc").params["dim_feedforward"] == 16
    original = build(models_file, "Seq").eval()
    model = compile_graph(graph).model.eval()
    model.load_state_dict(rename_state_dict(original.state_dict(), result.names))
    ids = torch.randint(0, 50, (3, 7))
    with torch.no_grad():
        got, want = model(ids), original(ids)
    assert torch.equal(got["out0"], want[0]) and torch.equal(got["out1"], want[1])


def test_mapping_details(models_file: Path) -> None:
    graph = import_model(f"{models_file}:ResNetTiny", [(1, 3, 16, 16)]).project.graph
    kinds = {n.name: n.kind for n in graph}
    params = {n.name: n.params for n in graph}
    assert kinds["block_conv1"] == "Conv2d" and params["block_conv1"]["in_channels"] == 8
    assert params["block_conv1"]["stride"] == (2, 2) and params["block_conv1"]["bias"] is False
    assert params["block_conv2"]["padding"] == (1, 1)  # padding="same" made explicit
    assert kinds["block_down_0"] == "Conv2d" and kinds["block_down_1"] == "BatchNorm2d"
    assert kinds["block_relu"] == kinds["block_relu_1"] == "ReLU"  # one module called twice
    assert kinds["add"] == "Add" and kinds["mul"] == "Multiply" and kinds["sigmoid"] == "Sigmoid"
    assert kinds["cat"] == "Concat" and params["cat"]["inputs"] == 2
    assert kinds["view"] == "Flatten" and kinds["adaptive_avg_pool2d"] == "AdaptiveAvgPool2d"
    assert {n.name for n in graph if n.kind == "Output"} == {"logits", "features"}
    inputs = [n for n in graph if n.kind == "Input"]
    assert [(n.name, n.params["shape"]) for n in inputs] == [("x", (3, 16, 16))]
    xs = [n.pos[0] for n in graph]
    assert len(set(xs)) > 5 and min(xs) == inputs[0].pos[0]  # laid out left to right


def test_unmappable_parts_are_listed_with_locations(models_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "odd.json"
    with pytest.raises(ModelImportError) as info:
        main_args = ["import", f"{models_file}:Odd", "--input-shape", "1,3,8,8", "-o", str(out)]
        import_model(main_args[1], [(1, 3, 8, 8)])
    text = str(info.value)
    assert "3 part(s)" in text
    assert "sub: operator.sub subtracts two tensors; build it as Add" in text
    assert "torch.nn.functional.interpolate uses align_corners=True or antialias" in text
    assert "torch.nn.PixelShuffle has no Torchwire layer kind" in text
    assert f"{models_file}:" in text  # file:line of each offending call
    assert main(main_args) == 1
    assert not out.exists()

    with pytest.raises(ModelImportError) as info:
        import_model(f"{models_file}:Shared", [(1, 4)])
    text = str(info.value)
    assert "shared (Linear) is called 2 times, sharing its weights" in text
    assert "relu: changes fc in place while add uses it later" in text


def test_untraceable_and_unsupported_specs(models_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelImportError, match=r"cannot trace Branchy with torch.fx at .*nets.py:\d+"):
        import_model(f"{models_file}:Branchy", [(1, 4)])
    pickled = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2), pickled)
    with pytest.raises(ModelImportError, match="saved model file is not supported"):
        import_model(str(pickled))
    with pytest.raises(ModelImportError, match="defines no class 'Nope'"):
        import_model(f"{models_file}:Nope", [(1, 4)])
    with pytest.raises(ModelImportError, match="give the input shape"):
        import_model(f"{models_file}:LeNet")
    with pytest.raises(ModelImportError, match="did you mean resnet18"):
        import_model("torchvision:resnet_18")


def test_cli_import_writes_project_and_renamed_weights(models_file: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    project_path, weights_path = tmp_path / "lenet.json", tmp_path / "lenet.safetensors"
    assert main(["import", f"{models_file}:LeNet", "--input-shape", "1,3,32,32", "-o", str(project_path),
                 "--weights", str(weights_path)]) == 0
    assert "imported LeNet" in capsys.readouterr().out
    project = load_project(project_path)
    weights = load_file(str(weights_path))
    assert set(weights) >= {"conv1.weight", "fc3.bias"}
    reshape = project.graph.by_name("view")
    assert reshape.kind == "Flatten"
    model = compile_graph(project.graph).model.eval()
    model.load_state_dict(weights)
    original = build(models_file, "LeNet").eval()  # seeded: the same weights the CLI saw
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(x), original(x))


CONSTANT_OPS_SOURCE = '''
import torch
import torch.nn.functional as F
from torch import nn


class Decoder(nn.Module):
    """Constant arithmetic, interpolation and a mean, as modern models write them."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = (x - 0.5) / 0.25  # normalise with constants
        y = F.interpolate(self.conv(x), scale_factor=2, mode="bilinear")
        y = -y * 0.5 + 1
        return self.fc(y.mean(dim=(-2, -1)))


class BatchMean(nn.Module):
    def forward(self, x):
        return x.mean(0)
'''


def test_constant_arithmetic_interpolate_and_mean_are_imported(tmp_path: Path) -> None:
    path = tmp_path / "decoder.py"
    path.write_text(CONSTANT_OPS_SOURCE)
    result = import_model(f"{path}:Decoder", [(1, 3, 8, 8)])
    graph = result.project.graph
    kinds = [n.kind for n in graph.topological_order()]
    assert kinds.count("Scale") == 5 and "Upsample" in kinds and "Mean" in kinds  # -, /, neg, *, +
    up = next(n for n in graph if n.kind == "Upsample")
    assert up.params == {"scale_factor": 2.0, "mode": "bilinear"}
    assert next(n for n in graph if n.kind == "Mean").params == {"dims": (2, 3), "keepdim": False}
    assert result.max_abs_diff < 1e-5  # x / 0.25 becomes x · 4: equal up to rounding
    original = build(path, "Decoder")
    randomise(original)
    compiled = compile_graph(graph, name="Decoder").model.eval()
    compiled.load_state_dict(rename_state_dict(original.state_dict(), result.names))
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.allclose(compiled(x), original.eval()(x), atol=1e-5)
    with pytest.raises(ModelImportError, match="averages over the batch dimension"):
        import_model(f"{path}:BatchMean", [(2, 4)])


SPLIT_SOURCE = '''
import torch
from torch import nn


class Splits(nn.Module):
    """Channel splits and indexing: chunk, split with sizes, a slice and a token pick."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(7, 4)

    def forward(self, x):  # x: N×10×7
        a, b = x.chunk(2, dim=1)
        c, d, e = torch.split(x, [2, 3, 5], dim=1)
        first = x[:, 0]
        middle = x[:, 2:6]
        return self.fc(first), a * 2 + b, torch.cat([c, d, e], 1), middle
'''


def test_chunks_splits_and_indexing_become_slices_and_selects(tmp_path: Path) -> None:
    path = tmp_path / "splits.py"
    path.write_text(SPLIT_SOURCE)
    result = import_model(f"{path}:Splits", [(1, 10, 7)])
    graph = result.project.graph
    slices = sorted((n.params["start"], n.params["length"]) for n in graph if n.kind == "Slice")
    assert slices == [(0, 2), (0, 5), (2, 3), (2, 4), (5, 5), (5, 5)]
    [select] = [n for n in graph if n.kind == "Select"]
    assert select.params == {"dim": 1, "index": 0}
    assert result.max_abs_diff == 0  # verified against the original, exactly
    with pytest.raises(ModelImportError, match="indexes the batch dimension"):
        (tmp_path / "bad.py").write_text("from torch import nn\n\n\nclass Bad(nn.Module):\n"
                                         "    def forward(self, x):\n        return x[0]\n")
        import_model(f"{tmp_path / 'bad.py'}:Bad", [(2, 4)])
