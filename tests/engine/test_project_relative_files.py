"""A backbone's pretrained weights named relative to the project: read from the project's
folder whatever the working folder, and a missing file is named before training starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torchvision
from safetensors.torch import save_file
from seed_graphs import add, chain

from engine.compiler import compile_graph
from engine.graph import Graph
from engine.project import Project, load_project, save_project
from engine.validation import file_issues
from engine.weights import WeightsError

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> tuple[Path, dict[str, torch.Tensor]]:
    """``proj/net.json`` whose resnet18 node reads ``weights/r18.safetensors`` beside it."""
    g = Graph()
    x = add(g, "Input", "image", field="image", shape=[3, 32, 32])
    bb = add(g, "resnet18", "backbone", num_classes=3, weights="weights/r18.safetensors")
    chain(g, [x, bb, add(g, "Output", "scores")])
    folder = tmp_path / "proj"
    (folder / "weights").mkdir(parents=True)
    torch.manual_seed(7)
    source = torchvision.models.resnet18(weights=None, num_classes=3).state_dict()
    save_file(source, str(folder / "weights" / "r18.safetensors"))
    return save_project(Project(graph=g, name="net"), folder / "net.json"), source


def test_relative_weights_are_read_from_the_project_folder(tmp_path, monkeypatch) -> None:
    path, source = _project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not the project's folder
    project = load_project(path)
    assert project.graph.by_name("backbone").params["weights"] == "weights/r18.safetensors"
    assert file_issues(project) == []
    model = compile_graph(project.graph, base_dir=project.base_dir).model
    loaded = {k.removeprefix("backbone."): v for k, v in model.state_dict().items()}
    assert all(torch.equal(loaded[k], v) for k, v in source.items())
    with pytest.raises(WeightsError, match="weights file not found"):  # without the project's folder
        compile_graph(project.graph)


def test_a_missing_weights_file_is_named_with_where_it_was_looked_for(tmp_path) -> None:
    path, _ = _project(tmp_path)
    (path.parent / "weights" / "r18.safetensors").unlink()
    project = load_project(path)
    [issue] = file_issues(project)
    assert issue.node == "backbone" and issue.severity == "error"
    assert "'weights/r18.safetensors' was not found in" in issue.message
    assert str(path.parent) in issue.message and "give its full path" in issue.message
    project.path = None  # unsaved: looked for in the working folder, and the message says so
    assert "working folder (the project is not saved yet)" in file_issues(project)[0].message
    done = subprocess.run([sys.executable, "-m", "engine.cli", "validate", str(path)], cwd=tmp_path,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "backbone: weights file 'weights/r18.safetensors' was not found" in done.stdout


def test_the_trainer_reads_them_from_the_project_folder(tmp_path, monkeypatch) -> None:
    from trainer_helpers import blobs

    from engine.training import TrainConfig, Trainer

    path, source = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    project = load_project(path)
    g = project.graph
    label = g.add_node("Input", "label", {"field": "label", "shape": [], "dtype": "int64"})
    loss = g.add_node("CrossEntropyLoss", "loss")
    g.connect(g.by_name("backbone").id, "out", loss.id, "prediction")
    g.connect(label.id, "out", loss.id, "target")
    data = blobs(n=8, extra={"image": torch.randn(8, 3, 32, 32)})
    trainer = Trainer(g, data, TrainConfig(epochs=1, batch_size=4), base_dir=project.base_dir)
    loaded = {k.removeprefix("backbone."): v for k, v in trainer.model.state_dict().items()}
    assert all(torch.equal(loaded[k], v) for k, v in source.items())
