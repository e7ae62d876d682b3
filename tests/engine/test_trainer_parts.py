"""Trainer building blocks: config validation, schedules, metrics, checkpoints, the CLI."""

from __future__ import annotations

import csv
import dataclasses
import math

import pytest
import torch
from pydantic import TypeAdapter, ValidationError

from engine.cli import main
from engine.data import DataConfig
from engine.project import Project, load_project, save_project
from engine.training import TrainConfig, Trainer
from engine.training.checkpoint import CheckpointError, load_checkpoint
from engine.training.metrics import LossTask, MetricAccumulator
from engine.training.optim import LRSchedule, build_optimizer
from tests.engine.trainer_helpers import Recorder, blobs, mlp

# -- config -------------------------------------------------------------------


def test_config_defaults_round_trip_through_json():
    adapter = TypeAdapter(TrainConfig)
    config = TrainConfig(optimizer="adamw", schedule="onecycle", grad_clip=1.0, amp=True)
    assert adapter.validate_python(adapter.dump_python(config, mode="json")) == config
    assert adapter.validate_python({}) == TrainConfig()


@pytest.mark.parametrize("fields, message", [
    ({"nesterov": True}, "nesterov needs the sgd optimizer with momentum > 0"),
    ({"device": "gpu"}, "device must be auto, cpu, cuda, cuda:N or mps"),
    ({"betas": (0.9, 1.5)}, "betas must be two numbers in"),
    ({"grad_clip": 0}, "greater than 0"),
    ({"unknown": 1}, "unknown"),
])
def test_config_rejects_with_a_sentence(fields, message):
    with pytest.raises((ValidationError, TypeError), match=message):
        TypeAdapter(TrainConfig).validate_python(fields)


def test_every_optimizer_builds():
    params = [torch.nn.Parameter(torch.zeros(2))]
    for name in ("sgd", "adam", "adamw", "rmsprop", "adagrad"):
        opt = build_optimizer(TrainConfig(optimizer=name, momentum=0.5, weight_decay=1e-4), params)
        assert opt.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize("name, plain", [
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3, foreach=False)),
    ("adam", lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=1e-3, foreach=False)),
    ("adamw", lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=1e-3, foreach=False)),
    ("adagrad", lambda p: torch.optim.Adagrad(p, lr=0.1, weight_decay=1e-3, foreach=False)),
])
def test_fused_optimizers_on_cpu_match_the_plain_loop(name, plain):
    """The fused kernel is picked on CPU and updates weights as torch's per-parameter loop does."""
    start = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    ours_p, ref_p = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    ours = build_optimizer(TrainConfig(optimizer=name, lr=0.1, momentum=0.9, weight_decay=1e-3),
                           [ours_p])
    ref = plain([ref_p])
    assert ours.param_groups[0]["fused"] is True
    for step in range(5):
        grad = torch.randn(5, 3, generator=torch.Generator().manual_seed(step + 1))
        ours_p.grad, ref_p.grad = grad.clone(), grad.clone()
        ours.step()
        ref.step()
    assert torch.allclose(ours_p, ref_p, atol=1e-6)
    assert not torch.equal(ours_p, start)


# -- schedules ----------------------------------------------------------------


def lrs(config: TrainConfig, steps_per_epoch: int = 10) -> list[float]:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=config.lr)
    schedule = LRSchedule(opt, config, steps_per_epoch)
    return [schedule.apply(s) for s in range(config.epochs * steps_per_epoch)]


def test_warmup_then_step_schedule():
    out = lrs(TrainConfig(epochs=5, lr=1.0, warmup_epochs=1, schedule="step", step_size=2, gamma=0.5))
    assert out[0] == pytest.approx(0.1) and out[9] == pytest.approx(1.0)
    assert out[10:30] == [1.0] * 20 and out[30:] == [0.5] * 20


def test_cosine_and_onecycle_shapes():
    cos = lrs(TrainConfig(epochs=4, lr=1.0, schedule="cosine"))
    assert cos[0] == 1.0 and cos[-1] < 0.01 and all(a >= b for a, b in zip(cos, cos[1:], strict=False))
    one = lrs(TrainConfig(epochs=10, lr=1.0, schedule="onecycle"))
    peak = one.index(max(one))
    assert one[0] == pytest.approx(0.04) and peak == 30 and one[peak] == pytest.approx(1.0)
    assert one[-1] < 1e-3


def test_plateau_reduces_after_patience():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedule = LRSchedule(opt, TrainConfig(schedule="plateau", patience=2, factor=0.1), 1)
    for loss in (1.0, 1.0, 1.0):
        schedule.epoch_end(loss)
    assert schedule.apply(0) == 1.0
    schedule.epoch_end(1.0)
    assert schedule.apply(0) == pytest.approx(0.1)
    restored = LRSchedule(opt, TrainConfig(schedule="plateau"), 1)
    restored.load_state_dict(schedule.state_dict())
    assert restored.apply(0) == pytest.approx(0.1)


# -- metrics ------------------------------------------------------------------


def test_classification_metrics_and_confusion():
    acc = MetricAccumulator([LossTask("ce", "CrossEntropyLoss", "classification")],
                            torch.device("cpu"), full=True)
    logits = torch.tensor([[5.0, 0, 0], [0, 5.0, 0], [0, 5.0, 0], [0, 0, 5.0]])
    target = torch.tensor([0, 1, 2, 2])
    acc.add_losses(torch.tensor([0.5, 0.5]), 4)  # tensor path (validation): sums on the device
    acc.add_predictions({"ce": logits[:2]}, {"ce": target[:2]})
    acc.add_predictions({"ce": logits[2:]}, {"ce": target[2:]})  # reduced together
    m = acc.compute("val")
    assert m["val/loss"] == 0.5 and m["val/ce/accuracy"] == 0.75
    assert m["val/ce/confusion"] == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert m["val/ce/per_class_accuracy"] == [1.0, 1.0, 0.5]


@pytest.mark.parametrize("kind, pred", [("BCEWithLogitsLoss", [-1.0, 2.0, 0.5]),
                                        ("BCELoss", [0.2, 0.9, 0.6])])
def test_binary_thresholds(kind, pred):
    acc = MetricAccumulator([LossTask("b", kind, "binary")], torch.device("cpu"))
    acc.add_losses([0.1, 0.1], 3)  # float path (training): sums on the host
    acc.add_predictions({"b": torch.tensor(pred).unsqueeze(1)}, {"b": torch.tensor([0.0, 1.0, 0.0])})
    assert acc.compute("train")["train/b/accuracy"] == pytest.approx(2 / 3)
    assert "train/b/confusion" not in acc.compute("train")  # only validation keeps the matrix


def test_binary_confusion_on_validation():
    """Rows: true 0 then 1; columns: predicted 0 then 1 (a logit above 0 means 1)."""
    acc = MetricAccumulator([LossTask("b", "BCEWithLogitsLoss", "binary")], torch.device("cpu"), full=True)
    acc.add_losses(torch.tensor([0.2, 0.2]), 5)
    logits = torch.tensor([-2.0, 0.5, 3.0, 1.0, -0.1])
    acc.add_predictions({"b": logits.unsqueeze(1)}, {"b": torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0])})
    m = acc.compute("val")
    assert m["val/b/confusion"] == [[1, 1], [1, 2]]
    assert m["val/b/per_class_accuracy"] == [0.5, pytest.approx(2 / 3)]
    assert m["val/b/accuracy"] == pytest.approx(3 / 5)


def test_regression_mae_rmse():
    acc = MetricAccumulator([LossTask("r", "MSELoss", "regression")], torch.device("cpu"))
    acc.group = 1  # reduce after every batch
    for _ in range(2):
        acc.add_losses([1.0, 1.0], 2)
        acc.add_predictions({"r": torch.tensor([[1.0], [3.0]])}, {"r": torch.tensor([[0.0], [0.0]])})
    m = acc.compute("val")
    assert m["val/loss"] == 1.0 and m["val/r/loss"] == 1.0
    assert m["val/r/mae"] == 2.0 and m["val/r/rmse"] == pytest.approx(math.sqrt(5))


# -- checkpoints ----------------------------------------------------------------


def test_checkpoint_loads_with_weights_only(tmp_path):
    Trainer(mlp(dropout=0.1), blobs(), TrainConfig(epochs=2, batch_size=16, momentum=0.9,
                                                   schedule="plateau"), run_dir=tmp_path).fit()
    folder = tmp_path / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == ["best.pt", "epoch-0001.pt",
                                                        "epoch-0002.pt", "last.pt"]
    state = torch.load(folder / "last.pt", weights_only=True)
    assert state["epoch"] == 2 and state["global_step"] == 10
    assert set(state["model"]) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
    assert state["optimizers"]["model"]["state"]  # momentum buffers
    assert {"torch", "numpy", "python", "cuda"} <= set(state["rng"])
    assert len(state["history"]) == 2 and state["config"]["schedule"] == "plateau"
    assert state["graph"]["nodes"] and not list(tmp_path.glob("checkpoints/.*.tmp"))


def test_bad_checkpoints_are_clear_errors(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")
    Trainer(mlp(hidden=16), blobs(), TrainConfig(epochs=1, batch_size=32), run_dir=tmp_path).fit()
    other = Trainer(mlp(hidden=8), blobs(), TrainConfig(epochs=2, batch_size=32),
                    resume_from=tmp_path / "checkpoints" / "last.pt")
    with pytest.raises(Exception, match="does not fit this graph"):
        other.fit()


# -- command line -------------------------------------------------------------------


@pytest.fixture
def iris_project(tmp_path):
    project = Project(graph=mlp(hidden=8), name="iris", data=DataConfig(source="bundled", name="iris"),
                      training=TrainConfig(epochs=1, batch_size=32, lr=0.05, device="cpu"))
    return save_project(project, tmp_path / "iris.json")


def test_cli_train_writes_the_run_folder(iris_project, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", str(iris_project), "--out", str(out), "--epochs", "2", "--limit", "60",
                 "--batch-size", "16", "--no-progress"]) == 0
    stdout = capsys.readouterr().out
    assert "final: epoch 2" in stdout and "val/loss" in stdout
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"] and "val/loss/accuracy" in rows[0]
    from safetensors.torch import load_file

    assert set(load_file(out / "weights.safetensors")) == {"fc1.weight", "fc1.bias", "fc2.weight",
                                                           "fc2.bias"}
    copy = load_project(out / "iris.json")
    assert copy.training.epochs == 2 and copy.training.batch_size == 16 and copy.data.limit == 60
    # --resume continues in the same run folder up to the new epoch count
    assert main(["train", str(iris_project), "--resume", str(out / "checkpoints" / "last.pt"),
                 "--epochs", "3", "--limit", "60", "--batch-size", "16", "--no-progress"]) == 0
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]


def test_cli_errors_are_one_sentence(iris_project, tmp_path, capsys):
    assert main(["train", str(iris_project), "--device", "tpu", "--out", str(tmp_path / "r")]) == 1
    assert "device must be auto, cpu" in capsys.readouterr().err
    project = load_project(iris_project)
    project.graph.set_param(project.graph.by_name("features").id, "field", "pixels")
    save_project(project)
    assert main(["train", str(iris_project), "--out", str(tmp_path / "r")]) == 1
    assert "Input 'features' is bound to field 'pixels'" in capsys.readouterr().err


def test_cli_tensorboard_missing_is_a_clear_message(iris_project, tmp_path, capsys):
    from engine.training.loggers import tensorboard_available

    if tensorboard_available():
        pytest.skip("tensorboard is installed here")
    assert main(["train", str(iris_project), "--tensorboard", "--out", str(tmp_path / "r")]) == 1
    assert "pip install tensorboard" in capsys.readouterr().err


def test_train_from_python_with_replace():
    config = dataclasses.replace(TrainConfig(), epochs=1, batch_size=32, optimizer="adam", lr=0.01)
    rec = Recorder()
    result = Trainer(mlp(), blobs(), config, callbacks=[rec]).fit()
    assert result.reason == "completed" and rec.names()[-1] == "on_fit_end"
