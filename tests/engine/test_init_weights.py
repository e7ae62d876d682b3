"""Starting a run from saved weights (TrainConfig.init_weights): fine-tuning."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from trainer_helpers import blobs, mlp

from engine.project import Project, load_project, save_project
from engine.training import TrainConfig, Trainer, TrainingSetupError
from engine.validation import file_issues
from engine.weights import WeightsError


def _trained(tmp_path: Path) -> tuple[Path, dict[str, torch.Tensor], float]:
    """An MLP trained for 3 epochs: its weights file, weights and last training loss."""
    trainer = Trainer(mlp(), blobs(), TrainConfig(epochs=3, batch_size=16, lr=0.05, seed=1))
    result = trainer.fit()
    weights = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
    path = tmp_path / "pre.safetensors"
    save_file(weights, str(path))
    return path, weights, result.history[-1]["train/loss"]


def test_a_run_starts_from_the_weights_and_keeps_their_progress(tmp_path) -> None:
    path, weights, trained_loss = _trained(tmp_path)
    config = TrainConfig(epochs=1, batch_size=16, lr=0.05, seed=2, init_weights=path.name)
    trainer = Trainer(mlp(), blobs(), config, base_dir=tmp_path)  # relative to the project's folder
    assert all(torch.equal(trainer.model.state_dict()[k], v) for k, v in weights.items())
    assert trainer.init_report.loaded == len(weights) and not trainer.init_report.fresh
    fresh = Trainer(mlp(), blobs(), TrainConfig(epochs=1, batch_size=16, lr=0.05, seed=2)).fit()
    tuned = trainer.fit()
    # the first epoch from the trained weights is as good as where they left off, unlike a fresh one
    assert tuned.history[0]["train/loss"] < 1.5 * trained_loss < fresh.history[0]["train/loss"]


def test_a_new_head_starts_fresh_and_the_rest_is_loaded(tmp_path) -> None:
    path, weights, _ = _trained(tmp_path)
    graph = mlp(classes=3)
    graph.rename_node(graph.by_name("fc2").id, "head")  # a replaced head: not in the file
    trainer = Trainer(graph, blobs(), TrainConfig(epochs=1, init_weights=str(path)))
    report = trainer.init_report
    assert report.loaded == 2 and report.fresh == ["head.weight", "head.bias"]
    assert sorted(report.unused) == ["fc2.bias", "fc2.weight"]
    assert torch.equal(trainer.model.state_dict()["fc1.weight"], weights["fc1.weight"])
    assert "2 tensor(s) loaded; freshly initialised: head.weight, head.bias" in report.text()


def test_weights_that_do_not_fit_are_named_before_the_run(tmp_path) -> None:
    path, _, _ = _trained(tmp_path)
    with pytest.raises(TrainingSetupError, match=r"'fc2.bias' with shape 3 but the graph's has shape 5"):
        Trainer(mlp(classes=5), blobs(classes=5), TrainConfig(init_weights=str(path)))
    other = tmp_path / "other.safetensors"
    save_file({"encoder.weight": torch.zeros(2, 2)}, str(other))
    with pytest.raises(TrainingSetupError, match="none of the tensors .* belongs to a node"):
        Trainer(mlp(), blobs(), TrainConfig(init_weights=str(other)))
    with pytest.raises(WeightsError, match="weights file not found"):
        Trainer(mlp(), blobs(), TrainConfig(init_weights=str(tmp_path / "gone.safetensors")))


def test_a_missing_start_file_is_a_project_issue(tmp_path) -> None:
    project = Project(graph=mlp(), training=TrainConfig(init_weights="pre.safetensors"))
    path = save_project(project, tmp_path / "p.json")
    [issue] = file_issues(load_project(path))
    assert f"start-from weights file 'pre.safetensors' was not found in {tmp_path}" in issue.message
    _trained(tmp_path)  # writes pre.safetensors beside the project
    assert file_issues(load_project(path)) == []


def test_an_import_with_weights_trains_from_them(tmp_path) -> None:
    """``torchwire import … -o P --weights W`` makes the project start from W, found beside it."""
    from engine.compiler import compile_graph
    from engine.importer import import_to_files
    from engine.training.init_weights import load_initial_weights

    source = tmp_path / "nets.py"
    source.write_text("import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
                      "        super().__init__()\n        self.fc = nn.Linear(4, 3)\n\n"
                      "    def forward(self, x):\n        return self.fc(x)\n")
    folder = tmp_path / "proj"
    folder.mkdir()
    result = import_to_files(f"{source}:Net", folder / "net.json", folder / "net.safetensors", [(1, 4)])
    project = load_project(folder / "net.json")
    assert project.training.init_weights == "net.safetensors" and file_issues(project) == []
    model = compile_graph(project.graph, base_dir=project.base_dir).model
    report = load_initial_weights({"model": model}, project.training.init_weights, project.base_dir)
    assert report.loaded == len(result.state_dict) == 2
    assert all(torch.equal(model.state_dict()[k], v) for k, v in result.state_dict.items())
